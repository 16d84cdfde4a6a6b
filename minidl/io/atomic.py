"""Atomic file writes: the one way minidl writes a file.

Write to a temporary file in the target's directory, flush it to disk, then rename it
over the target with ``os.replace`` (atomic on POSIX and Windows): a crash or a kill
mid-write leaves the old file or the new one, never half of one. The temporary file
gets the permissions a plain ``open(path, "w")`` would (``mkstemp`` alone makes 0600).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _default_mode())
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
