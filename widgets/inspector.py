"""The inspector: the selected node's name and parameters, edited and validated as you type.

It reads the document and never changes it: a valid edit is a request,
``params_edited(node_id, {name: value})`` or ``name_edited(node_id, name)``, that the app turns
into an undoable command. Values are checked with the document's own rules (the kind's
:class:`~core.model.params.Schema`, and that no connected input port would disappear) before
they are sent; a refused value shows why under its field and is not sent.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.model import catalog
from core.model.catalog import shape_str
from core.model.document import Document, DocumentError, Node, name_problem
from core.model.inference import Inference
from core.model.params import Param, ParamError, short_repr
from widgets import icons, theme
from widgets.common import disconnect_all, section_label, sentence
from widgets.problems import severity_icon

EMPTY_TEXT = "Select a layer to edit its parameters"
NONE_TEXT = "None"
_INT32 = 2**31 - 1
_SPLIT = re.compile(r"[,\s]+")


# -- parsing and showing values ------------------------------------------------------------
class ParseError(ValueError):
    """Text that is not a value of the parameter's type (the message says what is expected)."""


def value_text(param: Param, value: Any) -> str:
    """A parameter value as its editor shows it: ``3``, ``3, 3``, ``1e-05``; "" for None."""
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_text(param: Param, text: str) -> Any:
    """The value a line edit's text means for ``param`` (unchecked); ParseError if none.

    Sizes, shapes and int lists accept ``3``, ``3, 3``, ``3 3``, ``(3, 3)`` or ``[3, 3]``;
    an empty field or "None" means None (valid only for an optional parameter).
    """
    t = text.strip()
    if param.type == "str":
        return None if (param.optional and t.lower() in ("", "none")) else text
    if t.lower() in ("", "none"):
        if param.optional:
            return None
        raise ParseError(f"a value is needed: expected {param.describe()}")
    bad = ParseError(f"{short_repr(t)} is not valid: expected {param.describe()}")
    if param.type == "int":
        return _int(t, bad)
    if param.type == "float":
        try:
            return float(t)
        except ValueError:
            raise bad from None
    if param.type in ("size", "shape", "ints"):
        bracketed = t[:1] in "([" and t[-1:] in ")]"
        inner = t[1:-1] if bracketed else t
        parts = [p for p in _SPLIT.split(inner.strip()) if p]
        values = tuple(_int(p, bad) for p in parts)
        several = bracketed or "," in inner or len(parts) != 1
        if param.type == "size" and not several:
            return values[0]
        return values
    raise bad


def _int(text: str, bad: Exception) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise bad from None
    if math.isfinite(value) and value == int(value):
        return int(value)
    raise bad


def _float_spin(param: Param) -> bool:
    """Whether a float parameter suits a spin box (a modest range, no tiny default)."""
    if param.optional or param.min is None or param.max is None:
        return False
    if param.max - param.min > 1e4:
        return False
    default = param.default or 0.0
    return default == 0 or abs(default) >= 1e-3


