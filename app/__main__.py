"""Entry point: ``python -m app`` (or ``ember-studio``).

With a command (``train``, ``export``, ``validate``, ``summary``, ``kinds``; see
:mod:`app.cli`) it runs headless and never imports Qt. Without one it starts Ember
Studio's window; Qt is imported only then.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app import __version__, cli


def _parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split argv into our options and the rest, which is handed to Qt (e.g. -platform)."""
    parser = argparse.ArgumentParser(
        prog=cli.PROG,
        description="Ember Studio: a visual neural-network builder.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_known_args(argv)


def run_gui(qt_args: Sequence[str]) -> int:
    """Open the main window and return the Qt event loop's exit code."""
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    qapp = QApplication([sys.argv[0], *qt_args])
    qapp.setApplicationName("Ember Studio")
    qapp.setOrganizationName("Ember Studio")
    qapp.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    return qapp.exec()


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command-line command, or start Ember Studio; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if cli.wants_cli(argv):
        return cli.main(argv)
    args, qt_args = _parse_args(argv)
    if args.version:
        print(f"Ember Studio {__version__}")
        return 0
    return run_gui(qt_args)


if __name__ == "__main__":
    sys.exit(main())
