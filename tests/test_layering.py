"""Imports point down only: core is headless, widgets never reach up into app."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUI_MODULES = {"PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph"}


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every absolute import in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


def offenders(package: str, forbidden: set[str]) -> dict[str, list[str]]:
    """Files of a package that import any forbidden top-level module."""
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    found = {}
    for path in files:
        bad = sorted(imported_roots(path) & forbidden)
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_core_imports_no_gui_and_nothing_above_it():
    assert offenders("core", GUI_MODULES | {"app", "widgets"}) == {}


def test_widgets_never_import_app():
    assert offenders("widgets", {"app"}) == {}


BLOCK_GUI_THEN_IMPORT_CORE = f"""
import sys
from importlib.abc import MetaPathFinder

BLOCKED = {sorted(GUI_MODULES)!r}

class BlockGui(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: core must import without Qt")
        return None

sys.meta_path.insert(0, BlockGui())
import core
import core.nn.functional
leaked = sorted(m for m in sys.modules if m.partition(".")[0] in {{"app", "widgets"}})
assert not leaked, f"core imported {{leaked}}"
"""


@pytest.mark.skipif(
    not (ROOT / "core" / "__init__.py").is_file(), reason="core/__init__.py does not exist yet"
)
def test_core_imports_with_qt_unavailable():
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_GUI_THEN_IMPORT_CORE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
