"""A full disk while saving gives one clear error and keeps the previous file; stale
temporary files from killed writers are removed by the next successful save."""

from __future__ import annotations

import errno
import os
import time

import numpy as np
import pytest

import minidl
from minidl import Dense, Sequential, load, save
from minidl.cli import main
from minidl.io import atomic
from minidl.io.atomic import WriteError, atomic_write


def _full_disk_after(monkeypatch, allowed_bytes: int):
    """Make every file minidl opens for writing fail with ENOSPC after ``allowed_bytes``."""
    real_fdopen = os.fdopen

    class Filling:
        def __init__(self, f):
            self.f, self.written = f, 0

        def write(self, data):
            self.written += len(data)
            if self.written > allowed_bytes:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: Filling(real_fdopen(*a, **k)))


def test_a_full_disk_names_the_file_and_keeps_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    first = Sequential(Dense(4, 3, rng=0))
    save(first, path)
    _full_disk_after(monkeypatch, 100)
    with pytest.raises(WriteError, match=r"model\.npz: No space left .*previous model\.npz is intact"):
        save(Sequential(Dense(4, 3, rng=1)), path)
    monkeypatch.undo()
    np.testing.assert_array_equal(load(path)[0].W, first[0].W)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_other_os_errors_pass_through_unchanged(tmp_path, monkeypatch):
    def refuse(f):
        raise PermissionError(errno.EACCES, "Permission denied")
    with pytest.raises(PermissionError):
        atomic_write(tmp_path / "x.txt", refuse)


def test_train_on_a_full_disk_exits_with_a_message(tmp_path, monkeypatch, capsys):
    _full_disk_after(monkeypatch, 2000)
    code = main(["train", "--data", "spirals", "--epochs", "1", "--hidden", "8", "--quiet",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err


def test_stale_temporary_files_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "checkpoint.npz"
    stale = [tmp_path / f".checkpoint.npz.abc{i}.tmp" for i in range(3)]
    fresh = tmp_path / ".checkpoint.npz.live.tmp"  # a writer still at work: left alone
    other = tmp_path / ".model.npz.abc.tmp"  # another file's: left alone
    for tmp in [*stale, fresh, other]:
        tmp.write_bytes(b"partial")
    old = time.time() - 60
    for tmp in [*stale, other]:
        os.utime(tmp, (old, old))
    save(Sequential(Dense(2, 2, rng=0)), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, fresh.name, other.name])
    assert isinstance(minidl.load(path), Sequential)
