"""Issue 15, "Files slide-makers can use": transparent backgrounds, text that stays text (SVG
``<text>``, TrueType in PDF), Computer Modern maths, streamlines, and animations for Beamer
(numbered frames, a multi-page PDF, MP4 where ffmpeg is), all written atomically.

Everything runs ``gradcli plot`` in-process through the CLI and reads the files it wrote. The files
are checked as the tools people use would see them, read directly so no tool is needed: the alpha
channel of a PNG, the font dictionaries of a PDF (what ``pdffonts`` lists), the ``<text>`` elements
of an SVG. ffmpeg is faked by a small script on PATH (and absent from an empty PATH); the real
ffmpeg, where installed, is in the slow tier.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import gradcli.plotting as plotting
from gradcli.cli import app

FAST = ["--grid", "41", "--dpi", "40"]
DESCENT = ["x**2+3*y**2", "--from", "3,1", "--animate", *FAST]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plot", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def alpha(path: Path) -> np.ndarray[Any, Any]:
    with Image.open(path) as image:
        assert image.mode == "RGBA"
        return np.asarray(image.getchannel("A"))


def pdf_fonts(path: Path) -> list[tuple[str, str]]:
    """(Subtype, BaseFont) of every font dictionary — what pdffonts lists as 'type' and 'name'.
    matplotlib writes object dictionaries uncompressed, so they can be read as they are."""
    data = path.read_bytes()
    fonts = re.findall(rb"/Subtype\s*/(\w+)[^>]*?/BaseFont\s*/([\w+-]+)", data)
    fonts += [
        (b, a) for a, b in re.findall(rb"/BaseFont\s*/([\w+-]+)[^>]*?/Subtype\s*/(\w+)", data)
    ]
    return sorted({(kind.decode(), name.decode()) for kind, name in fonts})


def pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part"))


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The Plot objects ``gradcli plot`` builds in this test."""
    plots: list[Any] = []
    real = plotting.plot_function

    def capture(*a: Any, **k: Any) -> Any:
        plots.append(real(*a, **k))
        return plots[-1]

    monkeypatch.setattr(plotting, "plot_function", capture)
    yield plots


# --- a transparent background -------------------------------------------------------------------


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_transparent_png_has_no_background(tmp_path: Path) -> None:
    opaque, clear = tmp_path / "opaque.png", tmp_path / "clear.png"
    assert run("x**2+y**2", "-o", str(opaque), *FAST)[0] == 0
    code, _, err = run("x**2+y**2", "--transparent", "-o", str(clear), *FAST)
    assert code == 0, err
    assert alpha(opaque).min() == 255  # as before: every pixel opaque
    a = alpha(clear)
    assert a[0, 0] == 0 and a[-1, -1] == 0  # the corners: figure background, now see-through
    assert (a == 255).mean() > 0.3  # the contours themselves stay solid
    assert (a == 0).mean() > 0.05


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_a_matplotlibrc_savefig_transparent_is_honoured_and_opaque_overrides_it(
    tmp_path: Path,
) -> None:
    """The user's savefig.transparent used to be overridden (alpha stayed 255)."""
    honoured, forced = tmp_path / "rc.png", tmp_path / "forced.png"
    with matplotlib.rc_context({"savefig.transparent": True}):  # as a matplotlibrc would set it
        assert run("x**2+y**2", "-o", str(honoured), *FAST)[0] == 0
        assert run("x**2+y**2", "--opaque", "-o", str(forced), *FAST)[0] == 0
    assert alpha(honoured).min() == 0
    assert alpha(forced).min() == 255


def test_transparency_is_refused_where_the_format_has_none(tmp_path: Path) -> None:
    code, _, err = run(*DESCENT, "--transparent", "-o", str(tmp_path / "d.gif"))
    assert code == 2
    assert err.startswith("gradcli: error: --transparent: a GIF") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


# --- text that stays text -----------------------------------------------------------------------


@pytest.mark.slow
def test_svg_text_is_editable_on_request(tmp_path: Path) -> None:
    paths, text = tmp_path / "paths.svg", tmp_path / "text.svg"
    assert run("x**2+y**2", "--at", "1,1", "-o", str(paths), *FAST)[0] == 0
    code, _, err = run("x**2+y**2", "--at", "1,1", "--editable-text", "-o", str(text), *FAST)
    assert code == 0, err
    assert paths.read_text().count("<text") == 0  # as before: every glyph a path
    svg = text.read_text()
    assert svg.count("<text") >= 20
    # the tick numbers, the legend and the title are there as characters a slide editor can change
    for words in (">−2<", "tangent to the level curve", ">x<"):
        assert words in svg, words


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_pdf_fonts_are_truetype_not_type3(tmp_path: Path) -> None:
    target = tmp_path / "f.pdf"
    assert run("x**2+y**2", "--at", "1,1", "-o", str(target), *FAST)[0] == 0
    fonts = pdf_fonts(target)
    assert fonts, "no font dictionaries found"
    kinds = {kind for kind, _ in fonts}
    assert "Type3" not in kinds
    assert kinds <= {"Type0", "CIDFontType2", "TrueType"}
    assert any(name.endswith("DejaVuSans") for _, name in fonts)


