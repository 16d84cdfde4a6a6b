"""Atomic file writes: the one way minidl writes a file.

Write to a temporary file in the target's directory, flush it to disk, then rename it
over the target with ``os.replace`` (atomic on POSIX and Windows): a crash or a kill
mid-write leaves the old file or the new one, never half of one. The temporary file
gets the permissions a plain ``open(path, "w")`` would (``mkstemp`` alone makes 0600).

A successful write also removes the temporary files that killed writers of the same
target left behind (``.<name>.*.tmp`` untouched for ``STALE_AFTER_S``). A full disk (or
quota) raises ``WriteError``, which names the file and says the previous version is intact.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STALE_AFTER_S = 5.0  # a live writer touches its temporary file far more often than this
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class WriteError(OSError):
    """A file could not be written (full disk, quota, too large); the previous version is intact."""


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path, write: Callable, *, text: bool = False) -> Path:
    """Create ``path`` atomically: ``write(f)`` fills an open temporary file.

    Example:
        >>> atomic_write("notes.txt", lambda f: f.write("hello\\n"), text=True)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _no_space(err, path) from None
    try:
        os.chmod(tmp, _default_mode())
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise _no_space(err, path) from None
        raise
    remove_stale_temporaries(path)
    return path


def _no_space(err: OSError, path: Path) -> OSError:
    """A clear ``WriteError`` for a full disk; any other ``OSError`` unchanged."""
    if err.errno not in _NO_SPACE:
        return err
    try:
        free = f"{shutil.disk_usage(path.parent).free:,} bytes free"
    except OSError:
        free = "free space unknown"
    previous = (f"the previous {path.name} is intact" if path.exists()
                else f"no {path.name} was written")
    return WriteError(err.errno, f"cannot write {path}: {os.strerror(err.errno)} ({free}); "
                                 f"{previous}. Free some space and run again")


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the ``.<name>.*.tmp`` files that killed writers of ``path`` left; returns them."""
    path, removed = Path(path), []
    now = time.time()
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > STALE_AFTER_S:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # another process removed or replaced it meanwhile
            continue
    return removed
