"""Pictures in the terminal: ``plot`` without ``-o`` (or with ``--term``) and ``descend --curve``.

In-process, a terminal is forced the way rich lets any user force it (``FORCE_COLOR``), with its size
in ``COLUMNS``/``LINES``; one slow test runs gradcli under a real pseudo-terminal for the TTY test
itself, and one through a pipe.
"""

from __future__ import annotations

import csv
import io
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from gradcli.cli import app

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED_POINT = "255;59;48"  # the first --at point's colour (style.PALETTE[0]) in a truecolor escape
# None unsets a variable: rich 13.0 reads a NO_COLOR that is set but empty as "no colour"
BASE: dict[str, str | None] = {
    "TERM": "xterm-256color",
    "KITTY_WINDOW_ID": None,
    "TERM_PROGRAM": None,
    "NO_COLOR": None,
}


def terminal(columns: int = 80, lines: int = 24, colour: bool = True) -> dict[str, str | None]:
    env = {**BASE, "FORCE_COLOR": "1", "COLUMNS": str(columns), "LINES": str(lines)}
    if colour:
        env["COLORTERM"] = "truecolor"
    else:
        env["NO_COLOR"] = "1"
    return env


def run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def visible(text: str) -> list[str]:
    return ANSI.sub("", text).rstrip("\n").split("\n")


def test_plot_without_o_draws_colour_half_blocks_sized_to_the_terminal() -> None:
    code, out, err = run(["plot", "x^2+y^2", "--at", "1,1"], terminal(80, 24))
    assert code == 0, err
    lines = visible(out)
    assert len(lines) <= 23  # the prompt's line stays free: the picture is all on screen
    assert max(cell_len(line) for line in lines) <= 80
    assert "▀" in out and "\x1b[38;2;" in out and "48;2;" in out  # fg and bg: two pixels a cell
    assert RED_POINT in out  # the --at point, drawn in its colour
    text = "\n".join(lines)
    assert lines[0] == "f(x, y) = x**2 + y**2"
    assert "∇f(1, 1) = (2, 2)" in text and "level f = 2 through (1, 1)" in text
    assert re.search(r"^ *−3 +x +3$", text, flags=re.M)  # the x range under the picture
    assert any(arrow in text for arrow in "↗↖↙↘")  # the gradient field as glyphs
    assert not (Path.cwd() / "plot.png").exists()


def test_no_color_gets_shades_and_glyphs_without_a_single_escape() -> None:
    code, out, err = run(["plot", "x^2+y^2", "--at", "1,1"], terminal(80, 24, colour=False))
    assert code == 0, err
    assert "\x1b" not in out and "▀" not in out
    assert "◉" in out  # the --at point as a glyph
    assert "%" in out and ":" in out  # contour bands as shades
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= 23 and max(cell_len(line) for line in lines) <= 80


@pytest.mark.slow
def test_a_large_terminal_gets_a_large_picture() -> None:
    code, out, _ = run(["plot", "x^2+y^2", "--at", "1,1"], terminal(200, 60))
    assert code == 0
    lines = visible(out)
    assert 50 <= len(lines) <= 59
    assert max(cell_len(line) for line in lines) <= 200
    small = visible(run(["plot", "x^2+y^2", "--at", "1,1"], terminal(80, 24))[1])
    assert len(lines) > 2 * len(small) - 10


@pytest.mark.slow
def test_descent_paths_and_the_1d_curve_in_the_terminal() -> None:
    args = ["plot", "x^2+3y^2", "--from", "2,1", "--lr", "0.1"]
    code, out, err = run(args, terminal(80, 24, colour=False))
    assert code == 0, err
    assert "●" in out and "★" in out and "•" in out  # start, end and the path between
    assert "gd, lr = 0.1" in out
    code, out, err = run(["plot", "x^2", "--at", "1"], terminal(80, 24))
    assert code == 0, err
    assert "tangent at x = 1: slope 2" in out and "▀" in out
    assert len(visible(out)) <= 23


def test_no_o_off_a_terminal_is_refused_as_before() -> None:
    code, out, err = run(["plot", "x^2+y^2"], {**BASE, "FORCE_COLOR": None, "TTY_COMPATIBLE": None})
    assert code == 2 and out == ""
    assert err.startswith("gradcli: error:") and "not a terminal" in err and "--output" in err
    assert len(err.strip().splitlines()) <= 2  # the line and its hint


def test_term_text_into_a_pipe_is_plain_text_at_a_fixed_size() -> None:
    env = {**BASE, "FORCE_COLOR": None, "COLUMNS": None, "LINES": None}
    code, out, err = run(["plot", "sin(x)", "--at", "1", "--term", "text"], env)
    assert code == 0, err
    assert "\x1b" not in out and "◉" in out
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= 23 and max(cell_len(line) for line in lines) <= 80


@pytest.mark.parametrize(
    "args, says",
    [
        (["--format", "json"], "not json"),
        (["--surface"], "3-D surface"),
        (["--term", "wobble"], "not a way to draw"),
    ],
)
def test_what_the_terminal_cannot_show_is_refused(args: list[str], says: str) -> None:
    code, out, err = run(["plot", "x^2+y^2", *args], terminal())
    assert code == 2 and out == "" and says in err


@pytest.mark.slow
def test_term_with_o_writes_the_file_and_draws(tmp_path: Path) -> None:
    target = tmp_path / "bowl.png"
    code, out, err = run(
        ["plot", "x^2+y^2", "-o", str(target), "--term", "text", "--dpi", "40"], terminal()
    )
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG")
    assert "wrote" in out and "%" in out


