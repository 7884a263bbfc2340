"""Shared helpers of the window tests: example paths and small edits."""

import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SPIRALS = EXAMPLES / "mlp_spirals.ember.json"


def edit(window) -> str:
    """Make one undoable change; the new node's id."""
    return edit_controller(window.controller)


def edit_controller(controller) -> str:
    node = controller.add_node("Sigmoid", (400.0, 300.0))  # a kind spirals lacks
    assert node is not None
    return node


def broken_project(tmp_path) -> Path:
    data = json.loads(SPIRALS.read_text(encoding="utf-8"))
    data["nodes"][1]["params"]["out_features"] = -3
    data["edges"][0]["dst"] = "nowhere"
    path = tmp_path / "broken.ember.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
