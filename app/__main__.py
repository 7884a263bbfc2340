"""Entry point: ``python -m app`` (or ``ember-studio``).

With a command (``train``, ``export``, ``validate``, ``summary``, ``kinds``; see
:mod:`app.cli`) it runs headless and never imports Qt. Without one it starts Ember
Studio's window; Qt is imported only then::

    python -m app                         the welcome page (or the last project)
    python -m app model.ember.json        open a project
    python -m app --screenshot OUT.png [PROJECT] [--theme dark] [--size 1440x900]
                  [--select NODE_ID] [--train EPOCHS] [--show DOCK]
                                          render the window offscreen to a PNG and exit
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__, cli

SCREENSHOT_SIZE = (1440, 900)
INFERENCE_TIMEOUT_MS = 20_000
TRAIN_TIMEOUT_MS = 600_000  # --train: the longest wait for the epochs asked for
SHOWABLE_DOCKS = ("metrics", "graph", "insight", "data", "training")
# Qt's own command-line options that take a value (they go to QApplication untouched)
QT_VALUE_OPTIONS = {
    "-platform",
    "-platformpluginpath",
    "-platformtheme",
    "-plugin",
    "-qmljsdebugger",
    "-style",
    "-stylesheet",
    "-session",
    "-display",
    "-geometry",
    "-name",
    "-title",
    "-visual",
    "-qwindowgeometry",
    "-qwindowicon",
    "-qwindowtitle",
}


def _split_qt_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(our arguments, Qt's options with their values)."""
    ours, qt = [], []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in QT_VALUE_OPTIONS and i + 1 < len(argv):
            qt += [arg, argv[i + 1]]
            i += 2
            continue
        ours.append(arg)
        i += 1
    return ours, qt


def _parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split argv into our options and the rest, which is handed to Qt (e.g. -platform)."""
    ours, qt_args = _split_qt_options(argv)
    parser = argparse.ArgumentParser(
        prog=cli.PROG,
        description="Ember Studio: a visual neural-network builder.",
    )
    parser.add_argument("project", nargs="?", metavar="PROJECT", help="a project file to open")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="render the window offscreen (with PROJECT open) to a PNG file and exit",
    )
    parser.add_argument(
        "--theme", choices=("system", "light", "dark"), help="the theme for this run only"
    )
    parser.add_argument(
        "--size", default="x".join(map(str, SCREENSHOT_SIZE)), help="screenshot size, WxH"
    )
    parser.add_argument(
        "--select", metavar="NODE_ID", help="screenshot with this node selected (inspector)"
    )
    parser.add_argument(
        "--train",
        type=int,
        metavar="EPOCHS",
        help="screenshot during training: train PROJECT, render after EPOCHS epochs, stop",
    )
    parser.add_argument(
        "--show",
        choices=SHOWABLE_DOCKS,
        action="append",
        help="screenshot with this dock raised (metrics, graph, insight, data, training); "
        "may be given more than once",
    )
    args, rest = parser.parse_known_args(ours)
    return args, [*qt_args, *rest]


def _opens_a_project(argv: Sequence[str]) -> bool:
    """Whether the first argument names a project file rather than a command."""
    first = argv[0] if argv else ""
    if not first or first.startswith("-") or first in cli.COMMANDS:
        return False
    return first.lower().endswith(".json") or os.path.isfile(first)


def setup_application(qt_args: Sequence[str] = (), theme_mode: str | None = None):
    """The QApplication (created once) with Ember Studio's names, icon and theme."""
    from PySide6.QtWidgets import QApplication

    from app.app_settings import AppSettings
    from widgets import icons, theme

    qapp = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    qapp.setApplicationName("Ember Studio")
    qapp.setOrganizationName("Ember Studio")
    qapp.setApplicationDisplayName("Ember Studio")
    qapp.setApplicationVersion(__version__)
    qapp.setWindowIcon(icons.app_icon())
    theme.apply_theme(qapp, theme_mode or AppSettings().theme)
    return qapp


def _quiet_offscreen(mode, context, message: str) -> None:
    """Qt's messages for a screenshot, less the offscreen plugin's noise about what it
    cannot do (it says so once per window it shows)."""
    if "does not support propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def run_gui(qt_args: Sequence[str], project: str | None = None, theme_mode: str | None = None):
    """Open the main window (and ``project``) and return the Qt event loop's exit code."""
    qapp = setup_application(qt_args, theme_mode)
    from app.main_window import MainWindow

    window = MainWindow()
    sys.excepthook = _report_internal_error(window)
    window.show()
    window.start(project)
    return qapp.exec()


def _report_internal_error(window):
    """An excepthook for the GUI: the traceback goes to stderr, and a dialog tells the user
    that something failed inside Ember Studio (a bug), and that the project is safe."""
    import traceback

    from PySide6.QtWidgets import QMessageBox

    showing = []

    def hook(kind, error, tb) -> None:
        traceback.print_exception(kind, error, tb, file=sys.stderr)
        if showing or issubclass(kind, KeyboardInterrupt):
            return
        showing.append(True)
        try:
            QMessageBox.critical(
                window,
                "Internal Error",
                f"Something failed inside Ember Studio: {kind.__name__}: {error}\n\n"
                "This is a bug in Ember Studio, not in your model. Unsaved changes are kept "
                "in the recovery file; save your work, and restart if something looks wrong. "
                "The full report is in the terminal.",
            )
        finally:
            showing.clear()

    return hook


