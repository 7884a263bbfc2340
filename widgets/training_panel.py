"""The training panel: run buttons, progress, and the document's training settings.

The form is built from the schema of the document's training section
(:data:`core.model.settings.TRAINING`): ranges, choices, defaults and tooltips come from its
Params. The panel never changes the document: an edit is a request,
``settings_edited({name: value})`` with only the changed keys, that the app turns into an
undoable command; ``set_settings`` shows the section again without emitting. Settings stay
editable while a run is going; a note says that changes apply to the next run.
"""

from __future__ import annotations

import html
import math
from functools import cache
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.model.params import Param, ParamError
from core.model.settings import OPTIMIZER_CLASSES, TRAINING
from widgets import theme
from widgets.common import section_label, sentence
from widgets.icons import icon

STATES = ("idle", "starting", "running", "paused", "stopping")
NEXT_RUN_NOTE = "Changes apply to the next run"
STOPPING_TEXT = "Stopping\u2026"
STARTING_TEXT = "Starting\u2026"
PAUSED_FORMAT = "Paused \u00b7 %p%"
DEBOUNCE_MS = 300  # spin box arrows and wheel: one emission after the burst
OFF_TEXT = "Off"

# What the user reads for each setting and choice (the schema holds the values).
LABELS = {
    "loss": "Loss",
    "optimizer": "Optimizer",
    "lr": "Learning rate",
    "momentum": "Momentum",
    "weight_decay": "Weight decay",
    "batch_size": "Batch size",
    "epochs": "Epochs",
    "scheduler": "Scheduler",
    "step_size": "Step size",
    "gamma": "Gamma",
    "grad_clip": "Gradient clipping",
    "seed": "Seed",
    "device": "Device",
}
CHOICE_LABELS = {
    "loss": {
        "auto": "Auto (from the task)",
        "cross_entropy": "Cross-entropy",
        "mse": "Mean squared error",
        "l1": "L1 (mean absolute)",
        "huber": "Huber",
        "bce_with_logits": "Binary cross-entropy (logits)",
    },
    "optimizer": {name: cls for name, (cls, _) in OPTIMIZER_CLASSES.items()},
    "scheduler": {
        "none": "None",
        "step": "Step",
        "exponential": "Exponential",
        "cosine": "Cosine",
        "onecycle": "One-cycle",
        "plateau": "Reduce on plateau",
    },
    "device": {"cpu": "CPU", "cuda": "GPU (CUDA)"},
}
BASIC = ("loss", "optimizer", "lr", "momentum", "batch_size", "epochs", "scheduler", "device")
ADVANCED = ("weight_decay", "step_size", "gamma", "grad_clip", "seed")
# which scheduler settings each schedule reads, and what they mean there
SCHEDULER_FIELDS = {
    "step": {"step_size": "Step size", "gamma": "Gamma"},
    "exponential": {"gamma": "Gamma"},
    "plateau": {"step_size": "Patience", "gamma": "Factor"},
}
SCHEDULER_NOTES = {
    ("step", "step_size"): "Epochs between two decays of the learning rate.",
    ("step", "gamma"): "The learning rate is multiplied by this at each decay.",
    ("exponential", "gamma"): "The learning rate is multiplied by this after every epoch.",
    ("plateau", "step_size"): "Epochs without a better validation loss before the decay.",
    ("plateau", "gamma"): "The learning rate is multiplied by this when the loss plateaus.",
}
_INT32 = 2**31 - 1
_GPU_PREFIX = 'Device "cuda" is not available: '


# -- text helpers ---------------------------------------------------------------------------
def format_duration(seconds: float | None) -> str:
    """A duration as m:ss or h:mm:ss ("0:42", "12:05", "1:02:03"); "\u2013" when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "\u2013"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_rate(per_s: float | None) -> str:
    """A rate with the digits that matter: "85", "4.2", "0.35"; "\u2013" when unknown."""
    if per_s is None or not math.isfinite(per_s) or per_s < 0:
        return "\u2013"
    if per_s >= 10:
        return f"{per_s:,.0f}"
    if per_s >= 1:
        return f"{per_s:.1f}"
    return f"{per_s:.2f}"


def progress_text(info: Any) -> str:
    """The status line of a ProgressInfo: "Epoch 3/10 · step 120/400 · 85 steps/s · ETA 0:12"."""
    parts = [f"Epoch {info.epoch}/{info.epochs}"]
    if info.total_steps:
        parts.append(f"step {info.step:,}/{info.total_steps:,}")
    else:
        parts.append(f"step {info.step:,}")
    if info.steps_per_s is not None and math.isfinite(info.steps_per_s) and info.steps_per_s > 0:
        parts.append(f"{format_rate(info.steps_per_s)} steps/s")
    eta = info.eta_s
    if eta is not None and math.isfinite(eta) and eta >= 0:
        parts.append(f"ETA {format_duration(eta)}")
    return " \u00b7 ".join(parts)


def number_text(value: float | int) -> str:
    """A number as short as it round-trips: 0.001, 0.0003, 1e-5, 10, 0.9."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = repr(float(value)).replace("e-0", "e-").replace("e+0", "e+")
    return text[:-2] if text.endswith(".0") else text


