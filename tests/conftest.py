"""Suite-wide rules: hypothesis runs from a fixed seed, the long fuzz runs only when asked for, and
no test process may grow without bound.

Tiers (markers registered in pyproject.toml):
- ``python -m pytest``: the whole truth, what CI runs (everything but ``fuzz``);
- ``python -m pytest -m "not slow"``: the in-process tiers, for running all the time;
- ``python -m pytest -m fuzz``: a long randomized fuzz (``GRADCLI_FUZZ_EXAMPLES``, default 3000),
  whose failures are kept as regression examples in the suite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

# The suite: every property test draws the same examples on every run (a hash of the test decides
# the seed), so a failure is a fact about the code, never about luck. No example database either:
# what a previous run on this machine found must not change what this run checks.
settings.register_profile("suite", derandomize=True, database=None, deadline=None)
# On demand: fresh random examples, and a database so that a failure found is replayed first.
settings.register_profile(
    "fuzz",
    derandomize=False,
    deadline=None,
    database=DirectoryBasedExampleDatabase(".hypothesis/fuzz"),
    print_blob=True,
)

# A bound on the address space of the test process and every gradcli process it starts. A runaway
# computation then fails its test with MemoryError instead of taking the machine (a loaded run once
# grew to 18.9 GB). The largest figure the suite draws needs well under 1 GiB.
MEMORY_LIMIT_GIB = float(os.environ.get("GRADCLI_TEST_MEMORY_GIB", "6"))


def _fuzz_asked(config: pytest.Config) -> bool:
    expression = str(config.getoption("markexpr") or "")
    return "fuzz" in expression.replace("not fuzz", "")


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile("fuzz" if _fuzz_asked(config) else "suite")
    if not hasattr(config, "workerinput"):  # once, in the controller
        # Every gradcli process the suite starts reads compiled modules, even where
        # PYTHONDONTWRITEBYTECODE would have it compile all of gradcli again each time.
        import compileall
        from pathlib import Path

        package = Path(__file__).resolve().parent.parent / "gradcli"
        compileall.compile_dir(str(package), quiet=2, workers=1)
    # The gradcli processes tests start run uncached: a replayed answer would hide what a test
    # checks, and the user's own cache is not the suite's to fill. tests/test_cache.py opts in.
    os.environ["GRADCLI_NO_CACHE"] = "1"
    if MEMORY_LIMIT_GIB > 0:
        limit = int(MEMORY_LIMIT_GIB * 2**30)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the long fuzz out unless ``-m`` names it: the default run must stay deterministic."""
    if _fuzz_asked(config):
        return
    fuzz = [item for item in items if item.get_closest_marker("fuzz")]
    if fuzz:
        config.hook.pytest_deselected(items=fuzz)
        items[:] = [item for item in items if not item.get_closest_marker("fuzz")]


# The fast tier runs in-process. A test that starts a Python process (gradcli, ruff, mypy, a
# probe) pays an interpreter start-up and more, so it must be marked ``slow``; this guard makes a
# forgotten mark fail loudly instead of slowly eroding the fast tier.
_REAL_POPEN_INIT = subprocess.Popen.__init__


def _names_python(args: Any) -> bool:
    first = args if isinstance(args, (str, bytes, os.PathLike)) else next(iter(args), "")
    text = os.fsdecode(first) if isinstance(first, (bytes, os.PathLike)) else str(first)
    name = os.path.basename(text.split()[0]) if text.split() else ""
    return text.startswith(sys.executable) or name.startswith(("python", "gradcli", "bash"))


@pytest.fixture(autouse=True)
def _fast_tier_stays_in_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("slow") or request.node.get_closest_marker("fuzz"):
        return

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        if _names_python(args):
            raise AssertionError(
                f"{request.node.nodeid} starts a process ({args!r:.80}): mark it @pytest.mark.slow"
            )
        _REAL_POPEN_INIT(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded)
