"""``python -m app --screenshot OUT.png [PROJECT]`` renders the window to a PNG."""

import pytest
from PySide6.QtGui import QImage

import app.__main__ as entry

from .helpers import SPIRALS


def test_screenshot_of_an_example_has_the_window_size(qapp, tmp_path, capsys):
    out = tmp_path / "app.png"
    assert entry.main(["--screenshot", str(out), str(SPIRALS), "--size", "1200x760"]) == 0
    image = QImage(str(out))
    assert not image.isNull()
    assert (image.width(), image.height()) == (
        round(1200 * qapp.devicePixelRatio()),
        round(760 * qapp.devicePixelRatio()),
    )
    assert str(out) in capsys.readouterr().out
    # not one flat colour: the canvas and the docks are drawn
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, 760, 41)}
    assert len(colours) > 10


def test_screenshot_of_the_welcome_page(qapp, tmp_path):
    out = tmp_path / "welcome.png"
    assert entry.main(["--screenshot", str(out)]) == 0
    assert QImage(str(out)).width() == round(1440 * qapp.devicePixelRatio())


def test_screenshot_leaves_recent_files_alone(qapp, tmp_path):
    from app.app_settings import AppSettings

    assert entry.main(["--screenshot", str(tmp_path / "a.png"), str(SPIRALS)]) == 0
    assert AppSettings().recent_files() == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["{tmp}/missing.ember.json"], "cannot open"),
        (["{tmp}/broken.ember.json"], "broken.ember.json"),
    ],
)
def test_a_bad_project_fails_with_a_message(qapp, tmp_path, capsys, args, says):
    (tmp_path / "broken.ember.json").write_text('{"format": 1}', encoding="utf-8")
    out = tmp_path / "x.png"
    argv = ["--screenshot", str(out), *(a.format(tmp=tmp_path) for a in args)]
    assert entry.main(argv) == 1
    err = capsys.readouterr().err
    assert says in err and "error" in err
    assert not out.exists()


def test_an_unwritable_output_fails_with_a_message(qapp, tmp_path, capsys):
    out = tmp_path / "no-such-folder" / "x.png"
    assert entry.main(["--screenshot", str(out), str(SPIRALS)]) == 1
    assert "no-such-folder" in capsys.readouterr().err


def test_a_bad_size_is_a_usage_error(qapp, tmp_path, capsys):
    assert entry.main(["--screenshot", str(tmp_path / "x.png"), "--size", "big"]) == 1
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_select_shows_a_node_in_the_inspector(qapp, tmp_path, capsys, monkeypatch):
    from app.main_window import MainWindow

    shown = []
    real_grab = MainWindow.grab
    monkeypatch.setattr(
        MainWindow, "grab", lambda self: shown.append(self.inspector.node_id) or real_grab(self)
    )
    out = tmp_path / "hidden2.png"
    assert entry.main(["--screenshot", str(out), str(SPIRALS), "--select", "hidden2"]) == 0
    assert shown == ["hidden2"]
    assert entry.main(["--screenshot", str(out), str(SPIRALS), "--select", "nope"]) == 1
    assert "no node 'nope'" in capsys.readouterr().err
