"""The main window: welcome page or canvas, docks, menus, toolbar, files and wiring.

The window owns no model state. A :class:`~app.controller.DocumentController` holds the
document and its undo stack; the window turns menu actions and view requests into
controller calls and feeds the controller's inference to the views. Everything that would
open a modal dialog goes through an ``ask_*`` method that tests replace.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QUndoView,
    QWidget,
)

from app import __version__, dialogs
from app.actions import ShortcutsDialog, StandardKey, key_sequences, plain_text
from app.app_settings import AppSettings
from app.autosave import Autosaver, Recovery, pending_recoveries
from app.controller import DocumentController
from app.preferences import Preferences, PreferencesDialog
from app.status_bar import StatusInfo
from app.training_ui import TrainingWorkspace
from app.welcome import WelcomePage, load_examples
from core import export as core_export
from core.model import catalog, serialize
from widgets import icons, theme
from widgets.canvas import CanvasScene, CanvasView
from widgets.inspector import InspectorWidget
from widgets.palette import PaletteWidget
from widgets.problems import ProblemsPanel
from widgets.summary_panel import SummaryPanel

APP_NAME = "Ember Studio"
EXPORT_TARGETS = {"core": "Python script (Ember core)", "pytorch": "PyTorch script"}
STATUS_TIMEOUT_MS = 5000

# pages of the central stack
WELCOME, EDITOR = 0, 1


class MainWindow(QMainWindow):
    """Top-level Ember Studio window. Call :meth:`start` once it is shown."""

    def __init__(
        self,
        controller: DocumentController | None = None,
        parent: QWidget | None = None,
        *,
        restore_window: bool = True,
    ) -> None:
        """``restore_window``: take the geometry and dock layout saved by the last window
        (the screenshot option starts from the default layout instead)."""
        super().__init__(parent)
        self.controller = controller if controller is not None else DocumentController(self)
        self.settings = AppSettings()
        self.examples = load_examples()
        self._actions: dict[str, QAction] = {}
        self._icons: dict[QAction, str] = {}
        self._dock_visible: dict[QDockWidget, bool] = {}
        self.inference_shown = None  # the latest Inference the views show
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )

        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._wire()

        self.autosaver = Autosaver(self.controller, self.settings.autosave_interval, parent=self)
        self._apply_canvas_preferences()
        # the docks were added side by side, then tabbed: the minimum size must be measured
        # again before the first resize, or it still counts every dock's width
        self.layout().invalidate()
        self.layout().activate()
        self._restore_window(restore_window)
        self._update_title()
        self.show_welcome()

    # -- construction ------------------------------------------------------------------
    def _build_central(self) -> None:
        self.stack = QStackedWidget(self)
        self.welcome = WelcomePage(self.examples)
        self.scene = CanvasScene(self)
        self.scene.set_document(self.controller.document)
        self.view = CanvasView(self.scene)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.view)
        self.setCentralWidget(self.stack)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea):
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.palette = PaletteWidget()
        self.inspector = InspectorWidget()
        self.inspector.set_document(self.controller.document)
        self.summary = SummaryPanel()
        self.problems = ProblemsPanel()
        self.history = QUndoView(self.controller.undo_stack)
        self.history.setEmptyLabel("<opened>")
        self.palette_dock = self._dock("Layers", "paletteDock", self.palette, left)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, right)
        self.summary_dock = self._dock("Summary", "summaryDock", self.summary, bottom)
        self.problems_dock = self._dock("Problems", "problemsDock", self.problems, bottom)
        self.history_dock = self._dock("History", "historyDock", self.history, bottom)
        self.tabifyDockWidget(self.summary_dock, self.problems_dock)
        self.tabifyDockWidget(self.problems_dock, self.history_dock)
        self.summary_dock.raise_()
        self.docks = [
            self.palette_dock,
            self.inspector_dock,
            self.summary_dock,
            self.problems_dock,
            self.history_dock,
        ]
        self.training = TrainingWorkspace(self)
        self.docks += self.training.build_docks()
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)

    def _add(
        self,
        name: str,
        text: str,
        slot: Callable[[], object] | None = None,
        keys: list[QKeySequence] | None = None,
        icon: str | None = None,
        tip: str = "",
        *,
        checkable: bool = False,
        role: QAction.MenuRole | None = None,
        action: QAction | None = None,
    ) -> QAction:
        """Create (or adopt) an action, remember it under ``name`` and return it."""
        if action is None:
            action = QAction(text, self)
        action.setObjectName(f"action_{name}")
        if keys:
            action.setShortcuts(keys)
        if icon:
            self._icons[action] = icon
            action.setIcon(icons.icon(icon))
        if tip:
            action.setStatusTip(tip)
        if checkable:
            action.setCheckable(True)
        if role is not None:
            action.setMenuRole(role)
        if slot is not None:
            signal = action.toggled if checkable else action.triggered
            signal.connect(lambda *args: slot(*args) if checkable else slot())
        self._actions[name] = action
        self.addAction(action)  # shortcuts work while the menu bar is hidden too
        return action

    def set_action_icon(self, action: QAction, name: str) -> None:
        """Give ``action`` the icon ``name`` (kept through theme changes)."""
        if self._icons.get(action) != name:
            self._icons[action] = name
            action.setIcon(icons.icon(name))

    def action(self, name: str) -> QAction:
        """The window's action called ``name`` (``"save"``, ``"undo"``, ``"zoom_fit"``...)."""
        return self._actions[name]

    def _build_actions(self) -> None:
        a, sk = self._add, StandardKey
        # a table, one action per call:
        # fmt: off
        # File
        a("new", "&New Project", self.new_project, _keys(sk.New, "Ctrl+N"), "new",
          "Start an empty project")
        a("open", "&Open…", self.open_project, _keys(sk.Open, "Ctrl+O"), "open",
          "Open a project file")
        a("clear_recent", "&Clear Menu", self.clear_recent)
        a("save", "&Save", self.save, _keys(sk.Save, "Ctrl+S"), "save", "Save the project")
        a("save_as", "Save &As…", self.save_as, _keys(sk.SaveAs, "Ctrl+Shift+S"), "save-as",
          "Save the project under a new name")
        a("export_dialog", "&Export…", self.show_export_dialog, _keys(None, "Ctrl+E"),
          "export", "Export Python code or trained weights, and check the exported code")
        a("export_core", EXPORT_TARGETS["core"] + "…", lambda: self.export("core"),
          None, None, "Write the model as a Python script for Ember's core library")
        a("export_pytorch", EXPORT_TARGETS["pytorch"] + "…", lambda: self.export("pytorch"),
          None, None, "Write the model as a standalone PyTorch script")
        a("close_project", "&Close Project", self.close_project,
          key_sequences(None, ["Ctrl+W"], QKeySequence.keyBindings(sk.Close)), "close",
          "Close the project and go back to the welcome page")
        a("quit", "&Quit", self.close, _keys(sk.Quit, "Ctrl+Q"),
          role=QAction.MenuRole.QuitRole)
        # Edit
        stack = self.controller.undo_stack
        a("undo", "&Undo", None, _keys(sk.Undo, "Ctrl+Z"), "undo",
          action=stack.createUndoAction(self, "&Undo"))
        a("redo", "&Redo", None, _keys(sk.Redo, "Ctrl+Shift+Z"), "redo",
          action=stack.createRedoAction(self, "&Redo"))
        a("cut", "Cu&t", self.cut, _keys(sk.Cut, "Ctrl+X"), "cut")
        a("copy", "&Copy", self.copy, _keys(sk.Copy, "Ctrl+C"), "copy")
        a("paste", "&Paste", self.paste, _keys(sk.Paste, "Ctrl+V"), "paste")
        a("duplicate", "&Duplicate", self.duplicate, _keys(None, "Ctrl+D"), "duplicate")
        a("delete", "&Delete", self.delete_selection, _keys(sk.Delete, "Del", "Backspace"),
          "delete")
        a("select_all", "Select &All", self.select_all, _keys(sk.SelectAll, "Ctrl+A"),
          "select-all")
        a("rename", "&Rename…", self.rename_selected, _keys(None, "F2"))
        a("preferences", "&Preferences…", self.show_preferences,
          _keys(sk.Preferences, "Ctrl+,"), "preferences",
          role=QAction.MenuRole.PreferencesRole)
        # View
        view = self.view
        a("zoom_in", "Zoom &In", view.zoom_in, _keys(sk.ZoomIn, "Ctrl++", "Ctrl+="), "zoom-in")
        a("zoom_out", "Zoom &Out", view.zoom_out, _keys(sk.ZoomOut, "Ctrl+-"), "zoom-out")
        a("zoom_fit", "&Fit to View", view.zoom_fit, _keys(None, "Ctrl+0"), "zoom-fit",
          "Zoom to show the whole model")
        a("zoom_reset", "&Actual Size", view.reset_zoom, _keys(None, "Ctrl+1"))
        a("auto_layout", "Auto-&layout", self.auto_layout, _keys(None, "Ctrl+L"),
          "auto-layout", "Arrange the layers left to right")
        a("auto_layout_selection", "Auto-layout Selection", self.auto_layout_selection,
          None, "auto-layout")
        a("show_grid", "Show &Grid", self.set_grid_visible, None, "grid", checkable=True)
        a("snap_to_grid", "&Snap to Grid", self.set_snap_to_grid, None, "snap", checkable=True)
        self.theme_group = QActionGroup(self)
        self.theme_group.setExclusive(True)
        for mode, label in (("system", "&System"), ("light", "&Light"), ("dark", "&Dark")):
            act = a(f"theme_{mode}", label, None, checkable=True)
            act.setData(mode)
            self.theme_group.addAction(act)
        self.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        # Train
        tr = self.training
        a("train_start", "&Start Training", tr.start, _keys(None, "F5"), "play",
          "Train the model on its dataset with its training settings")
        a("train_pause", "&Pause Training", tr.toggle_pause, _keys(None, "F6"), "pause",
          "Pause or resume the run")
        a("train_stop", "S&top Training", tr.trainer.stop, _keys(None, "Shift+F5"), "stop",
          "End the run after the current step")
        # Help
        a("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, _keys(None, "Ctrl+/"))
        a("about", "&About Ember Studio", self.show_about, None, "about",
          role=QAction.MenuRole.AboutRole)
        # fmt: on

    def _build_menus(self) -> None:
        act = self.action
        bar = self.menuBar()

        file_menu = bar.addMenu("&File")
        file_menu.addActions([act("new"), act("open")])
        self.recent_menu = file_menu.addMenu(icons.icon("recent"), "Open &Recent")
        self.recent_menu.setToolTipsVisible(True)  # the full path of each file
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        self.examples_menu = file_menu.addMenu(icons.icon("example"), "&Examples")
        for example in self.examples:
            item = self.examples_menu.addAction(example.title)
            item.setStatusTip(example.description)
            item.triggered.connect(lambda _=False, p=example.path: self.open_example(p))
        self.examples_menu.setEnabled(bool(self.examples))
        file_menu.addSeparator()
        file_menu.addActions([act("save"), act("save_as")])
        file_menu.addAction(act("export_dialog"))
        self.export_menu = file_menu.addMenu(icons.icon("export"), "Quick E&xport")
        self.export_menu.addActions([act("export_core"), act("export_pytorch")])
        file_menu.addSeparator()
        file_menu.addAction(act("close_project"))
        file_menu.addSeparator()
        file_menu.addAction(act("quit"))

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([act("undo"), act("redo")])
        edit_menu.addSeparator()
        edit_menu.addActions([act("cut"), act("copy"), act("paste"), act("duplicate")])
        edit_menu.addActions([act("delete"), act("rename")])
        edit_menu.addSeparator()
        edit_menu.addAction(act("select_all"))
        edit_menu.addSeparator()
        edit_menu.addAction(act("preferences"))

        view_menu = bar.addMenu("&View")
        view_menu.addActions([act("zoom_in"), act("zoom_out"), act("zoom_fit"), act("zoom_reset")])
        view_menu.addSeparator()
        view_menu.addActions([act("auto_layout"), act("show_grid"), act("snap_to_grid")])
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        theme_menu.addActions(self.theme_group.actions())
        view_menu.addSeparator()
        self.dock_actions = []
        for dock in self.docks:
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"action_toggle_{dock.objectName()}")
            view_menu.addAction(toggle)
            self.dock_actions.append(toggle)
        self.toolbar_toggle_menu = view_menu

        train_menu = bar.addMenu("&Train")
        train_menu.addActions([act("train_start"), act("train_pause"), act("train_stop")])

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(act("shortcuts"))
        help_menu.addSeparator()
        help_menu.addAction(act("about"))
        self.menus = {
            "File": file_menu,
            "Edit": edit_menu,
            "View": view_menu,
            "Train": train_menu,
            "Help": help_menu,
        }

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main Toolbar", self)
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for group in (
            ("new", "open", "save"),
            ("undo", "redo"),
            ("cut", "copy", "paste", "delete"),
            ("zoom_in", "zoom_out", "zoom_fit", "auto_layout"),
            ("train_start", "train_pause", "train_stop"),
            ("export_dialog",),
        ):
            if bar.actions():
                bar.addSeparator()
            for name in group:
                bar.addAction(self.action(name))
        self.toolbar = bar
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        toggle = bar.toggleViewAction()
        toggle.setText("&Toolbar")
        self.toolbar_toggle_menu.addAction(toggle)

    def _build_status_bar(self) -> None:
        self.statusBar().setSizeGripEnabled(True)
        self.status_info = StatusInfo(self.statusBar(), self._show_problems)

    def _wire(self) -> None:
        c = self.controller
        c.modified_changed.connect(self._update_title)
        c.path_changed.connect(self._update_title)
        c.path_changed.connect(
            lambda path: self.training.set_root(None if path is None else Path(path).parent)
        )
        c.message.connect(self.show_message)
        c.inferred.connect(self._on_inferred)
        c.undo_stack.cleanChanged.connect(self._update_title)

        self.welcome.new_requested.connect(self.new_project)
        self.welcome.open_requested.connect(self.open_project)
        self.welcome.example_requested.connect(self.open_example)
        self.welcome.recent_requested.connect(self.open_recent)

        s = self.scene
        s.kind_dropped.connect(self._on_kind_dropped)
        s.connect_requested.connect(c.connect)
        s.reroute_requested.connect(c.reroute)
        s.move_requested.connect(c.move_nodes)
        s.delete_requested.connect(lambda ids, edges: c.remove(ids, edges))
        s.connection_refused.connect(self.show_message)
        s.selection_ids_changed.connect(self._on_selection_ids)
        # Qt signals selectionChanged once per item (300 for a Select All): update once
        self._actions_timer = QTimer(self)
        self._actions_timer.setSingleShot(True)
        self._actions_timer.setInterval(0)
        self._actions_timer.timeout.connect(self._update_actions)
        s.selectionChanged.connect(self._actions_timer.start)
        s.context_menu_requested.connect(self._show_context_menu)
        s.node_activated.connect(self._on_node_activated)
        self.view.files_dropped.connect(self._on_files_dropped)
        self.view.zoom_changed.connect(self.status_info.set_zoom)

        self.palette.kind_activated.connect(self.add_from_palette)
        # typing into one field is one undo step; moving focus or selection starts another
        QApplication.instance().focusChanged.connect(self._end_edit)
        s.selection_ids_changed.connect(self._end_edit)
        self.inspector.params_edited.connect(c.set_params)
        self.inspector.name_edited.connect(c.rename_node)
        self.problems.node_activated.connect(self.reveal_node)
        self.problems.counts_changed.connect(self._set_problem_counts)
        self.summary.node_activated.connect(self.reveal_node)

        theme.notifier.changed.connect(self._on_theme_changed)
        QGuiApplication.clipboard().dataChanged.connect(self._update_actions)

    # -- pages -------------------------------------------------------------------------
    def is_editing(self) -> bool:
        """Whether a project is open (the canvas shows), not the welcome page."""
        return self.stack.currentIndex() == EDITOR

    def show_welcome(self) -> None:
        """Show the welcome page; the docks hide until a project opens."""
        self.welcome.set_recent(self.settings.recent_files())
        if self.stack.currentIndex() != WELCOME or not self._dock_visible:
            self._dock_visible = {d: not d.isHidden() for d in self.docks}
        for dock in self.docks:
            dock.hide()
        self.stack.setCurrentIndex(WELCOME)
        self._update_title()
        self._update_actions()

    def show_editor(self) -> None:
        """Show the canvas and the docks that were open."""
        if self.stack.currentIndex() != EDITOR:
            for dock in self.docks:
                dock.setVisible(self._dock_visible.get(dock, True))
            self.stack.setCurrentIndex(EDITOR)
        self.view.setFocus()
        self._update_title()
        self._update_actions()

    # -- start-up ----------------------------------------------------------------------
    def start(self, project: str | os.PathLike | None = None) -> None:
        """Open ``project`` (or the last project when that preference is on), else show the
        welcome page; then offer to restore the unsaved changes a crash left behind."""
        if project is not None:
            self.open_path(Path(project), ask=False)
        else:
            last = self.settings.last_project
            if self.settings.open_last_project and last is not None and last.is_file():
                self.open_path(last, ask=False)
        self.offer_recovery()

    def offer_recovery(self) -> bool:
        """Ask about each recovery file; True when one was restored."""
        for recovery in pending_recoveries():
            answer = self.ask_restore(recovery)
            if answer == "discard":
                recovery.discard()
            elif answer == "restore" and self.restore(recovery):
                return True
        return False

    def restore(self, recovery: Recovery) -> bool:
        """Load a recovery file as the (modified) project it was saved from."""
        if not self.maybe_save():
            return False
        try:
            doc = recovery.load()
        except (OSError, ValueError) as e:
            dialogs.show_error(
                self,
                "Cannot Restore Changes",
                "The recovered changes could not be read.",
                e,
                file=recovery.path,
                unchanged=True,
            )
            return False
        self.controller.load_document(doc, recovery.original, modified=True)
        self.autosaver.save_now()  # this session's recovery file takes over
        recovery.discard()
        self._after_load()
        self.show_message(f"Restored the unsaved changes of {self.controller.display_name()}")
        return True

    # -- files -------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Before the project goes away: ask about unsaved changes; False to cancel."""
        if not (self.is_editing() and self.controller.is_modified()):
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_project(self) -> None:
        """Start an empty Untitled project (asking about unsaved changes first)."""
        if not self.maybe_save():
            return
        self.controller.new_document()
        self.show_editor()
        self.view.reset_zoom()

    def open_project(self) -> None:
        """Ask for a project file and open it."""
        if not self.maybe_save():
            return
        path = self.ask_open_path()
        if path is not None:
            self.open_path(path, ask=False)

    def open_recent(self, path: str | os.PathLike) -> None:
        self.open_path(Path(path))

    def open_path(
        self, path: str | os.PathLike, *, ask: bool = True, remember: bool = True
    ) -> bool:
        """Open a project file (``ask``: about unsaved changes first; ``remember``: in the
        recent files); on failure show why and keep the open project."""
        path = Path(path)
        if ask and not self.maybe_save():
            return False
        try:
            self.controller.load(path)
        except (OSError, ValueError) as e:
            if isinstance(e, FileNotFoundError):
                self.settings.remove_recent(path)
                self.welcome.set_recent(self.settings.recent_files())
            what = dialogs.open_failure(path, e)
            dialogs.show_error(self, "Cannot Open Project", what, e, file=path, unchanged=True)
            return False
        if remember:
            self._remember(path)
        self._after_load()
        self.show_message(f"Opened {path}")
        return True

    def open_example(self, path: str | os.PathLike) -> bool:
        """Open an example as a new Untitled project, so that Save asks where to keep it
        and the bundled file is never overwritten."""
        path = Path(path)
        if not self.maybe_save():
            return False
        try:
            doc = serialize.load(path)
        except (OSError, ValueError) as e:
            what = dialogs.open_failure(path, e)
            dialogs.show_error(self, "Cannot Open Example", what, e, file=path, unchanged=True)
            return False
        self.controller.load_document(doc, None, modified=False)
        self._after_load()
        self.show_message(f"Opened the example “{doc.meta.get('title') or path.name}” (untitled)")
        return True

    def _after_load(self) -> None:
        self.show_editor()
        self.scene.clearSelection()
        self.inspector.set_node(None)
        QTimer.singleShot(0, self.view.show_start)  # once the view has its final size
        self.view.show_start()

    def save(self) -> bool:
        """Save to the project's file (Save As when it has none); False when not saved."""
        if self.controller.path is None:
            return self.save_as()
        return self._save_to(self.controller.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        if path is None:
            return False
        if not path.name.endswith(".json"):
            path = path.with_name(path.name + serialize.SUFFIX)
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        try:
            self.controller.save(path)
        except OSError as e:
            what = f"The project could not be saved as {path.name}."
            dialogs.show_error(self, "Cannot Save Project", what, e, file=path)
            return False
        self._remember(path)
        self.show_message(f"Saved {path}")
        return True

    def close_project(self) -> bool:
        """Close the project (asking about unsaved changes) and show the welcome page."""
        if not self.is_editing():
            return True
        if not self.maybe_save():
            return False
        self.controller.new_document()
        self.autosaver.discard()
        self.show_welcome()
        return True

    def export(self, target: str) -> bool:
        """Export the model as a Python script for ``target`` ("core" or "pytorch")."""
        errors = self.controller.infer_now().errors
        if errors:
            self._refuse_export(errors)
            return False
        path = self.ask_export_path(target)
        if path is None:
            return False
        root = self.controller.path.parent if self.controller.path is not None else None
        try:
            written = core_export.write(self.controller.document, path, target, root=root)
        except (core_export.ExportError, OSError) as e:
            what = f"The model could not be exported as {path.name}."
            dialogs.show_error(self, "Cannot Export", what, e, file=path)
            return False
        self.show_message("Exported " + ", ".join(str(p) for p in written))
        return True

    def show_export_dialog(self) -> None:
        """The export dialog: code or weights, then the parity check against the live model."""
        from app.export_dialog import ExportDialog

        errors = self.controller.infer_now().errors
        if errors:
            self._refuse_export(errors)
            return
        trainer = self.training.trainer
        if trainer.is_active:  # its parity check would build a model with the run's RNG
            QMessageBox.information(
                self,
                "Export",
                "A run is training. Stop it (or let it finish) to export its trained "
                "weights and check the exported code against them.",
            )
            return
        # None while a run trains it (it belongs to the training thread) or when the model
        # was edited since (its weights would not fit): the export starts from fresh weights
        model = trainer.trained_model()
        data = trainer.data_of(trainer.current) or self.training.data
        root = self.controller.path.parent if self.controller.path is not None else None
        dialog = ExportDialog(
            self.controller.document,
            model=model,
            data=data,
            folder=self._default_folder(),
            parent=self,
            root=root,
        )
        self.exec_dialog(dialog)
        dialog.deleteLater()

    def _refuse_export(self, errors: list) -> None:
        """Say which problems stop an export, and show them in the Problems panel."""
        n = len(errors)
        items = "".join(f"<li>{html.escape(d.message)}</li>" for d in errors[:10])
        more = f"<p>… and {n - 10} more.</p>" if n > 10 else ""
        self.problems_dock.show()
        self.problems_dock.raise_()
        QMessageBox.critical(
            self,
            "Cannot Export",
            f"<p><b>The model has {n} error{'s' if n != 1 else ''} to fix before it can be "
            f"exported:</b></p><ul>{items}</ul>{more}"
            "<p>The Problems panel lists them; click one to select its layer.</p>",
        )

    def _remember(self, path: Path) -> None:
        self.settings.add_recent(path)
        self.settings.last_project = path
        self.welcome.set_recent(self.settings.recent_files())

    def clear_recent(self) -> None:
        self.settings.clear_recent()
        self.welcome.set_recent([])

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            item = menu.addAction(path.name)
            item.setToolTip(str(path))
            item.setStatusTip(str(path))
            item.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        if recent:
            menu.addSeparator()
        else:
            menu.addAction("No Recent Projects").setEnabled(False)
        menu.addAction(self.action("clear_recent"))
        self.action("clear_recent").setEnabled(bool(recent))

    def _default_folder(self) -> Path:
        if self.controller.path is not None:
            return self.controller.path.parent
        recent = self.settings.recent_files()
        if recent:
            return recent[0].parent
        return Path.home()

    # -- dialogs (tests replace these) -------------------------------------------------
    def ask_save_changes(self) -> str:
        """Ask about the open project's unsaved changes: "save", "discard" or "cancel"."""
        return dialogs.ask_save_changes(self, self.controller.display_name())

    def ask_open_path(self) -> Path | None:
        return dialogs.ask_open_path(self, self._default_folder())

    def ask_save_path(self) -> Path | None:
        current = self.controller.path
        name = current.name if current is not None else self._file_stem() + serialize.SUFFIX
        return dialogs.ask_save_path(self, self._default_folder() / name)

    def _file_stem(self) -> str:
        """A file name (without suffix) made from the project's name or title."""
        stem = self.controller.display_name().removesuffix(serialize.SUFFIX)
        stem = re.sub(r"[^\w.-]+", "_", stem.removesuffix(".json")).strip("._")
        return stem or "model"

    def ask_export_path(self, target: str) -> Path | None:
        stem = self._file_stem()
        name = f"{stem}.py" if target == "core" else f"{stem}_torch.py"
        title = f"Export {EXPORT_TARGETS[target]}"
        return dialogs.ask_export_path(self, title, self._default_folder() / name)

    def ask_restore(self, recovery: Recovery) -> str:
        """Ask about a recovery file a crash left: "restore", "discard" or "later"."""
        return dialogs.ask_restore(self, recovery)

    def ask_rename(self, current: str) -> str | None:
        return dialogs.ask_rename(self, current)

    # -- edit --------------------------------------------------------------------------
    def cut(self) -> None:
        self.controller.cut(self.scene.selected_ids())

    def copy(self) -> None:
        self.controller.copy(self.scene.selected_ids())
        self._update_actions()

    def paste(self, at: tuple[float, float] | None = None) -> None:
        new = self.controller.paste(at)
        if new:
            self.scene.select_ids(new)

    def duplicate(self) -> None:
        new = self.controller.duplicate(self.scene.selected_ids())
        if new:
            self.scene.select_ids(new)

    def delete_selection(self) -> None:
        ids, edges = self.scene.selected_ids(), self.scene.selected_edges()
        if ids or edges:
            self.controller.remove(ids, edges)

    def select_all(self) -> None:
        self.scene.select_ids(list(self.controller.document.nodes))

    def rename_selected(self) -> None:
        ids = self.scene.selected_ids()
        if len(ids) != 1:
            return
        node = self.controller.document.node(ids[0])
        name = self.ask_rename(node.name)
        if name is not None and name != node.name:
            self.controller.rename_node(node.id, name)

    def _end_edit(self, *_args) -> None:
        self.controller.end_edit()

    def add_from_palette(self, kind: str) -> str | None:
        """Add a layer beside the selection (wired to it when that is unambiguous) and
        select it, so that adding several in a row builds a chain."""
        node_id = self.controller.add_beside(kind, self.scene.selected_ids())
        if node_id is not None:
            self.scene.select_ids([node_id], ensure_visible=True)
        return node_id

    def _on_kind_dropped(self, kind: str, pos) -> None:
        node_id = self.controller.add_node(kind, tuple(pos))
        if node_id is not None:
            self.scene.select_ids([node_id])

    def auto_layout(self) -> None:
        self.controller.auto_layout()
        self.view.zoom_fit()

    def auto_layout_selection(self) -> None:
        ids = self.scene.selected_ids()
        self.controller.auto_layout(ids or None)

    def reveal_node(self, node_id: str) -> None:
        """Select a node and scroll it into view (from the Problems or Summary panel)."""
        if node_id in self.controller.document:
            self.scene.select_ids([node_id], ensure_visible=True)

    # -- view / preferences ------------------------------------------------------------
    def set_grid_visible(self, on: bool) -> None:
        self.view.set_grid_visible(on)
        self.settings.grid_visible = on

    def set_snap_to_grid(self, on: bool) -> None:
        self.scene.snap_to_grid = on
        self.settings.snap_to_grid = on

    def set_theme(self, mode: str) -> None:
        """Apply and remember a theme: "system", "light" or "dark"."""
        self.settings.theme = mode
        app = QApplication.instance()
        if app is not None:
            theme.apply_theme(app, mode)
        self._check_theme(mode)

    def _check_theme(self, mode: str) -> None:
        action = self._actions.get(f"theme_{mode}")
        if action is not None:
            action.setChecked(True)

    def _apply_canvas_preferences(self) -> None:
        grid, snap = self.settings.grid_visible, self.settings.snap_to_grid
        self.action("show_grid").setChecked(grid)
        self.action("snap_to_grid").setChecked(snap)
        self.view.set_grid_visible(grid)
        self.scene.snap_to_grid = snap
        self._check_theme(self.settings.theme)

    def show_preferences(self) -> None:
        dialog = PreferencesDialog(Preferences.read(self.settings), self)
        if self.exec_dialog(dialog):
            self.apply_preferences(dialog.values())

    def exec_dialog(self, dialog) -> bool:
        """Run a modal dialog; True when accepted (tests replace this)."""
        return bool(dialog.exec())

    def apply_preferences(self, prefs: Preferences) -> None:
        """Store the preferences and apply them now."""
        old_theme = self.settings.theme
        prefs.write(self.settings)
        self.autosaver.set_interval(prefs.autosave_interval)
        self._apply_canvas_preferences()
        if prefs.theme != old_theme:
            self.set_theme(prefs.theme)

    def _on_theme_changed(self, *args) -> None:
        for action, name in self._icons.items():
            action.setIcon(icons.icon(name))
        self.recent_menu.setIcon(icons.icon("recent"))
        self.examples_menu.setIcon(icons.icon("example"))
        self.export_menu.setIcon(icons.icon("export"))
        self.status_info.apply_colors()

    # -- help --------------------------------------------------------------------------
    def show_about(self) -> None:
        """Show the About box with the version."""
        QMessageBox.about(
            self,
            "About Ember Studio",
            f"<h3>Ember Studio {__version__}</h3>"
            "<p>A visual neural-network builder with its own deep-learning engine.</p>"
            "<p>Design a model on the canvas, check its shapes as you go, and export it "
            "as a Python script for Ember's <code>core</code> library or PyTorch.</p>",
        )

    def shortcut_groups(self) -> list[tuple[str, list[tuple[str, QAction]]]]:
        """Each menu's title and its actions (submenus' too) with their plain names, for
        the shortcuts dialog; Undo and Redo without the step they would undo."""
        fixed = {self.action("undo"): "Undo", self.action("redo"): "Redo"}
        for target, label in EXPORT_TARGETS.items():
            fixed[self.action(f"export_{target}")] = f"Export {label}"

        def entries(menu: QMenu) -> list[tuple[str, QAction]]:
            out = []
            for a in menu.actions():
                if a.menu() is not None:
                    out += entries(a.menu())
                elif not a.isSeparator():
                    out.append((fixed.get(a) or plain_text(a), a))
            return out

        return [(title, entries(menu)) for title, menu in self.menus.items()]

    def show_shortcuts(self) -> None:
        self.exec_dialog(ShortcutsDialog(self.shortcut_groups(), self))

    # -- view requests -----------------------------------------------------------------
    def _on_selection_ids(self, ids: list) -> None:
        self.inspector.set_node(ids[0] if len(ids) == 1 else None)
        self._update_actions()

    def _on_node_activated(self, node_id: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()

    def context_menu(self, kind: str, target, scene_pos: QPointF) -> QMenu:
        """The menu for a right-click on a node, an edge or the background."""
        menu = QMenu(self)
        act = self.action
        if kind == "node":
            if target not in self.scene.selected_ids():
                self.scene.select_ids([target])
            menu.addAction(act("rename"))
            menu.addSeparator()
            menu.addActions([act("duplicate"), act("copy"), act("cut"), act("delete")])
            menu.addSeparator()
            menu.addAction(act("auto_layout_selection"))
        elif kind == "edge":
            wire = menu.addAction(icons.icon("delete"), "Delete Wire")
            wire.triggered.connect(lambda: self.controller.disconnect(target))
        else:
            at = (scene_pos.x(), scene_pos.y())
            snapped = self.scene.snap(*at)
            paste = menu.addAction(icons.icon("paste"), "Paste Here")
            paste.setEnabled(self.controller.can_paste())
            paste.triggered.connect(lambda: self.paste(snapped))
            add_menu = menu.addMenu("Add Layer")
            for category, entries in catalog.by_category().items():
                sub = add_menu.addMenu(icons.category_icon(category), category)
                for entry in entries:
                    item = sub.addAction(icons.kind_icon(entry.kind), entry.display_name)
                    item.setToolTip(entry.doc)
                    item.triggered.connect(
                        lambda _=False, k=entry.kind: self.controller.add_node(k, snapped)
                    )
            menu.addSeparator()
            menu.addActions([act("select_all"), act("auto_layout"), act("zoom_fit")])
        return menu

    def _show_context_menu(self, kind: str, target, screen_pos: QPoint) -> None:
        scene_pos = self.view.mapToScene(self.view.viewport().mapFromGlobal(screen_pos))
        menu = self.context_menu(kind, target, scene_pos)
        menu.exec(screen_pos)
        menu.deleteLater()

    def _on_inferred(self, inference) -> None:
        inference = self.training.with_data_problems(inference)
        self.inference_shown = inference
        doc = self.controller.document
        self.scene.set_inference(inference)
        self.inspector.set_inference(inference)
        self.problems.set_inference(inference, doc)
        self.summary.set_inference(inference, doc)
        self.status_info.set_counts(len(doc.nodes), len(doc.edges))
        self.status_info.set_params(inference.total_params)
        self.status_info.set_zoom(self.view.zoom())
        self.training.update_actions()

    def _set_problem_counts(self, errors: int, warnings: int) -> None:
        self.status_info.set_problems(errors, warnings)
        total = errors + warnings
        self.problems_dock.setWindowTitle("Problems" + (f" ({total})" if total else ""))

    def _show_problems(self) -> None:
        if self.is_editing():
            self.problems_dock.show()
            self.problems_dock.raise_()

    def show_message(self, text: str) -> None:
        """Show ``text`` in the status bar for a few seconds."""
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    def _update_title(self, *args) -> None:
        if self.is_editing():
            self.setWindowTitle(f"{self.controller.display_name()}[*] — {APP_NAME}")
            self.setWindowModified(self.controller.is_modified())
        else:
            self.setWindowTitle(APP_NAME)
            self.setWindowModified(False)

    def _update_actions(self, *args) -> None:
        editing = self.is_editing()
        ids = self.scene.selected_ids() if editing else []
        edges = self.scene.selected_edges() if editing else []
        for name in (
            "save",
            "save_as",
            "close_project",
            "export_dialog",
            "export_core",
            "export_pytorch",
        ):
            self.action(name).setEnabled(editing)
        self.export_menu.setEnabled(editing)
        for name in ("zoom_in", "zoom_out", "zoom_fit", "zoom_reset", "select_all"):
            self.action(name).setEnabled(editing)
        self.action("auto_layout").setEnabled(editing)
        self.action("auto_layout_selection").setEnabled(len(ids) > 1)
        for name in ("cut", "copy", "duplicate"):
            self.action(name).setEnabled(bool(ids))
        self.action("delete").setEnabled(bool(ids or edges))
        self.action("rename").setEnabled(len(ids) == 1)
        self.action("paste").setEnabled(editing and self.controller.can_paste())
        self.status_info.set_visible(editing)
        for toggle in self.dock_actions:
            toggle.setEnabled(editing)
        self.training.update_actions()

    # -- drops -------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if _project_files(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = _project_files(event.mimeData().urls())
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        # after the drop returns: a modal prompt inside a drop handler stalls the source
        QTimer.singleShot(0, lambda: self.open_path(files[0]))

    def _on_files_dropped(self, urls: list) -> None:
        files = _project_files(urls)
        if files:
            QTimer.singleShot(0, lambda: self.open_path(files[0]))

    # -- window state ------------------------------------------------------------------
    def _restore_window(self, restore: bool) -> None:
        geometry, state = self.settings.geometry, self.settings.window_state
        if not restore:
            geometry = state = None
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1440, int(screen.width() * 0.9)), min(900, int(screen.height() * 0.9)))
            self.resizeDocks(
                [self.palette_dock, self.inspector_dock], [240, 320], Qt.Orientation.Horizontal
            )
            self.resizeDocks([self.summary_dock], [190], Qt.Orientation.Vertical)
        if state is not None:
            self.restoreState(state)

    def save_window_state(self) -> None:
        """Remember geometry and dock layout (the docks as they are in the editor)."""
        if not self.is_editing():
            for dock, visible in self._dock_visible.items():
                dock.setVisible(visible)
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        if not self.is_editing():
            for dock in self.docks:
                dock.hide()
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self.maybe_save():
            event.ignore()
            return
        self.training.shutdown()
        self.save_window_state()
        self.settings.last_project = self.controller.path if self.is_editing() else None
        self.autosaver.discard()
        event.accept()


# -- helpers ---------------------------------------------------------------------------
def _keys(standard: StandardKey | None, fallback: str, extra: str = "") -> list[QKeySequence]:
    """The platform's keys for ``standard`` (``fallback`` where it has none), then ``extra``."""
    return key_sequences(standard, [fallback], [extra] if extra else [])


def _project_files(urls: list) -> list[Path]:
    """The local .json files among dropped URLs."""
    files = []
    for url in urls:
        if isinstance(url, QUrl) and url.isLocalFile():
            path = Path(url.toLocalFile())
        elif isinstance(url, str | os.PathLike):
            path = Path(url)
        else:
            continue
        if path.name.lower().endswith(".json"):
            files.append(path)
    return files