# -- one editor ----------------------------------------------------------------------------
class ParamEditor(QObject):
    """One parameter's input widget (fitting its type) and the error line under it.

    ``changed(value)`` carries the raw value the user entered (parsed, not yet checked);
    ``widget`` is the input, ``field`` the input with its error line.
    """

    changed = Signal(object)
    left_invalid = Signal()  # focus left the field while it showed an error

    def __init__(self, param: Param, parent: QWidget) -> None:
        super().__init__(parent)
        self.param = param
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        self.widget = self._make(param)
        self.widget.setObjectName(f"param_{param.name}")
        self.widget.setToolTip(_param_tooltip(param))
        self.widget.setAccessibleName(param.title)
        self.field = QWidget(parent)
        box = QVBoxLayout(self.field)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.widget)
        box.addWidget(self.error)

    def _make(self, p: Param) -> QWidget:
        if p.type == "bool":
            w = QCheckBox()
            w.toggled.connect(self._emit)
            self.kind = "check"
        elif p.type == "choice":
            w = QComboBox()
            for choice in p.choices:
                w.addItem(str(choice))
            w.currentIndexChanged.connect(lambda i: self.changed.emit(self.param.choices[i]))
            self.kind = "combo"
        elif p.type == "int" and not p.optional:
            w = QSpinBox()
            low = -_INT32 if p.min is None else int(math.ceil(p.min))
            if p.min is not None and p.min_exclusive and low == p.min:
                low += 1
            high = _INT32 if p.max is None else int(math.floor(p.max))
            w.setRange(max(low, -_INT32), min(high, _INT32))
            w.setAccelerated(True)
            w.valueChanged.connect(self._emit)
            self.kind = "spin"
        elif p.type == "float" and _float_spin(p):
            w = QDoubleSpinBox()
            span = p.max - p.min
            decimals = 3 if span <= 100 else 2
            w.setDecimals(decimals)
            step = 0.05 if span <= 1 else 0.1 if span <= 100 else 1.0
            w.setSingleStep(step)
            low = p.min + (10**-decimals if p.min_exclusive else 0.0)
            w.setRange(low, p.max)
            w.valueChanged.connect(self._emit)
            self.kind = "dspin"
        else:
            w = QLineEdit()
            if p.optional:
                w.setPlaceholderText(NONE_TEXT)
            elif p.type in ("size", "shape", "ints"):
                w.setPlaceholderText("e.g. 3" if p.type == "size" else "e.g. 1, 28, 28")
            w.textEdited.connect(self._text_edited)
            self.kind = "line"
        if isinstance(w, (QAbstractSpinBox, QComboBox)):
            # the wheel scrolls the inspector unless the field was clicked first
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        w.installEventFilter(self)
        w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return w

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Wheel and not watched.hasFocus():
            event.ignore()
            return True
        if kind == QEvent.Type.FocusOut and self.error_text:
            self.left_invalid.emit()  # leaving a refused value: show the document's again
        return False

    def _emit(self, value: Any) -> None:
        self.changed.emit(value)

    def _text_edited(self, text: str) -> None:
        try:
            value = parse_text(self.param, text)
        except ParseError as e:
            self.show_error(str(e))
            return
        self.changed.emit(value)

    # -- state ----------------------------------------------------------------------------
    def value(self) -> Any:
        """The value the editor shows (parsed); ParseError if its text means none."""
        w = self.widget
        if self.kind == "check":
            return w.isChecked()
        if self.kind == "combo":
            return self.param.choices[w.currentIndex()]
        if self.kind in ("spin", "dspin"):
            return w.value()
        return parse_text(self.param, w.text())

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting ``changed``; clears the error line."""
        w = self.widget
        blocked = w.blockSignals(True)
        try:
            if self.kind == "check":
                w.setChecked(bool(value))
            elif self.kind == "combo":
                index = next(
                    (i for i, c in enumerate(self.param.choices) if c == value), w.currentIndex()
                )
                w.setCurrentIndex(index)
            elif self.kind == "spin":
                w.setValue(int(value))
            elif self.kind == "dspin":
                decimals = _decimals_for(float(value))
                if decimals > w.decimals():
                    w.setDecimals(decimals)
                w.setValue(float(value))
            else:
                text = value_text(self.param, value)
                if w.text() != text:
                    cursor = w.cursorPosition()
                    w.setText(text)
                    w.setCursorPosition(min(cursor, len(text)))
        finally:
            w.blockSignals(blocked)
        self.show_error("")

    def show_error(self, message: str) -> None:
        """Show ``message`` under the field (empty: hide the error line)."""
        self.error.setText(sentence(message))
        self.error.setVisible(bool(message))
        self.widget.setProperty("invalid", bool(message))

    @property
    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def has_focus(self) -> bool:
        focus = QApplication.focusWidget()
        return focus is not None and (focus is self.widget or self.widget.isAncestorOf(focus))


def _decimals_for(value: float) -> int:
    for decimals in range(0, 7):
        if abs(round(value, decimals) - value) < 1e-12:
            return decimals
    return 6


def _param_tooltip(p: Param) -> str:
    e = html.escape
    default = "none" if p.default is None else value_text(p, p.default)
    return (
        f"<qt><b>{e(p.title)}</b> <code>{e(p.name)}</code>"
        + (f"<br/>{e(p.doc)}" if p.doc else "")
        + f"<br/><span style='color:gray'>Accepts {e(p.describe())}; default {e(default)}.</span>"
        "</qt>"
    )


# -- the panel -----------------------------------------------------------------------------
class InspectorWidget(QWidget):
    """The selected node's header, name, parameter editors, shapes, counts and problems."""

    params_edited = Signal(str, dict)
    name_edited = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.inference: Inference | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.advanced_open = False
        self._listeners: list[tuple[Any, Callable]] = []
        self._page: QWidget | None = None
        self._facts_shown: tuple | None = None  # what _update_facts last showed

        self.stack = QStackedWidget()
        self.empty_page = self._make_empty_page()
        self.stack.addWidget(self.empty_page)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack.addWidget(self.scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        theme.notifier.changed.connect(self.apply_colors)
        self.destroyed.connect(lambda *_, ls=self._listeners: disconnect_all(ls))
        self._show_empty()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 480)

    # -- public API -----------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        """Follow ``doc``'s events (None: show nothing)."""
        disconnect_all(self._listeners)
        self.document = doc
        if doc is not None:
            for event, fn in (
                (doc.node_changed, self._on_node_changed),
                (doc.node_removed, self._on_node_removed),
                (doc.reset, self._on_reset),
            ):
                event.connect(fn)
                self._listeners.append((event, fn))
        self.set_node(None)

    def set_node(self, node_id: str | None) -> None:
        """Show ``node_id`` (None, or a node not in the document: the empty state)."""
        doc = self.document
        if node_id is None or doc is None or node_id not in doc:
            self.node_id = None
            self._show_empty()
            return
        if node_id == self.node_id and self._page is not None:
            return
        self.node_id = node_id
        self._build(doc.node(node_id))

    def set_inference(self, inference: Inference | None) -> None:
        """Show ``inference``'s facts for the node (or the model's totals when none)."""
        self.inference = inference
        if self.node_id is None:
            self._show_empty()
        else:
            self._update_facts()

    # -- read-only helpers (tests, app) ---------------------------------------------------
    def editor(self, name: str) -> QWidget:
        """The input widget of parameter ``name`` of the shown node."""
        return self.editors[name].widget

    def error_text(self, name: str) -> str:
        """The error shown under parameter ``name`` ("" when none)."""
        return self.editors[name].error_text

    # -- document events ------------------------------------------------------------------
    def _on_node_changed(self, node: Node, old: Node) -> None:
        if node.id != self.node_id or self._page is None:
            return
        for name, editor in self.editors.items():
            value = node.params.get(name)
            if editor.has_focus():
                try:
                    same = editor.param.check(editor.value()) == value
                except (ParseError, ParamError):
                    same = True  # mid-typing an invalid value: leave it be
                if same:
                    continue
            editor.set_value(value)
        if node.name != old.name:
            self.title.setText(node.name)
            if not self.name_edit.hasFocus():
                self.name_edit.setText(node.name)
                self._show_name_error("")
        self._update_facts()

    def _on_node_removed(self, node: Node) -> None:
        if node.id == self.node_id:
            self.set_node(None)

    def _on_reset(self) -> None:
        node_id, self.node_id = self.node_id, None
        self._clear_page()
        self.set_node(node_id)

    # -- edits ----------------------------------------------------------------------------
    def _param_changed(self, node_id: str, name: str, value: Any) -> None:
        doc, editor = self.document, self.editors.get(name)
        if doc is None or editor is None or node_id not in doc or node_id != self.node_id:
            return
        node = doc.node(node_id)
        entry = catalog.get(node.kind)
        try:
            checked = entry.params.check({name: value}, partial=True)[name]
        except ParamError as e:
            editor.show_error(e.detail)
            return
        problem = _ports_problem(doc, node, {name: checked})
        if problem:
            editor.show_error(problem)
            return
        editor.show_error("")
        if checked != node.params.get(name):
            self.params_edited.emit(node_id, {name: checked})

    def _revert(self, node_id: str, name: str) -> None:
        """Show the document's value again in ``name``'s editor (after a refused edit)."""
        doc, editor = self.document, self.editors.get(name)
        if doc is not None and editor is not None and node_id == self.node_id and node_id in doc:
            editor.set_value(doc.node(node_id).params.get(name))

    def _name_typed(self, text: str) -> None:
        self._show_name_error(name_problem(text) or "")

    def _commit_name(self, node_id: str) -> None:
        doc = self.document
        if doc is None or node_id != self.node_id or node_id not in doc:
            return
        text = self.name_edit.text()
        problem = name_problem(text)
        self._show_name_error(problem or "")
        if problem is None and text != doc.node(node_id).name:
            self.name_edited.emit(node_id, text)

    def _show_name_error(self, message: str) -> None:
        self.name_error.setText(sentence(message))
        self.name_error.setVisible(bool(message))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            watched is getattr(self, "name_edit", None)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
            and self.document is not None
            and self.node_id in self.document
        ):
            self.name_edit.setText(self.document.node(self.node_id).name)  # give up the edit
            self._show_name_error("")
            return True
        return super().eventFilter(watched, event)

    # -- building -------------------------------------------------------------------------
    def _make_empty_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(16, 28, 16, 16)
        box.setSpacing(14)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("emptyText")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.empty_label.setWordWrap(True)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        self.totals.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        box.addWidget(self.empty_label)
        box.addWidget(self.totals)
        box.addStretch(1)
        return page

    def _show_empty(self) -> None:
        self._clear_page()
        self.stack.setCurrentWidget(self.empty_page)
        colors = theme.colors()
        self.empty_label.setStyleSheet(f"color: {colors.muted_text.name()};")
        inf = self.inference
        if inf is None or not inf.nodes:
            self.totals.setVisible(False)
            return
        rows = [
            ("Layers", f"{len(inf.nodes):,}"),
            ("Parameters", f"{inf.total_params:,}"),
            ("MACs per sample", f"{inf.total_macs:,}"),
        ]
        muted = colors.muted_text.name()
        cells = "".join(
            f"<tr><td align='right' style='color:{muted}; padding-right:10px'>{k}</td>"
            f"<td align='left'><b>{v}</b></td></tr>"
            for k, v in rows
        )
        self.totals.setText(f"<table cellspacing='2'>{cells}</table>")
        self.totals.setVisible(True)

    def _clear_page(self) -> None:
        self.editors = {}
        self._facts_shown = None  # a new page shows no facts yet
        if self._page is not None:
            self.scroll.takeWidget()
            self._page.deleteLater()
            self._page = None

    def _build(self, node: Node) -> None:
        self._clear_page()
        entry = catalog.get(node.kind)
        colors = theme.colors()
        page = QWidget()
        page.setObjectName("inspectorPage")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)

        # header: icon, display name, node name, doc
        head = QHBoxLayout()
        head.setSpacing(10)
        icon = QLabel()
        icon.setPixmap(icons.kind_icon(node.kind).pixmap(QSize(32, 32)))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        head.addWidget(icon)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(node.name)
        self.title.setObjectName("title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        subtitle = QLabel(
            f"{html.escape(entry.display_name)} \u00b7 {html.escape(entry.category)}"
            f" \u00b7 <code>{html.escape(node.id)}</code>"
        )
        subtitle.setObjectName("subtitle")
        subtitle.setTextFormat(Qt.TextFormat.RichText)
        subtitle.setStyleSheet(f"color: {colors.muted_text.name()};")
        titles.addWidget(self.title)
        titles.addWidget(subtitle)
        head.addLayout(titles, 1)
        outer.addLayout(head)
        doc = QLabel(entry.doc)
        doc.setObjectName("doc")
        doc.setTextFormat(Qt.TextFormat.PlainText)
        doc.setWordWrap(True)
        doc.setStyleSheet(f"color: {colors.muted_text.name()};")
        outer.addWidget(doc)

        # name
        general = self._form()
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setObjectName("name")
        self.name_edit.setToolTip("The layer's name on the canvas (Enter to apply)")
        self.name_error = QLabel()
        self.name_error.setObjectName("fieldError")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        name_field = QWidget()
        box = QVBoxLayout(name_field)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.name_edit)
        box.addWidget(self.name_error)
        general.addRow(self._label("Name"), name_field)
        self.name_edit.textEdited.connect(self._name_typed)
        self.name_edit.installEventFilter(self)
        self.name_edit.editingFinished.connect(lambda nid=node.id: self._commit_name(nid))
        outer.addWidget(self._section("Layer"))
        outer.addLayout(general)

        # parameters
        basic = [p for p in entry.params if not p.advanced]
        advanced = [p for p in entry.params if p.advanced]
        label_width = self._label_width(["Name", *(p.title for p in entry.params)])
        self.name_label_width = label_width
        if basic:
            outer.addWidget(self._section("Parameters"))
            outer.addLayout(self._param_form(node, basic, label_width, page))
        elif not advanced:
            none = QLabel("This layer has no parameters.")
            none.setStyleSheet(f"color: {colors.muted_text.name()};")
            outer.addWidget(self._section("Parameters"))
            outer.addWidget(none)
        self.advanced_button = None
        if advanced:
            button = QToolButton()
            button.setObjectName("advancedToggle")
            button.setText(f"Advanced ({len(advanced)})")
            button.setAutoRaise(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip("Show or hide the less common parameters")
            body = QWidget()
            body.setObjectName("advancedSection")
            body.setLayout(self._param_form(node, advanced, label_width, page))
            body.layout().setContentsMargins(0, 0, 0, 0)

            def show_advanced(on: bool, button=button, body=body) -> None:
                self.advanced_open = on
                body.setVisible(on)
                button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

            show_advanced(self.advanced_open)
            button.clicked.connect(lambda: show_advanced(not self.advanced_open))
            outer.addWidget(button)
            outer.addWidget(body)
            self.advanced_button = button
            self.advanced_body = body
        for l_ in general.findChildren(QLabel):
            l_.setMinimumWidth(label_width)

        # facts from the inference
        outer.addWidget(self._section("Shapes and counts"))
        self.facts = QLabel()
        self.facts.setObjectName("facts")
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)
        outer.addWidget(self.facts)
        self.problems_header = self._section("Problems")
        outer.addWidget(self.problems_header)
        self.problems_box = QVBoxLayout()
        self.problems_box.setSpacing(6)
        outer.addLayout(self.problems_box)
        outer.addStretch(1)

        self._page = page
        self.scroll.setWidget(page)
        self.stack.setCurrentWidget(self.scroll)
        self._style_errors(page)
        self._update_facts()

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        return form

    def _label(self, text: str, tooltip: str = "") -> QLabel:
        label = QLabel(text)
        label.setToolTip(tooltip)
        return label

    def _label_width(self, texts: list[str]) -> int:
        metrics = self.fontMetrics()
        return min(150, max(metrics.horizontalAdvance(t) for t in texts) + 4)

    def _param_form(
        self, node: Node, params: list[Param], label_width: int, parent: QWidget
    ) -> QFormLayout:
        form = self._form()
        for p in params:
            editor = ParamEditor(p, parent)
            editor.set_value(node.params.get(p.name, p.default))
            editor.changed.connect(
                lambda value, nid=node.id, name=p.name: self._param_changed(nid, name, value)
            )
            editor.left_invalid.connect(lambda nid=node.id, name=p.name: self._revert(nid, name))
            label = self._label(p.title, _param_tooltip(p))
            label.setMinimumWidth(label_width)
            label.setBuddy(editor.widget)
            form.addRow(label, editor.field)
            self.editors[p.name] = editor
        return form

    def _section(self, text: str) -> QWidget:
        label = section_label(text, self.font())
        label.setStyleSheet(f"color: {theme.colors().muted_text.name()}; padding-top: 6px;")
        return label

    def _style_errors(self, page: QWidget) -> None:
        error = theme.colors().error.name()
        for label in page.findChildren(QLabel, "fieldError"):
            label.setStyleSheet(f"color: {error};")

    def _update_facts(self) -> None:
        if self._page is None or self.node_id is None:
            return
        inf = self.inference
        info = None if inf is None else inf.nodes.get(self.node_id)
        node = self.document.nodes.get(self.node_id) if self.document is not None else None
        shown = (
            self.node_id,
            info,
            None if inf is None else inf.for_node(self.node_id),
            None if node is None else (node.kind, node.params),
        )
        if shown == self._facts_shown:
            return  # the node's facts and problems are what the page shows already
        self._facts_shown = shown
        colors = theme.colors()
        muted = colors.muted_text.name()
        if info is None:
            self.facts.setText(f"<span style='color:{muted}'>Not inferred yet.</span>")
        else:
            ports = ()
            if self.document is not None and self.node_id in self.document:
                node = self.document.node(self.node_id)
                ports = catalog.get(node.kind).input_ports(node.params)
            rows = []
            shapes = list(info.in_shapes)
            if len(shapes) == 1:
                rows.append(("Input", _shape(shapes[0])))
            elif shapes:
                for port, s in zip(ports or [f"in{i + 1}" for i in range(len(shapes))], shapes):
                    rows.append((f"Input {html.escape(port)}", _shape(s)))
            out = _shape(info.shape)
            if info.dtype:
                out += f" <span style='color:{muted}'>{html.escape(info.dtype)}</span>"
            rows.append(("Output", out))
            known = info.shape is not None
            rows.append(("Parameters", f"{info.params:,}" if known else "?"))
            rows.append(("MACs", f"{info.macs:,}" if known else "?"))
            width = getattr(self, "name_label_width", 80)
            cells = "".join(
                f"<tr><td width='{width + 8}' style='color:{muted}'>{k}</td><td>{v}</td></tr>"
                for k, v in rows
            )
            self.facts.setText(f"<table cellspacing='0' cellpadding='1'>{cells}</table>")
        # diagnostics
        while self.problems_box.count():
            item = self.problems_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        diagnostics = [] if inf is None else inf.for_node(self.node_id)
        self.problems_header.setVisible(bool(diagnostics))
        for d in diagnostics:
            row = _diagnostic_row(d)
            self.problems_box.addWidget(row)
            row.show()  # at once, not on the next event loop turn
        self._page.layout().activate()  # sizes follow the new texts now (e.g. for a grab)

    def apply_colors(self) -> None:
        """Rebuild with the current theme's colours and icons."""
        node_id, self.node_id = self.node_id, None
        self._clear_page()
        self.set_node(node_id)