@pytest.mark.slow
@pytest.mark.parametrize(
    "env, term, start",
    [
        ({"KITTY_WINDOW_ID": "1"}, "image", "\x1b_Ga=T,f=100,"),
        ({"TERM": "xterm-kitty"}, "image", "\x1b_Ga=T,f=100,"),
        ({"TERM_PROGRAM": "iTerm.app"}, "image", "\x1b]1337;File=inline=1;"),
        ({"TERM_PROGRAM": "WezTerm"}, "image", "\x1b]1337;File=inline=1;"),
        ({}, "kitty", "\x1b_Ga=T,f=100,"),
        ({}, "sixel", '\x1bPq"1;1;'),
    ],
)
def test_inline_images_where_asked(env: dict[str, str], term: str, start: str) -> None:
    code, out, err = run(["plot", "x^2+y^2", "--term", term, "--grid", "40"], {**terminal(), **env})
    assert code == 0, err
    assert out.startswith(start)
    assert out.rstrip("\n").endswith(("\x1b\\", "\x07"))


def test_term_image_never_guesses() -> None:
    for env in ({}, {"TERM_PROGRAM": "Apple_Terminal"}, {"TERM": "tmux-256color"}):
        code, out, err = run(["plot", "x^2+y^2", "--term", "image"], {**terminal(), **env})
        assert code == 2 and out == ""
        assert "not known to show inline images" in err and "sixel" in err


def test_sixel_encoding_of_a_known_image() -> None:
    from PIL import Image

    from gradcli.plotting.sixel import encode

    buffer = io.BytesIO()
    image = Image.new("RGB", (5, 6), (255, 0, 0))
    image.putpixel((4, 0), (0, 0, 255))
    image.save(buffer, format="PNG")
    text = encode(buffer.getvalue())
    assert text.startswith('\x1bPq"1;1;5;6') and text.endswith("-\x1b\\")
    colours = dict(re.findall(r"#(\d+);2;(\d+;\d+;\d+)", text))
    red = next(k for k, v in colours.items() if v == "100;0;0")
    blue = next(k for k, v in colours.items() if v == "0;0;100")
    assert f"#{red}!4~}}" in text  # four full columns, then one without its top pixel (bit 0)
    assert f"#{blue}!4?@" in text  # four empty columns (run-length coded), then the top pixel


def test_descend_curve_draws_f_and_the_norm_after_the_table() -> None:
    args = ["descend", "x^2+10y^2", "--from", "1,1", "--lr", "0.01", "--lr", "0.05", "--curve"]
    code, out, err = run(args, terminal(100, 40))
    assert code == 0, err
    text = "\n".join(visible(out))
    assert text.index("final states") < text.index("f per step")
    assert "‖∇f‖ per step, log scale" in text  # 1.4e1 down to 1e-6: decades
    assert "▀" in out and "gd, lr = 0.01" in text.split("per step")[-1]


def test_descend_curve_keeps_machine_formats_clean() -> None:
    args = ["descend", "x^2+y^2", "--from", "3,1", "--format", "csv"]
    code, plain, _ = run(args, terminal())
    code_curve, out, err = run([*args, "--curve"], terminal())
    assert code == code_curve == 0
    assert out == plain  # byte for byte: no picture mixed into the data
    assert next(iter(csv.reader(io.StringIO(out))))[:4] == ["run", "method", "lr", "step"]
    assert "--curve" in err and "note" in err


def test_descend_curve_on_a_pipe_is_a_character_plot() -> None:
    env = {**BASE, "FORCE_COLOR": None, "COLUMNS": None, "LINES": None}
    code, out, err = run(["descend", "x^2+y^2", "--from", "3,1", "--curve"], env)
    assert code == 0, err
    assert "\x1b" not in out and "▀" not in out and "⠀" not in out
    tail = out[out.index("f per step") :]
    assert re.search(r"[#%@*+=]", tail)  # the curve as ink characters
    assert max(cell_len(line) for line in tail.splitlines()) <= 80


def _pty_run(args: list[str], columns: int, lines: int) -> tuple[int, str]:
    """gradcli on a real pseudo-terminal: (exit code, what the terminal received)."""
    import pty

    env = {**os.environ, "COLUMNS": str(columns), "LINES": str(lines), "TERM": "xterm-256color"}
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "KITTY_WINDOW_ID", "TERM_PROGRAM"):
        env.pop(name, None)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradcli", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    received = b""
    while True:  # read until the child closes its end (EOF/EIO): no sleeping, no guessing
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        received += chunk
    os.close(main)
    return proc.wait(timeout=60), received.decode("utf-8", "replace")


@pytest.mark.slow
def test_a_real_terminal_is_detected_and_a_pipe_is_not() -> None:
    code, shown = _pty_run(["plot", "x^2+y^2", "--at", "1,1"], 80, 24)
    assert code == 0, shown
    assert "▀" in shown and "\x1b[" in shown
    assert len(ANSI.sub("", shown).replace("\r", "").rstrip("\n").split("\n")) <= 23
    piped = subprocess.run(
        [sys.executable, "-m", "gradcli", "plot", "x^2+y^2"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")},
        timeout=120,
    )
    assert piped.returncode == 2 and piped.stdout == ""
    assert "not a terminal" in piped.stderr


def test_dash_output_is_the_terminal_as_with_no_output() -> None:
    code, out, err = run(["plot", "x^2+y^2", "--at", "1,1", "-o", "-"], terminal())
    assert code == 0, err
    assert "▀" in out and "\x1b[" in out
    code, out, err = run(["plot", "x^2+y^2", "-o", "-"], {**BASE, "FORCE_COLOR": None})
    assert code == 2 and out == "" and "not a terminal" in err
