"""The arguments as typed, before click parses them: an EXPR that starts with '-', and '-h' given
a value.

click reads every '-x…' as options and '-h' as help wherever it stands; these two checks read the
arguments as a person meant them first. Both walk the arguments the way the option parser will:
an option's value is skipped, whatever it looks like (``--at -2,-2``, ``--let -h``).
"""

from __future__ import annotations

import re
from typing import Any

from gradcli.errors import GradcliError, UsageError


def help_with_a_value(command: Any, args: list[str]) -> None:
    """Refuse ``-h NUMBER`` (exit 2): ``-h`` is help, and a number after it was meant for an option.

    Until 0.1 the finite-difference step was ``--h``: ``-h 0.001`` read naturally, and click showed
    the help and dropped the number. Now the step is ``--step`` (``--h`` still works), and a number
    right after ``-h`` is an error that names it; ``-h`` alone (or before an option) is help.
    """
    if "-h" not in args:
        return
    takes_value = _takes_value(command)
    k = 0
    while k < len(args):
        token = args[k]
        if token == "--":
            return
        if token == "-h" and k + 1 < len(args) and _number(args[k + 1]):
            value = args[k + 1]
            if "--step" in takes_value:
                raise UsageError(
                    f"-h is --help and takes no value (got -h {value}); "
                    f"the finite-difference step is --step: try --step {value}"
                )
            raise UsageError(f"-h is --help and takes no value (got -h {value})")
        k += 1 + bool(takes_value.get(token))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _takes_value(command: Any) -> dict[str, bool]:
    """Every option of ``command`` (and help) -> whether it takes a value."""
    takes_value: dict[str, bool] = {"--help": False, "-h": False}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option":
            continue
        flag = bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
        for opt in (*param.opts, *getattr(param, "secondary_opts", ())):
            takes_value[opt] = not flag
    return takes_value


def leading_dash_expression(command: Any, args: list[str]) -> list[str]:
    """``args`` with an EXPR that starts with '-' moved where the option parser reads it as EXPR.

    ``gradcli grad "-x^2" --at 1``: to the option parser '-x^2' is a bundle of short options. An
    argument that is no known option, stands where EXPR is missing, and reads as an expression is
    the expression: it is moved after a '--' at the end. Option values are never touched (``--at
    -2,-2`` is the value of --at), a real unknown option (``--bogus``, or '-q' where EXPR is given)
    still fails as one, and '-' alone is EXPR from stdin. ``-- -x^2 --at 1`` (EXPR after '--' with
    options following, as an older hint suggested) works too.
    """
    takes_value = _takes_value(command)
    positional: list[int] = []
    candidates: list[int] = []  # unknown to the parser: '-x^2', '-(x-1)**2', '-q'
    ambiguous: list[int] = []  # a known short option with more after it: '-a3,1' or '-sin(x)'
    k = 0
    while k < len(args):
        token = args[k]
        if token == "--":
            positional.extend(range(k + 1, len(args)))
            break
        if token == "-" or not token.startswith("-"):
            positional.append(k)
        elif token in takes_value:
            k += takes_value[token]  # skip the option's value, whatever it looks like
        elif token.startswith("--"):
            pass  # '--opt=value' or an unknown long option: the parser says which
        elif token[:2] in takes_value:
            ambiguous.append(k)
        else:
            candidates.append(k)
        k += 1
    if "--" in args:
        dash = args.index("--")
        after = args[dash + 1 :]
        if not any(i < dash for i in positional) and len(after) > 1 and not candidates:
            # '-- EXPR --at 1': EXPR is the only positional, so what follows it is options.
            return [*args[:dash], *after[1:], "--", after[0]]
        return args
    if positional:
        return args
    for k in sorted(candidates + ambiguous):
        token = args[k]
        # An unknown '-x**2+' is a broken expression, not an option: let the parser say where.
        broken = k in candidates and not re.fullmatch(_OPTION_LIKE, token)
        if broken or _reads_as_expression(token):
            return [*args[:k], *args[k + 1 :], "--", token]
    return args


_OPTION_LIKE = r"-[A-Za-z][A-Za-z0-9_-]*"  # compiled on first use (re caches it), not at start-up


def _reads_as_expression(text: str) -> bool:
    from gradcli.expr import parse

    try:
        parse(text)
    except GradcliError:
        return False
    except Exception:  # whatever the parser thinks of it, it is not an expression that works
        return False
    return True