def parse_number(param: Param, text: str) -> float | int:
    """The value ``text`` means for the numeric ``param`` (0.001, 1e-3, 3E-4); ValueError
    with a message for the user when it is not a number or is out of the param's range."""
    t = text.strip().replace(",", ".") if param.type == "float" else text.strip()
    example = "e.g. 0.001 or 1e-3" if param.type == "float" else "a whole number, e.g. 42"
    if not t:
        raise ValueError(f"a value is needed: type {example}")
    try:
        value: float | int = int(t) if param.type == "int" else float(t)
    except ValueError:
        raise ValueError(f"\u201c{t}\u201d is not a number: type {example}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"\u201c{t}\u201d is not a finite number: type {example}")
    try:
        return param.check(value)
    except ParamError:
        raise ValueError(f"must be {_range_words(param)}") from None


def _range_words(p: Param) -> str:
    bounds = []
    if p.min is not None:
        low = number_text(p.min if p.type == "float" else int(p.min))
        bounds.append(f"greater than {low}" if p.min_exclusive else f"at least {low}")
    if p.max is not None:
        bounds.append(f"at most {number_text(p.max if p.type == 'float' else int(p.max))}")
    return " and ".join(bounds) or "a number"


def _tooltip(p: Param, label: str) -> str:
    e = html.escape
    default = _choice_label(p.name, p.default) if p.type == "choice" else p.default
    if isinstance(default, float):
        default = number_text(default)
    accepts = "" if p.type == "choice" else f"Accepts {e(_range_words(p))}; "
    return (
        f"<qt><b>{e(label)}</b><br/>{e(sentence(p.doc, full_stop=True))}"
        f"<br/><span style='color:gray'>{accepts}default {e(str(default))}.</span></qt>"
    )


def _choice_label(name: str, value: Any) -> str:
    return CHOICE_LABELS.get(name, {}).get(value) or str(value).replace("_", " ").capitalize()


def _short_reason(reason: str) -> str:
    """The gist of a GPU reason: "CuPy is not installed" (the tooltip has it all)."""
    text = reason[len(_GPU_PREFIX) :] if reason.startswith(_GPU_PREFIX) else reason
    cuts = [i for i in (text.find(" ("), text.find(". ")) if i > 0]
    return sentence(text[: min(cuts)] if cuts else text.rstrip("."))


def _decimals_for(value: float) -> int:
    for decimals in range(0, 7):
        if abs(round(value, decimals) - value) < 1e-12:
            return decimals
    return 6


@cache
def gpu_unavailable_reason() -> str | None:
    """Why the GPU cannot be used (None when it can); probed once per process."""
    try:
        from core import cuda

        return cuda.unavailable_reason()
    except Exception as exc:  # noqa: BLE001 - a broken CuPy install must not take the panel down
        return f"CuPy could not be loaded ({type(exc).__name__}: {exc})"


def _log_step(value: float, up: bool) -> float:
    """The next value on the 1-3-10 ladder above (or below) ``value``: 1e-3 <-> 3e-3 <-> 1e-2."""
    exponent = math.floor(math.log10(value))
    ladder = [m * 10.0**e for e in range(exponent - 1, exponent + 2) for m in (1, 3)]
    ladder = [float(f"{v:.12g}") for v in ladder]
    if up:
        return min(v for v in ladder if v > value * (1 + 1e-9))
    return max(v for v in ladder if v < value * (1 - 1e-9))


# -- editors --------------------------------------------------------------------------------
class _PowerOfTwoSpinBox(QSpinBox):
    """A spin box whose arrows double and halve (batch sizes); any value can be typed."""

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = 1 << value.bit_length() if value & (value - 1) else value * 2
            else:
                value = 1 << (value - 1).bit_length() - 1 if value > 1 else value
        self.setValue(max(self.minimum(), min(self.maximum(), value)))


class _DoubleSpinBox(QDoubleSpinBox):
    """Shows 0.9, not 0.900."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return number_text(round(value, self.decimals()))


class NumberEdit(QWidget):
    """A line edit for a number that a spin box shows badly (1e-4, a seed up to 2**32):
    ``committed(value)`` on Enter or leaving the field when the text is valid; arrows (and
    the Up/Down keys) step along the 1-3-10 ladder when ``log_steps``."""

    committed = Signal(object)
    invalid = Signal(str)  # the message for the user (empty: valid again)

    def __init__(self, param: Param, *, log_steps: bool, zero_up: float | None = None) -> None:
        super().__init__()
        self.param = param
        self.log_steps = log_steps
        self.zero_up = zero_up  # the first step up from 0 (a setting that may be off)
        self._value: Any = param.default
        self._dirty = False
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("e.g. 0.001 or 1e-3" if param.type == "float" else "")
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.edit.textEdited.connect(self._typed)
        self.edit.returnPressed.connect(self.commit)
        self.edit.installEventFilter(self)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.edit, 1)
        self.down = self.up = None
        if log_steps:
            self.down = self._step_button(Qt.ArrowType.DownArrow, "Divide by about 3")
            self.up = self._step_button(Qt.ArrowType.UpArrow, "Multiply by about 3")
            self.down.clicked.connect(lambda: self.step(False))
            self.up.clicked.connect(lambda: self.step(True))
            box.addWidget(self.down)
            box.addWidget(self.up)
        self.set_value(param.default)

    def _step_button(self, arrow: Qt.ArrowType, tip: str) -> QToolButton:
        b = QToolButton()
        b.setArrowType(arrow)
        b.setToolTip(tip)
        b.setAutoRepeat(False)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return b

    def value(self) -> Any:
        """The last committed (or shown) value."""
        return self._value

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting; clears an error."""
        self._value = value
        self._dirty = False
        text = number_text(value)
        if self.edit.text() != text:
            self.edit.setText(text)
            self.edit.setCursorPosition(len(text))
        self.invalid.emit("")

    def commit(self) -> None:
        """Send the typed value when it is valid and changed; show why when it is not."""
        if not self._dirty:
            return
        try:
            value = parse_number(self.param, self.edit.text())
        except ValueError as e:
            self.invalid.emit(str(e))
            return
        self.invalid.emit("")
        self._dirty = False
        if value != self._value:
            self._value = value
            self.committed.emit(value)

    def step(self, up: bool) -> None:
        """Step to the next value on the ladder (within the range) and send it."""
        p = self.param
        current = self._value
        if self._dirty:
            try:
                current = parse_number(p, self.edit.text())
            except ValueError:
                pass
        if current <= 0:
            if not up or self.zero_up is None:
                return
            new = self.zero_up
        else:
            new = _log_step(float(current), up)
        if p.max is not None:
            new = min(new, float(p.max))
        if p.min is not None and (new < p.min or (p.min_exclusive and new <= p.min)):
            return
        self.edit.setText(number_text(new))
        self._dirty = True
        self.commit()

    def _typed(self, text: str) -> None:
        self._dirty = True
        try:
            parse_number(self.param, text)
        except ValueError:
            return  # said on Enter, not at every key
        self.invalid.emit("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.log_steps:
                self.step(key == Qt.Key.Key_Up)
                return True
            if key == Qt.Key.Key_Escape and self._dirty:
                self.set_value(self._value)  # give up the edit
                return True
        elif kind == QEvent.Type.FocusOut and self._dirty:
            try:
                parse_number(self.param, self.edit.text())
            except ValueError:
                self.set_value(self._value)  # leaving a refused value: show the set one again
            else:
                self.commit()
        return False


class _Field(QObject):
    """One setting: its input widget, the error line under it, and ``committed(value)``
    once per user change."""

    committed = Signal(object)

    def __init__(self, param: Param, label: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.param = param
        self.name = param.name
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.flush)
        self.widget = self._make(param)
        self.widget.setObjectName(f"setting_{param.name}")
        self.widget.setToolTip(_tooltip(param, label))
        self.widget.setAccessibleName(label)
        self.container = QWidget(parent)
        box = QVBoxLayout(self.container)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.widget)
        box.addWidget(self.error)

    def _make(self, p: Param) -> QWidget:
        name = p.name
        if p.type == "choice":
            w = QComboBox()
            # a narrow dock must not be widened by the longest label
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)
            for choice in p.choices:
                w.addItem(_choice_label(name, choice), choice)
            w.currentIndexChanged.connect(lambda i: self.committed.emit(self.param.choices[i]))
            self.kind = "combo"
        elif p.type == "float" and name in ("lr", "weight_decay"):
            w = NumberEdit(p, log_steps=True, zero_up=1e-4 if name == "weight_decay" else None)
            w.committed.connect(self.committed.emit)
            w.invalid.connect(self.show_error)
            self.kind = "number"
        elif p.type == "int" and (p.max is None or p.max > _INT32):
            w = NumberEdit(p, log_steps=False)
            w.committed.connect(self.committed.emit)
            w.invalid.connect(self.show_error)
            self.kind = "number"
        elif p.type == "int":
            w = _PowerOfTwoSpinBox() if name == "batch_size" else QSpinBox()
            low = -_INT32 if p.min is None else int(math.ceil(p.min))
            if p.min_exclusive and low == p.min:
                low += 1
            w.setRange(low, int(p.max))
            w.setAccelerated(True)
            self.kind = "spin"
        elif p.type == "float":
            w = _DoubleSpinBox()
            span = (p.max if p.max is not None else 1e6) - (p.min or 0.0)
            decimals = 3 if span <= 100 else 2
            w.setDecimals(decimals)
            w.setSingleStep(0.01 if span <= 1 else 0.5)
            low = (p.min or 0.0) + (10**-decimals if p.min_exclusive else 0.0)
            w.setRange(low, p.max if p.max is not None else 1e6)
            if p.min == 0 and "0: off" in p.doc.lower():
                w.setSpecialValueText(OFF_TEXT)
            self.kind = "dspin"
        else:
            raise ValueError(f"training setting {name!r}: no editor for type {p.type!r}")
        if isinstance(w, QAbstractSpinBox):
            w.setKeyboardTracking(False)  # typing "0.01" is one change, not four
            w.valueChanged.connect(lambda _v: self._timer.start())
            w.editingFinished.connect(self.flush)
        if isinstance(w, (QAbstractSpinBox, QComboBox)):
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            w.installEventFilter(self)
        w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return w

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
            event.ignore()  # the wheel scrolls the panel unless the field was clicked first
            return True
        return False

    def flush(self) -> None:
        """Send a spin box's pending value now."""
        self._timer.stop()
        if self.kind in ("spin", "dspin"):
            self.committed.emit(self.widget.value())

    def value(self) -> Any:
        w = self.widget
        if self.kind == "combo":
            return self.param.choices[w.currentIndex()]
        return w.value()

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting; drops a pending spin box change."""
        self._timer.stop()
        w = self.widget
        if self.kind == "number":
            w.set_value(value)
            return
        blocked = w.blockSignals(True)
        try:
            if self.kind == "combo":
                index = w.findData(value)
                w.setCurrentIndex(index if index >= 0 else w.currentIndex())
            elif self.kind == "spin":
                w.setValue(int(value))
            else:
                decimals = _decimals_for(float(value))
                if decimals > w.decimals():
                    w.setDecimals(decimals)
                w.setValue(float(value))
        finally:
            w.blockSignals(blocked)
        self.show_error("")

    def show_error(self, message: str) -> None:
        self.error.setText(sentence(message, full_stop=True) if message else "")
        self.error.setVisible(bool(message))

    @property
    def error_text(self) -> str:
        return "" if self.error.isHidden() else self.error.text()


# -- the panel ------------------------------------------------------------------------------
class TrainingPanel(QWidget):
    """Train / Pause-Resume / Stop, the progress of the run, and the training settings."""

    settings_edited = Signal(dict)
    start_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.state = "idle"
        self.can_start = True
        self.cannot_start_reason = ""
        self.advanced_open = False
        self._values: dict[str, Any] = TRAINING.defaults()
        self._result_error = False
        self._last_progress = ""  # the status line of the last progress shown
        self.fields: dict[str, _Field] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 10, 10, 6)
        outer.setSpacing(6)
        outer.addLayout(self._make_buttons())
        self.note = QLabel()
        self.note.setObjectName("runNote")
        self.note.setWordWrap(True)
        self.note.hide()
        outer.addWidget(self.note)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("")
        self.progress_bar.setFixedHeight(self.fontMetrics().height() + 6)
        outer.addWidget(self.progress_bar)
        self.status_label = QLabel()
        self.status_label.setObjectName("status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        outer.addWidget(self.status_label)
        self.result_label = QLabel()
        self.result_label.setObjectName("result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        outer.addWidget(self.result_label)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self._make_form())
        outer.addWidget(self.scroll, 1)

        theme.notifier.changed.connect(self.apply_colors)
        self.set_settings(self._values)
        self.reset_progress()
        self.set_state("idle")
        self.apply_colors()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(360, 620)

    # -- public API -------------------------------------------------------------------------
    def set_settings(self, values: dict) -> None:
        """Show the document's training section (missing keys: defaults); emits nothing."""
        merged = TRAINING.defaults()
        merged.update({k: v for k, v in values.items() if k in TRAINING})
        self._values = merged
        for name, field in self.fields.items():
            field.set_value(merged[name])
        self._update_dependent()

    def values(self) -> dict[str, Any]:
        """The settings the panel shows (the last set, with the user's sent edits)."""
        return dict(self._values)

    def set_state(self, state: str) -> None:
        """Enable the buttons for the run's state: idle, starting, running, paused, stopping."""
        if state not in STATES:
            raise ValueError(f"unknown training state {state!r}; states: {', '.join(STATES)}")
        previous, self.state = self.state, state
        paused = state == "paused"
        self.train_button.setEnabled(state == "idle" and self.can_start)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setToolTip(
            "Resume the run where it paused" if paused else "Pause after the current step"
        )
        self.stop_button.setEnabled(state in ("starting", "running", "paused"))
        if state == "starting":
            if previous != "starting":
                self.reset_progress()
                self.progress_bar.setRange(0, 0)  # busy until the first progress
                self._set_status(STARTING_TEXT)
        elif state == "stopping":
            self._set_status(STOPPING_TEXT)
        else:
            if state == "idle" and self.progress_bar.maximum() == 0:
                self.reset_progress()  # a start that never reported progress
            if self.status_label.text() in (STARTING_TEXT, STOPPING_TEXT):
                self._set_status(self._last_progress)
        if self.progress_bar.maximum():
            shown = "%p%" if self._last_progress else ""
            self.progress_bar.setFormat(PAUSED_FORMAT if paused else shown)
        self._update_note()
        self._apply_button_icons()

    def set_can_start(self, ok: bool, reason: str = "") -> None:
        """Allow Train, or refuse it with ``reason`` (e.g. "Fix 2 problems first")."""
        self.can_start = bool(ok)
        self.cannot_start_reason = "" if ok else reason
        self.train_button.setEnabled(self.state == "idle" and self.can_start)
        self.train_button.setToolTip(
            "Train the model with these settings" if ok else (reason or "Training is not possible")
        )
        self._update_note()

    def set_progress(self, info: Any) -> None:
        """Show a ``core.train.history.ProgressInfo``: the bar and the status line."""
        total = max(0, int(info.total_steps or 0))
        self.progress_bar.setRange(0, 1000)
        fraction = min(1.0, info.step / total) if total else 0.0
        self.progress_bar.setValue(round(fraction * 1000))
        self.progress_bar.setFormat(PAUSED_FORMAT if self.state == "paused" else "%p%")
        self._last_progress = progress_text(info)
        if self.state != "stopping":
            self._set_status(self._last_progress)
        elapsed = getattr(info, "elapsed_s", None)
        self.status_label.setToolTip(f"Elapsed {format_duration(elapsed)}")

    def set_result_text(self, text: str, *, error: bool | None = None) -> None:
        """Show how the run ended ("Finished in 0:42 — val_accuracy 0.962"); in the error
        colour when ``error`` (default: when the text starts with "Failed")."""
        self._result_error = text.startswith("Failed") if error is None else error
        self.result_label.setText(text)
        self.result_label.setVisible(bool(text))
        self._color_result()

    def reset_progress(self) -> None:
        """An empty bar, no status line and no result."""
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("")
        self._last_progress = ""
        self._set_status("")
        self.status_label.setToolTip("")
        self.set_result_text("")

    def status_text(self) -> str:
        """The status line under the bar ("" when none)."""
        return self.status_label.text()

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    # -- read-only helpers (tests, app) -----------------------------------------------------
    def editor(self, name: str) -> QWidget:
        """The input widget of setting ``name`` (a NumberEdit's line edit is ``.edit``)."""
        return self.fields[name].widget

    def error_text(self, name: str) -> str:
        """The error shown under setting ``name`` ("" when none)."""
        return self.fields[name].error_text

    def row_visible(self, name: str) -> bool:
        """Whether setting ``name``'s row is shown (scheduler settings follow the scheduler)."""
        form = self.advanced_form if name in ADVANCED else self.basic_form
        return form.isRowVisible(self.fields[name].container)

    # -- building ---------------------------------------------------------------------------
    def _make_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setToolTip("Train the model with these settings")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop after the current step (the model keeps its weights)")
        for b in (self.train_button, self.pause_button, self.stop_button):
            b.setIconSize(QSize(16, 16))
            b.setMinimumHeight(30)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            row.addWidget(b)
        self.train_button.clicked.connect(self.start_requested.emit)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        return row

    def _pause_clicked(self) -> None:
        if self.state == "paused":
            self.resume_requested.emit()
        elif self.state == "running":
            self.pause_requested.emit()

    def _make_form(self) -> QWidget:
        page = QWidget()
        page.setObjectName("trainingSettings")
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 4, 2, 4)
        box.setSpacing(6)
        self.labels: dict[str, QLabel] = {}
        self.sections = [self._section("Settings")]
        box.addWidget(self.sections[0])
        self.basic_form = self._form(page, BASIC)
        box.addLayout(self.basic_form)
        self.device_note = QLabel()
        self.device_note.setObjectName("deviceNote")
        self.device_note.setWordWrap(True)
        self.device_note.setTextFormat(Qt.TextFormat.PlainText)
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.9))
        self.device_note.setFont(small)
        self.fields["device"].container.layout().insertWidget(1, self.device_note)

        self.advanced_button = QToolButton()
        self.advanced_button.setObjectName("advancedToggle")
        self.advanced_button.setText("Advanced")
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setToolTip(
            "Weight decay, the scheduler's settings, gradient clipping and the seed"
        )
        self.advanced_button.clicked.connect(lambda: self.show_advanced(not self.advanced_open))
        box.addWidget(self.advanced_button)
        self.advanced_body = QWidget()
        self.advanced_body.setObjectName("advancedSection")
        self.advanced_form = self._form(self.advanced_body, ADVANCED)
        self.advanced_body.setLayout(self.advanced_form)
        box.addWidget(self.advanced_body)
        box.addStretch(1)
        self.show_advanced(False)

        width = min(
            150, max(self.fontMetrics().horizontalAdvance(t) for t in self._all_labels()) + 6
        )
        for label in self.labels.values():
            label.setMinimumWidth(width)
        self._setup_device()
        return page

    def _all_labels(self) -> list[str]:
        names = [*LABELS.values()]
        names += [t for fields in SCHEDULER_FIELDS.values() for t in fields.values()]
        return names

    def _form(self, parent: QWidget, names: tuple[str, ...]) -> QFormLayout:
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for name in names:
            param = TRAINING[name]
            text = LABELS.get(name, param.title)
            field = _Field(param, text, parent)
            field.committed.connect(lambda value, name=name: self._edited(name, value))
            label = QLabel(text)
            label.setToolTip(field.widget.toolTip())
            label.setBuddy(field.widget)
            form.addRow(label, field.container)
            self.fields[name] = field
            self.labels[name] = label
        return form

    def _section(self, text: str) -> QLabel:
        label = section_label(text, self.font())
        return label

    def show_advanced(self, on: bool) -> None:
        """Open or close the "Advanced" section."""
        self.advanced_open = on
        self.advanced_body.setVisible(on)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _setup_device(self) -> None:
        combo: QComboBox = self.fields["device"].widget
        reason = gpu_unavailable_reason()
        index = combo.findData("cuda")
        model = combo.model()
        if index >= 0 and isinstance(model, QStandardItemModel):
            item = model.item(index)
            item.setEnabled(reason is None)
            item.setToolTip(reason or "Train on the GPU through CuPy")
        self.gpu_reason = reason

    # -- edits ------------------------------------------------------------------------------
    def _edited(self, name: str, value: Any) -> None:
        field = self.fields[name]
        try:
            value = field.param.check(value)
        except ParamError as e:
            field.show_error(e.detail)
            return
        field.show_error("")
        if value == self._values.get(name):
            return
        self._values[name] = value
        if name in ("optimizer", "scheduler", "device"):
            self._update_dependent()
        self.settings_edited.emit({name: value})

    def _update_dependent(self) -> None:
        """Momentum follows the optimizer, scheduler settings the schedule, the note the
        device."""
        optimizer = self._values["optimizer"]
        cls, takes = OPTIMIZER_CLASSES.get(optimizer, (str(optimizer), ()))
        momentum = "momentum" in takes
        for w in (self.fields["momentum"].widget, self.labels["momentum"]):
            w.setEnabled(momentum)
        tip = _tooltip(TRAINING["momentum"], LABELS["momentum"])
        if not momentum:
            tip = f"{cls} does not use momentum (SGD and RMSprop do)"
        self.fields["momentum"].widget.setToolTip(tip)
        self.labels["momentum"].setToolTip(tip)

        schedule = SCHEDULER_FIELDS.get(self._values["scheduler"], {})
        for name in ("step_size", "gamma"):
            shown = name in schedule
            self.advanced_form.setRowVisible(self.fields[name].container, shown)
            if shown:
                self.labels[name].setText(schedule[name])
                note = SCHEDULER_NOTES.get((self._values["scheduler"], name), "")
                tip = _tooltip(TRAINING[name], schedule[name])
                if note:
                    tip = tip.replace("<br/><span", f"<br/>{html.escape(note)}<br/><span", 1)
                self.fields[name].widget.setToolTip(tip)
                self.labels[name].setToolTip(tip)
        self._update_device_note()

    def _update_device_note(self) -> None:
        reason = self.gpu_reason
        colors = theme.colors()
        if reason is None:
            self.device_note.hide()
            return
        chosen = self._values.get("device") == "cuda"
        short = _short_reason(reason)
        if chosen:
            text = f"The GPU is chosen but unavailable ({short}): choose CPU."
        else:
            text = f"GPU unavailable: {short}."
        self.device_note.setText(text)
        self.device_note.setToolTip(reason)
        color = colors.error if chosen else colors.muted_text
        self.device_note.setStyleSheet(f"color: {color.name()};")
        self.device_note.show()

    # -- looks ------------------------------------------------------------------------------
    def _update_note(self) -> None:
        colors = theme.colors()
        if self.state in ("starting", "running", "paused"):
            text, color = NEXT_RUN_NOTE, colors.muted_text
        elif self.state == "idle" and not self.can_start:
            text, color = self.cannot_start_reason or "Training is not possible yet", colors.warning
        else:
            text, color = "", colors.muted_text
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {color.name()};")
        self.note.setVisible(bool(text))

    def _apply_button_icons(self) -> None:
        colors = theme.colors()
        white = QColor("#ffffff")
        self.train_button.setIcon(icon("play", white))
        self.pause_button.setIcon(icon("play" if self.state == "paused" else "pause"))
        self.stop_button.setIcon(icon("stop", colors.error))

    def _color_result(self) -> None:
        colors = theme.colors()
        color = colors.error if self._result_error else colors.text
        self.result_label.setStyleSheet(f"color: {color.name()};")

    def apply_colors(self, *_args) -> None:
        """Re-tint icons and texts in the current theme's colours."""
        colors = theme.colors()
        accent = colors.accent
        hover = accent.lighter(112) if colors.dark else accent.darker(110)
        disabled_bg = colors.node_border.name()
        disabled_fg = colors.muted_text.name()
        self.train_button.setStyleSheet(
            f"""
QPushButton#trainButton {{
    background: {accent.name()}; color: #ffffff; font-weight: 600;
    border: 1px solid {accent.darker(115).name()}; border-radius: 4px; padding: 4px 10px;
}}
QPushButton#trainButton:hover {{ background: {hover.name()}; }}
QPushButton#trainButton:pressed {{ background: {accent.darker(120).name()}; }}
QPushButton#trainButton:disabled {{
    background: {disabled_bg}; color: {disabled_fg}; border-color: {disabled_bg};
}}
"""
        )
        muted = colors.muted_text.name()
        self.status_label.setStyleSheet(f"color: {muted};")
        for section in self.sections:
            section.setStyleSheet(f"color: {muted}; padding-top: 4px;")
        for field in self.fields.values():
            field.error.setStyleSheet(f"color: {colors.error.name()};")
        self._apply_button_icons()
        self._color_result()
        self._update_note()
        self._update_device_note()
