"""The dataset panel shows the document's dataset section, sends each change as a complete new
section (never editing the document), loads the data off the GUI thread and previews it."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.datasets import BUILTIN
from core.model import Document
from core.model.data import Data, DataInfo
from widgets import dataset_panel, theme
from widgets.dataset_panel import DESCRIPTIONS, GROUPS, SOURCES, DatasetPanel

MOONS = {"source": "builtin", "name": "moons", "options": {"n_samples": 200, "noise": 0.1}}
WAIT = 15_000  # ms: the first digits load imports scikit-learn


@pytest.fixture
def panel(qtbot):
    widget = DatasetPanel()
    qtbot.addWidget(widget)
    widget.resize(360, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def document(dataset: dict) -> Document:
    doc = Document()
    doc.set_dataset(dataset)
    return doc


def show(qtbot, panel: DatasetPanel, doc: Document, signal: str = "data_loaded"):
    """Show ``doc`` in the panel and wait for its data (or its error)."""
    with qtbot.waitSignal(getattr(panel, signal), timeout=WAIT) as blocker:
        panel.set_document(doc)
    return blocker.args[0]


def act_as_app(panel: DatasetPanel, doc: Document) -> list[dict]:
    """Apply each edit the panel sends to ``doc``, as the app's undo command would; the
    list of edits sent."""
    sent: list[dict] = []
    panel.dataset_edited.connect(sent.append)
    panel.dataset_edited.connect(doc.set_dataset)
    return sent


def write_csv(path, rows: list[str]):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_every_builtin_set_is_listed_once_with_a_description(panel):
    listed = [name for _, names in GROUPS for name in names]
    assert sorted(listed) == sorted(BUILTIN) and len(set(listed)) == len(listed)
    assert set(DESCRIPTIONS) == set(BUILTIN)
    assert set(panel.builtin_items) == set(BUILTIN)
    assert [panel.source_combo.itemData(i) for i in range(panel.source_combo.count())] == [
        s for s, _ in SOURCES
    ]


def test_set_document_shows_the_section_and_loads_its_data(qtbot, panel):
    doc = document({**MOONS, "validation_split": 0.25, "split_seed": 3, "standardize": True})
    data = show(qtbot, panel, doc)
    assert panel.source_combo.currentData() == "builtin"
    assert panel.builtin_list.currentItem() is panel.builtin_items["moons"]
    assert panel.builtin_items["moons"].isSelected()
    assert panel.samples_spin.value() == 200 and panel.noise_spin.value() == pytest.approx(0.1)
    assert panel.options_row.isVisible()
    assert panel.split_spin.value() == pytest.approx(0.25) and panel.seed_spin.value() == 3
    assert panel.standardize_check.isChecked()
    assert isinstance(data, Data) and panel.data is data
    assert isinstance(panel.info, DataInfo) and panel.info.train_samples == 150
    assert panel.status.text() == data.description and panel.error is None
    assert panel.counts.text().startswith("2 classes: upper ")


def test_choosing_a_builtin_set_sends_the_complete_new_section(qtbot, panel):
    doc = document(MOONS)
    show(qtbot, panel, doc)
    sent: list[dict] = []
    panel.dataset_edited.connect(sent.append)
    before = doc.to_dict()
    panel.builtin_list.setCurrentItem(panel.builtin_items["circles"])
    assert sent == [{**doc.dataset, "name": "circles", "options": {}}]
    assert doc.to_dict() == before  # the panel never edits the document itself


def test_a_refresh_from_the_document_sends_nothing(qtbot, panel):
    doc = document(MOONS)
    show(qtbot, panel, doc)
    sent: list[dict] = []
    panel.dataset_edited.connect(sent.append)
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT) as blocker:
        doc.set_dataset(
            {**MOONS, "name": "sine", "options": {"n_samples": 50, "noise": 0.2}, "split_seed": 7}
        )
    assert blocker.args[0].name == "sine"
    assert panel.builtin_list.currentItem() is panel.builtin_items["sine"]
    assert panel.samples_spin.value() == 50 and panel.seed_spin.value() == 7
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT):
        doc.clear()  # reset: the default section (spirals)
    assert panel.builtin_list.currentItem() is panel.builtin_items["spirals"]
    assert sent == []


def test_each_control_sends_its_change(qtbot, panel):
    doc = document(MOONS)
    show(qtbot, panel, doc)
    sent = act_as_app(panel, doc)
    panel.samples_spin.setValue(300)
    panel.noise_spin.setValue(0.25)
    panel.split_spin.setValue(0.3)
    panel.seed_spin.setValue(5)
    panel.standardize_check.setChecked(True)
    assert [s["options"] for s in sent[:2]] == [
        {"n_samples": 300, "noise": 0.1},
        {"n_samples": 300, "noise": 0.25},
    ]
    assert doc.dataset == {
        **document(MOONS).dataset,
        "options": {"n_samples": 300, "noise": 0.25},
        "validation_split": 0.3,
        "split_seed": 5,
        "standardize": True,
    }
    assert len(sent) == 5  # one edit each, none echoed back by the refreshes
    qtbot.waitUntil(lambda: panel.data is not None and panel.info.val_samples == 90, timeout=WAIT)


def test_a_set_without_synthetic_options_hides_them(qtbot, panel):
    show(qtbot, panel, document({"source": "builtin", "name": "iris"}))
    assert not panel.options_row.isVisible()
    assert panel.preview.currentWidget() is panel.table
    model = panel.table_model
    assert model.headerData(0, Qt.Orientation.Horizontal) == "class"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "sepal length (cm)"
    assert model.rowCount() == 120 and model.columnCount() == 5
    assert model.index(0, 0).data() in ("setosa", "versicolor", "virginica")
    assert panel.counts.text().startswith("3 classes: setosa ")


def test_a_2d_set_shows_a_scatter_of_every_sample(qtbot, panel):
    show(qtbot, panel, document(MOONS))
    assert panel.preview.currentWidget() is panel.plot
    assert panel.scatter_points() == 200  # 160 training + 40 validation
    names = [label.text for _, label in panel.legend.items]
    assert names[:2] == ["upper", "lower"] and names[-1] == "validation"


def test_1d_regression_shows_x_against_y(qtbot, panel):
    show(qtbot, panel, document({"name": "sine", "options": {"n_samples": 60}}))
    assert panel.preview.currentWidget() is panel.plot
    assert panel.scatter_points() == 60
    assert panel.counts.text().startswith("Targets: mean ")


def test_digits_show_an_image_grid_with_labels(qtbot, panel):
    data = show(qtbot, panel, document({"name": "digits"}))
    assert panel.preview.currentWidget() is panel.image_grid
    assert panel.image_grid.count() == 32
    _, y = data.train.numpy()
    assert panel.image_grid.labels == [str(int(t)) for t in y[:32]]
    assert panel.image_grid.images[0].width() == 8
    panel.grab()  # paints without error
    cols, side = panel.image_grid.layout_cells(344, 300)
    assert cols * side <= 344 and side > 8


def test_a_csv_file_fills_the_target_column_and_previews_a_table(qtbot, panel, tmp_path):
    path = write_csv(
        tmp_path / "plants.csv",
        ["height,width,colour,kind"]
        + [f"{i},{i % 7},{'red' if i % 2 else 'blue'},k{i % 3}" for i in range(30)],
    )
    doc = document({"source": "csv", "path": str(path)})
    data = show(qtbot, panel, doc)
    combo = panel.target_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "height",
        "width",
        "colour",
        "kind",
    ]
    assert combo.currentText() == "kind" and combo.isVisible()  # "" means the last column
    assert panel.path_edit.text() == str(path)
    assert data.task == "classification" and data.classes == ["k0", "k1", "k2"]
    assert panel.preview.currentWidget() is panel.table
    assert panel.table_model.headers[0] == "kind" and panel.table_model.rowCount() == 24

    sent = act_as_app(panel, doc)
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT) as blocker:
        combo.setCurrentIndex(0)
        combo.activated.emit(0)
    assert sent[-1]["target"] == "height" and doc.dataset["target"] == "height"
    assert blocker.args[0].task == "regression"  # 30 distinct numbers
    assert panel.table_model.headers[0] == "height"


def test_a_relative_path_starts_at_the_root(qtbot, panel, tmp_path):
    write_csv(tmp_path / "t.csv", ["a,b,y", "1,2,0", "3,4,1", "5,6,0", "7,8,1", "9,1,0"])
    panel.set_root(tmp_path)
    data = show(qtbot, panel, document({"source": "csv", "path": "t.csv"}))
    assert data.name == "t" and data.input_shape == (2,)
    assert [panel.target_combo.itemText(i) for i in range(3)] == ["a", "b", "y"]


def test_a_broken_csv_shows_its_error_inline_and_gives_no_data(qtbot, panel, tmp_path):
    path = write_csv(tmp_path / "broken.csv", ["a,b,label", "1,2,x", "3,4"])
    loaded: list = []
    panel.data_loaded.connect(loaded.append)
    error = show(qtbot, panel, document({"source": "csv", "path": str(path)}), "load_failed")
    assert "broken.csv" in error and "line 3" in error and "expected 3 fields" in error
    assert panel.error == error and panel.data is None and panel.info is None
    assert panel.status.text() == f"Cannot load the data: {error}"
    assert theme.colors().error.name() in panel.status.styleSheet()
    assert loaded == []
    write_csv(path, ["a,b,label", "1,2,x", "3,4,y", "5,6,x"])  # fixed on disk
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT):
        panel.reload()
    assert panel.error is None and panel.status.text() == panel.data.description


def test_a_missing_file_and_an_empty_path(qtbot, panel, tmp_path):
    error = show(
        qtbot, panel, document({"source": "npz", "path": str(tmp_path / "no.npz")}), "load_failed"
    )
    assert "nothing is there" in error
    doc = document({"source": "mnist"})
    panel.set_document(doc)  # no path yet: a prompt, no load
    assert not panel.loading and panel.error is None
    assert "folder of MNIST IDX files" in panel.status.text()
    assert panel.path_label.text() == "Folder" and not panel.target_combo.isVisible()


def test_switching_the_source_and_browsing(qtbot, panel, tmp_path, monkeypatch):
    doc = document(MOONS)
    show(qtbot, panel, doc)
    sent = act_as_app(panel, doc)
    panel.source_combo.setCurrentIndex(panel.source_combo.findData("csv"))
    assert sent[-1] == {**document(MOONS).dataset, "source": "csv", "options": {}}
    assert panel.source_stack.currentIndex() == 1 and panel.path_edit.text() == ""
    panel.path_edit.setText("elsewhere.csv")  # typed: sent when editing finishes
    panel.path_edit.editingFinished.emit()
    assert sent[-1]["path"] == "elsewhere.csv" and sent[-1]["target"] == ""

    path = write_csv(tmp_path / "d.csv", ["x1,x2,c", "0,1,a", "1,0,b", "1,1,a", "0,0,b"])
    asked: list[str] = []
    monkeypatch.setattr(panel, "ask_file", lambda kind: asked.append(kind) or str(path))
    panel.set_root(tmp_path)
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT):
        panel.browse_button.click()
    assert asked == ["csv"] and doc.dataset["path"] == "d.csv"  # relative to the root
    assert panel.target_combo.currentText() == "c"

    panel.source_combo.setCurrentIndex(panel.source_combo.findData("builtin"))
    assert doc.dataset["source"] == "builtin" and doc.dataset["path"] == ""


def test_a_text_document_is_shown_read_only(qtbot, panel):
    doc = document(
        {"source": "text", "name": "python_docs", "options": {"max_chars": 4000}, "block": 32}
    )
    data = show(qtbot, panel, doc)
    assert panel.source_combo.currentData() == "text"
    assert (
        "python_docs" in panel.text_summary.text() and "32 characters" in panel.text_summary.text()
    )
    assert not panel.split_spin.isEnabled() and not panel.standardize_check.isEnabled()
    assert panel.preview.currentWidget() is panel.text_view
    first = data.train.decode(data.train.numpy()[0][0]).replace("\n", "↵")
    assert panel.text_view.toPlainText().startswith(first.replace("\t", "→"))
    doc.set_dataset(MOONS)
    assert panel.source_combo.findData("text") == -1  # offered only while a document uses it


def test_stale_load_results_are_dropped(qtbot, panel, monkeypatch):
    entered, gate = threading.Event(), threading.Event()
    real = dataset_panel.load_data

    def slow_moons(section, root=None):
        if section["name"] == "moons":
            entered.set()
            gate.wait(10)
        return real(section, root=root)

    monkeypatch.setattr(dataset_panel, "load_data", slow_moons)
    arrived: list[int] = []
    panel._relay.loaded.connect(lambda request, *_: arrived.append(request))
    loaded: list[Data] = []
    panel.data_loaded.connect(loaded.append)
    doc = document(MOONS)
    panel.set_document(doc)
    assert entered.wait(10)  # the moons load is running
    assert panel.loading and panel.status.text() == "Loading…"
    doc.set_dataset({**MOONS, "name": "circles"})
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT):
        gate.set()
    assert len(arrived) == 2  # the moons result came back first, and was dropped
    assert [d.name for d in loaded] == ["circles"] and panel.data.name == "circles"


def test_the_panel_follows_the_theme(qtbot, panel):
    show(qtbot, panel, document(MOONS))
    app = QApplication.instance()
    try:
        theme.apply_theme(app, "dark")
        dark = theme.colors()
        assert panel.plot.backgroundBrush().color() == dark.canvas_bg
        assert panel.scatter_points() == 200
        first = panel._scatter[0].opts["pen"].color()
        assert first == dataset_panel.class_color(0)
    finally:
        theme.apply_theme(app, "light")
    assert panel._scatter[0].opts["pen"].color() == dataset_panel.class_color(0)


def test_no_document_disables_the_panel(qtbot, panel):
    show(qtbot, panel, document(MOONS))
    panel.set_document(None)
    assert not panel.isEnabled() and panel.data is None
