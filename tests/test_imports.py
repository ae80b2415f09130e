"""Import isolation: the help path stays light and the core stays free of the CLI stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each check needs a fresh interpreter

CORE = [
    "gradcli",
    "gradcli.expr",
    "gradcli.points",
    "gradcli.calculus",
    "gradcli.numeric",
    "gradcli.calculus.results",
    "gradcli.views.symbolic",
    "gradcli.views.render",
    "gradcli.views.text",
    "gradcli.optimize",
    "gradcli.calculus.explain",
    "gradcli.presets",
]


def loaded_after(code: str) -> set[str]:
    probe = (
        code + "\nimport sys, json\nprint(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_help_loads_no_sympy_numpy_or_matplotlib() -> None:
    code = (
        "import sys\nfrom gradcli.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "for c in ('grad', 'partial', 'descend', 'plot'):\n"
        "    try:\n        app([c, '--help'])\n    except SystemExit:\n        pass"
    )
    loaded = loaded_after(code)
    assert not loaded & {"sympy", "numpy", "matplotlib"}, loaded & {"sympy", "numpy", "matplotlib"}


def test_core_loads_no_typer_rich_or_matplotlib() -> None:
    existing = []
    for module in CORE:
        try:
            __import__(module)
            existing.append(module)
        except ModuleNotFoundError:
            continue
    code = (
        "\n".join(f"import {m}" for m in existing)
        + "\nfrom gradcli.expr import parse\nparse('x**2')"
    )
    loaded = loaded_after(code)
    assert not loaded & {"typer", "rich", "matplotlib", "click"}, loaded
