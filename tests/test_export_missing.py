"""Without onnx or torch installed, export says what to install: an ExportError, never an
ImportError traceback (run everywhere: the packages are hidden, not required)."""

from __future__ import annotations

import sys

import pytest

import minidl
from minidl.cli import main
from minidl.export import ExportError, from_torch, to_onnx, to_torch


@pytest.mark.parametrize("package, call", [
    ("torch", lambda: to_torch(minidl.mlp([2, 2], rng=0))),
    ("torch", lambda: from_torch(object())),
    ("onnx", lambda: to_onnx(minidl.mlp([2, 2], rng=0), "unused.onnx")),
])
def test_missing_package_is_a_clear_message(monkeypatch, package, call):
    monkeypatch.setitem(sys.modules, package, None)  # makes `import package` fail
    with pytest.raises(ExportError, match=rf"needs the '{package}' package.*pip install"):
        call()


@pytest.mark.parametrize("fmt, package", [("onnx", "onnx"), ("torch", "torch")])
def test_cli_without_the_package_is_one_error_line(tmp_path, monkeypatch, capsys, fmt, package):
    minidl.save(minidl.mlp([3, 2], rng=0), tmp_path / "model.npz")
    monkeypatch.setitem(sys.modules, package, None)
    assert main(["export", str(tmp_path / "model.npz"), "--format", fmt, "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minidl export: error:") and "pip install" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
