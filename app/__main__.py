"""Command-line entry: ``python -m app`` (or ``ember-studio``) starts Ember Studio."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from app import __version__
from app.main_window import MainWindow


def _parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split argv into our options and the rest, which is handed to Qt (e.g. -platform)."""
    parser = argparse.ArgumentParser(
        prog="ember-studio",
        description="Ember Studio: a visual neural-network builder.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start Ember Studio and return the event loop's exit code."""
    args, qt_args = _parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.version:
        print(f"Ember Studio {__version__}")
        return 0

    qapp = QApplication([sys.argv[0], *qt_args])
    qapp.setApplicationName("Ember Studio")
    qapp.setOrganizationName("Ember Studio")
    qapp.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    return qapp.exec()


if __name__ == "__main__":
    sys.exit(main())