def test_editable_text_is_refused_for_pixels(tmp_path: Path) -> None:
    code, _, err = run("x**2+y**2", "--editable-text", "-o", str(tmp_path / "f.png"), *FAST)
    assert code == 2 and "--editable-text: a PNG is pixels" in err and err.count("\n") == 1


# --- Computer Modern --------------------------------------------------------------------------


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_math_font_cm_sets_formulas_and_text_in_computer_modern(tmp_path: Path) -> None:
    target = tmp_path / "cm.pdf"
    code, _, err = run("x**2+y**2", "--at", "1,1", "--math-font", "cm", "-o", str(target), *FAST)
    assert code == 0, err
    assert err == ""  # fontTools' notes about the fonts' old timestamps stay quiet
    names = {name.split("+")[-1] for _, name in pdf_fonts(target)}
    assert {"Cmr10", "Cmmi10"} <= names  # text and math italic
    assert not any(name.startswith("DejaVuSans") for name in names)  # nothing left in sans


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_computer_modern_titles_keep_their_parentheses_full_size(
    tmp_path: Path, built: list[Any]
) -> None:
    """matplotlib's cm font set drew \\left( x \\right) half as tall as the x: sin(x)cos(y) came
    out with tiny parentheses. Flat arguments get plain ones; the default title is unchanged."""
    for flags in ((), ("--math-font", "cm")):
        target = tmp_path / "f.png"
        assert run("sin(x)*cos(y)", *flags, "-o", str(target), *FAST)[0] == 0
    default, cm = (plot.figure.axes[0].get_title() for plot in built)
    assert default == r"$f(x, y) = \sin{\left(x \right)} \cos{\left(y \right)}$"
    assert cm == r"$f(x, y) = \sin{(x)} \cos{(y)}$"


@pytest.mark.slow  # two PDFs, each embedding its fonts
def test_without_math_font_the_matplotlibrc_fonts_are_kept(tmp_path: Path) -> None:
    kept, forced = tmp_path / "kept.pdf", tmp_path / "forced.pdf"
    with matplotlib.rc_context({"mathtext.fontset": "stix", "font.family": "STIXGeneral"}):
        assert run("x**2+y**2", "-o", str(kept), *FAST)[0] == 0
        assert run("x**2+y**2", "--math-font", "dejavu", "-o", str(forced), *FAST)[0] == 0
    assert any("STIX" in name for _, name in pdf_fonts(kept))
    assert not any("STIX" in name for _, name in pdf_fonts(forced))


def test_a_matplotlibrc_with_usetex_still_gets_its_figure(tmp_path: Path) -> None:
    """text.usetex sent the labels (∇f, −) through LaTeX, which failed the whole figure (or, with
    no LaTeX installed, could not start); gradcli sets its own text, and says so in README."""
    target = tmp_path / "f.png"
    with matplotlib.rc_context({"text.usetex": True}):
        code, _, err = run("x**2+y**2", "--at", "1,1", "-o", str(target), *FAST)
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG")


def test_an_unknown_math_font_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("x*y", "--math-font", "tex", "-o", str(tmp_path / "f.png"))
    assert code == 2 and "'tex' is not one of cm, stix, dejavu" in err


# --- streamlines ------------------------------------------------------------------------------


def _flow_agreement(plot: Any) -> float:
    """Whether the streamlines run along ∇f (+1) or against it (−1)."""
    from matplotlib.collections import LineCollection

    ax = plot.figure.axes[0]
    (lines,) = [c for c in ax.collections if type(c) is LineCollection]
    pieces = [np.asarray(s, dtype=float) for s in lines.get_segments() if len(s) >= 2]
    assert pieces, "no streamlines"
    start = np.concatenate([s[:-1] for s in pieces])
    step = np.concatenate([np.diff(s, axis=0) for s in pieces])
    along = np.sum(step * plot.compiled.gradient(start), axis=1)
    # Weighted by how far each step goes along the field: streamplot repeats a point where a line
    # starts, and dithers in steps of 1e-16 where a line runs into a stationary point.
    return float(np.sum(along) / np.sum(np.abs(along)))


def legend_texts(fig: Any) -> list[str]:
    legends = list(fig.legends) + [a.get_legend() for a in fig.axes if a.get_legend()]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


