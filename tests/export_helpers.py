"""What the conv and recurrent export tests share: running an ONNX file, the PyTorch round trip
and its weights, and `minidl export` on a briefly trained `minidl train --model NAME` run."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.cli import main
from minidl.export import from_torch, to_torch


def run_onnx(path, x):
    """ONNX Runtime's ``output`` for ``x`` on the CPU provider (skips without onnxruntime)."""
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


def assert_same_weights(model, back):
    """Same parameter and buffer names, in the same order, with bit-identical values."""
    for (name, a), (name_back, b) in zip(model.state_dict().items(), back.state_dict().items(), strict=True):
        assert name == name_back
        np.testing.assert_array_equal(a, b)


def check_torch_round_trip(model, inputs):
    """``to_torch(model)`` and ``from_torch`` of it give ``model``'s outputs on each input (float64:
    within 1e-10) and the round trip its weights bit for bit; returns the torch network."""
    torch = pytest.importorskip("torch")
    net = to_torch(model)
    back = from_torch(net)
    assert not net.training and not back.training and type(back) is type(model)
    for x in inputs:
        with torch.no_grad():
            np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(back(x), model(x), rtol=1e-10, atol=1e-12)
    assert_same_weights(model, back)
    return net


def train_briefly(out, model: str):
    """`minidl train --model MODEL` on 128 rows of the shipped Fashion-MNIST for one epoch, into
    ``out``; skipped without onnxruntime and torch (the export tests need both)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("torch")
    argv = ["train", "--model", model, "--limit-train", "128", "--limit-test", "32", "--epochs", "1",
            "--quiet", "--out", str(out)]
    with pytest.MonkeyPatch.context() as patch:
        # the plots are not what these tests read, and drawing them is most of the command's time
        patch.setattr("minidl.cli.train.plots_available", lambda: False)
        assert main(argv) == 0
    return out


def check_export_command(run, tmp_path, capsys, layer_type: type):
    """`minidl export RUN --format onnx|torch`: ONNX Runtime, and the state_dict loaded into
    ``to_torch``'s network, give the saved model's outputs on raw rows."""
    torch = pytest.importorskip("torch")
    model = minidl.load(run / "model.npz").eval()
    assert any(isinstance(m, layer_type) for _, m in model.named_modules())
    x = np.random.default_rng(0).uniform(0, 255, (3, model[0].num_features)).astype(np.float32)
    onnx_path = tmp_path / "model.onnx"
    assert main(["export", str(run), "--format", "onnx", "--out", str(onnx_path)]) == 0
    np.testing.assert_allclose(run_onnx(onnx_path, x), model(x), rtol=1e-4, atol=1e-5)
    pt = tmp_path / "model.pt"
    assert main(["export", str(run), "--format", "torch", "--out", str(pt)]) == 0
    capsys.readouterr()
    net = to_torch(model)
    net.load_state_dict(torch.load(pt, weights_only=True))
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-4, atol=1e-5)
