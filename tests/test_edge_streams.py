"""Odd input and output streams, signals and files (issue 10).

In-process through CliRunner where that is enough; real processes for closed and full descriptors,
encodings, stdin pipes and signals. No test sleeps a fixed time: a signal is sent once the process
has shown that it is where the test wants it (a line on stdout, a progress bar on a terminal, a
temp file with bytes in it).
"""

from __future__ import annotations

import json
import math
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gradcli.calculus.derivatives import euclidean_norm, unit_vector
from gradcli.cli import app
from gradcli.views.render import ascii_text, printable

runner = CliRunner()
GRADCLI = [sys.executable, "-m", "gradcli"]
ENV = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
ESC = "\x1b"


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def one_error_line(stderr: str) -> str:
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("gradcli: error: "), stderr
    return lines[0]


def default_signals() -> None:
    """Start the child as a terminal would: a test runner started in the background has SIGINT
    ignored, and the child would inherit that."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def shell(script: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """``gradcli ARGS`` under a shell redirection (``exec 0<&-``, ``>&-``, ``2>/dev/full``)."""
    return subprocess.run(
        ["bash", "-c", f'{script}; exec "$@"', "bash", *GRADCLI, *args],
        capture_output="stdout" not in kwargs and "stderr" not in kwargs,
        env=kwargs.pop("env", ENV),
        timeout=120,
        **kwargs,
    )


# --- an expression that starts with '-' ---------------------------------------------------------
def test_a_leading_minus_expression_is_read_where_it_stands() -> None:
    result = run("grad", "-x^2", "--at", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["function"] == "-x**2"
    assert data["points"][0]["gradient"] == [-2.0]


def test_descend_ascent_on_a_leading_minus_expression() -> None:
    result = run("descend", "-(x-1)**2 - (y+2)**2", "--from", "0,0", "--ascent", "--format", "json")
    assert result.exit_code == 0, result.stderr
    final = json.loads(result.stdout)["runs"][0]["final"]["point"]
    assert final == pytest.approx({"x": 1.0, "y": -2.0}, abs=1e-4)


def test_the_old_hint_with_options_after_it_works_too() -> None:
    result = run("grad", "--", "-x^2", "--at", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["points"][0]["value"] == -1.0


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "x^2+y^2", "--at", "-2,-2"],
        ["descend", "x^2+y^2", "--from", "-1.2,1", "--steps", "3"],
        ["level", "-sin(x)*y", "--at", "1,1"],  # '-s' is level's --samples
        ["partial", "-x*y", "-w", "x", "-a", "1,2"],
        ["critical", "-x^2-y^2"],
    ],
)
def test_negative_values_and_short_options_keep_working(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["grad", "x", "--bogus"], "No such option: --bogus"),
        (["grad", "x", "-q"], "No such option: -q"),  # EXPR is given: -q is an option
    ],
)
def test_real_unknown_options_are_still_refused(args: list[str], says: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert says in one_error_line(result.stderr)


def test_a_broken_leading_minus_expression_gets_the_parser_error() -> None:
    result = run("grad", "-x**2+", "--at", "1")
    assert result.exit_code == 2
    assert "incomplete expression" in result.stderr and "^" in result.stderr


def test_dash_alone_is_still_stdin() -> None:
    result = run("grad", "-", "--at", "3", "--format", "json", input="-x^2\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["points"][0]["gradient"] == [-6.0]


# --- stdin that is not there --------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["grad", "x**2", "--at", "-"],
        ["grad", "-", "--at", "1"],
        ["partial", "x*y", "--wrt", "x", "--at", "-"],
        ["descend", "x**2", "--from", "-"],
        ["level", "x**2+y**2", "--at", "-"],
    ],
)
def test_closed_stdin_is_a_usage_error(args: list[str]) -> None:
    done = shell("exec 0<&-", *args)
    assert done.returncode == 2, done.stderr
    assert "standard input" in one_error_line(done.stderr.decode())


def test_level_reads_its_one_point_from_stdin() -> None:
    result = run("level", "x**2+y**2", "--at", "-", "--format", "json", input="1,1\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["level"] == 2.0
    result = run("level", "x**2+y**2", "--at", "-", input="1,1\n2,2\n")
    assert result.exit_code == 2 and "one point" in result.stderr


# --- streaming --at - ---------------------------------------------------------------------------
BAD_THIRD = "1,2\n3,4\nfoo(\n5,6\n"


@pytest.mark.parametrize("command", [["grad", "x**2+y**2"], ["partial", "x**2+y**2", "--wrt", "x"]])
def test_ndjson_keeps_the_good_answers_and_names_the_bad_line(command: list[str]) -> None:
    result = run(*command, "--at", "-", "--format", "ndjson", input=BAD_THIRD)
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["at"] for r in records] == [{"x": 1, "y": 2}, {"x": 3, "y": 4}, {"x": 5, "y": 6}]
    assert "stdin line 3" in one_error_line(result.stderr)


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_every_format_keeps_the_good_answers(fmt: str) -> None:
    result = run("grad", "x**2+y**2", "--at", "-", "--format", fmt, input=BAD_THIRD)
    assert result.exit_code == 2
    assert "stdin line 3" in one_error_line(result.stderr)
    if fmt == "csv":
        assert result.stdout.splitlines()[1:] == [
            "1.0,2.0,5.0,2.0,4.0,4.47213595499958,False,",
            "3.0,4.0,25.0,6.0,8.0,10.0,False,",
            "5.0,6.0,61.0,10.0,12.0,15.620499351813308,False,",
        ]
    elif fmt == "json":
        assert len(json.loads(result.stdout)["points"]) == 3
    else:
        assert result.stdout.count("at (") == 3


def test_an_undefined_point_on_stdin_costs_only_its_line() -> None:
    result = run("grad", "log(x)", "--at", "-", "--format", "ndjson", input="1\n0\n-1\ne\n")
    assert result.exit_code == 1  # undefined there: a math problem, not a usage one
    assert [json.loads(line)["at"]["x"] for line in result.stdout.splitlines()] == [
        1.0,
        pytest.approx(math.e),
    ]
    errors = result.stderr.splitlines()
    assert [e.split(":")[2].strip() for e in errors] == ["stdin line 2", "stdin line 3"]


def test_an_endless_line_is_refused_without_keeping_it() -> None:
    text = "1,1\n" + "9" * 50_000 + "\n2,2\n"
    result = run("grad", "x*y", "--at", "-", "--format", "ndjson", input=text)
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 2
    assert "stdin line 2: longer than" in one_error_line(result.stderr)


def read_line(stream: Any, timeout: float = 60) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no answer while stdin is still open: the points are not streamed"
    return bytes(stream.readline())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "header", "answers"),
    [
        (
            ["grad", "x**2+y**2", "--format", "ndjson"],
            False,
            (b'{"at": {"x": 1.0', b'{"at": {"x": 3.0'),
        ),
        (["grad", "x**2+y**2", "--format", "csv"], True, (b"1.0,2.0,5.0,", b"3.0,4.0,25.0,")),
        (
            ["partial", "x*y", "--wrt", "x", "--format", "ndjson"],
            False,
            (b'{"at": {"x": 1.0', b'{"at": {"x": 3.0'),
        ),
    ],
)
def test_each_point_is_answered_before_the_next_is_read(
    args: list[str], header: bool, answers: tuple[bytes, bytes]
) -> None:
    proc = subprocess.Popen(
        [*GRADCLI, *args, "--at", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        if header:
            assert read_line(proc.stdout).startswith(b"x,y,")
        for point, expected in zip((b"1,2\n", b"3,4\n"), answers):
            proc.stdin.write(point)
            proc.stdin.flush()
            answer = read_line(proc.stdout)  # stdin stays open: an answer now is a stream
            assert answer.startswith(expected), answer
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)


# --- numbers at the edge of float ---------------------------------------------------------------
def test_log_near_zero_has_a_finite_slope() -> None:
    result = run("grad", "log(x)", "--at", "1e-300", "--format", "json")
    assert result.exit_code == 0, result.stderr
    point = json.loads(result.stdout)["points"][0]
    assert point["gradient"] == [pytest.approx(1e300)] and point["norm"] == pytest.approx(1e300)


@pytest.mark.parametrize("size", ["1e200", "1e-200", "1e308"])
def test_huge_and_tiny_directions_keep_their_direction(size: str) -> None:
    result = run("grad", "x+y", "--at", "1,1", "--dir", f"{size},{size}", "--format", "json")
    assert result.exit_code == 0, result.stderr
    directional = json.loads(result.stdout)["points"][0]["directional"]
    assert directional["direction"] == [pytest.approx(math.sqrt(0.5))] * 2
    assert directional["value"] == pytest.approx(math.sqrt(2))


def test_a_huge_gradient_keeps_its_norm_and_direction() -> None:
    result = run("grad", "1e300*x + 1e300*y", "--at", "1,1", "--format", "json")
    point = json.loads(result.stdout)["points"][0]
    assert point["norm"] == pytest.approx(math.sqrt(2) * 1e300)
    assert point["ascent"] == [pytest.approx(math.sqrt(0.5))] * 2


def test_scaled_norms() -> None:
    assert euclidean_norm([3e200, 4e200]) == pytest.approx(5e200)
    assert euclidean_norm([3e-200, 4e-200]) == pytest.approx(5e-200)
    assert unit_vector([1e308, 1e308]) == pytest.approx((math.sqrt(0.5),) * 2)
    assert unit_vector([5e-324, 0.0]) == (1.0, 0.0)
    assert unit_vector([0.0, 0.0]) is None


# --- control characters never reach the terminal ------------------------------------------------
@pytest.mark.parametrize("junk", ["\x1b[2J", "\u202e", "\x00", "\x9b31m", "\x7f"])
def test_the_error_echo_shows_control_characters_escaped(junk: str) -> None:
    result = run("grad", f"x{junk}+y")
    assert result.exit_code == 2
    assert junk not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr  # the message, the source, the caret
    source, caret = lines[1], lines[2]
    shown = printable(junk)
    assert source == f"  x{shown}+y"
    assert caret == "   ^"  # under the first escaped character, right after 'x'


def test_the_caret_counts_the_escapes_before_it(capsys: pytest.CaptureFixture[str]) -> None:
    from gradcli.cli.app import report

    report("boom", source="a\x1b\nb)", column=4)
    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == "  a\\x1b\\nb)"  # one line: even a newline is shown, not obeyed
    assert lines[1][lines[2].index("^")] == ")"


def test_the_wrote_line_shows_an_escaped_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative name: a long temp path would wrap in the table
    name = "\x1b[2J.png"
    result = run("plot", "x*y", "-o", name, "--grid", "20")
    assert result.exit_code == 0, result.stderr
    assert ESC not in result.stdout
    assert "\\x1b[2J.png" in result.stdout
    assert (tmp_path / name).exists()


def test_json_escapes_invisible_characters_and_keeps_the_value(tmp_path: Path) -> None:
    name = str(tmp_path / "\u202eevil\x7f.png")
    result = run("plot", "x*y", "-o", name, "--grid", "20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "\u202e" not in result.stdout and "\x7f" not in result.stdout
    assert json.loads(result.stdout)["output"] == name


def test_printable_and_ascii() -> None:
    assert printable("x\x1b[2J") == "x\\x1b[2J"
    assert printable("a\u202eb\u00a0c") == "a\\u202eb\u00a0c"  # a no-break space is shown
    assert printable("∇f ≈ 2") == "∇f ≈ 2"
    assert ascii_text("‖∇f‖ ≈ 2√10") == "|grad f| ~ 2sqrt10"
    assert ascii_text("é") == "e"
    assert ascii_text("\u2a2f").isascii()


# --- encodings ----------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stream_without_unicode_gets_ascii(encoding: str) -> None:
    env = {**ENV, "PYTHONIOENCODING": encoding}
    table = subprocess.run(
        [*GRADCLI, "grad", "x**2+y**2", "--at", "1/3,1"], capture_output=True, env=env, timeout=120
    )
    assert table.returncode == 0, table.stderr
    text = table.stdout.decode(encoding)
    assert "grad f" in text and "|grad f|" in text and "~ 0.666667" in text
    rows = [line for line in text.splitlines() if " | " in line]
    assert len(rows) >= 5 and len({line.index(" | ") for line in rows}) == 1  # still aligned
    utf8 = subprocess.run(
        [*GRADCLI, "grad", "x**2+y**2", "--at", "1/3,1", "--hessian", "--format", "json"],
        capture_output=True,
        env=ENV,
        timeout=120,
    )
    narrow = subprocess.run(
        [*GRADCLI, "grad", "x**2+y**2", "--at", "1/3,1", "--hessian", "--format", "json"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert json.loads(narrow.stdout.decode("ascii")) == json.loads(utf8.stdout)


@pytest.mark.slow
def test_errors_on_an_ascii_stderr_are_one_clean_line() -> None:
    done = subprocess.run(
        [*GRADCLI, "plot", "x*y", "-o", "f.gif"],
        capture_output=True,
        env={**ENV, "PYTHONIOENCODING": "ascii"},
        timeout=120,
    )
    assert done.returncode == 2
    one_error_line(done.stderr.decode("ascii"))


# --- closed and full streams --------------------------------------------------------------------
@pytest.mark.slow
def test_a_full_stdout_is_one_line_and_exit_1() -> None:
    for fmt in ("table", "json", "ndjson", "csv"):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [*GRADCLI, "grad", "x**2", "--at", "1", "--format", fmt],
                stdout=full,
                stderr=subprocess.PIPE,
                env=ENV,
                timeout=120,
            )
        assert done.returncode == 1, done.stderr
        assert "cannot write the output: No space left on device" in one_error_line(
            done.stderr.decode()
        )


@pytest.mark.slow
def test_a_closed_stdout_is_one_line_and_exit_1() -> None:
    done = shell("exec >&-", "grad", "x**2", "--at", "1")
    assert done.returncode == 1
    assert "standard output is closed" in one_error_line(done.stderr.decode())


@pytest.mark.slow
@pytest.mark.parametrize("redirect", ["exec 2>&-", "exec 2>/dev/full"])
def test_a_usage_error_exits_2_whatever_stderr_is(redirect: str) -> None:
    done = shell(redirect, "grad", "x**2", "--bogus")
    assert done.returncode == 2


@pytest.mark.slow
def test_a_closed_pipe_still_ends_quietly() -> None:
    done = subprocess.run(
        ["bash", "-c", 'set -o pipefail; "$@" | head -n 1', "bash", *GRADCLI, "functions"],
        capture_output=True,
        env=ENV,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == b""


# --- files --------------------------------------------------------------------------------------
def only(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def test_a_refused_format_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    target.write_text("precious")
    result = run("plot", "x*y", "-o", str(target), "--grid", "20", "--format", "csv")
    assert result.exit_code == 2
    assert target.read_text() == "precious" and only(tmp_path) == ["f.png"]


@pytest.mark.parametrize("suffix", ["/", "/."])
def test_a_trailing_slash_is_refused(tmp_path: Path, suffix: str) -> None:
    result = run("plot", "x*y", "-o", str(tmp_path / "f.png") + suffix)
    assert result.exit_code == 1
    assert "names a folder" in one_error_line(result.stderr)
    assert only(tmp_path) == []


def test_a_long_legal_name_is_written(tmp_path: Path) -> None:
    name = "a" * 246 + ".png"  # 250 bytes: legal, though its temp file's name must be shorter
    result = run("plot", "x*y", "-o", str(tmp_path / name), "--grid", "20")
    assert result.exit_code == 0, result.stderr
    assert only(tmp_path) == [name]


def test_a_name_too_long_fails_before_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradcli import plotting

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("rendered before the target was checked")

    monkeypatch.setattr(plotting, "plot_function", never)
    result = run("plot", "x*y", "-o", str(tmp_path / ("a" * 256 + ".png")))
    assert result.exit_code == 1
    assert "longer than" in one_error_line(result.stderr)


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "target.png"
    target.write_text("old")
    (tmp_path / "link.png").symlink_to("target.png")
    result = run("plot", "x*y", "-o", str(tmp_path / "link.png"), "--grid", "20")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "link.png").is_symlink()
    assert target.read_bytes().startswith(b"\x89PNG")
    assert only(tmp_path) == ["link.png", "target.png"]


def test_a_read_only_target_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    target.write_text("keep me")
    target.chmod(0o444)
    result = run("plot", "x*y", "-o", str(target), "--grid", "20")
    assert result.exit_code == 1
    assert "read-only" in one_error_line(result.stderr)
    assert target.read_text() == "keep me" and stat.S_IMODE(target.stat().st_mode) == 0o444


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    target.write_text("old")
    target.chmod(0o640)
    result = run("plot", "x*y", "-o", str(target), "--grid", "20")
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_fifo_is_not_replaced(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.png")
    result = run("plot", "x*y", "-o", str(tmp_path / "f.png"), "--grid", "20")
    assert result.exit_code == 1
    assert "not a regular file" in one_error_line(result.stderr)
    assert stat.S_ISFIFO((tmp_path / "f.png").stat().st_mode)


# --- signals ------------------------------------------------------------------------------------
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def started(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*GRADCLI, *args],
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=kwargs.pop("stderr", subprocess.PIPE),
        env=ENV,
        preexec_fn=kwargs.pop("preexec_fn", default_signals),
        **kwargs,
    )


@pytest.mark.slow
@pytest.mark.parametrize("signum", list(CODES))
def test_a_signal_ends_a_stream_with_its_code(signum: int) -> None:
    proc = started(["grad", "x**2", "--at", "-", "--format", "ndjson"], stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"1\n")
    proc.stdin.flush()
    assert read_line(proc.stdout).startswith(b'{"at"')  # running, waiting for the next point
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == CODES[signum], err
    assert b"Traceback" not in err and err.strip().startswith(b"gradcli: ")


@pytest.mark.slow
def test_nohup_keeps_running_through_sighup() -> None:
    def ignore_hup() -> None:
        default_signals()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = started(
        ["grad", "x**2", "--at", "-", "--format", "ndjson"],
        stdin=subprocess.PIPE,
        preexec_fn=ignore_hup,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"1\n")
    proc.stdin.flush()
    read_line(proc.stdout)
    proc.send_signal(signal.SIGHUP)
    proc.stdin.write(b"2\n")
    proc.stdin.close()
    assert read_line(proc.stdout).startswith(b'{"at": {"x": 2.0}')
    assert proc.wait(timeout=60) == 0


@pytest.mark.slow
def test_sigint_stops_a_job_started_with_it_ignored() -> None:
    def ignore_int() -> None:  # what a shell does for 'gradcli ... &'
        default_signals()
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = started(
        ["grad", "x**2", "--at", "-", "--format", "ndjson"],
        stdin=subprocess.PIPE,
        preexec_fn=ignore_int,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"1\n")
    proc.stdin.flush()
    read_line(proc.stdout)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    """Poll ``condition`` (a file appearing is the readiness signal); fail if the process ends."""
    deadline = time.monotonic() + 120
    while not condition():
        assert proc.poll() is None, "the process ended before it was ready"
        assert time.monotonic() < deadline, "never ready"
        time.sleep(0.002)


def writing(folder: Path) -> bool:
    """A figure's temp file with bytes in it: the process is in the middle of writing."""
    for path in folder.iterdir():
        try:
            if path.name.endswith(".part") and path.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
    return False


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_a_figure_is_written_leaves_nothing_half_written(
    tmp_path: Path, signum: int
) -> None:
    target = tmp_path / "f.png"
    target.write_text("precious")
    proc = started(["plot", "sin(x)*cos(y)", "-o", str(target), "--dpi", "600"])
    wait_for(lambda: writing(tmp_path), proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == CODES[signum], err
    assert target.read_text() == "precious"
    assert only(tmp_path) == ["f.png"]  # no temp file


@pytest.mark.slow
def test_sigterm_in_descend_reports_the_runs_as_interrupted() -> None:
    leader, follower = pty.openpty()  # a terminal on stderr: the progress bar says it is running
    proc = started(
        ["descend", "x**2+y**2", "--from", "3,1", "--steps", "50000000", "--tol", "0"],
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    try:
        while b"descending" not in seen:
            ready, _, _ = select.select([leader], [], [], 120)
            assert ready, seen
            seen += os.read(leader, 4096)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
        tail = b""
        while select.select([leader], [], [], 1)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            tail += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 143
    assert b"interrupted" in out
    assert b"terminated (SIGTERM)" in tail
