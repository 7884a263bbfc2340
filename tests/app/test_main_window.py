"""The main window: pages, docks, status bar, window state, preferences, context menus,
view wiring, and one end-to-end editing flow."""

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox, QStackedWidget, QUndoView

from app import __version__
from app.preferences import Preferences
from core.model import serialize
from widgets import theme
from widgets.canvas import CanvasView
from widgets.mime import KIND_MIME


def test_central_area_stacks_the_welcome_page_and_the_canvas(window):
    assert isinstance(window.centralWidget(), QStackedWidget)
    assert window.stack.widget(0) is window.welcome
    assert isinstance(window.stack.widget(1), CanvasView)
    window.action("new").trigger()
    assert window.stack.currentWidget() is window.view


def test_docks_have_names_places_and_tabs(window):
    window.action("new").trigger()
    names = {d.objectName(): d for d in window.findChildren(QDockWidget)}
    assert set(names) == {"paletteDock", "inspectorDock", "summaryDock", "problemsDock",
                          "historyDock", "dataDock", "trainingDock", "metricsDock",
                          "graphDock", "insightDock"}  # fmt: skip
    area = window.dockWidgetArea
    assert area(names["paletteDock"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    right = [names[n] for n in ("inspectorDock", "dataDock", "trainingDock")]
    assert all(area(d) == Qt.DockWidgetArea.RightDockWidgetArea for d in right)
    assert set(window.tabifiedDockWidgets(right[0])) == set(right[1:])
    bottom = [
        names[n]
        for n in (
            "summaryDock",
            "problemsDock",
            "historyDock",
            "metricsDock",
            "graphDock",
            "insightDock",
        )
    ]
    assert all(area(d) == Qt.DockWidgetArea.BottomDockWidgetArea for d in bottom)
    assert set(window.tabifiedDockWidgets(bottom[0])) == set(bottom[1:])
    history = names["historyDock"].widget()
    assert isinstance(history, QUndoView) and history.stack() is window.controller.undo_stack


def test_dock_toggle_hides_and_shows_a_dock(window):
    window.action("new").trigger()
    toggle = window.inspector_dock.toggleViewAction()
    toggle.trigger()
    assert window.inspector_dock.isHidden()
    toggle.trigger()
    assert not window.inspector_dock.isHidden()


def test_geometry_and_dock_layout_persist_between_windows(window, qtbot, make_window):
    window.action("new").trigger()
    window.resize(761, 593)  # within the offscreen screen (800 x 800)
    window.inspector_dock.hide()
    window.removeDockWidget(window.history_dock)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.history_dock)
    window.history_dock.show()
    window.close()

    again = make_window()
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == (761, 593)
    again.action("new").trigger()
    assert again.inspector_dock.isHidden()
    assert again.dockWidgetArea(again.history_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    again.close()


def test_closing_on_the_welcome_page_keeps_the_editor_dock_layout(window, qtbot, make_window):
    window.action("new").trigger()
    window.problems_dock.hide()
    window.action("close_project").trigger()
    window.close()
    again = make_window()
    again.action("new").trigger()
    assert again.problems_dock.isHidden()
    assert not again.palette_dock.isHidden()


# -- status bar ------------------------------------------------------------------------
def test_status_bar_counts_layers_parameters_and_problems(window, qtbot):
    window.action("new").trigger()
    c = window.controller
    a = c.add_node("Input", (0.0, 0.0), params={"shape": [4]})
    b = c.add_node("Linear", (240.0, 0.0), params={"out_features": 3})
    c.connect(a, "out", b, "in")
    qtbot.waitUntil(lambda: window.status_info.counts_label.text() == "2 layers · 1 wire")
    assert window.status_info.params_label.text() == "15 parameters"  # 4 * 3 + 3
    c.add_node("Linear", (240.0, 200.0))  # no input: an error
    qtbot.waitUntil(lambda: "error" in window.status_info.problems_button.text())
    assert window.problems_dock.windowTitle().startswith("Problems (")
    assert window.status_info.zoom_label.text().endswith("%")


def test_refused_connection_reason_shows_in_the_status_bar(window):
    window.action("new").trigger()
    window.scene.connection_refused.emit("ports do not fit")
    assert window.statusBar().currentMessage() == "ports do not fit"
    window.controller.message.emit("cannot do that")
    assert window.statusBar().currentMessage() == "cannot do that"


def test_problem_activation_selects_the_node(window, qtbot):
    window.action("new").trigger()
    node = window.controller.add_node("Linear", (0.0, 0.0))
    window.problems.node_activated.emit(node)
    assert window.scene.selected_ids() == [node]
    window.summary.node_activated.emit(node)
    assert window.scene.selected_ids() == [node]


# -- actions follow the state ----------------------------------------------------------
def test_actions_need_a_project_or_a_selection(window):
    assert not window.action("save").isEnabled()
    assert not window.action("zoom_fit").isEnabled()
    window.action("new").trigger()
    assert window.action("save").isEnabled()
    assert not window.action("delete").isEnabled()
    assert not window.action("copy").isEnabled()
    node = window.controller.add_node("Linear", (0.0, 0.0))
    window.scene.select_ids([node])
    assert window.action("delete").isEnabled()
    assert window.action("duplicate").isEnabled()
    assert window.action("rename").isEnabled()
    window.action("copy").trigger()
    assert window.action("paste").isEnabled()
    window.scene.clearSelection()
    assert not window.action("delete").isEnabled()


def test_selecting_one_node_shows_it_in_the_inspector(window, monkeypatch):
    shown = []
    monkeypatch.setattr(window.inspector, "set_node", shown.append)
    window.action("new").trigger()
    a = window.controller.add_node("Linear", (0.0, 0.0))
    b = window.controller.add_node("ReLU", (300.0, 0.0))
    window.scene.select_ids([a])
    window.scene.select_ids([a, b])
    assert shown[-2:] == [a, None]


# -- preferences, theme, help ----------------------------------------------------------
def test_preferences_apply_on_ok_and_persist(window, make_window):
    window.action("new").trigger()

    def choose(dialog):  # the person edits the dialog, then presses OK
        dialog.autosave.setValue(30)
        dialog.open_last.setChecked(True)
        dialog.grid_visible.setChecked(False)
        dialog.snap.setChecked(False)
        return True

    window.exec_dialog = choose
    window.action("preferences").trigger()
    assert window.autosaver.interval_s == 30
    assert not window.action("show_grid").isChecked()
    assert not window.view.grid_visible()
    assert window.scene.snap_to_grid is False
    again = make_window()
    assert Preferences.read(again.settings) == Preferences("system", 30, True, False, False)
    assert not again.action("snap_to_grid").isChecked()


def test_cancelled_preferences_change_nothing(window):
    def cancel(dialog):
        dialog.snap.setChecked(False)
        return False

    window.exec_dialog = cancel
    window.action("preferences").trigger()
    assert window.settings.snap_to_grid is True
    assert window.scene.snap_to_grid is True


def test_autosave_interval_zero_turns_autosave_off(window):
    window.apply_preferences(Preferences(autosave_interval=0))
    assert window.autosaver.interval_s == 0


def test_theme_menu_applies_and_remembers(window):
    window.action("theme_dark").trigger()
    assert window.settings.theme == "dark"
    assert theme.current() == "dark"
    assert not window.action("theme_light").isChecked()
    window.action("theme_light").trigger()
    assert window.settings.theme == "light" and theme.current() == "light"
    assert not window.action("theme_dark").isChecked()


def test_about_shows_the_version(window, monkeypatch):
    calls = []
    monkeypatch.setattr(QMessageBox, "about", lambda *args: calls.append(args))
    window.action("about").trigger()
    ((parent, title, text),) = calls
    assert parent is window and title == "About Ember Studio"
    assert __version__ in text
    assert not window.windowIcon().isNull()


def test_quit_closes_the_window(window):
    window.action("quit").trigger()
    assert not window.isVisible()


# -- view requests reach the controller -------------------------------------------------
def test_palette_activation_adds_beside_the_selection_and_connects(window):
    window.action("new").trigger()
    c = window.controller
    linear = c.add_node("Linear", (0.0, 0.0))
    window.scene.select_ids([linear])
    window.palette.kind_activated.emit("ReLU")
    (relu,) = [n.id for n in c.document.nodes.values() if n.kind == "ReLU"]
    assert c.document.edge_into(relu, "in").src == linear
    assert c.document.node(relu).position[0] > c.document.node(linear).position[0]


def test_inspector_rename_and_scene_requests_are_undoable_edits(window):
    window.action("new").trigger()
    c = window.controller
    a = c.add_node("Linear", (0.0, 0.0))
    window.inspector.name_edited.emit(a, "encoder")
    assert c.document.node(a).name == "encoder"
    window.scene.move_requested.emit({a: (100.0, 40.0)})
    assert c.document.node(a).position == (100.0, 40.0)
    window.scene.delete_requested.emit([a], [])
    assert a not in c.document
    for _ in range(3):
        window.action("undo").trigger()
    assert c.document.node(a).name == "Linear 1"
    assert c.document.node(a).position == (0.0, 0.0)


def test_double_click_on_a_node_shows_the_inspector(window):
    window.action("new").trigger()
    node = window.controller.add_node("Linear", (0.0, 0.0))
    window.inspector_dock.hide()
    window.scene.node_activated.emit(node)
    assert not window.inspector_dock.isHidden()


# -- context menus ---------------------------------------------------------------------
def texts(menu):
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_node_context_menu(window):
    window.action("new").trigger()
    node = window.controller.add_node("Linear", (0.0, 0.0))
    menu = window.context_menu("node", node, QPointF(0, 0))
    assert texts(menu) == ["Rename…", "Duplicate", "Copy", "Cut", "Delete",
                           "Auto-layout Selection"]  # fmt: skip
    assert window.scene.selected_ids() == [node]
    window.ask_rename = lambda current: "encoder"
    window.action("rename").trigger()
    assert window.controller.document.node(node).name == "encoder"


def test_edge_context_menu_deletes_the_wire(window):
    window.action("new").trigger()
    c = window.controller
    a = c.add_node("Input", (0.0, 0.0), params={"shape": [4]})
    b = c.add_node("Linear", (240.0, 0.0))
    c.connect(a, "out", b, "in")
    (edge,) = c.document.edges
    menu = window.context_menu("edge", edge, QPointF(0, 0))
    assert texts(menu) == ["Delete Wire"]
    menu.actions()[0].trigger()
    assert c.document.edges == []


def test_background_context_menu_adds_a_layer_at_the_point(window):
    window.action("new").trigger()
    menu = window.context_menu("background", None, QPointF(400, 200))
    assert texts(menu) == ["Paste Here", "Add Layer", "Select All", "Auto-layout",
                           "Fit to View"]  # fmt: skip
    add = next(a.menu() for a in menu.actions() if a.text() == "Add Layer")
    dense = next(a.menu() for a in add.actions() if a.text() == "Dense")
    next(a for a in dense.actions() if a.text() == "Linear").trigger()
    (node,) = window.controller.document.nodes.values()
    assert node.kind == "Linear"
    assert (abs(node.position[0] - 400) <= 20) and (abs(node.position[1] - 200) <= 20)


# -- one flow from palette to file -----------------------------------------------------
def drag_kind_onto_canvas(window, kind: str, pos: QPoint) -> None:
    viewport = window.view.viewport()
    mime = QMimeData()
    mime.setData(KIND_MIME, kind.encode("utf-8"))
    action, left = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, mime, left, none)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(viewport, QDragMoveEvent(pos, action, mime, left, none))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(pos), action, mime, left, none))


