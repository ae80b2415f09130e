"""The cache folder: private, checked before every use, written atomically, bounded in size.

Where: ``$GRADCLI_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/gradcli``, else ``~/.cache/gradcli``.
``GRADCLI_NO_CACHE=1`` (any value but empty or ``0``) turns it off: nothing is read or written.

The threat is other users on the machine and corruption, not the owner:

* the folder is created mode 0700 and used only if it is a real directory (not a symlink), owned by
  this user and not writable by group or others; otherwise gradcli runs uncached, silently;
* the folder is opened once (``O_NOFOLLOW``) and every entry is reached through that descriptor, and
  opened with ``O_NOFOLLOW``: a symlink planted in it is never followed;
* an entry is a JSON header line (schema, key, SHA-256 of the body) and a JSON body; one whose
  hash, key or schema does not match, that is not a regular file of ours, or that is larger than
  the entry cap is ignored (the next uncached run rewrites it);
* writes go to a temp file in the folder, then ``os.replace``: readers see the old entry or the new
  one, never half of one, however many processes write the same key at once;
* after each write the folder is trimmed to its size cap, least recently used first (a hit touches
  its entry's mtime).

Any OS error makes the cache step a no-op: the cache can make gradcli faster, never make it fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from typing import Any

SCHEMA = "gradcli-cache-1"
MAX_ENTRY_BYTES = 256 * 1024  # one reply or function; a larger one is not worth keeping
MAX_TOTAL_BYTES = 32 * 1024 * 1024  # the folder; GRADCLI_CACHE_MAX_BYTES overrides
TRIM_TO = 0.8  # after trimming, the folder holds at most this share of the cap (room to grow)
STALE_TEMP_SECONDS = 600.0  # a temp file this old belongs to a process that died mid-write
# The packages whose versions can change an answer (or its text): part of every key.
DEPENDENCIES = ("sympy", "mpmath", "numpy", "typer", "click", "rich")


def disabled(env: Any = None) -> bool:
    """Whether ``GRADCLI_NO_CACHE`` asks for no cache at all."""
    env = os.environ if env is None else env
    return env.get("GRADCLI_NO_CACHE", "") not in ("", "0")


def location(env: Any = None) -> str | None:
    """The cache folder's path (not checked, maybe not there yet), or None when there is none."""
    env = os.environ if env is None else env
    explicit = env.get("GRADCLI_CACHE_DIR", "")
    if explicit:
        return os.path.abspath(explicit)
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative value is to be ignored
        return os.path.join(xdg, "gradcli")
    home = os.path.expanduser("~")
    if not os.path.isabs(home):
        return None
    return os.path.join(home, ".cache", "gradcli")


class Store:
    """The opened, checked cache folder. Use :meth:`open`; every method swallows OS errors."""

    def __init__(
        self, fd: int, path: str, max_bytes: int, max_entry: int = MAX_ENTRY_BYTES
    ) -> None:
        self.fd = (
            fd  # the folder, opened without following symlinks; entries are reached through it
        )
        self.path = path
        self.max_bytes = max_bytes
        self.max_entry = max_entry

    @classmethod
    def open(cls, env: Any = None) -> Store | None:
        """The cache folder, created if missing, or None if it is off or not safe to use."""
        env = os.environ if env is None else env
        if disabled(env):
            return None
        path = location(env)
        if path is None:
            return None
        try:
            fd = _open_private_dir(path)
        except OSError:
            return None
        if fd is None:
            return None
        return cls(fd, path, _max_bytes(env))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    # --- entries ---------------------------------------------------------------------------------
    def read(self, kind: str, key: str) -> dict[str, Any] | None:
        """The body stored under ``kind``/``key``, or None (missing, foreign, corrupt, too big)."""
        name = _name(kind, key)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self.fd)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                return None
            if info.st_size > self.max_entry + 512:
                return None
            data = _read_all(fd, self.max_entry + 512)
        except OSError:
            return None
        finally:
            os.close(fd)
        body = _verified(data, key)
        if body is None:
            return None
        # least recently used goes first when the folder is trimmed
        with contextlib.suppress(OSError, NotImplementedError):
            os.utime(name, dir_fd=self.fd, follow_symlinks=False)
        return body

    def write(self, kind: str, key: str, body: dict[str, Any]) -> bool:
        """Store ``body`` under ``kind``/``key`` atomically; False if it was not stored."""
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(payload) > self.max_entry:
            return False
        header = {"schema": SCHEMA, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}
        data = json.dumps(header).encode("ascii") + b"\n" + payload
        temp = f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
        try:
            fd = os.open(
                temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=self.fd
            )
        except OSError:
            return False
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(temp, _name(kind, key), src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=self.fd)
            return False
        self.trim()
        return True

    def trim(self) -> None:
        """Remove the least recently used entries while the folder is over its cap, and temp
        files left by processes that died mid-write."""
        entries: list[tuple[float, int, str]] = []
        total = 0
        try:
            import time

            now = time.time()
            with os.scandir(self.fd) as scan:
                for item in scan:
                    try:
                        info = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if item.name.startswith(".tmp-"):
                        if now - info.st_mtime > STALE_TEMP_SECONDS:
                            _unlink(item.name, self.fd)
                        continue
                    if not item.name.endswith(".json") or not stat.S_ISREG(info.st_mode):
                        continue
                    entries.append((info.st_mtime, info.st_size, item.name))
                    total += info.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        entries.sort()
        for _mtime, size, name in entries:
            if total <= self.max_bytes * TRIM_TO:
                break
            if _unlink(name, self.fd):
                total -= size

    def names(self) -> list[str]:
        """The entries' file names (for tests and ``ls``-like inspection)."""
        try:
            with os.scandir(self.fd) as scan:
                return sorted(i.name for i in scan if i.name.endswith(".json"))
        except OSError:
            return []