@pytest.mark.parametrize(
    ("flags", "sign", "label"),
    [
        ((), 1, "streamlines: ∇f, uphill"),
        pytest.param(
            ("--descent-arrows",), -1, "streamlines: −∇f, downhill", marks=pytest.mark.slow
        ),
    ],
)
def test_stream_draws_the_gradient_flow_and_says_which_way(
    tmp_path: Path, built: list[Any], flags: tuple[str, ...], sign: int, label: str
) -> None:
    target = tmp_path / "s.png"
    code, _, err = run("x**2-y**2", "--stream", "--arrows", "0", *flags, "-o", str(target), *FAST)
    assert code == 0, err
    (plot,) = built
    assert sign * _flow_agreement(plot) > 0.95  # the lines run with the field they name
    texts = legend_texts(plot.figure)
    assert label in texts
    assert not any(t.startswith("arrows:") for t in texts)  # --arrows 0: no arrows to explain


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_stream_beside_the_arrows(tmp_path: Path, built: list[Any]) -> None:
    from matplotlib.quiver import Quiver

    assert run("x*y", "--stream", "-o", str(tmp_path / "s.png"), *FAST)[0] == 0
    ax = built[0].figure.axes[0]
    assert any(isinstance(c, Quiver) for c in ax.collections)
    assert _flow_agreement(built[0]) > 0.95


def test_stream_needs_two_variables_on_contours(tmp_path: Path) -> None:
    for args in (("x**2",), ("x*y", "--surface")):
        code, _, err = run(*args, "--stream", "-o", str(tmp_path / "f.png"), *FAST)
        assert code == 2 and err.startswith("gradcli: error: --stream draws the gradient flow")
    assert not list(tmp_path.iterdir())


# --- animations for Beamer ----------------------------------------------------------------------


@pytest.mark.slow  # vector frames are whole renders
def test_animate_into_a_folder_writes_numbered_pdf_frames(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    code, out, err = run(*DESCENT, "--frames", "4", "-o", f"{folder}/", "-f", "json")
    assert code == 0, err
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"frame-{i:03d}.pdf" for i in range(4)]
    for frame in folder.iterdir():
        assert frame.read_bytes().startswith(b"%PDF") and pages(frame) == 1
        assert "Type3" not in {kind for kind, _ in pdf_fonts(frame)}
    record = json.loads(out)
    assert record["kind"] == "animation" and record["format"] == "pdf-frames"
    beamer = f"\\animategraphics[controls,loop]{{12.5}}{{{folder}/frame-}}{{000}}{{003}}"
    assert any(beamer in note for note in record["notes"]), record["notes"]
    # fewer frames into the same folder: the older ones beyond are named, not silently mixed in
    code, out, err = run(*DESCENT, "--frames", "2", "-o", f"{folder}/", "-f", "json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any(f"{folder}/frame-002.pdf and on are left from an earlier run" in n for n in notes)
    assert any("{000}{001}" in n for n in notes)


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_a_name_pattern_writes_numbered_png_frames(tmp_path: Path) -> None:
    code, out, err = run(*DESCENT, "--frames", "5", "--transparent", "-o", f"{tmp_path}/f%02d.png")
    assert code == 0, err
    frames = sorted(tmp_path.glob("f*.png"))
    assert [p.name for p in frames] == [f"f{i:02d}.png" for i in range(5)]
    assert alpha(frames[0]).min() == 0  # --transparent reaches every frame
    # frames differ: the path grows
    first, last = (np.asarray(Image.open(p)) for p in (frames[0], frames[-1]))
    assert first.shape == last.shape and (first != last).any()
    assert "5 frames" in out


@pytest.mark.slow  # vector frames are whole renders
def test_a_pdf_animation_is_one_page_a_frame(tmp_path: Path) -> None:
    target = tmp_path / "run.pdf"
    code, out, err = run(*DESCENT, "--frames", "7", "-o", str(target))
    assert code == 0, err
    assert pages(target) == 7
    assert "Type3" not in {kind for kind, _ in pdf_fonts(target)}
    assert f"{{{tmp_path}/run}}{{}}{{}}" in out.replace("\n", "")


def test_the_frame_limit_is_a_clear_refusal(tmp_path: Path) -> None:
    code, _, err = run(*DESCENT, "--frames", "500", "-o", str(tmp_path / "d.gif"))
    assert code == 2 and err.count("\n") == 1
    assert "--frames 500: an animation has 2 to 120 frames" in err
    code, _, err = run("x*y", "--frames", "10", "-o", str(tmp_path / "f.png"))
    assert code == 2 and "add --animate" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("d.png", "one .png holds one picture"),
        ("f%d%d.png", "exactly one %d"),
        ("f%03d.jpg", "not .jpg"),
    ],
)
def test_what_cannot_hold_an_animation_is_refused(tmp_path: Path, name: str, says: str) -> None:
    code, _, err = run(*DESCENT, "-o", str(tmp_path / name))
    assert code == 2 and says in err and err.count("\n") == 1


