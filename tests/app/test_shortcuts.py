"""Menus hold every action with its platform shortcut, and the keys work on the window."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from app.actions import key_sequences

S = QKeySequence.StandardKey


def keys(*texts):
    return [QKeySequence(t) for t in texts]


def standard(key, *fallback, extra=()):
    """What the platform binds to ``key`` (or the fallback), then the extra keys."""
    return key_sequences(key, fallback, extra)


# action name -> (menu, text without "&", expected shortcuts)
MENU_ACTIONS = {
    "new": ("File", "New Project", lambda: standard(S.New, "Ctrl+N")),
    "open": ("File", "Open…", lambda: standard(S.Open, "Ctrl+O")),
    "save": ("File", "Save", lambda: standard(S.Save, "Ctrl+S")),
    "save_as": ("File", "Save As…", lambda: standard(S.SaveAs, "Ctrl+Shift+S")),
    "close_project": (
        "File",
        "Close Project",
        lambda: key_sequences(None, ["Ctrl+W"], QKeySequence.keyBindings(S.Close)),
    ),
    "quit": ("File", "Quit", lambda: standard(S.Quit, "Ctrl+Q")),
    "cut": ("Edit", "Cut", lambda: standard(S.Cut, "Ctrl+X")),
    "copy": ("Edit", "Copy", lambda: standard(S.Copy, "Ctrl+C")),
    "paste": ("Edit", "Paste", lambda: standard(S.Paste, "Ctrl+V")),
    "duplicate": ("Edit", "Duplicate", lambda: keys("Ctrl+D")),
    "delete": ("Edit", "Delete", lambda: standard(S.Delete, "Del", extra=["Backspace"])),
    "select_all": ("Edit", "Select All", lambda: standard(S.SelectAll, "Ctrl+A")),
    "preferences": ("Edit", "Preferences…", lambda: standard(S.Preferences, "Ctrl+,")),
    "zoom_in": ("View", "Zoom In", lambda: standard(S.ZoomIn, "Ctrl++", extra=["Ctrl+="])),
    "zoom_out": ("View", "Zoom Out", lambda: standard(S.ZoomOut, "Ctrl+-")),
    "zoom_fit": ("View", "Fit to View", lambda: keys("Ctrl+0")),
    "zoom_reset": ("View", "Actual Size", lambda: keys("Ctrl+1")),
    "auto_layout": ("View", "Auto-layout", lambda: keys("Ctrl+L")),
    "show_grid": ("View", "Show Grid", lambda: []),
    "snap_to_grid": ("View", "Snap to Grid", lambda: []),
    "shortcuts": ("Help", "Keyboard Shortcuts", lambda: keys("Ctrl+/")),
    "about": ("Help", "About Ember Studio", lambda: []),
}


def menu_actions(menu):
    """Every action in a menu and its submenus."""
    found = []
    for action in menu.actions():
        found.append(action)
        if action.menu() is not None:
            found.extend(menu_actions(action.menu()))
    return found


def test_menu_bar_titles(window):
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Train", "Help"]


def test_each_action_is_in_its_menu_with_its_shortcuts(window):
    for name, (menu_title, text, expected) in MENU_ACTIONS.items():
        action = window.action(name)
        assert action in menu_actions(window.menus[menu_title]), name
        assert action.text().replace("&", "") == text
        assert action.shortcuts() == expected(), name
        assert all(not k.isEmpty() for k in action.shortcuts()), name


# the keys a person expects (the tests run offscreen, whose key bindings are those of
# Windows and most Linux desktops; on macOS Ctrl is Cmd)
EXPECTED_KEYS = {
    "new": ["Ctrl+N"],
    "open": ["Ctrl+O"],
    "save": ["Ctrl+S"],
    "save_as": ["Ctrl+Shift+S"],
    "export_dialog": ["Ctrl+E"],
    "train_start": ["F5"],
    "train_pause": ["F6"],
    "train_stop": ["Shift+F5"],
    "close_project": ["Ctrl+W"],
    "quit": ["Ctrl+Q"],
    "undo": ["Ctrl+Z"],
    "redo": ["Ctrl+Y", "Ctrl+Shift+Z"],  # offscreen follows Windows: Ctrl+Y first
    "cut": ["Ctrl+X"],
    "copy": ["Ctrl+C"],
    "paste": ["Ctrl+V"],
    "duplicate": ["Ctrl+D"],
    "delete": ["Del", "Backspace"],
    "select_all": ["Ctrl+A"],
    "preferences": ["Ctrl+,"],
    "zoom_in": ["Ctrl++", "Ctrl+="],
    "zoom_out": ["Ctrl+-"],
    "zoom_fit": ["Ctrl+0"],
    "auto_layout": ["Ctrl+L"],
}


def test_the_usual_keys_are_bound(window):
    for name, keys in EXPECTED_KEYS.items():
        shortcuts = window.action(name).shortcuts()
        for key in keys:
            assert QKeySequence(key) in shortcuts, f"{name}: {key} not in {shortcuts}"
        assert shortcuts[0] == QKeySequence(keys[0]), name  # the one the menu shows


def test_undo_and_redo_come_from_the_undo_stack_and_say_what(window):
    edit = window.menus["Edit"]
    undo, redo = window.action("undo"), window.action("redo")
    assert undo in edit.actions() and redo in edit.actions()
    assert undo.shortcuts() == standard(S.Undo, "Ctrl+Z")
    assert redo.shortcuts() == standard(S.Redo, "Ctrl+Shift+Z")
    window.action("new").trigger()
    assert not undo.isEnabled()
    window.controller.add_node("Linear", (0.0, 0.0))
    assert undo.isEnabled()
    assert undo.text().replace("&", "") == "Undo Add Linear 1"


def test_file_menu_has_recent_examples_and_export_entries(window):
    titles = [a.text().replace("&", "") for a in window.menus["File"].actions()]
    for title in ("Open Recent", "Examples", "Export…", "Quick Export"):
        assert title in titles
    export = [a.text() for a in window.export_menu.actions()]
    assert export == ["Python script (Ember core)…", "PyTorch script…"]
    assert window.action("export_dialog").shortcuts() == keys("Ctrl+E")
    assert len(window.examples_menu.actions()) == len(window.examples) >= 6


def test_menu_roles_follow_platform_conventions(window):
    roles = {n: window.action(n).menuRole() for n in ("quit", "preferences", "about")}
    assert roles == {
        "quit": window.action("quit").MenuRole.QuitRole,
        "preferences": window.action("preferences").MenuRole.PreferencesRole,
        "about": window.action("about").MenuRole.AboutRole,
    }


def test_view_menu_toggles_each_dock_and_the_themes_are_radio_items(window):
    view = menu_actions(window.menus["View"])
    for dock in window.docks:
        assert dock.toggleViewAction() in view
    themes = [window.action(f"theme_{m}") for m in ("system", "light", "dark")]
    assert all(t in view and t.isCheckable() for t in themes)
    assert themes[0].actionGroup().isExclusive()
    assert [t.isChecked() for t in themes] == [True, False, False]


def test_no_two_actions_share_a_shortcut(window):
    seen = {}
    for name, action in window._actions.items():
        for key in action.shortcuts():
            assert key.toString() not in seen, f"{name} and {seen.get(key.toString())}"
            seen[key.toString()] = name


def test_toolbar_has_icons_for_the_main_actions(window):
    on_bar = [a for a in window.toolbar.actions() if not a.isSeparator()]
    names = {a.objectName().removeprefix("action_") for a in on_bar}
    assert {"new", "open", "save", "undo", "redo", "zoom_fit", "auto_layout"} <= names
    assert all(not a.icon().isNull() for a in on_bar)


def test_shortcuts_dialog_lists_the_actions(window, monkeypatch):
    shown = []
    window.exec_dialog = lambda dialog: shown.append(dialog.rows()) or False
    window.action("shortcuts").trigger()
    rows = dict(shown[0])
    save = window.action("save").shortcuts()[0].toString(QKeySequence.SequenceFormat.NativeText)
    assert save in rows["Save"]
    assert "Ctrl+D" in rows["Duplicate"] or "⌘D" in rows["Duplicate"]
    assert "Canvas" in rows


# -- keys on the window ----------------------------------------------------------------
@pytest.fixture
def editing(window, qtbot):
    """The window with a new project, active and focused on the canvas."""
    window.action("new").trigger()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.view.setFocus()
    return window


def press(window, key, modifier=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(window.view.viewport(), key, modifier)


CTRL = Qt.KeyboardModifier.ControlModifier


def test_ctrl_z_undoes_an_add_and_ctrl_shift_z_redoes_it(editing):
    node = editing.controller.add_node("Linear", (0.0, 0.0))
    press(editing, Qt.Key.Key_Z, CTRL)
    assert node not in editing.controller.document
    press(editing, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert node in editing.controller.document


@pytest.mark.parametrize("key", [Qt.Key.Key_Delete, Qt.Key.Key_Backspace])
def test_delete_and_backspace_delete_the_selected_node(editing, key):
    node = editing.controller.add_node("Linear", (0.0, 0.0))
    keep = editing.controller.add_node("ReLU", (300.0, 0.0))
    editing.scene.select_ids([node])
    press(editing, key)
    assert node not in editing.controller.document
    assert keep in editing.controller.document


def test_ctrl_d_duplicates_and_selects_the_copy(editing):
    node = editing.controller.add_node("Linear", (0.0, 0.0))
    editing.scene.select_ids([node])
    press(editing, Qt.Key.Key_D, CTRL)
    nodes = editing.controller.document.nodes
    assert len(nodes) == 2
    (copy,) = editing.scene.selected_ids()
    assert copy != node and nodes[copy].kind == "Linear"


def test_ctrl_a_selects_all_and_ctrl_c_ctrl_v_pastes(editing):
    c = editing.controller
    a = c.add_node("Linear", (0.0, 0.0))
    b = c.add_node("ReLU", (300.0, 0.0))
    press(editing, Qt.Key.Key_A, CTRL)
    assert set(editing.scene.selected_ids()) == {a, b}
    press(editing, Qt.Key.Key_C, CTRL)
    assert editing.action("paste").isEnabled()
    press(editing, Qt.Key.Key_V, CTRL)
    assert len(c.document.nodes) == 4


def test_zoom_keys_change_the_zoom(editing):
    editing.controller.add_node("Linear", (0.0, 0.0))
    editing.action("zoom_reset").trigger()
    assert editing.view.zoom() == pytest.approx(1.0)
    press(editing, Qt.Key.Key_Equal, CTRL)
    zoomed_in = editing.view.zoom()
    assert zoomed_in > 1.0
    press(editing, Qt.Key.Key_Minus, CTRL)
    assert editing.view.zoom() < zoomed_in
    press(editing, Qt.Key.Key_1, CTRL)
    assert editing.view.zoom() == pytest.approx(1.0)


def test_ctrl_s_saves(editing, tmp_path):
    editing.controller.add_node("Linear", (0.0, 0.0))
    path = tmp_path / "keys.ember.json"
    editing.ask_save_path = lambda: path
    press(editing, Qt.Key.Key_S, CTRL)
    assert path.is_file()
    assert not editing.isWindowModified()


def test_ctrl_l_lays_out_left_to_right(editing):
    c = editing.controller
    a = c.add_node("Input", (500.0, 500.0), params={"shape": [4]})
    b = c.add_node("Linear", (0.0, 0.0))
    c.connect(a, "out", b, "in")
    press(editing, Qt.Key.Key_L, CTRL)
    nodes = c.document.nodes
    assert nodes[a].position[0] < nodes[b].position[0]


def test_delete_and_backspace_in_a_text_field_edit_the_text_not_the_canvas(editing, qtbot):
    node = editing.controller.add_node("Linear", (0.0, 0.0))
    editing.scene.select_ids([node])
    search = editing.palette.findChild(QLineEdit)
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)
    QTest.keyClicks(search, "conv")
    QTest.keyClick(search, Qt.Key.Key_Backspace)
    QTest.keyClick(search, Qt.Key.Key_Home)
    QTest.keyClick(search, Qt.Key.Key_Delete)
    assert search.text() == "on"
    assert node in editing.controller.document
