"""The words on a node card: key parameters, counts and shapes."""

from core.model.inference import Diagnostic
from widgets.canvas import text


def test_key_params_are_short_and_skip_none_and_unit_strides():
    conv = {"out_channels": 32, "kernel_size": (3, 3), "stride": 1}
    assert text.key_params_text("Conv2d", conv) == "out=32 \u00b7 k=3"
    conv = {"out_channels": 8, "kernel_size": (3, 5), "stride": 2}
    assert text.key_params_text("Conv2d", conv) == "out=8 \u00b7 k=3\u00d75 \u00b7 s=2"
    assert text.key_params_text("MaxPool2d", {"kernel_size": 2, "stride": None}) == "k=2"
    assert text.key_params_text("Input", {"shape": (1, 28, 28)}) == "shape=(1, 28, 28)"
    assert text.key_params_text("Dropout", {"p": 0.25}) == "p=0.25"
    assert text.key_params_text("ReLU", {}) == ""


def test_bool_key_params_show_by_name_when_true():
    on = {"num_heads": 4, "causal": True}
    assert text.key_params_text("MultiheadAttention", on) == "heads=4 \u00b7 causal"
    off = {"num_heads": 4, "causal": False}
    assert text.key_params_text("MultiheadAttention", off) == "heads=4"


def test_counts_and_shapes():
    assert [text.count_text(n) for n in (0, 950, 12_800, 1_234_567, 150_000, 3_400_000_000)] == [
        "0",
        "950",
        "12.8k",
        "1.2M",
        "150k",
        "3.4G",
    ]
    assert text.params_text(12_800) == "12.8k params"
    assert text.params_text(12_800, short=True) == "12.8k"
    assert text.params_text(0) == ""
    assert text.shape_text((32, 14, 14)) == "\u2192 (32, 14, 14)"
    assert text.shape_text((10,)) == "\u2192 (10,)"
    assert text.shape_text(None) == ""


def test_diagnostics_tooltip_escapes_and_gives_the_hint():
    d = Diagnostic("n", "error", "'a<b>' needs 2 inputs", "wire an output into it", "missing_input")
    html = text.diagnostics_html([d])
    assert "&#x27;a&lt;b&gt;&#x27;" in html or "'a&lt;b&gt;'" in html
    assert "<b>Error:</b>" in html and "Wire an output into it." in html
