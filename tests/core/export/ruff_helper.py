"""Run ruff on generated files with the project's rules (read from pyproject.toml) and no
other configuration (``--isolated``: what a user gets with these rules in their folder)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def ruff_command() -> list[str] | None:
    exe = shutil.which("ruff")
    if exe:
        return [exe]
    probe = subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True)
    return [sys.executable, "-m", "ruff"] if probe.returncode == 0 else None


def ruff_options() -> tuple[list[str], list[str], list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    lint = config.get("lint", {})
    options = ["--isolated", f"--line-length={config.get('line-length', 88)}"]
    if "target-version" in config:
        options.append(f"--target-version={config['target-version']}")
    return options, lint.get("select", []), lint.get("ignore", [])


def ruff_problems(paths, select: list[str] | None = None) -> str | None:
    """ruff check (the project's rules, or ``select``) + ruff format --check output for
    ``paths``; "" when clean, None without ruff."""
    ruff = ruff_command()
    if ruff is None:
        return None
    options, project_select, ignore = ruff_options()
    select = project_select if select is None else select
    files = [str(p) for p in paths]
    rules = [f"--select={','.join(select)}"] if select else []
    if ignore:
        rules.append(f"--ignore={','.join(ignore)}")
    check = subprocess.run(
        [*ruff, "check", *options, *rules, "--output-format=concise", *files],
        capture_output=True,
        text=True,
    )
    fmt = subprocess.run(
        [*ruff, "format", *options, "--check", "--diff", *files], capture_output=True, text=True
    )
    problems = ""
    if check.returncode != 0:
        problems += check.stdout + check.stderr
    if fmt.returncode != 0:
        problems += fmt.stdout + fmt.stderr
    return problems
