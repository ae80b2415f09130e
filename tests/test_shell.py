"""A shell-native command line: completion, -V, --step (and -h given a value), defaults from the
environment, and the man page.

Completion runs through the real protocol (the variables typer's scripts set) in-process; a real
bash sources the script and completes through it in the slow tier, and a real process shows that
``--help`` imports none of the completion machinery.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.cli.commands import COMMANDS
from gradcli.cli.options import COMMAND_FORMATS, ENV_FORMATS, ThemeOpt
from gradcli.optimize.settings import ALL_METHODS
from gradcli.presets import names as preset_names
from gradcli.views.render import FORMATS

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
CLEAN = {"NO_COLOR": "1", "COLUMNS": "100", "GRADCLI_FORMAT": None, "GRADCLI_PRECISION": None}


def run(*args: str, **env: str | None) -> Any:
    return runner.invoke(app, list(args), env={**CLEAN, **env})


def one_error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradcli: error: "), result.stderr
    return str(lines[0])


# --- completion through the protocol -------------------------------------------------------------
def bash(line: str, **env: str) -> list[str]:
    """What gradcli answers bash for ``line`` (words as bash splits them; the last one is being
    completed, '' after a trailing space)."""
    words = line.split(" ")
    result = runner.invoke(
        app,
        [],
        env={
            **CLEAN,
            "COMP_WORDS": " ".join(words),
            "COMP_CWORD": str(len(words) - 1),
            "_GRADCLI_COMPLETE": env.get("instruction", "complete_bash"),
        },
    )
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


def zsh_or_fish(shell: str, line: str, action: str = "get-args") -> Any:
    return runner.invoke(
        app,
        [],
        env={
            **CLEAN,
            "_TYPER_COMPLETE_ARGS": line,
            "_TYPER_COMPLETE_FISH_ACTION": action,
            "_GRADCLI_COMPLETE": f"complete_{shell}",
        },
    )


def test_bash_completes_command_names_from_the_table() -> None:
    assert bash("gradcli ") == list(COMMANDS)
    assert bash("gradcli gr") == ["grad"]
    assert bash("gradcli p") == ["partial", "plot"]


def test_completing_a_command_name_builds_no_command() -> None:
    group: Any = typer.main.get_command(app)
    env = {"COMP_WORDS": "gradcli gr", "COMP_CWORD": "1", "_GRADCLI_COMPLETE": "complete_bash"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with pytest.raises(SystemExit) as done:
            group.main([], prog_name="gradcli", standalone_mode=False)
    assert done.value.code == 0
    assert group.lazy.built == {}
    patch_env = {**env, "COMP_WORDS": "gradcli grad --", "COMP_CWORD": "2"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in patch_env.items():
            patch.setenv(name, value)
        with pytest.raises(SystemExit):
            group.main([], prog_name="gradcli", standalone_mode=False)
    assert list(group.lazy.built) == ["grad"]  # the one command whose options were completed


def test_bash_completes_a_commands_options() -> None:
    options = bash("gradcli grad x --")
    assert {"--at", "--step", "--h", "--format", "--precision", "--help"} <= set(options)
    assert "--method" not in options
    assert bash("gradcli --") == [
        "--version",
        "--install-completion",
        "--show-completion",
        "--help",
    ]


def test_bash_completes_preset_names_across_the_at_sign() -> None:
    # bash splits '@ros' into the words '@' and 'ros' (COMP_WORDBREAKS): still one name
    assert bash("gradcli grad @ ros") == ["@rosenbrock"]
    assert bash("gradcli grad @") == [f"@{name}" for name in preset_names()]
    assert bash("gradcli descend @ro") == ["@rosenbrock"]  # a shell that keeps it whole
    assert bash("gradcli grad x^") == []  # a formula being typed: nothing offered
    assert bash("gradcli functions ro") == []  # NAME takes no '@' …
    assert "rosenbrock" not in bash("gradcli grad ro")


def test_bash_completes_methods_and_the_commands_formats() -> None:
    assert bash("gradcli descend x --method ad") == ["adagrad", "adam", "adamw"]
    # every method Settings accepts, then 'all' (--method all)
    assert bash("gradcli plot x --from 1,1 -m ") == [*ALL_METHODS, "all"]
    assert bash("gradcli descend x --method = r") == ["rmsprop"]  # '--method=r', as bash splits it
    assert bash("gradcli descend x --format ") == list(COMMAND_FORMATS["descend"])
    assert bash("gradcli plot x -f ") == ["table", "json"]
    assert bash("gradcli level x -f ") == ["table", "json", "ndjson", "latex"]


def test_clicks_spelling_of_the_instruction_works_too() -> None:
    assert bash("gradcli gr", instruction="bash_complete") == ["grad"]


def test_zsh_gets_names_with_their_summaries() -> None:
    result = zsh_or_fish("zsh", "gradcli gr")
    assert result.exit_code == 0
    assert result.stdout.startswith("_arguments '*: :((")
    assert '"grad":"The gradient ∇f\\\\: all partial derivatives together."' in result.stdout
    result = zsh_or_fish("zsh", "gradcli descend x --method ")
    assert '"adam"' in result.stdout and '"gd"' in result.stdout


def test_fish_gets_names_with_their_summaries_and_knows_when_to_offer_files() -> None:
    result = zsh_or_fish("fish", "gradcli gr")
    assert result.stdout.splitlines() == [
        "grad\tThe gradient ∇f: all partial derivatives together."
    ]
    assert (
        zsh_or_fish("fish", "gradcli grad @ro").stdout.splitlines()[0].startswith("@rosenbrock\t")
    )
    assert zsh_or_fish("fish", "gradcli gr", "is-args").exit_code == 0  # ours, not files
    assert zsh_or_fish("fish", "gradcli plot x -o ", "is-args").exit_code == 1  # files


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _gradcli_completion gradcli"),
        ("zsh", "compdef _gradcli_completion gradcli"),
        ("fish", "complete --command gradcli --no-files"),
    ],
)
def test_show_completion_prints_the_script_for_each_shell(shell: str, marker: str) -> None:
    for args in (["--show-completion", shell], [f"--show-completion={shell}"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert marker in result.stdout
        assert f"_GRADCLI_COMPLETE=complete_{shell}" in result.stdout


def test_install_completion_writes_the_script_where_the_shell_reads_it(tmp_path: Path) -> None:
    result = run("--install-completion", "bash", HOME=str(tmp_path))
    assert result.exit_code == 0, result.output
    script = tmp_path / ".bash_completions" / "gradcli.sh"
    assert "_GRADCLI_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


def test_an_unknown_shell_is_refused_in_one_line() -> None:
    result = run("--show-completion", "tcsh")
    assert result.exit_code == 2
    assert "no completion for 'tcsh'" in one_error_line(result)
    assert result.stdout == ""


def test_root_help_lists_the_completion_options_and_v() -> None:
    shown = run("--help").stdout
    assert "-V, --version" in shown
    assert "--install-completion [SHELL]" in shown and "--show-completion [SHELL]" in shown


def _write_script(shell: str, env: dict[str, str], folder: Path) -> None:
    """The completion script the installed command prints for ``shell``, as folder/gradcli.SHELL."""
    script = subprocess.run(
        ["gradcli", "--show-completion", shell], env=env, capture_output=True, text=True
    ).stdout
    (folder / f"gradcli.{shell}").write_text(script)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_a_real_bash_sources_the_script_and_completes_through_it(tmp_path: Path) -> None:
    env = _shim_env(tmp_path)  # the command the script runs, found on PATH as after install
    _write_script("bash", env, tmp_path)
    check = (
        f"source {tmp_path / 'gradcli.bash'}\n"
        "complete -p gradcli\n"
        # as bash fills them for 'gradcli grad @ros<TAB>' (it splits the word at '@')
        "COMP_WORDS=(gradcli grad @ ros); COMP_CWORD=3; _gradcli_completion gradcli\n"
        'echo "reply: ${COMPREPLY[*]}"\n'
        "COMP_WORDS=(gradcli descend x --method ad); COMP_CWORD=4; _gradcli_completion gradcli\n"
        'echo "reply: ${COMPREPLY[*]}"\n'
    )
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", check],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "complete -o default -F _gradcli_completion gradcli"
    assert lines[1:] == ["reply: @rosenbrock", "reply: adagrad adam adamw"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("fish") is None, reason="no fish here")
def test_a_real_fish_sources_the_script_and_completes_through_it(tmp_path: Path) -> None:
    env = _shim_env(tmp_path)
    _write_script("fish", env, tmp_path)
    check = (
        f"source {tmp_path / 'gradcli.fish'}; "
        'complete -C "gradcli gr"; complete -C "gradcli grad @ro"; '
        'complete -C "gradcli descend x --method ad"'
    )
    proc = subprocess.run(
        ["fish", "--no-config", "-c", check],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "grad\tThe gradient ∇f: all partial derivatives together.",
        "@rosenbrock\tRosenbrock",
        "adagrad",
        "adam",
        "adamw",
    ]


def _shim_env(tmp_path: Path) -> dict[str, str]:
    """An environment where ``gradcli`` on PATH is this checkout, as after an install."""
    shim = tmp_path / "gradcli"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gradcli "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.pop("_GRADCLI_COMPLETE", None)
    return env


@pytest.mark.slow
def test_help_imports_no_completion_machinery() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradcli", "--help"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    assert "gradcli.cli.app" in imported
    # (typer.completion and shellingham come with typer itself, whatever gradcli does)
    for module in ("gradcli.cli.completion", "gradcli.cli.man", "gradcli.cli.arguments"):
        assert module not in imported


# --- -V ------------------------------------------------------------------------------------------
def test_v_is_version() -> None:
    short, long = run("-V"), run("--version")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout and short.stdout.startswith("gradcli ")


# --- --step, and -h given a value ----------------------------------------------------------------
STEP = ("partial", "5*x", "--wrt", "x", "--at", "2", "--format", "json")


@pytest.mark.parametrize("flag", ["--step", "--h", "--step=", "--h="])
def test_the_step_is_step_and_h_still_works(flag: str) -> None:
    args = (*STEP, flag + "0.001") if flag.endswith("=") else (*STEP, flag, "0.001")
    result = run(*args)
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)["points"][0]["check"]
    assert check["h_forward"] == check["h_central"] == 0.001


def test_h_with_a_number_is_an_error_naming_step_not_help() -> None:
    result = run(*STEP, "-h", "0.001")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "-h is --help and takes no value" in line and "try --step 0.001" in line
    assert result.stdout == ""
    # the same in grad, and in a command without a step
    assert "try --step 1e-3" in one_error_line(run("grad", "x*y", "--at", "1,2", "-h", "1e-3"))
    line = one_error_line(run("descend", "x^2", "--from", "1", "-h", "0.1"))
    assert line == "gradcli: error: -h is --help and takes no value (got -h 0.1)"


def test_h_alone_or_before_an_option_is_still_help() -> None:
    for args in (("grad", "-h"), ("grad", "x", "-h", "--at", "1"), ("partial", "x", "-h")):
        result = run(*args)
        assert result.exit_code == 0 and result.stdout.startswith("Usage: gradcli ")


def test_a_value_that_looks_like_h_is_left_to_its_option() -> None:
    result = run("grad", "x", "--let", "-h", "0.5")  # '--let -h': a (bad) value of --let
    assert "-h is --help" not in result.stderr


def test_step_errors_name_the_spelling_typed() -> None:
    for flag in ("--step", "--h"):
        result = run("partial", "5*x", "--wrt", "x", "--at", "2", flag, "1e-20")
        assert result.exit_code == 2
        assert f"{flag} 1e-20 is too small at x = 2" in one_error_line(result)


def test_help_shows_step_with_its_alias() -> None:
    for command in ("grad", "partial"):
        shown = run(command, "--help").stdout
        assert "--step, --h H" in shown
    assert "--step 0.001" in run("partial", "--help").stdout  # its example uses the new name


def test_other_commands_point_to_step_for_the_finite_difference_step() -> None:
    line = one_error_line(run("critical", "x^2", "--step", "0.1"))
    assert "grad (--step) and partial (--step) have it" in line
    line = one_error_line(run("descend", "x^2", "--from", "1", "--step", "50"))
    assert "did you mean --steps?" in line


# --- defaults from the environment ---------------------------------------------------------------
GRAD = ("grad", "x^2", "--at", "1/3")


def test_precision_from_the_environment_and_the_flag_wins() -> None:
    assert "2/3 ≈ 0.667" in run(*GRAD, GRADCLI_PRECISION="3").stdout
    assert "2/3 ≈ 0.66666667" in run(*GRAD, "-p", "8", GRADCLI_PRECISION="3").stdout
    assert run(*GRAD, "-p", "3", GRADCLI_PRECISION="abc").exit_code == 0  # the env is not read


def test_format_from_the_environment_and_the_flag_wins() -> None:
    assert json.loads(run(*GRAD, GRADCLI_FORMAT="json").stdout)["gradient"] == ["2*x"]
    assert json.loads(run(*GRAD, GRADCLI_FORMAT="JSON").stdout)["gradient"] == ["2*x"]
    assert run(*GRAD, "--format", "table", GRADCLI_FORMAT="json").stdout == run(*GRAD).stdout
    assert run(*GRAD, GRADCLI_FORMAT="").stdout == run(*GRAD).stdout  # empty: unset


@pytest.mark.parametrize(
    "args",
    [
        ("descend", "x^2", "--from", "1", "--steps", "3"),
        ("level", "x^2+y^2", "--at", "1,1"),
        ("functions",),
    ],
)
def test_a_format_from_the_environment_a_command_cannot_write_gives_its_table(
    args: tuple[str, ...],
) -> None:
    missing = next(f for f in FORMATS if f not in COMMAND_FORMATS[args[0]])
    result = run(*args, GRADCLI_FORMAT=missing)
    assert result.exit_code == 0, result.output
    table = run(*args).stdout
    if args[0] == "level":  # its solving is time-bounded: on a loaded machine a line may differ
        assert result.stdout.splitlines()[:3] == table.splitlines()[:3]
    else:
        assert result.stdout == table
    flagged = run(*args, "--format", missing)  # asked for on the command line: refused
    assert flagged.exit_code == 2


@pytest.mark.slow
def test_plot_ignores_the_environments_format(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    result = run("plot", "x^2", "-o", str(target), GRADCLI_FORMAT="json")
    assert result.exit_code == 0, result.output
    assert target.is_file() and not result.stdout.lstrip().startswith("{")
    asked = run("plot", "x^2", "-o", str(target), "--format", "json")
    assert json.loads(asked.stdout)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"GRADCLI_FORMAT": "xml"},
            "invalid GRADCLI_FORMAT in the environment: 'xml' is not one of table, json, ndjson, "
            "csv, latex",
        ),
        ({"GRADCLI_PRECISION": "99"}, "invalid GRADCLI_PRECISION in the environment: "),
        ({"GRADCLI_PRECISION": "six"}, "invalid GRADCLI_PRECISION in the environment: "),
    ],
)
def test_an_invalid_value_in_the_environment_is_one_line_naming_it(
    env: dict[str, str], expected: str
) -> None:
    commands = [GRAD, ("functions",)]
    if "GRADCLI_FORMAT" in env:  # plot ignores the preference, not a broken value
        commands.append(("plot", "x^2", "-o", "never.png"))
    for args in commands:
        result = run(*args, **env)
        assert result.exit_code == 2
        assert expected in one_error_line(result)


def test_a_bad_flag_value_is_worded_as_before_without_the_variable() -> None:
    line = one_error_line(run(*GRAD, "-p", "99"))
    assert line.startswith("gradcli: error: Invalid value for '--precision' / '-p': ")
    assert "GRADCLI" not in line
    line = one_error_line(run(*GRAD, "-f", "xml"))
    assert line.startswith("gradcli: error: Invalid value for '--format' / '-f': 'xml'")
    assert "GRADCLI" not in line


def test_help_shows_the_variables() -> None:
    for command in ("grad", "descend", "functions"):
        shown = " ".join(run(command, "--help").stdout.split())
        assert "[env var: GRADCLI_FORMAT; default: table]" in shown
        assert "[env var: GRADCLI_PRECISION; default: 6;" in shown


CHEAP = {
    "critical": ("critical", "x^2"),
    "descend": ("descend", "x^2", "--from", "1", "--steps", "2"),
    "functions": ("functions",),
    "grad": ("grad", "x^2", "--at", "1"),
    "level": ("level", "x^2+y^2", "--at", "1,1"),
    "partial": ("partial", "x^2", "--at", "1"),
}


@pytest.mark.parametrize("command", list(CHEAP))
def test_the_format_table_is_what_each_command_writes(command: str) -> None:
    for fmt in FORMATS:
        result = run(*CHEAP[command], "--format", fmt)
        assert (result.exit_code == 0) == (fmt in COMMAND_FORMATS[command]), (fmt, result.output)
    assert set(COMMAND_FORMATS) == set(COMMANDS) == set(ENV_FORMATS)


def test_theme_from_the_environment_for_plot_to_declare() -> None:
    """``ThemeOpt`` is ready for ``plot --theme`` (cli/plot.py declares it inline today)."""
    demo = typer.Typer()

    @demo.command()
    def show(theme: ThemeOpt = "light") -> None:
        typer.echo(theme)

    assert runner.invoke(demo, [], env={"GRADCLI_THEME": "Dark"}).stdout == "dark\n"
    assert runner.invoke(demo, ["--theme", "light"], env={"GRADCLI_THEME": "dark"}).stdout == (
        "light\n"
    )
    assert runner.invoke(demo, [], env={"GRADCLI_THEME": "neon"}).exit_code == 2


# --- the man page --------------------------------------------------------------------------------
def test_the_man_page_is_in_sync_with_the_help() -> None:
    from gradcli.cli.man import TYPER, manual

    page = manual()
    committed = (ROOT / "man" / "gradcli.1").read_text(encoding="utf-8")
    maker = committed.splitlines()[0]
    if f"(typer {TYPER})" not in maker:  # e.g. CI on the dependency floors
        pytest.skip(f"the page was generated with another typer ({maker}); this is {TYPER}")
    assert committed == page, "regenerate it: python -m gradcli.cli.man -o man/gradcli.1"


def test_the_man_page_has_every_command_option_and_example() -> None:
    from gradcli.cli.man import manual

    page = manual().replace("\\-", "-").replace("\\e", "\\")
    group: Any = typer.main.get_command(app)
    for name in COMMANDS:
        assert f'.SS "gradcli {name} [OPTIONS]' in page
        help_text = run(name, "--help").stdout
        examples = help_text.split("Examples:")[1].split("Arguments:")[0].split("Options:")[0]
        for line in examples.strip().splitlines():
            assert f"\n{line.strip()}\n" in page
        for param in group.commands[name].params:
            for flag in param.opts:
                assert flag in page
    assert ".SH ENVIRONMENT" in page and "GRADCLI_FORMAT" in page and "NO_COLOR" in page


def test_the_package_installs_the_man_page() -> None:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["data-files"]["share/man/man1"] == ["man/gradcli.1"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("man") is None, reason="no man here")
def test_man_renders_the_page() -> None:
    proc = subprocess.run(
        ["man", "-l", str(ROOT / "man" / "gradcli.1")],
        env={**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "GRADCLI(1)" in proc.stdout
    assert 'gradcli partial "5*x" --wrt x --at 2 --check --step 0.001' in proc.stdout


def _corner_brightness(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        r, g, b = image.convert("RGB").getpixel((2, 2))
    return int(r) + int(g) + int(b)


def test_plot_takes_its_theme_from_the_environment_and_the_flag_wins(tmp_path: Path) -> None:
    args = ["plot", "x*y", "--grid", "20", "--arrows", "0", "--dpi", "40"]
    dark = runner.invoke(app, [*args, "-o", str(tmp_path / "d.png")], env={"GRADCLI_THEME": "dark"})
    light = runner.invoke(
        app,
        [*args, "--theme", "light", "-o", str(tmp_path / "l.png")],
        env={"GRADCLI_THEME": "dark"},
    )
    assert dark.exit_code == 0 and light.exit_code == 0, dark.stderr + light.stderr
    assert _corner_brightness(tmp_path / "d.png") < 200 < _corner_brightness(tmp_path / "l.png")
    bad = runner.invoke(app, [*args, "-o", str(tmp_path / "b.png")], env={"GRADCLI_THEME": "pink"})
    assert bad.exit_code == 2
    assert bad.stderr.startswith("gradcli: error: invalid GRADCLI_THEME in the environment")
    assert not (tmp_path / "b.png").exists()