def test_end_to_end_build_edit_undo_save(window, qtbot, tmp_path):
    window.action("new").trigger()
    c = window.controller
    # a palette kind dropped on the canvas becomes a node at the drop point
    drag_kind_onto_canvas(window, "Linear", QPoint(300, 200))
    (linear,) = c.document.nodes
    assert c.document.node(linear).kind == "Linear"
    # Input -> Linear -> Output, wired through the scene's requests
    inp = c.add_node("Input", (-240.0, 0.0), params={"shape": [8]})
    out = c.add_node("Output", (480.0, 0.0))
    window.scene.connect_requested.emit(inp, "out", linear, "in")
    window.scene.connect_requested.emit(linear, "out", out, "in")
    assert len(c.document.edges) == 2
    qtbot.waitUntil(lambda: window.status_info.problems_button.text() == "No problems")
    assert window.problems.row_texts() == []
    # the inspector edits the selected node's parameter: one undoable command
    window.scene.select_ids([linear])
    assert window.inspector.node_id == linear
    window.inspector.editor("out_features").setValue(5)
    assert c.document.node(linear).params["out_features"] == 5
    qtbot.waitUntil(lambda: window.status_info.params_label.text() == "45 parameters")  # 8 * 5 + 5
    # a diagnostic appears in the Problems panel and clears on undo
    c.disconnect(c.document.edge_into(linear, "in"))
    qtbot.waitUntil(lambda: "error" in window.status_info.problems_button.text())
    assert any(linear in t or "Linear" in t for t in window.problems.row_texts())
    window.action("undo").trigger()
    qtbot.waitUntil(lambda: window.status_info.problems_button.text() == "No problems")
    assert window.problems.row_texts() == []
    window.action("undo").trigger()  # the parameter edit
    assert c.document.node(linear).params["out_features"] != 5
    window.action("redo").trigger()
    assert c.document.node(linear).params["out_features"] == 5
    # saved: the file holds what the canvas shows
    path = tmp_path / "flow.ember.json"
    window.ask_save_path = lambda: path
    window.action("save").trigger()
    assert path.is_file() and not window.isWindowModified()
    assert serialize.to_dict(serialize.load(path)) == serialize.to_dict(c.document)
