"""gradcli in a real process, for the tests that need one (the cache across processes, imports):
stdin closed, the environment the caller gives over a clean one (no GRADCLI_* setting of the
machine running the suite), gradcli imported from this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(
    args: Sequence[str], env: Mapping[str, str], head: Sequence[str] = ("-m", "gradcli")
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``python HEAD ARGS``; ``head`` may be ``-c CODE``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADCLI_")}
    clean.update(PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    proc = subprocess.run(
        [sys.executable, *head, *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr
