"""The commands, by name: a static table, and a mapping that builds a command only when asked.

Typer builds a click command from a function by inspecting its signature and every option; doing
that for all seven commands on every call cost more than the command that ran. The root group's
``commands`` is a :class:`LazyCommands` instead: ``gradcli --help`` lists :data:`COMMANDS` (name,
module, the summary the listing shows) without importing a command module, and a command's module
is imported, and its command built, when it is looked up by name: when it runs, when its --help is
asked, or when an error message needs its flags. ``tests/test_startup.py`` holds the table equal
to the real commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any


class Entry:
    """One command of the table. (A plain class: a NamedTuple costs more to define than the whole
    table is worth at start-up.)"""

    __slots__ = ("module", "summary")

    def __init__(self, module: str, summary: str) -> None:
        self.module = module  # the module whose import registers the command on the app
        self.summary = summary  # the first sentence of its help: all the root --help shows of it


# In the order ``gradcli --help`` lists them.
COMMANDS: dict[str, Entry] = {
    "critical": Entry(
        "gradcli.cli.critical",
        "Stationary points (∇f = 0), each classified from the Hessian's eigenvalues as a minimum "
        "(all > 0), maximum (all < 0), saddle (mixed signs) or degenerate (a zero eigenvalue).",
    ),
    "descend": Entry(
        "gradcli.cli.descend",
        "Gradient descent: step against the gradient, x ← x − lr·∇f(x), and watch the learning "
        "rate decide between crawling, converging and overshooting.",
    ),
    "functions": Entry(
        "gradcli.cli.functions",
        "The named functions: classic surfaces for lessons, usable as @name wherever an EXPR goes.",
    ),
    "grad": Entry("gradcli.cli.grad", "The gradient ∇f: all partial derivatives together."),
    "level": Entry(
        "gradcli.cli.level", "The level set f = c: where f keeps the value it has at P."
    ),
    "partial": Entry(
        "gradcli.cli.partial", "A partial derivative: move one variable, hold the others constant."
    ),
    "plot": Entry(
        "gradcli.cli.plot",
        "A figure for slides: filled contours with labelled level curves and the gradient field "
        "(arrows uphill, perpendicular to the level curves); with --at, the point's level curve, "
        "its gradient and the tangent; in 1-D, the curve and the tangent at each --at with its "
        "slope.",
    ),
}


def summary(help_text: str) -> str:
    """What a command listing can show of ``help_text``: its first sentence, on one line.

    click shortens a command's help to at most its first sentence of its first paragraph, so
    this is all :data:`COMMANDS` needs to keep for the listing to come out the same."""
    paragraph = help_text.split("\n\n", 1)[0]
    words = paragraph.split()
    if words and words[0] == "\b":
        words = words[1:]
    for k, word in enumerate(words):
        if word.endswith("."):
            return " ".join(words[: k + 1])
    return " ".join(words)


class LazyCommands(MutableMapping[str, Any]):
    """Name -> click command; the names are :data:`COMMANDS`' and a command is built on lookup.

    ``build(name)`` imports the command's module and builds it. Commands built beforehand (typer
    builds the ones whose modules were already imported, as in a test session) are used as given.
    """

    def __init__(self, built: MutableMapping[str, Any], build: Callable[[str], Any]) -> None:
        self.built: dict[str, Any] = dict(built)
        self._build = build

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            if name not in COMMANDS:
                raise KeyError(name)
            # registers it on the app; __import__, not importlib.import_module, so that
            # `python -X importtime` shows the command's import like any other
            __import__(COMMANDS[name].module)
            self.built[name] = self._build(name)
        return self.built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self.built if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(name not in COMMANDS for name in self.built)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self.built