def _shape(shape) -> str:
    return "?" if shape is None else html.escape(shape_str(shape))


def _diagnostic_row(d) -> QWidget:
    colors = theme.colors()
    row = QWidget()
    row.setObjectName(f"diagnostic_{d.severity}")
    box = QHBoxLayout(row)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(8)
    icon = QLabel()
    icon.setPixmap(severity_icon(d.severity).pixmap(QSize(16, 16)))
    icon.setAlignment(Qt.AlignmentFlag.AlignTop)
    box.addWidget(icon)
    text = html.escape(sentence(d.message))
    if d.hint:
        text += (
            f"<br/><span style='color:{colors.muted_text.name()}'>"
            f"{html.escape(sentence(d.hint))}</span>"
        )
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.addWidget(label, 1)
    return row


def _ports_problem(doc: Document, node: Node, values: dict) -> str | None:
    """Why new parameter values would drop a connected input port, or None."""
    entry = catalog.get(node.kind)
    ports = entry.input_ports({**node.params, **values})
    for e in doc.edges_of(node.id):
        if e.dst == node.id and e.dst_port not in ports:
            try:
                src = doc.node(e.src).name
            except DocumentError:
                src = e.src
            return f"that removes input {e.dst_port!r}, which {src!r} feeds; disconnect it first"
    return None