# --- the key's environment -----------------------------------------------------------------------
_ENVIRONMENT: dict[str, str] = {}


def environment(version: str) -> str:
    """What every key depends on besides the command: gradcli's version and the state of its
    source files (a changed file is a new version), Python's version and the dependencies'
    versions (read from their installed metadata's folder names, without importing them)."""
    if version not in _ENVIRONMENT:
        parts = [SCHEMA, version, sys.version, sys.implementation.cache_tag or ""]
        parts.append(_source_state())
        parts += _dependency_versions()
        text = "\0".join(parts).encode("utf-8", "replace")
        _ENVIRONMENT[version] = hashlib.sha256(text).hexdigest()
    return _ENVIRONMENT[version]


def _source_state() -> str:
    """Every module of the package with its size and modification time."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found: list[str] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as scan:
                for item in scan:
                    if item.is_dir(follow_symlinks=False):
                        if item.name != "__pycache__":
                            stack.append(item.path)
                    elif item.name.endswith(".py"):
                        info = item.stat()
                        found.append(f"{item.path}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            found.append(f"{folder}:unreadable")
    return "\n".join(sorted(found))


def _dependency_versions() -> list[str]:
    wanted = {name.lower() for name in DEPENDENCIES}
    found: list[str] = []
    for folder in sys.path:
        if not folder or not os.path.isdir(folder):
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project = name.split("-", 1)[0].lower().replace("_", "-")
                if project in wanted:
                    found.append(f"{folder}/{name}")
    return sorted(found)


def digest(*parts: Any) -> str:
    """A key: the SHA-256 of ``parts`` (JSON-encoded; the first is :func:`environment`'s)."""
    text = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- helpers ---------------------------------------------------------------------------------------
def _open_private_dir(path: str) -> int | None:
    """``path`` opened as a directory if it is ours and private (created 0700 if missing)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        parent = os.path.dirname(path)
        os.makedirs(parent, 0o700, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    info = os.fstat(fd)
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        os.close(fd)
        return None
    return fd


def _max_bytes(env: Any) -> int:
    try:
        value = int(env.get("GRADCLI_CACHE_MAX_BYTES", ""))
    except ValueError:
        return MAX_TOTAL_BYTES
    return max(0, value)


def _name(kind: str, key: str) -> str:
    return f"{kind}-{key}.json"


def _read_all(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _verified(data: bytes, key: str) -> dict[str, Any] | None:
    """The body of an entry whose header matches the schema, the key and the body's hash."""
    head, newline, payload = data.partition(b"\n")
    if not newline:
        return None
    try:
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("schema") != SCHEMA:
            return None
        if header.get("key") != key:
            return None
        if header.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _unlink(name: str, dir_fd: int) -> bool:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        return False
    return True
