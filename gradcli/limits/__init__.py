"""Time bounds for steps that can run away (sympy's solve, simplify, exact evaluation, ...).

``with time_limit(seconds, what):`` bounds a block, and ``bounded(seconds, compute, fallback)``
answers ``fallback`` when ``compute`` runs out of time. Three layers, each catching what the one
before cannot:

1. **The soft bound** raises :class:`TimeUp` inside the block once its time is up, so the caller
   falls back to something plainer. ``TimeUp`` derives from ``BaseException`` on purpose: sympy has
   ``except Exception`` blocks that would otherwise swallow it and carry on computing.

   - In the main thread on POSIX it is a ``SIGALRM`` interval timer, which also interrupts sleeping
     system calls. A ``SIGALRM`` timer someone else had running (a test guard) is kept and its
     handler called in time.
   - Elsewhere (other threads; Windows, which has no ``SIGALRM``) the watchdog thread raises
     ``TimeUp`` in the bounded thread with CPython's ``PyThreadState_SetAsyncExc``.
   - Either way it is raised again every :data:`RETRY_SECONDS` while the block runs on: a
     ``TimeUp`` raised inside a garbage-collection callback or a ``__del__`` is printed and lost,
     and a stray ``except BaseException`` may swallow one. Nested bounds keep their own deadlines.
   - It is never raised inside this module's own bookkeeping, so leaving a block cleans up (and
     if leaving is cut short anyway, the bound's ``__del__`` cleans up behind it).

2. **The watchdog's hard exit.** Python runs handlers only between bytecodes, so no ``TimeUp``
   lands while a C call runs (a sleep with the signal blocked, a C library routine). One daemon
   thread knows every running bound; if one is still running :data:`GRACE_SECONDS` after its
   deadline, the watchdog runs the :func:`on_hard_exit` callbacks (a figure writer removes its temp
   file there), flushes stdout and stderr (within a second: the stuck thread may hold their locks),
   writes one line ``gradcli: error: <what> took longer than N s and could not be interrupted — ...``
   straight to file descriptor 2 and ends the process with exit code 1 through ``os._exit``.

3. **The backstop.** A C call that holds the GIL (a huge integer power) stops every Python thread,
   the watchdog too. ``faulthandler.dump_traceback_later(exit=True)``, armed for the earliest hard
   deadline plus :data:`BACKSTOP_SECONDS`, is a C thread that needs no GIL: it ends the process with
   exit code 1. Its multi-line dump goes to a small helper process (started with the first bound)
   that prints the same one line instead; the callbacks cannot run then. If the helper cannot start,
   the exit still happens, silently. The backstop owns faulthandler's one ``dump_traceback_later``
   slot while a bound runs.

All three hold in any thread and on every platform CPython runs on. A program embedding gradcli
that would rather hang than exit turns layers 2 and 3 off with :func:`set_hard_exit`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from gradcli.limits.backstop import Backstop, last_line

_Backstop = Backstop  # the name the tests patch

T = TypeVar("T")

GRACE_SECONDS = 2.0  # after a deadline, before the hard exit: unwinding a TimeUp takes far less
RETRY_SECONDS = 0.25  # a TimeUp that was lost is raised again after this long
# A bound buys CPU seconds, not wall seconds: at its deadline, a process that got less CPU than its
# budget (a busy machine) waits for the rest, up to STRETCH times the budget in wall time. So what
# a bounded step answers does not depend on the load (a solve that takes 0.1 s of CPU is not cut
# off because the machine was busy), and a step that never gets the CPU still ends.
STRETCH = 4.0
HARD_EXIT_CODE = 1  # ExitCode.MATH, like TimeLimitError (errors.py is a sibling layer: no import)
USE_SIGALRM = hasattr(signal, "setitimer")  # False on Windows; tests turn it off to try the rest


class TimeUp(BaseException):
    """Raised inside a bounded block when its time budget runs out."""


@dataclass(eq=False)  # compared by identity: two bounds with equal fields are still two
class _Bound:
    what: str
    seconds: float
    thread: int  # threading.get_ident() of the bounded block
    deadline: float  # time.monotonic(); moved later while the process lacked CPU (see STRETCH)
    hard_deadline: float
    cpu_start: float = 0.0  # time.process_time() at the start
    wall_cap: float = 0.0  # the latest the deadline may move to
    raised: bool = False  # a TimeUp was raised for it: its deadline moves no more
    by_signal: bool = False
    next_raise: float = 0.0  # for bounds the watchdog raises in: when to raise next


class time_limit:  # lower case: it is used like a function, ``with time_limit(2.0):``
    """Raise :class:`TimeUp` in the block after ``seconds`` (no bound when ``seconds <= 0``).

    ``what`` names the step in the hard-exit line, e.g. ``"solving ∇f = 0"``.
    """

    def __init__(self, seconds: float, what: str = "a computation") -> None:
        self.seconds = seconds
        self.what = what
        self._bound: _Bound | None = None
        self._last: _Bound | None = None

    @property
    def expired(self) -> bool:
        """Whether this bound's own deadline has passed (a TimeUp may also be an outer one's)."""
        return self._last is not None and time.monotonic() >= self._last.deadline

    def __enter__(self) -> time_limit:
        if self.seconds > 0:
            now = time.monotonic()
            bound = _Bound(
                what=self.what,
                seconds=self.seconds,
                thread=threading.get_ident(),
                deadline=now + self.seconds,
                hard_deadline=now + self.seconds + GRACE_SECONDS,
                cpu_start=time.process_time(),
                wall_cap=now + self.seconds * STRETCH,
            )
            bound.next_raise = bound.deadline
            self._last = bound
            bound.by_signal = _signal_push(bound)
            self._bound = bound
            _watchdog.add(bound)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: object
    ) -> None:
        self._close()
        if kind is TimeUp and self.expired:  # what follows depends on the load: not for the cache
            EXPIRED.append(self.what)

    def __del__(self) -> None:
        # Plain try, not contextlib.suppress: the alarm handler spares only this module's frames.
        try:  # noqa: SIM105
            self._close()  # only does anything when leaving the block was cut short
        except Exception:  # at interpreter exit the module may be half gone
            pass

    def _close(self) -> None:
        bound = self._bound
        if bound is None:
            return
        _watchdog.remove(bound)
        if bound.by_signal:
            _signal_pop(bound)
        self._bound = (
            None  # last: if cut short, __del__ does it all again (each step is idempotent)
        )


def bounded(
    seconds: float, compute: Callable[[], T], fallback: T, what: str = "a computation"
) -> T:
    """``compute()`` if it finishes within ``seconds``, else ``fallback``.

    A TimeUp of an enclosing bound passes through: the fallback answers for this bound only."""
    limit = time_limit(seconds, what)
    try:
        with limit:
            return compute()
    except TimeUp:
        if not limit.expired:
            raise
        return fallback


def work_clock() -> float:
    """The clock for a computation's own budget (``deadline = work_clock() + seconds``): this
    process's CPU time, like :class:`time_limit`, so a busy machine does not change how much work a
    budget buys, nor the answer."""
    return time.process_time()


def on_hard_exit(callback: Callable[[], object]) -> Callable[[], None]:
    """Run ``callback`` (from the watchdog thread) just before a hard exit; returns the function
    that unregisters it. For cleanup that must happen even then, e.g. removing a temp file.
    Callbacks should be quick: together with the flushes they get about one second."""
    with _callbacks_lock:
        _callbacks.append(callback)

    def unregister() -> None:
        with _callbacks_lock:
            if callback in _callbacks:
                _callbacks.remove(callback)

    return unregister


def set_hard_exit(enabled: bool) -> bool:
    """Turn the hard exit on or off for the process (on by default); returns the old setting.

    Off, a block stuck in C code past its deadline keeps running until it returns."""
    global _hard_exit_enabled
    with _watchdog.changed:
        previous, _hard_exit_enabled = _hard_exit_enabled, enabled
        _backstop.arm(_watchdog.bounds)  # armed or disarmed to match
    return previous


_hard_exit_enabled = True
_callbacks: list[Callable[[], object]] = []
_callbacks_lock = threading.Lock()
EXPIRED: list[str] = []  # the bounds that ran out in this process (read by the result cache)


# --- the soft bound by SIGALRM (main thread only, so no locks) -----------------------------------
_signal_stack: list[_Bound] = []
_signal_saved: list[Any] = []  # [previous handler, its pending deadline or None] while in use


def _signal_push(bound: _Bound) -> bool:
    """Arm the timer for ``bound``; False where SIGALRM cannot be used."""
    if not USE_SIGALRM or threading.current_thread() is not threading.main_thread():
        return False
    if not _signal_stack:
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        try:
            previous = signal.signal(signal.SIGALRM, _on_alarm)
        except ValueError:  # not the main interpreter
            return False
        _signal_saved[:] = [previous, time.monotonic() + remaining if remaining > 0 else None]
    _signal_stack.append(bound)
    _arm()
    return True


def _signal_pop(bound: _Bound) -> None:
    if bound in _signal_stack:
        _signal_stack.remove(bound)
    if _signal_stack:
        _arm()
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    if _signal_saved:
        previous, deadline = _signal_saved
        _signal_saved.clear()
        signal.signal(signal.SIGALRM, previous)
        if deadline is not None:  # someone else's timer was running: give back what is left
            signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-4))


def _arm() -> None:
    """Set the timer for the earliest pending deadline; it repeats while a deadline is overdue."""
    now = time.monotonic()
    times = [b.deadline for b in _signal_stack]
    if _signal_saved and _signal_saved[1] is not None:
        times.append(_signal_saved[1])
    first = min(times)
    delay = first - now if first > now else RETRY_SECONDS
    signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-4), RETRY_SECONDS)


def _on_alarm(signum: int, frame: Any) -> None:
    if not _signal_stack:  # the last bound was just left: nothing is bounded any more
        return
    _arm()
    if _in_bookkeeping(frame):
        return  # never in our own bookkeeping: the repeating timer comes back shortly
    now = time.monotonic()
    if _signal_saved and _signal_saved[1] is not None and _signal_saved[1] <= now:
        previous = _signal_saved[0]
        _signal_saved[1] = None
        if callable(previous):
            previous(signum, frame)  # the outer timer's owner (a test guard, pytest-timeout)
    due = [b for b in _signal_stack if b.deadline <= now]
    expired = [b for b in due if not _stretched(b, now)]
    if len(expired) < len(due):
        _arm()  # a deadline moved
    if expired:
        for bound in expired:
            bound.raised = True
        raise TimeUp


def _stretched(bound: _Bound, now: float) -> bool:
    """At ``bound``'s deadline: if the process had less CPU than the budget since the bound began
    (a busy machine), move the deadline to when the rest could be done, never past the wall cap.
    True when it moved."""
    if bound.raised:
        return False
    used = time.process_time() - bound.cpu_start
    if used >= bound.seconds or now >= bound.wall_cap:
        return False
    bound.deadline = min(now + bound.seconds - used, bound.wall_cap)
    bound.hard_deadline = bound.deadline + GRACE_SECONDS
    bound.next_raise = max(bound.next_raise, bound.deadline)
    return True


# --- the watchdog: soft bounds elsewhere, and the hard bound everywhere --------------------------
class _Watchdog:
    """One daemon thread, started on first use, sleeping until the next thing it has to do."""

    def __init__(self) -> None:
        self.changed = threading.Condition(threading.Lock())
        self.bounds: list[_Bound] = []
        self.thread: threading.Thread | None = None

    def add(self, bound: _Bound) -> None:
        with self.changed:
            self.bounds.append(bound)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="gradcli-watchdog", daemon=True
                )
                self.thread.start()
            _backstop.arm(self.bounds, enabled=_hard_exit_enabled, after=_backstop_after())
            self.changed.notify()

    def remove(self, bound: _Bound) -> None:
        with self.changed:
            if bound in self.bounds:
                self.bounds.remove(bound)
                _backstop.arm(self.bounds, enabled=_hard_exit_enabled, after=_backstop_after())
            # The last raise may still be pending in the bounded thread: withdraw it.
            if not bound.by_signal and bound.next_raise > bound.deadline:
                _raise_in(bound.thread, None)

    def _run(self) -> None:
        with self.changed:
            while True:
                now = time.monotonic()
                if any(now >= b.deadline for b in self.bounds):
                    self._forget_ended_threads()
                wake = float("inf")
                for bound in self.bounds:
                    if _hard_exit_enabled:
                        if now >= bound.hard_deadline:
                            _hard_exit(bound)
                        wake = min(wake, bound.hard_deadline)
                    if not bound.by_signal:
                        if (
                            now >= bound.next_raise
                            and not _exiting(bound.thread)
                            and not _stretched(bound, now)
                        ):
                            bound.raised = True
                            _raise_in(bound.thread, TimeUp)
                            bound.next_raise = now + RETRY_SECONDS
                        wake = min(wake, max(bound.next_raise, now + 0.01))
                self.changed.wait(None if wake == float("inf") else max(wake - now, 0.001))

    def _forget_ended_threads(self) -> None:
        """Drop overdue bounds whose thread is gone: nothing is left to raise in or to stop."""
        running = sys._current_frames()
        alive = [b for b in self.bounds if b.thread in running]
        if len(alive) < len(self.bounds):
            self.bounds[:] = alive
            _backstop.arm(self.bounds, enabled=_hard_exit_enabled, after=_backstop_after())


def _exiting(thread: int) -> bool:
    """Whether ``thread`` is in this module's bookkeeping right now (then not raise there)."""
    return _in_bookkeeping(sys._current_frames().get(thread))


