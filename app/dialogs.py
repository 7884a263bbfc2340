"""The window's small modal dialogs (unsaved changes, recovery, file choosers, rename) and
the error box that says what went wrong, where, and that the open project is unchanged."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from app.autosave import Recovery
from core.model import serialize
from core.model.document import DocumentError

APP_NAME = "Ember Studio"
PROJECT_FILTER = "Ember Studio projects (*.ember.json);;JSON files (*.json);;All files (*)"
MAX_PROBLEMS_SHOWN = 10


def ask_save_changes(parent: QWidget, name: str) -> str:
    """Save / Discard / Cancel for the unsaved changes of ``name``: "save", "discard" or
    "cancel"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(APP_NAME)
    box.setText(f"Save the changes to “{name}”?")
    box.setInformativeText("Your changes will be lost if you don't save them.")
    buttons = QMessageBox.StandardButton
    box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
    box.setDefaultButton(buttons.Save)
    answer = buttons(box.exec())
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


def ask_restore(parent: QWidget, recovery: Recovery) -> str:
    """Restore / Discard / Later for a recovery file a crash left: "restore", "discard" or
    "later"."""
    name = recovery.original.name if recovery.original else "Untitled"
    when = recovery.saved_at.strftime("%Y-%m-%d %H:%M") if recovery.saved_at else "earlier"
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Restore Unsaved Changes")
    box.setText(f"Restore unsaved changes of “{name}” from {when}?")
    box.setInformativeText(
        "Ember Studio did not close normally last time. Discard deletes the recovered "
        "changes; Later asks again at the next start."
    )
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "later"


def ask_open_path(parent: QWidget, folder: Path) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Open Project", str(folder), PROJECT_FILTER)
    return Path(name) if name else None


def ask_save_path(parent: QWidget, suggested: Path) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Save Project As", str(suggested), PROJECT_FILTER)
    return Path(name) if name else None


def ask_export_path(parent: QWidget, title: str, suggested: Path) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), "Python scripts (*.py)")
    return Path(name) if name else None


def ask_rename(parent: QWidget, current: str) -> str | None:
    name, ok = QInputDialog.getText(parent, "Rename Layer", "Name:", text=current)
    return name if ok else None


# -- errors ----------------------------------------------------------------------------
def show_error(
    parent: QWidget,
    title: str,
    what: str,
    error: Exception,
    *,
    file: Path | None = None,
    unchanged: bool = False,
) -> None:
    """A critical message box: ``what`` failed, why (each file problem with its JSON path),
    which ``file``, and (``unchanged``) that the open project was kept."""
    body = f"<p><b>{html.escape(what)}</b></p>" + describe(error, file=file, unchanged=unchanged)
    QMessageBox.critical(parent, title, body)


def open_failure(path: Path, error: Exception) -> str:
    """The headline of a failed open."""
    if isinstance(error, FileNotFoundError):
        return f"{path.name} could not be opened: the file does not exist."
    if isinstance(error, serialize.FormatError | DocumentError):
        return f"{path.name} could not be opened: it is not a valid Ember Studio project."
    return f"{path.name} could not be opened."


def describe(error: Exception, *, file: Path | None = None, unchanged: bool = False) -> str:
    """HTML: what went wrong, with each file problem's JSON path (the first ten)."""
    problems = list(getattr(error, "problems", None) or [])
    parts = []
    if len(problems) == 1 and not problems[0].path:
        parts.append(f"<p>{html.escape(problems[0].message)}</p>")  # e.g. JSON syntax
    elif problems:
        n = len(problems)
        items = "".join(
            f"<li><code>{html.escape(p.path or '(file)')}</code>: {html.escape(p.message)}</li>"
            for p in problems[:MAX_PROBLEMS_SHOWN]
        )
        more = f"<li>… and {n - MAX_PROBLEMS_SHOWN} more</li>" if n > MAX_PROBLEMS_SHOWN else ""
        parts.append(f"<p>{n} problem{'s' if n != 1 else ''}:</p><ul>{items}{more}</ul>")
    else:
        parts.append(f"<p>{html.escape(_reason(error))}</p>")
    if file is not None:
        parts.append(f"<p>File: <code>{html.escape(str(file))}</code></p>")
    if unchanged:
        parts.append("<p>The project that was open is unchanged.</p>")
    return "".join(parts)


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and not isinstance(error, serialize.SaveError):
        reason = error.strerror or str(error)
        return reason if reason.endswith(".") else reason + "."
    return str(error)
