"""The README's and the --help texts' examples really run, so documentation cannot drift.

README ```console blocks: each `$ command` runs in a shell in a scratch folder; where the block
shows output under the command, the real output must match it line by line.
--help: every line under 'Examples:' that starts with 'gradcli ' runs and exits 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
COMMANDS = ["partial", "grad", "critical", "level", "descend", "plot", "functions"]


def _gradcli_prefix() -> str:
    exe = shutil.which("gradcli")
    return exe if exe else f"{sys.executable} -m gradcli"


def readme_examples() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        current: tuple[str, list[str]] | None = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:], [])
                examples.append(current)
            elif current is not None:
                current[1].append(line)
    return examples


def help_examples() -> list[str]:
    from typer.testing import CliRunner

    from gradcli.cli import app

    runner = CliRunner()
    found = []
    for command in COMMANDS:
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        if result.exit_code != 0:
            continue
        lines = result.stdout.splitlines()
        if not any(line.strip() == "Examples:" for line in lines):
            continue
        start = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
        for line in lines[start + 1 :]:
            if line.strip().startswith("gradcli "):
                found.append(line.strip())
            elif line.strip() and not line.startswith(" "):
                break
    return found


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = re.sub(r"(^|\|\s*)gradcli ", lambda m: m.group(1) + _gradcli_prefix() + " ", command)
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


README = readme_examples()


def test_readme_has_examples() -> None:
    assert len(README) >= 5


@pytest.mark.parametrize(("command", "expected"), README, ids=[c[:50] for c, _ in README])
def test_readme_example_runs_and_shows_what_the_readme_says(
    command: str, expected: list[str], tmp_path: Path
) -> None:
    proc = shell(command, tmp_path)
    wants_error = any(line.startswith("gradcli: error:") for line in expected)
    assert (proc.returncode != 0) == wants_error, proc.stderr
    if expected:
        shown = (proc.stdout + proc.stderr).rstrip("\n").splitlines()
        assert [line.rstrip() for line in shown] == [line.rstrip() for line in expected]


HELP = help_examples()


def test_every_command_help_has_examples() -> None:
    assert len(HELP) >= 15


@pytest.mark.parametrize("command", HELP, ids=[c[:60] for c in HELP])
def test_help_example_runs(command: str, tmp_path: Path) -> None:
    proc = shell(command, tmp_path)
    assert proc.returncode == 0, proc.stderr
