"""The export dialog: a Python script for Ember's core or for PyTorch, or the trained weights,
then the parity check (the exported code run on a fixed batch in a separate process,
compared with the live model)."""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core import export as core_export
from core.export import parity
from core.export.names import ascii_words
from core.model.document import Document
from core.model.inference import infer
from widgets import icons, theme

# what to export: (key, label, target of the plan the file follows)
CHOICES = (
    ("core", "Python script (Ember core)"),
    ("pytorch", "Python script (PyTorch)"),
    ("weights", "Trained weights only (.safetensors)"),
)
NO_MODEL_NOTE = "No trained model yet: the script starts from freshly initialised weights"
PARITY_TIMEOUT_S = 120
BATCH_SIZE = 16


class ExportDialog(QDialog):
    """Export the document's model as code or weights, then check the code's parity.

    ``model``: the trained GraphModel whose weights may be exported and that the parity
    check compares with (None: the script starts from fresh weights and the check uses a
    freshly built model). ``data``: the run's data, whose first validation samples are the
    check's batch (None: a seeded random batch). ``folder``: where the files go at first;
    ``root``: the project's folder (relative dataset paths in the script start there).

    The dialog reads ``model`` on the GUI thread (its weights, one forward pass): the app
    must pass a model only while no training runs on it (a finished or stopped run's
    model), or a copy of a running one, never the model a worker is training. ``model``
    must be built from ``doc``: after edits, pass the document the run was started from.
    """

    parity_finished = Signal(object)  # a parity.ParityResult, or an error message (str)

    def __init__(
        self,
        doc: Document,
        model=None,
        data=None,
        folder: Path | None = None,
        parent: QWidget | None = None,
        *,
        root: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.model = model
        self.data = data
        self.folder = Path(folder) if folder is not None else Path.home()
        self.root = root
        self.written: list[Path] = []
        self._process: QProcess | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._live: list = []
        self._cancelled = False
        self._timed_out = False
        self._status = ("", "")  # (kind: "", "info", "ok", "error", plain text)
        self._suggested = ""
        self._written_text = ""
        title = str(doc.meta.get("title", "") or "") or "Untitled model"
        self.setWindowTitle("Export Model")
        self.setMinimumWidth(520)

        heading = QLabel(f"Export “{html.escape(title)}”")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)

        box = QGroupBox("What to export")
        self.choice = QButtonGroup(self)
        box_layout = QVBoxLayout(box)
        self.choice_buttons: dict[str, QRadioButton] = {}
        for i, (key, label) in enumerate(CHOICES):
            button = QRadioButton(label)
            self.choice.addButton(button, i)
            self.choice_buttons[key] = button
            box_layout.addWidget(button)
        self.choice_buttons["core"].setChecked(True)
        self.choice_buttons["weights"].setEnabled(model is not None)
        if model is None:
            self.choice_buttons["weights"].setToolTip("There are no trained weights yet")

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("model.py")
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("File name:", self.name_edit)
        form.addRow("Folder:", folder_row)

        self.weights_check = QCheckBox("Include the trained weights")
        self.weights_check.setEnabled(model is not None)
        self.weights_check.setChecked(model is not None)
        self.weights_note = QLabel(NO_MODEL_NOTE)
        self.weights_note.setWordWrap(True)
        self.weights_note.setVisible(model is None)
        self.parity_check = QCheckBox("Check parity after export")
        self.parity_check.setChecked(True)
        self.parity_note = QLabel(
            f"Runs the exported code on {BATCH_SIZE} samples in a separate process and shows "
            "the largest difference from the live model."
        )
        self.parity_note.setWordWrap(True)

        indent = self.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
        indent += self.style().pixelMetric(QStyle.PixelMetric.PM_CheckBoxLabelSpacing)
        for note in (self.weights_note, self.parity_note):
            note.setContentsMargins(indent, 0, 0, 0)

        self.written_label = QLabel()
        self.written_label.setWordWrap(True)
        self.written_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.written_label.hide()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()
        self.status_icon = QLabel()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_icon, 0, Qt.AlignmentFlag.AlignTop)
        status_row.addWidget(self.status_label, 1)

        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export_now)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        self.open_button = QPushButton("Open Folder")
        self.open_button.clicked.connect(lambda: self.open_folder())
        self.open_button.hide()
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.accept)
        self.close_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        for b in (self.cancel_button, self.close_button, self.export_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(box)
        layout.addLayout(form)
        for check, note in (
            (self.weights_check, self.weights_note),
            (self.parity_check, self.parity_note),
        ):
            pair = QVBoxLayout()
            pair.setSpacing(2)
            pair.addWidget(check)
            pair.addWidget(note)
            layout.addLayout(pair)
        layout.addWidget(self.written_label)
        layout.addWidget(self.busy)
        layout.addLayout(status_row)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.choice.idToggled.connect(self._choice_changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._time_out)
        self._show_folder()
        self._choice_changed()
        theme.notifier.changed.connect(self.apply_colors)
        self.apply_colors()

    # -- choices --------------------------------------------------------------------------
    @property
    def what(self) -> str:
        """The chosen export: "core", "pytorch" or "weights"."""
        return CHOICES[max(self.choice.checkedId(), 0)][0]

    def set_what(self, what: str) -> None:
        """Choose "core", "pytorch" or "weights"."""
        self.choice_buttons[what].setChecked(True)

    def suggested_name(self, what: str | None = None) -> str:
        """The file name made from the project's title for ``what`` (default: the choice)."""
        what = what or self.what
        stem = ascii_words(str(self.doc.meta.get("title", "") or "")) or "model"
        if what == "weights":
            return f"{stem}.safetensors"
        return f"{stem}_torch.py" if what == "pytorch" else f"{stem}.py"

    def path(self) -> Path:
        """Where the chosen file goes."""
        return self.folder / self.name_edit.text().strip()

    def _choice_changed(self, *_args) -> None:
        what = self.what
        name = self.name_edit.text().strip()
        new = self.suggested_name(what)
        if not name or name == self._suggested:
            self.name_edit.setText(new)
        else:  # the user's own name: only its suffix follows the choice
            stem, suffix = os.path.splitext(name)
            if suffix in (".py", ".safetensors", ""):
                self.name_edit.setText(stem + os.path.splitext(new)[1])
        self._suggested = new
        weights_only = what == "weights"
        self.weights_check.setEnabled(self.model is not None and not weights_only)
        self.parity_check.setEnabled(not weights_only)
        self.parity_note.setEnabled(not weights_only)
        self.weights_note.setVisible(self.model is None and not weights_only)

    def _show_folder(self) -> None:
        text = str(self.folder)
        metrics = self.folder_label.fontMetrics()
        self.folder_label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, 340))
        self.folder_label.setToolTip(text)

    def _browse(self) -> None:
        folder = self.ask_folder()
        if folder is not None:
            self.folder = Path(folder)
            self._show_folder()

    # -- overridable (tests replace these) -----------------------------------------------
    def ask_folder(self) -> Path | None:
        """Ask for the folder to export to; None if the user cancels."""
        name = QFileDialog.getExistingDirectory(self, "Export To", str(self.folder))
        return Path(name) if name else None

    def open_folder(self) -> None:
        """Show the export folder in the system's file manager."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    # -- export ---------------------------------------------------------------------------
    def export_now(self) -> bool:
        """Write the chosen files and, if asked, start the parity check; False (the reason
        shown in the dialog) when nothing could be written."""
        if self.is_checking():
            return False
        self.written_label.hide()
        what = self.what
        path = self.path()
        name = self.name_edit.text().strip()
        if not name or os.sep in name or (os.altsep and os.altsep in name):
            self._set_status("error", "Give a file name (without a folder), e.g. model.py.")
            return False
        try:
            self.written = self._write(what, path)
        except (core_export.ExportError, OSError, ValueError) as e:
            self._set_status("error", _sentence(f"Nothing was exported: {_reason(e)}"))
            return False
        names = " and ".join(p.name for p in self.written)
        self._written_text = f"Wrote {names} in {self.folder}."
        self.written_label.setText(html.escape(self._written_text))
        self.written_label.show()
        self._set_status("", "")
        self.open_button.show()
        self._finished_buttons()
        if what != "weights" and self.parity_check.isChecked():
            self._start_parity(what, path)
        return True

    def _write(self, what: str, path: Path) -> list[Path]:
        if not self.folder.is_dir():
            raise core_export.ExportError(f"the folder {self.folder} does not exist")
        if not os.access(self.folder, os.W_OK):
            raise OSError(13, f"cannot write into {self.folder} (permission denied)")
        errors = infer(self.doc).errors
        if errors:
            n = len(errors)
            more = f" (and {n - 1} more: the Problems panel lists them)" if n > 1 else ""
            raise core_export.ExportError(
                f"the model has {n} error{'s' if n != 1 else ''} to fix first: "
                f"{_sentence(errors[0].message)[:-1]}{more}"
            )
        if what == "weights":
            if self.model is None:
                raise core_export.ExportError("there are no trained weights yet: train first")
            return [Path(parity.save_weights(self.doc, self.model, path, "core"))]
        if path.suffix != ".py":
            raise core_export.ExportError(f"{path.name}: a script's name must end in .py")
        weights = path.with_suffix(".safetensors")
        existed = weights.exists()
        model = self.model if self.weights_check.isChecked() else None
        try:
            written = core_export.write(self.doc, path, what, model=model, root=self.root)
        except Exception:
            if model is not None and not existed and weights.exists():
                weights.unlink()  # no weights without their script
            raise
        return [Path(p) for p in written]

    # -- the parity check -----------------------------------------------------------------
    def is_checking(self) -> bool:
        """Whether the parity check's process runs."""
        return (
            self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning
        )

    def _start_parity(self, target: str, script: Path) -> None:
        self._cleanup()
        self._cancelled = self._timed_out = False
        try:
            model = self.model
            if model is None:
                from core.model.build import build

                model = build(self.doc)  # fresh weights: the check compares the code alone
            batch = parity.fixed_batch(self.doc, self.data, n=BATCH_SIZE)
            self._live = parity.live_outputs(model, batch)
            self._tmp = tempfile.TemporaryDirectory(prefix="ember-parity-")
            tmp = Path(self._tmp.name)
            weights = script.with_suffix(".safetensors")
            if not (self.model is not None and self.weights_check.isChecked()):
                weights = Path(parity.save_weights(self.doc, model, tmp / "weights.st", target))
            parity.write_batch(batch, tmp / "batch.npz")
            cmd = parity.parity_command(
                script,
                weights,
                tmp / "batch.npz",
                tmp / "outputs.npz",
                class_name=core_export.plan(self.doc, target).class_name,
                target=target,
            )
        except Exception as e:  # noqa: BLE001 - shown, not raised: the files are written
            self._fail(f"The parity check could not start: {_reason(e)}")
            return
        process = QProcess(self)
        process.setProgram(cmd[0])
        process.setArguments(cmd[1:])
        process.setWorkingDirectory(str(script.parent))
        process.setStandardOutputFile(QProcess.nullDevice())
        process.finished.connect(self._process_finished)
        process.errorOccurred.connect(self._process_error)
        self._process = process
        self._set_checking(True)
        self._set_status(
            "info", f"Checking the exported code on {len(batch[0])} samples in a separate process…"
        )
        process.start()
        self._timer.start(PARITY_TIMEOUT_S * 1000)

    def cancel_check(self) -> None:
        """Stop the parity check's process (the exported files stay)."""
        if self.is_checking():
            self._cancelled = True
            self._process.kill()

    def _time_out(self) -> None:
        if self.is_checking():
            self._timed_out = True
            self._process.kill()

    def _process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            program = self._process.program() if self._process is not None else "python"
            self._fail(f"The parity check could not start {program}: {self._process.errorString()}")

    def _process_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        process = self._process
        if process is None:
            return
        stderr = bytes(process.readAllStandardError().data()).decode("utf-8", "replace")
        if self._cancelled:
            self._fail("The parity check was cancelled; the exported files are kept.")
        elif self._timed_out:
            self._fail(
                f"The parity check took longer than {PARITY_TIMEOUT_S} s and was stopped; "
                "the exported files are kept."
            )
        elif status != QProcess.ExitStatus.NormalExit or code != 0:
            tail = parity.stderr_tail(stderr) or f"the process exited with status {code}"
            self._fail(f"The parity check failed:\n{tail}")
        else:
            try:
                result = parity.compare(self._live, parity.read_outputs(self._out_path()))
            except (OSError, ValueError, KeyError) as e:
                self._fail(f"The exported code's outputs could not be read: {_reason(e)}")
                return
            self._finish(result)

    def _out_path(self) -> Path:
        return Path(self._tmp.name) / "outputs.npz"

    def _finish(self, result: parity.ParityResult) -> None:
        self._end_check()
        self._set_status("ok" if result.ok else "error", result.message)
        self.parity_finished.emit(result)

    def _fail(self, message: str) -> None:
        self._end_check()
        self._set_status("error", message)
        self.parity_finished.emit(message)

    def _end_check(self) -> None:
        self._timer.stop()
        self._set_checking(False)
        if self._process is not None:
            self._process.deleteLater()
            self._process = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _set_checking(self, on: bool) -> None:
        self.busy.setVisible(on)
        self.export_button.setEnabled(not on)
        self.cancel_button.setText("Cancel Check" if on else "Cancel")
        self.cancel_button.setVisible(on or not self.written)
        self.close_button.setVisible(not on and bool(self.written))

    def _finished_buttons(self) -> None:
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)
        self.close_button.setDefault(True)

    def _cancel(self) -> None:
        if self.is_checking():
            self.cancel_check()
        else:
            self.reject()

    def _stop_process(self) -> None:
        if self.is_checking():
            self._cancelled = True
            self._process.kill()
            self._process.waitForFinished(3000)
        self._timer.stop()

    def done(self, result: int) -> None:
        """Close (accept or reject), stopping a running check first."""
        self._stop_process()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._stop_process()
        super().closeEvent(event)

    # -- the result -----------------------------------------------------------------------
    def result_text(self) -> str:
        """The message shown under the choices: the parity check's result or an error (or,
        without them, what was written)."""
        if self._status[1] or self.written_label.isHidden():
            return self._status[1]
        return self._written_text

    def _set_status(self, kind: str, text: str) -> None:
        self._status = (kind, text)
        self.status_label.setText(html.escape(text).replace("\n", "<br>"))
        self.apply_colors()
        self._fit()

    def _fit(self) -> None:
        """Grow to show all the text (a longer message must not squeeze the choices)."""
        layout = self.layout()
        layout.activate()
        width = self.width()
        need = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else 0
        need = max(need, layout.totalMinimumSize().height())
        if need > self.height():
            self.resize(width, need)

    def apply_colors(self) -> None:
        """Take the current theme's colours."""
        colors = theme.colors()
        muted = colors.muted_text.name()
        self.weights_note.setStyleSheet(f"color: {muted};")
        self.parity_note.setStyleSheet(f"color: {muted};")
        self.written_label.setStyleSheet(f"color: {muted};")
        kind = self._status[0]
        color = {"ok": colors.port_ok, "error": colors.error}.get(kind, colors.text)
        self.status_label.setStyleSheet(f"color: {color.name()};")
        name = {"ok": "info", "error": "error"}.get(kind)
        if name:
            size = self.status_label.fontMetrics().height()
            self.status_icon.setPixmap(icons.icon(name, color).pixmap(size, size))
        self.status_icon.setVisible(bool(name))


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        where = f" ({e.filename})" if e.filename else ""
        return f"{e.strerror}{where}"
    return str(e)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."
