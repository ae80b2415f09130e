"""The result cache on the command line: answer before typer, sympy or numpy is imported, when
an earlier run already did the work (see :mod:`gradcli.cache`).

:func:`answer` runs first in :func:`gradcli.cli.main`:

1. **An identical command** (``grad``, ``partial``, ``critical``, ``level``; same arguments, same
   Python, dependencies and gradcli source, same stream encodings and output-shaping environment,
   neither stdout nor stderr a terminal, nothing read from stdin) replays the stdout and stderr the
   first run wrote, in the order it wrote them.
2. **The same function at new points** (``grad`` and ``partial`` of a function of rationals,
   + × powers, the elementary functions, π and e; points typed as plain decimals, options ``--at
   --format --precision --vars --let`` and ``--wrt --order``) is answered from the stored function
   with exact rational arithmetic (and mpmath for sin, exp …, where the output shows no exact form
   the full path would simplify), and rendered by the same renderer as the full path.

Otherwise it returns None and the command runs as ever, its output teed so that a success can be
kept (:func:`finish`); ``grad.py`` and ``partial.py`` offer their function with
:func:`remember_gradient` / :func:`remember_partial`. Only exit code 0 is kept, no reply from a run
in which a time bound ran out (its answer depends on the machine's load), and no function offered
after one ran out. ``GRADCLI_NO_CACHE=1``
or ``--no-cache`` turns all of this off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

REPLAYED = ("grad", "partial", "critical", "level")  # answers that depend on the arguments alone
FUNCTIONS = ("grad", "partial")
NO_CACHE = "--no-cache"
MAX_REPLY = 200_000  # characters of output worth keeping for one command
# The environment that shapes output without being an argument (rich reads the first ones).
SHAPING = (
    "COLUMNS",
    "LINES",
    "NO_COLOR",
    "FORCE_COLOR",
    "TERM",
    "COLORTERM",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
)
OWN = ("GRADCLI_CACHE_DIR", "GRADCLI_NO_CACHE", "GRADCLI_CACHE_MAX_BYTES")
# grad/partial's options with a value, as the fast path reads them (anything else: full path)
VALUED = {
    "--at": "at",
    "-a": "at",
    "--format": "format",
    "-f": "format",
    "--precision": "precision",
    "-p": "precision",
    "--vars": "vars",
    "--let": "let",
}
PARTIAL_VALUED = {"--wrt": "wrt", "-w": "wrt", "--order": "order", "-n": "order"}
FORMATS = ("table", "json", "ndjson", "csv", "latex")


class Session:
    """One run's business with the cache: its keys and what it wrote."""

    def __init__(self, store: Any, environment: str) -> None:
        self.store = store
        self.environment = environment
        self.reply_key: str | None = None
        self.function_key: str | None = None
        self.written: list[tuple[int, str]] = []  # (1 stdout | 2 stderr, text), in order
        self.size = 0
        self.intact = True  # False once a write failed or the output grew past MAX_REPLY
        self.function: dict[str, Any] | None = None
        self.expired_before = expired_count()  # bounds run out before this run (in-process use)

    def record(self, channel: int, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_REPLY:
            self.intact = False
            self.written.clear()
        elif self.intact:
            self.written.append((channel, text))

    def stderr_so_far(self) -> str:
        return "".join(text for channel, text in self.written if channel == 2)


_session: Session | None = None
_bypass = False  # --no-cache was given: the rest of the run (cli/recall.py) keeps off it too


def strip_no_cache(argv: list[str]) -> tuple[list[str], bool]:
    """``argv`` without ``--no-cache`` (taken wherever it stands before a ``--``), and whether it
    was there."""
    if NO_CACHE not in argv:
        return argv, False
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [a for a in argv[:end] if a != NO_CACHE] + argv[end:]
    return kept, len(kept) != len(argv)


def answer(argv: list[str], no_cache: bool = False) -> int | None:
    """The exit code of a command answered from the cache (its output written), or None: run it,
    and :func:`finish` keeps what it wrote."""
    global _session, _bypass
    _session = None
    _bypass = no_cache
    if no_cache or not argv or argv[0] not in REPLAYED:
        return None
    from gradcli.cache.store import Store, digest, disabled, environment

    if disabled():
        return None
    store = Store.open()
    if store is None:
        return None
    from gradcli import __version__

    session = Session(store, environment(__version__))
    if _replayable(argv):
        session.reply_key = digest(session.environment, "reply", argv, _surroundings())
        body = store.read("reply", session.reply_key)
        if body is not None:
            code = _replay(body)
            if code is not None:
                return code
    if argv[0] in FUNCTIONS and not _own_settings():
        parsed = _parse(argv)
        if parsed is not None:
            session.function_key = digest(session.environment, "function", *parsed.key)
            body = store.read("function", session.function_key)
            if body is not None:
                code = _from_function(body, parsed)
                if code is not None:
                    return code
    if session.reply_key is not None or session.function_key is not None:
        _tee(session)
        _session = session
    return None


def finish(code: object) -> None:
    """Keep what this run answered, if it succeeded without running out of time anywhere."""
    global _session
    session, _session = _session, None
    if session is None or code not in (0, None):
        return
    if session.reply_key is not None and session.intact and not _expired():
        chunks = _merged(session.written)
        session.store.write("reply", session.reply_key, {"code": 0, "output": chunks})
    # The function was offered before any point was evaluated, and only if no bound had run out
    # by then: a later point's simplification running out of time (sin(131/100)·… takes seconds)
    # shapes that point's reply, not f, its derivatives or the point-free head.
    if session.function_key is not None and session.function is not None:
        session.store.write("function", session.function_key, session.function)


def bypassed() -> bool:
    """Whether this run was asked to keep off the cache (``--no-cache``)."""
    return _bypass


def _expired() -> bool:
    """Whether a time bound ran out in this process so far (what followed depends on the load)."""
    return expired_count() > 0


def expired_count() -> int:
    limits = sys.modules.get("gradcli.limits")
    return len(getattr(limits, "EXPIRED", ())) if limits is not None else 0


def _clean(session: Session) -> bool:
    """Whether no time bound has run out since ``session`` began: what it made so far is the
    same on any machine."""
    return expired_count() <= session.expired_before


# --- level 1: the identical command ---------------------------------------------------------------
def _replayable(argv: list[str]) -> bool:
    """Whether this command's output depends on its arguments and the key's environment alone."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            return False
    if _isatty(sys.stdout) or _isatty(sys.stderr) or os.environ.get("GRADCLI_DEBUG"):
        return False
    for arg in argv:
        if arg in ("-", "-h", "--help", "--version") or arg.endswith("=-"):
            return False  # stdin, or help (cheap anyway, and terminal-shaped)
        if len(arg) == 3 and arg[0] == "-" and arg[2] == "-":
            return False  # '-a-': a short option reading stdin
    return True


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return True  # unknown: treat as a terminal (never replayed)


def _surroundings() -> list[Any]:
    """What besides the arguments shapes the output: the streams' encodings, the shaping and
    gradcli's own environment variables."""
    streams = [
        [getattr(s, "encoding", None), getattr(s, "errors", None)] for s in (sys.stdout, sys.stderr)
    ]
    env = sorted(
        (k, v)
        for k, v in os.environ.items()
        if k in SHAPING or (k.startswith("GRADCLI_") and k not in OWN)
    )
    return [streams, env]


def _replay(body: dict[str, Any]) -> int | None:
    output = body.get("output")
    if body.get("code") != 0 or not isinstance(output, list):
        return None
    chunks: list[tuple[int, str]] = []
    for item in output:
        if not (isinstance(item, list) and len(item) == 2 and item[0] in (1, 2)):
            return None
        if not isinstance(item[1], str):
            return None
        chunks.append((item[0], item[1]))
    return _write(chunks)


def _merged(written: list[tuple[int, str]]) -> list[list[Any]]:
    """Consecutive writes to one stream as one chunk (the order between the streams is kept)."""
    merged: list[list[Any]] = []
    for channel, text in written:
        if merged and merged[-1][0] == channel:
            merged[-1][1] += text
        else:
            merged.append([channel, text])
    return merged


def _write(chunks: list[tuple[int, str]]) -> int:
    """Write the chunks as the full path would (prepared streams, a closed pipe ends quietly)."""
    from gradcli.cli import process

    process.prepare_streams()

    def replay() -> None:
        for channel, text in chunks:
            stream = sys.stdout if channel == 1 else sys.stderr
            stream.write(text)
            stream.flush()

    return _write_out(replay)


def _write_out(write: Callable[[], None]) -> int:
    """Run ``write`` as the funnel would: a closed pipe ends quietly (0), any other write error is
    one line (1)."""
    from gradcli.cli import process

    try:
        write()
    except BrokenPipeError:
        process.silence(1)
        return 0
    except OSError as exc:
        process.silence(1)
        from gradcli.cli.app import report

        report(f"cannot write the output: {getattr(exc, 'strerror', None) or exc}")
        return 1
    return 0


class _Tee:
    """A standard stream whose text is also kept for the cache (everything else passes through)."""

    def __init__(self, stream: Any, channel: int, session: Session) -> None:
        self._stream = stream
        self._channel = channel
        self._session = session

    def write(self, text: str) -> int:
        try:
            written = self._stream.write(text)
        except BaseException:
            self._session.intact = False  # a closed pipe or a full disk: not the whole answer
            raise
        self._session.record(self._channel, text)
        return int(written) if written is not None else len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BaseException:
            self._session.intact = False
            raise

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # bytes written past the text layer cannot be replayed
            self._session.intact = False
        return getattr(self._stream, name)


def _tee(session: Session) -> None:
    from gradcli.cli import process

    process.prepare_streams()  # first, so its checks see the real streams
    sys.stdout = _Tee(sys.stdout, 1, session)
    sys.stderr = _Tee(sys.stderr, 2, session)


# --- level 2: the same function at new points -----------------------------------------------------
class Parsed:
    """grad/partial's arguments as the fast path understands them."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.expr: str | None = None
        self.values: dict[str, list[str]] = {}

    def last(self, name: str, default: str | None = None) -> str | None:
        given = self.values.get(name)
        return given[-1] if given else default

    @property
    def key(self) -> list[Any]:
        return [
            self.command,
            self.expr,
            self.last("vars"),
            self.last("let"),
            self.values.get("wrt", []),
            self.last("order"),
        ]


def _own_settings() -> bool:
    """gradcli settings in the environment that the fast path does not know: full path."""
    return any(k.startswith("GRADCLI_") and k not in OWN for k in os.environ)


def _parse(argv: list[str]) -> Parsed | None:
    command = argv[0]
    valued = {**VALUED, **(PARTIAL_VALUED if command == "partial" else {})}
    parsed = Parsed(command)
    k = 1
    while k < len(argv):
        arg = argv[k]
        if arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
            if name not in valued or (eq and not arg.startswith("--")):
                return None
            if not eq and not value:
                if k + 1 >= len(argv):
                    return None
                k += 1
                value = argv[k]
            parsed.values.setdefault(valued[name], []).append(value)
        elif parsed.expr is None and arg.strip() not in ("", "-"):
            parsed.expr = arg
        else:
            return None
        k += 1
    if parsed.expr is None:
        return None
    if any(v.strip() == "-" for v in parsed.values.get("at", [])):
        return None
    fmt = (parsed.last("format", "table") or "").lower()
    precision = parsed.last("precision", "6") or ""
    order = parsed.last("order")
    if fmt not in FORMATS or not _small_int(precision, 17):
        return None
    if order is not None and not _small_int(order, 20):
        return None
    return parsed


def _small_int(text: str, largest: int) -> bool:
    return text.isdigit() and len(text) <= 2 and text[0] != "0" and 1 <= int(text) <= largest


def _from_function(body: dict[str, Any], parsed: Parsed) -> int | None:
    """The answer from a stored function, or None when any point needs the full path."""
    from gradcli.cache import answers
    from gradcli.cache.exact import Refused

    try:
        names = body["head"]["record"]["variables"]
        points: list[Any] = []
        for text in parsed.values.get("at", []):
            at = answers.coordinates(text, len(names))
            if at is None:
                return None
            if parsed.command == "grad":
                points.append(answers.grad_at(body["f"], body["gradient"], at))
            else:
                points.append(answers.partial_at(body["f"], body["derivative"], at))
        fmt = (parsed.last("format", "table") or "table").lower()
        precision = int(parsed.last("precision", "6") or "6")
        from gradcli.views import cached

        if fmt not in cached.formats(body["head"]) or not cached.printable(points, fmt):
            return None
        streamed = fmt in ("ndjson", "csv")
        if parsed.command == "grad":
            doc = cached.gradient_document(body["head"], points, precision, streamed=streamed)
        else:
            doc = cached.partial_document(body["head"], points, precision, streamed=streamed)
        prelude = body["stderr"]
        if not isinstance(prelude, str):
            return None
    except (
        Refused,
        KeyError,
        TypeError,
        ArithmeticError,
        ValueError,
        IndexError,
        AttributeError,
        RecursionError,
    ):
        return None  # a point the exact path cannot promise, or an entry not as gradcli writes
    return _render(doc, fmt, prelude)


def _render(doc: Any, fmt: str, prelude: str) -> int:
    from gradcli.cli import process
    from gradcli.views.render import render

    process.prepare_streams()

    def write() -> None:
        if prelude:
            sys.stderr.write(prelude)
            sys.stderr.flush()
        render(doc, fmt)
        sys.stdout.flush()

    return _write_out(write)


# --- what grad and partial offer ------------------------------------------------------------------
def remember_gradient(fn: Any, compute: Any) -> None:
    """Keep ``grad``'s function for later points (if the run succeeds and it is a rational one)."""
    session = _session
    if session is None or session.function_key is None or not session.intact:
        return
    from gradcli.cache.exact import tree

    f = tree(fn.expr, fn.variables)
    gradient = [tree(g, fn.variables) for g in compute.grad]
    if f is None or any(g is None for g in gradient) or compute.sigmoid_form is not None:
        return
    from gradcli.views import cached
    from gradcli.views.symbolic import gradient_document

    head = cached.head(gradient_document(compute.result([])))
    if _clean(session):
        session.function = {"f": f, "gradient": gradient, "head": head, **_prelude(session)}


def remember_partial(fn: Any, compute: Any) -> None:
    """Keep ``partial``'s function and derivative for later points (as :func:`remember_gradient`)."""
    session = _session
    if session is None or session.function_key is None or not session.intact:
        return
    from gradcli.cache.exact import tree

    f = tree(fn.expr, fn.variables)
    derivative = tree(compute.derivative, fn.variables)
    if f is None or derivative is None or compute.sigmoid_form is not None:
        return
    from gradcli.views import cached
    from gradcli.views.symbolic import partial_document

    result = compute.result([])
    head = {**cached.head(partial_document(result)), "name": result.notation}
    if _clean(session):
        session.function = {"f": f, "derivative": derivative, "head": head, **_prelude(session)}


def _prelude(session: Session) -> dict[str, Any]:
    """What the run wrote on stderr before any point (notes on how f was read)."""
    return {"stderr": session.stderr_so_far()}
