"""The style gates run with the tests, so CI holds the code to them: ruff lint, ruff format, mypy.

The tools run as modules of this interpreter (``python -m ruff``), so they are found whenever the
test extra is installed, whether or not its scripts are on PATH. A missing tool fails: a gate that
skips itself says nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "No module named" not in proc.stderr, f'{module} is missing: pip install -e ".[test]"'
    return proc


@pytest.mark.slow
def test_ruff_check() -> None:
    proc = run_module("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_ruff_format() -> None:
    proc = run_module("ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow  # a few seconds of type checking
def test_mypy() -> None:
    proc = run_module("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