def _in_bookkeeping(frame: Any) -> bool:
    """Whether ``frame`` or a caller of it is this module's bookkeeping: entering or leaving a
    bound, arming timers (including the library code they call, such as a lock's ``__enter__``).
    A TimeUp raised there would leave a bound half-registered."""
    while frame is not None:
        if frame.f_code in _BOOKKEEPING:
            return True
        frame = frame.f_back
    return False


def _backstop_after() -> float:
    """How long after a bound's latest deadline the backstop ends the process."""
    return GRACE_SECONDS + BACKSTOP_SECONDS


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in ``thread`` at its next bytecode (None: withdraw a pending one)."""
    try:
        import ctypes

        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):  # not CPython: only the hard bound remains
        return
    set_async_exc(ctypes.c_ulong(thread), ctypes.py_object(exception) if exception else None)


def _hard_exit(bound: _Bound) -> None:
    """Clean up what must be, say why in one line, and end the process: nothing else can stop a
    thread stuck in C. Each step is bounded, as the stuck thread may hold locks they need."""
    _backstop.disarm()  # this exit is clean: no second line from the backstop
    with _callbacks_lock:
        callbacks = list(_callbacks)

    def last_words() -> None:
        for callback in callbacks:
            with contextlib.suppress(Exception):  # one failing cleanup must not stop the others
                callback()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe: nothing left to flush to
                stream.flush()

    helper = threading.Thread(target=last_words, name="gradcli-last-words", daemon=True)
    helper.start()
    helper.join(1.0)
    try:
        os.write(2, last_line(bound.what, f"{bound.seconds:g}").encode("utf-8", "replace"))
    finally:
        os._exit(HARD_EXIT_CODE)


# --- the backstop: faulthandler's C thread, for C calls that keep the GIL (limits/backstop.py) ---
BACKSTOP_SECONDS = 1.0  # after the hard deadline: the watchdog thread had its chance by then


_watchdog = _Watchdog()
_backstop = Backstop()
_BOOKKEEPING = frozenset(
    f.__code__
    for f in (
        time_limit.__enter__,
        time_limit.__exit__,
        time_limit.__del__,
        time_limit._close,
        _Watchdog.add,
        _Watchdog.remove,
        _signal_push,
        _signal_pop,
        _arm,
        _Backstop.arm,
        _Backstop.disarm,
        set_hard_exit,
        on_hard_exit,
    )
)


def _after_fork() -> None:
    """A forked child has no watchdog thread, no backstop and none of its parent's bounds."""
    global _watchdog, _backstop
    _watchdog = _Watchdog()
    if _backstop.armed is not None:
        import faulthandler

        faulthandler.cancel_dump_traceback_later()
    _backstop = Backstop()
    _signal_stack.clear()
    _signal_saved.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