@pytest.mark.slow  # three animations
def test_an_interrupted_animation_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after some frames: no frame, no temp file, and the folder it made is gone; an older
    set of frames in a folder that was there keeps what it had."""
    from gradcli.plotting import frames

    real, calls = frames.show_step, []

    def interrupted(plot: Any, step: int) -> None:
        calls.append(step)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(plot, step)

    monkeypatch.setattr(frames, "show_step", interrupted)
    new = tmp_path / "new"
    code, _, _ = run(*DESCENT, "-o", f"{new}/")
    assert code == 130 and not new.exists()
    old = tmp_path / "old"
    old.mkdir()
    (old / "frame-000.pdf").write_bytes(b"last week's frame")
    calls.clear()
    code, _, _ = run(*DESCENT, "-o", f"{old}/")
    assert code == 130
    assert [p.name for p in old.iterdir()] == ["frame-000.pdf"]
    assert (old / "frame-000.pdf").read_bytes() == b"last week's frame"
    calls.clear()
    code, _, _ = run(*DESCENT, "-o", str(tmp_path / "run.pdf"))
    assert code == 130 and leftovers(tmp_path) == [] and not (tmp_path / "run.pdf").exists()


# --- MP4 ----------------------------------------------------------------------------------------

FAKE_FFMPEG = """#!/bin/sh
# records its arguments and the bytes it was sent, then writes a file where it was asked to
printf '%s\\n' "$@" > "{log}"
wc -c > "{log}.bytes"
for last; do :; done
{finish}
"""


def fake_ffmpeg(folder: Path, finish: str = 'printf "fake mp4" > "$last"') -> dict[str, str]:
    """An environment whose PATH finds this fake ffmpeg first (and the shell's tools after it)."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "ffmpeg"
    exe.write_text(FAKE_FFMPEG.format(log=folder / "ffmpeg.args", finish=finish))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_mp4_is_refused_without_ffmpeg(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(*DESCENT, "-o", str(tmp_path / "d.mp4"), env={"PATH": str(empty)})
    assert code == 2 and out == ""
    assert err == (
        "gradcli: error: an MP4 needs ffmpeg, and there is none on PATH — install ffmpeg, or "
        "write a .gif, a multi-page .pdf or numbered frames (-o frames/)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


@pytest.mark.slow  # a real process (the fake ffmpeg)
def test_mp4_pipes_the_frames_to_ffmpeg_and_renames_its_file_into_place(tmp_path: Path) -> None:
    env = fake_ffmpeg(tmp_path)
    target = tmp_path / "d.mp4"
    code, out, err = run(*DESCENT, "--frames", "5", "-o", str(target), "-f", "json", env=env)
    assert code == 0, err
    assert target.read_bytes() == b"fake mp4"
    args = (tmp_path / "ffmpeg.args").read_text().splitlines()
    record = json.loads(out)
    width, height = record["pixels"]
    assert args[args.index("-s") + 1] == f"{width}x{height}"
    assert args[args.index("-pix_fmt") + 1] == "rgba" and "yuv420p" in args
    assert args[-1] != str(target) and Path(args[-1]).parent == tmp_path  # a temp file, renamed
    frames_sent = int((tmp_path / "ffmpeg.args.bytes").read_text()) // (width * height * 4)
    assert frames_sent == 5 + 25  # the frames, then the last held for two seconds at 12.5 fps
    assert record["kind"] == "animation" and record["format"] == "mp4"
    assert leftovers(tmp_path) == []


@pytest.mark.slow  # a real process (the fake ffmpeg)
def test_a_failing_ffmpeg_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    env = fake_ffmpeg(tmp_path, finish='cat >/dev/null; echo "Unknown encoder h264" >&2; exit 1')
    target = tmp_path / "d.mp4"
    code, _, err = run(*DESCENT, "--frames", "3", "-o", str(target), env=env)
    assert code == 1
    assert err.startswith("gradcli: error: cannot write") and "Unknown encoder h264" in err
    assert err.count("\n") == 1
    assert not target.exists() and leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_a_real_mp4(tmp_path: Path) -> None:
    target = tmp_path / "d.mp4"
    code, _, err = run(
        *DESCENT, "--frames", "8", "-o", str(target), env={"PATH": os.environ["PATH"]}
    )
    assert code == 0, err
    data = target.read_bytes()
    assert data[4:8] == b"ftyp" and b"moov" in data and len(data) > 1000
    assert leftovers(tmp_path) == []
