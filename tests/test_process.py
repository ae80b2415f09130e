"""Process behaviour with real subprocesses: closed pipes, Ctrl-C, terminals and NO_COLOR.

Nothing here waits for a time and hopes: a signal is sent once the process shows it is at work (its
first streamed line, or the temporary file of the figure it is writing).
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test here starts real processes

GRADCLI = [sys.executable, "-m", "gradcli"]
PLAIN_ENV = {**os.environ, "NO_COLOR": "1"}
PIPE_BUFFER = 65536  # Linux's default pipe capacity


@contextlib.contextmanager
def killed_on_failure(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    """However the block ends, the process does not outlive the test."""
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_for(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    """Poll until ``ready()`` (the process shows it is at work); fail if it ends or takes 120 s."""
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, f"gradcli ended (exit {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no sign of {what} within 120 s"
        time.sleep(0.01)


def piped_into_head(args: list[str], stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run gradcli | head -n 1 and return gradcli's exit code, head's output, gradcli's stderr."""
    producer = subprocess.Popen(
        [*GRADCLI, *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=PLAIN_ENV,
    )
    head = subprocess.Popen(["head", "-n", "1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    assert producer.stdout is not None
    producer.stdout.close()  # head owns the read end: when it exits, gradcli gets EPIPE
    with killed_on_failure(producer):
        if stdin is not None:
            assert producer.stdin is not None
            try:
                producer.stdin.write(stdin)
            except BrokenPipeError:
                pass  # gradcli answered and stopped reading before it had all the points
            finally:  # closed here, not by the garbage collector flushing into a broken pipe
                with contextlib.suppress(BrokenPipeError):
                    producer.stdin.close()
        out, _ = head.communicate(timeout=120)
        assert producer.stderr is not None
        err = producer.stderr.read()
        return producer.wait(timeout=120), out, err


LONG = ["x**2+y**2", "--from", "3,1", "--steps", "300000", "--tol", "0", "--lr", "1e-7"]
POINTS = 5000  # output enough to fill the pipe several times over once head has gone


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["descend", *LONG, "--format", "csv"], None),
        (["descend", *LONG, "--format", "ndjson"], None),
        (["grad", "x**2+y**2", "--at", "-", "--format", "ndjson"], b"3,1\n" * POINTS),
        (["grad", "x**2+y**2", "--at", "-", "--format", "csv"], b"3,1\n" * POINTS),
        (["partial", "x*y", "--wrt", "x", "--at", "-", "--format", "ndjson"], b"1,2\n" * POINTS),
    ],
    ids=["descend-csv", "descend-ndjson", "grad-ndjson", "grad-csv", "partial-ndjson"],
)
def test_a_closed_pipe_ends_quietly(args: list[str], stdin: bytes | None) -> None:
    code, out, err = piped_into_head(args, stdin)
    assert out.count(b"\n") == 1
    if (
        stdin is not None
    ):  # the whole answer could not have fitted in the pipe: head closed it early
        assert len(out) * stdin.count(b"\n") > 3 * PIPE_BUFFER
    assert err == b""
    assert code == 0


def test_ctrl_c_during_a_plot_exits_130_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "big.png"
    proc = subprocess.Popen(
        # the largest figure gradcli allows (40 megapixels): its PNG takes long enough to interrupt
        [*GRADCLI, "plot", "sin(x)*cos(y)", "--grid", "200", "--dpi", "700", "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=PLAIN_ENV,
        cwd=tmp_path,
    )
    # The figure is drawn into a temporary file beside the target (seconds at this size): interrupt
    # it there, the moment a half-written file exists, which is what must not be left behind.
    with killed_on_failure(proc):
        wait_for(lambda: any(tmp_path.iterdir()), proc, "the temporary figure file")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
    left = list(tmp_path.iterdir())
    if proc.returncode == 0:
        # On a starved machine the signal can arrive after gradcli has finished (the test saw the
        # temp file too late): then the figure must be whole, and no temp file may remain.
        assert left == [target], left
        assert target.read_bytes().endswith(b"IEND\xaeB`\x82")  # a complete PNG
        return
    assert proc.returncode == 130, err
    assert left == []  # neither the figure nor a temp file


def test_ctrl_c_during_a_streamed_descent_exits_130_cleanly() -> None:
    args = ["x**2+y**2", "--from", "3,1", "--steps", "50000000", "--tol", "0", "--lr", "1e-9"]
    proc = subprocess.Popen(
        [*GRADCLI, "descend", *args, "--format", "ndjson"],
        bufsize=0,  # unbuffered: readline takes one line, communicate() gets all the rest
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=PLAIN_ENV,
    )
    assert proc.stdout is not None
    with killed_on_failure(proc):
        first = proc.stdout.readline()  # the descent is running once its first step is streamed
        assert json.loads(first)["step"] == 0
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err == b"\ngradcli: interrupted\n"
    assert out == b"" or out.endswith(b"\n")  # no half-written record
    steps = [json.loads(line)["step"] for line in (first + out).splitlines()]
    assert steps == list(range(len(steps)))  # what was streamed is whole and in order


def on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run gradcli with stdout on a pseudo-terminal and return what it wrote there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*GRADCLI, *args], stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    args = ["grad", "x**2+y**2", "--at", "3,1"]
    colour_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    colour_env["TERM"] = "xterm-256color"
    assert b"\x1b[" in on_a_terminal(args, colour_env)  # the check below can fail
    assert b"\x1b[" not in on_a_terminal(args, {**colour_env, "NO_COLOR": "1"})
    piped = subprocess.run([*GRADCLI, *args], capture_output=True, env=colour_env, timeout=60)
    assert b"\x1b[" not in piped.stdout


def test_errors_go_to_stderr_and_machine_formats_to_stdout_only() -> None:
    bad = subprocess.run(
        [*GRADCLI, "descend", "x**2", "--from", "1", "--lr", "nan", "--format", "json"],
        capture_output=True,
        env=PLAIN_ENV,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == b""
    assert bad.stderr.startswith(b"gradcli: error: ")