def screenshot(
    out: str,
    project: str | None = None,
    qt_args: Sequence[str] = (),
    *,
    theme_mode: str | None = None,
    size: tuple[int, int] = SCREENSHOT_SIZE,
    select: str | None = None,
    train: int | None = None,
    show: Sequence[str] = (),
) -> int:
    """Render the main window (with ``project`` open, after its first inference) to the PNG
    ``out``, with node ``select`` selected, the docks ``show`` raised and, with ``train``, while
    training: after ``train`` epochs (the run is paused for the shot, then stopped).
    0 on success, 1 with a message on stderr otherwise."""
    out_path = Path(out).expanduser().resolve()
    folder = out_path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return _fail(f"cannot write the screenshot {out}: {folder} is not a writable folder")
    if project is not None:
        from core.model import serialize

        try:
            doc = serialize.load(project)
        except (OSError, ValueError) as e:
            return _fail(f"cannot open {project}: {_reason(e)}")
        if select is not None and select not in doc:
            return _fail(
                f"--select: {project} has no node {select!r} (ids: {', '.join(doc.nodes)})"
            )
    elif select is not None or train is not None:
        return _fail(f"{'--select' if select is not None else '--train'} needs a PROJECT")
    if train is not None and train < 1:
        return _fail(f"--train must be a number of epochs >= 1 (not {train})")
    if "-platform" not in qt_args and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    setup_application(qt_args, theme_mode)
    from PySide6.QtCore import QEventLoop, QTimer, qInstallMessageHandler

    qInstallMessageHandler(_quiet_offscreen)

    from app.main_window import MainWindow

    window = MainWindow(restore_window=False)
    try:
        window.resize(*size)
        window.show()
        if project is not None and not window.open_path(project, ask=False, remember=False):
            return _fail(f"cannot open {project}")
        loop = QEventLoop()
        if project is not None and window.inference_shown is None:
            window.controller.inferred.connect(loop.quit)
            QTimer.singleShot(INFERENCE_TIMEOUT_MS, loop.quit)
        else:
            QTimer.singleShot(0, loop.quit)
        loop.exec()  # show, lay out, and (with a project) infer once
        if project is not None:
            window.view.show_start()
        if select is not None:
            window.scene.select_ids([select])
        if train is not None and not _train_for_screenshot(window, train, loop):
            return 1
        for name in show or ():
            dock = getattr(window.training, f"{name}_dock")
            dock.show()
            window.training.reveal_dock(dock)
        for _ in range(3):  # let the views lay out what the inference changed
            QTimer.singleShot(0, loop.quit)
            loop.exec()
        if not window.grab().save(str(out_path), "PNG"):
            return _fail(f"cannot write the screenshot {out_path}")
    finally:
        window.training.shutdown()
        window.autosaver.discard()
        window.hide()
        window.deleteLater()
    print(out_path)
    return 0


def _train_for_screenshot(window, epochs: int, loop) -> bool:
    """Train until ``epochs`` epochs are done, then pause (the shot shows a live run)."""
    from PySide6.QtCore import QTimer

    trainer = window.training.trainer
    planned = window.controller.document.training["epochs"]
    if planned < epochs + 2:  # the run must still be going when the shot is taken
        window.controller.update_settings("training", {"epochs": epochs + 2})
    failed: list[str] = []
    timed_out: list[bool] = []

    def on_updated(run) -> None:
        if run.last_epoch >= epochs:
            trainer.pause()
            loop.quit()

    def on_failed(run, error) -> None:
        failed.append(error.message)
        loop.quit()

    trainer.updated.connect(on_updated)
    trainer.failed.connect(on_failed)
    trainer.finished.connect(lambda run: loop.quit())
    if not window.training.start():
        _fail(f"--train: cannot train: {window.statusBar().currentMessage()}")
        return False
    QTimer.singleShot(TRAIN_TIMEOUT_MS, lambda: (timed_out.append(True), loop.quit()))
    loop.exec()
    trainer.updated.disconnect(on_updated)
    if failed:
        _fail(f"--train: the run failed: {failed[0]}")
        return False
    if timed_out and trainer.is_active and trainer.state != "paused":
        _fail(f"--train: {epochs} epoch(s) took longer than {TRAIN_TIMEOUT_MS // 1000} s")
        return False
    for _ in range(3):  # the plots, graph and insight views take the last batch
        QTimer.singleShot(40, loop.quit)
        loop.exec()
    return True


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def _fail(message: str) -> int:
    print(f"{cli.PROG}: error: {message}", file=sys.stderr, flush=True)
    return 1


def _size(text: str) -> tuple[int, int] | None:
    width, _, height = text.lower().partition("x")
    if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return int(width), int(height)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command-line command, or start Ember Studio; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if cli.wants_cli(argv) and not _opens_a_project(argv):
        return cli.main(argv)
    args, qt_args = _parse_args(argv)
    if args.version:
        print(f"Ember Studio {__version__}")
        return 0
    if args.screenshot:
        size = _size(args.size)
        if size is None:
            return _fail(f"--size must be WIDTHxHEIGHT, such as 1440x900 (not {args.size!r})")
        return screenshot(
            args.screenshot,
            args.project,
            qt_args,
            theme_mode=args.theme,
            size=size,
            select=args.select,
            train=args.train,
            show=args.show or (),
        )
    if args.project is None and args.theme is None:
        return run_gui(qt_args)  # the plain start (tests replace run_gui with one argument)
    return run_gui(qt_args, args.project, args.theme)


if __name__ == "__main__":
    sys.exit(main())
