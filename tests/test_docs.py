"""The README's and the --help texts' examples really run, so documentation cannot drift.

README ```console blocks: each `$ command` runs in a scratch folder; where the block shows output
under the command, the real output must match it line by line. --help: every line under
'Examples:' that starts with 'gradcli ' runs, exits 0 and writes the file it names with -o/--plot.

The examples are plain commands, so they run in-process through CliRunner (one import for all of
them, not one interpreter each); a command with shell syntax (a pipe, a redirection) would run in
a real shell, and one README example also runs through the installed entry point in a shell.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOC_ENV = {"NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
COMMANDS = ["partial", "grad", "critical", "level", "descend", "plot", "functions"]
runner = CliRunner()


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


def needs_a_shell(command: str) -> bool:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    return any(token and set(token) <= set("|&;<>()") for token in lexer)


def shell(command: str, cwd: Path) -> tuple[int, str]:
    """Run ``command`` in bash (gradcli as installed, else this interpreter's module)."""
    exe = shutil.which("gradcli") or f"{sys.executable} -m gradcli"
    command = re.sub(r"(^|\|\s*)gradcli ", lambda m: m.group(1) + exe + " ", command)
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env={**os.environ, **DOC_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


def run_example(command: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """(exit code, stdout then stderr) of one documented command, in-process where it can be."""
    if needs_a_shell(command):
        return shell(command, cwd)
    words = shlex.split(command)
    assert words[0] == "gradcli", command
    monkeypatch.chdir(cwd)
    result = runner.invoke(app, words[1:], env=DOC_ENV)
    return result.exit_code, result.stdout + result.stderr


def compare(shown: str, expected: list[str]) -> None:
    lines = shown.rstrip("\n").splitlines()
    assert [line.rstrip() for line in lines] == [line.rstrip() for line in expected]


def help_param(command: str) -> object:
    # critical over a --range runs the multi-start numeric search after sympy's time limit:
    # seconds; a pipeline needs a real shell and real processes
    slow = (command.startswith("gradcli critical") and "--range" in command) or needs_a_shell(
        command
    )
    return pytest.param(command, id=command[:60], marks=[pytest.mark.slow] if slow else [])


def readme_param(command: str, expected: list[str]) -> object:
    marks = [pytest.mark.slow] if needs_a_shell(command) else []
    return pytest.param(command, expected, id=command[:50], marks=marks)


README = readme_examples()
HELP = help_examples()


def test_readme_has_examples() -> None:
    assert len(README) >= 5


@pytest.mark.parametrize(("command", "expected"), [readme_param(c, e) for c, e in README])
def test_readme_example_runs_and_shows_what_the_readme_says(
    command: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, shown = run_example(command, tmp_path, monkeypatch)
    wants_error = any(line.startswith("gradcli: error:") for line in expected)
    assert (code != 0) == wants_error, shown
    if expected:
        compare(shown, expected)


@pytest.mark.slow
def test_the_first_readme_example_runs_in_a_shell(tmp_path: Path) -> None:
    """The same text through the installed entry point and a real shell, as a reader runs it."""
    command, expected = README[0]
    code, shown = shell(command, tmp_path)
    assert code == 0, shown
    compare(shown, expected)


def test_every_command_help_has_examples() -> None:
    assert len(HELP) >= 15


@pytest.mark.parametrize("command", [help_param(c) for c in HELP])
def test_help_example_runs(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, shown = run_example(command, tmp_path, monkeypatch)
    assert code == 0, shown
    words = shlex.split(command)
    for flag in ("-o", "--plot"):
        if flag in words:
            written = tmp_path / words[words.index(flag) + 1]
            assert written.is_file() and written.stat().st_size > 0, shown
