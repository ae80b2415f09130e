"""Lean start-up: the root group builds only the command that runs, lists the others from a static
table, and converts plain parameter values without pydantic, with every value and message typer's.

In-process: the table is the commands (names, modules, the summary the listing shows); the listing
from the table is the listing from the real commands at every width; every command resolves and
its --help shows its examples; the plain converters agree with typer's own on every input.
Real processes (slow): --help and grad --help import no sympy, numpy, pydantic, rich or other
command, and a plain grad run no pydantic.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import gradcli.cli
from gradcli.cli import app
from gradcli.cli.commands import COMMANDS, summary
from gradcli.cli.convert import Converter

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def group() -> Any:
    """A fresh root group, as one call of gradcli makes it."""
    return typer.main.get_command(app)


# --- the table ----------------------------------------------------------------------------------
def test_the_table_lists_every_command_module_and_only_them() -> None:
    for module in pkgutil.iter_modules(gradcli.cli.__path__):  # whatever registers a command
        importlib.import_module(f"gradcli.cli.{module.name}")
    assert set(app.lazy_commands) == set(COMMANDS)
    for name, entry in COMMANDS.items():
        assert app.lazy_commands[name].callback.__module__ == entry.module


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_table_summary_is_the_commands_first_sentence(name: str) -> None:
    command = group().commands[name]
    assert command.name == name
    assert COMMANDS[name].summary == summary(command.help)


def test_commands_are_listed_alphabetically_as_before() -> None:
    assert list(COMMANDS) == sorted(COMMANDS)


@pytest.mark.parametrize("width", [40, 60, 80, 120, 300])
def test_the_listing_from_the_table_is_the_listing_from_the_commands(width: int) -> None:
    def root_help(build: bool) -> str:
        root = group()
        if build:
            for name in COMMANDS:
                root.commands[name]  # built: the listing then reads the real command
        ctx = root.make_context(
            "gradcli", [], resilient_parsing=True, terminal_width=width, max_content_width=width
        )
        return str(root.get_help(ctx))

    lazy = root_help(build=False)
    assert "Commands:" in lazy
    assert lazy == root_help(build=True)


def test_the_root_help_builds_no_command() -> None:
    root = group()
    ctx = root.make_context("gradcli", [], resilient_parsing=True)
    root.get_help(ctx)
    assert not set(root.commands.built) & set(COMMANDS)


def test_a_run_builds_only_its_command() -> None:
    root = group()
    ctx = root.make_context("gradcli", ["functions"])
    name, command, _ = root.resolve_command(ctx, ["functions"])
    assert name == "functions"
    assert command is not None
    assert set(root.commands.built) == {"functions"}


# --- every command, in-process ------------------------------------------------------------------
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_resolves_and_its_help_shows_examples(name: str) -> None:
    result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: gradcli {name} [OPTIONS]")
    assert "Examples:" in result.stdout
    assert f"gradcli {name}" in result.stdout.split("Examples:", 1)[1]


def test_the_root_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    rows = result.stdout.split("Commands:", 1)[1].strip().splitlines()
    assert [row.split()[0] for row in rows] == list(COMMANDS)


def test_a_mistyped_command_is_still_answered_with_the_close_one() -> None:
    result = runner.invoke(app, ["gard", "x"])
    assert result.exit_code == 2
    assert "No such command 'gard'." in result.stderr
    if PARAMETERS:  # typer of the pydantic era also suggests the close one (0.16 does not)
        assert "Did you mean 'grad'?" in result.stderr


def test_an_option_of_another_command_still_names_the_commands_that_have_it() -> None:
    # The answer reads every command's flags: the other commands are built for it.
    result = runner.invoke(app, ["functions", "--at", "1"])
    assert result.exit_code == 2
    assert "grad (--at)" in result.stderr
    assert "partial (--at)" in result.stderr


def test_a_core_error_still_names_the_flag_of_the_lazily_built_command() -> None:
    result = runner.invoke(app, ["descend", "x^2", "--from", "1", "--lr", "0"])
    assert result.exit_code == 2
    assert "--lr" in result.stderr


def test_a_value_out_of_range_is_refused_in_typers_words() -> None:
    result = runner.invoke(app, ["grad", "x", "--at", "1", "--precision", "0"])
    assert result.exit_code == 2
    # typer's words: pydantic's in newer typer, click's in 0.16 (the floor)
    assert result.stderr in (
        "gradcli: error: Invalid value for '--precision' / '-p': Input should be greater than or "
        "equal to 1 (see 'gradcli grad --help')\n",
        "gradcli: error: Invalid value for '--precision' / '-p': 0 is not in the range 1<=x<=17."
        " (see 'gradcli grad --help')\n",
    )


def test_plain_values_reach_the_command_converted() -> None:
    result = runner.invoke(
        app, ["grad", "x**2", "--at", "3", "--precision", "+3", "--check", "--h", "1e-4"]
    )
    assert result.exit_code == 0, result.stderr
    assert "(h = 0.0001, error 0)" in result.stdout


# --- the plain converters agree with typer's ----------------------------------------------------
def _parameters() -> list[Any]:
    """Every parameter of every command (and the root's) that has a plain converter."""
    root = group()
    commands = [root, *(root.commands[name] for name in COMMANDS)]
    found = []
    for command in commands:
        ctx = command.make_context(command.name or "gradcli", [], resilient_parsing=True)
        for param in command.get_params(ctx):
            if isinstance(getattr(param, "_runtime_param", None), Converter):
                found.append((param, ctx))
    return found


def _kinds(parameters: list[Any]) -> list[Any]:
    """One parameter of each kind (type, range, repeatable): the others convert the same way."""
    kinds: dict[Any, Any] = {}
    for param, ctx in parameters:
        info = param.type_descriptor.parameter_info
        key = (repr(param.type_descriptor.annotation), info.min, info.max, param.multiple)
        kinds.setdefault(key, (param, ctx))
    return list(kinds.values())


PARAMETERS = _kinds(_parameters())
TYPER: dict[int, Any] = {}  # typer's own converter per parameter, built once


def _outcome(convert: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return ("value", convert.coerce(value, param=param, ctx=ctx))
    except Exception as exc:
        return (type(exc).__name__, getattr(exc, "message", str(exc)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _agree(value: str | None) -> None:
    for param, ctx in PARAMETERS:
        ours = param._runtime_param
        theirs = TYPER.setdefault(id(param), ours.typer_converter())
        given_value: Any = value
        if value is not None and (param.multiple or param.nargs == -1):
            given_value = (value, value)  # click hands a repeated option over as a tuple
        mine = _outcome(ours, given_value, param, ctx)
        reference = _outcome(theirs, given_value, param, ctx)
        assert mine[0] == reference[0], (param.name, value, mine, reference)
        assert _same(mine[1], reference[1]), (param.name, value, mine, reference)


@pytest.mark.skipif(not PARAMETERS, reason="typer converts with click types: nothing to replace")
def test_every_parameter_type_is_covered() -> None:
    kinds = {repr(param.type_descriptor.annotation) for param, _ in PARAMETERS}
    assert {"<class 'str'>", "<class 'int'>", "<class 'float'>", "<class 'bool'>"} <= kinds
    # list[float] left with --lr becoming text (its comma lists, '0.01,0.05', are read by
    # DescentArgs); convert.py still handles it for any option that declares one
    assert "list[str]" in kinds


CORNERS = [
    None, "", " ", "0", "6", "-2", "+3", "17", "18", "0005", "-0", "1.0", "5.00", "5.", ".5", "1.",
    "1e3", "1E-3", "+.5e+2", "1e", "e5", ".", "+", "-", "--1", "1_0", "1_.0", "_1", " 5", "5 ",
    "\t5", "\xa05", "٣", "１", "inf", "-inf", "nan", "Infinity", "0x10", "1e400", "-1e-400",
    "9" * 18, "9" * 19, "9" * 40, "1" * 5000, "abc", "true", "True", "yes", "\udcff", "x=3,y=1",
    "1/3", "pi/4",
]  # fmt: skip


@pytest.mark.parametrize("value", CORNERS)
def test_plain_conversion_agrees_with_typer_on_corners(value: str | None) -> None:
    _agree(value)


@pytest.mark.slow
@settings(max_examples=300)
@given(st.text(alphabet="0123456789+-._eE xinfaNI\t٣", max_size=10))
def test_plain_conversion_agrees_with_typer_on_any_number_like_text(value: str) -> None:
    _agree(value)


def test_values_already_typed_agree_with_typer() -> None:
    for value in (True, False, 0, 6, 17, 18, -1, 0.5, 2.0, float("nan")):
        for param, ctx in PARAMETERS:
            if param.multiple:
                continue
            ours = param._runtime_param
            theirs = TYPER.setdefault(id(param), ours.typer_converter())
            mine, reference = _outcome(ours, value, param, ctx), _outcome(theirs, value, param, ctx)
            assert mine[0] == reference[0] and _same(mine[1], reference[1]), (param.name, value)


# --- real processes -----------------------------------------------------------------------------
HEAVY = {"sympy", "numpy", "matplotlib", "mpmath", "pydantic", "pydantic_core", "rich", "PIL"}


def imported_by(*args: str) -> set[str]:
    """The modules a real ``python -m gradcli ARGS`` has loaded when it exits."""
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules)))\n"
        f"sys.argv = ['gradcli', *{list(args)!r}]\n"
        "runpy.run_module('gradcli', run_name='__main__', alter_sys=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,  # like 'python -m', the probe looks in the working directory first
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(proc.stderr.rsplit("\nMODULES ", 1)[1].split())


@pytest.mark.slow
@pytest.mark.parametrize(("args", "own"), [(["--help"], None), (["grad", "--help"], "grad")])
def test_help_imports_nothing_heavy_and_no_other_command(args: list[str], own: str | None) -> None:
    modules = imported_by(*args)
    assert "gradcli.cli.app" in modules  # the probe sees gradcli's imports at all
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
    others = {COMMANDS[name].module for name in COMMANDS if name != own}
    assert not modules & others
    if own is not None:
        assert COMMANDS[own].module in modules


@pytest.mark.slow
def test_a_plain_run_converts_its_parameters_without_pydantic() -> None:
    modules = imported_by("grad", "x**2+y**2", "--at", "3,1", "-p", "4", "--format", "json")
    assert "sympy" in modules  # it did the work
    assert not {m for m in modules if m.split(".")[0] in {"pydantic", "pydantic_core", "rich"}}
    assert not modules & {COMMANDS[name].module for name in COMMANDS if name != "grad"}
