"""An unexpected exception in the GUI is reported in a dialog once, and printed."""

from PySide6.QtWidgets import QMessageBox

import app.__main__ as entry


def test_an_internal_error_shows_one_dialog_and_prints_the_traceback(window, monkeypatch, capsys):
    shown = []
    hook = entry._report_internal_error(window)

    def critical(parent, title, text):
        shown.append((parent, title, text))
        hook(RuntimeError, RuntimeError("nested"), None)  # a second error while showing

    monkeypatch.setattr(QMessageBox, "critical", critical)
    try:
        raise ValueError("boom in a slot")
    except ValueError as e:
        hook(type(e), e, e.__traceback__)
    assert len(shown) == 1
    parent, title, text = shown[0]
    assert parent is window and title == "Internal Error"
    assert "ValueError: boom in a slot" in text and "recovery file" in text
    err = capsys.readouterr().err
    assert "boom in a slot" in err and "Traceback" in err and "nested" in err


def test_ctrl_c_is_not_reported_as_an_error(window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: (_ for _ in ()).throw(AssertionError))
    entry._report_internal_error(window)(KeyboardInterrupt, KeyboardInterrupt(), None)
