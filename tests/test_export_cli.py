"""``minidl export MODEL --format onnx|torch --out PATH`` on a model trained by ``minidl train``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minidl
from minidl.cli import main
from minidl.export import to_onnx
from minidl.nn.layers import Normalize


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """The default MLP (smaller) trained briefly on the shipped Fashion-MNIST: its first layer is
    the fitted input normalisation and it knows its classes."""
    out = tmp_path_factory.mktemp("run")
    argv = ["train", "--limit-train", "500", "--limit-test", "200", "--epochs", "1", "--hidden", "16",
            "--quiet", "--out", str(out)]
    assert main(argv) == 0
    return out


def raw_rows(model, n=6):
    # raw pixel-like values: the exported model must apply the normalisation itself
    return np.random.default_rng(0).uniform(0, 255, (n, model[0].num_features)).astype(np.float32)


def test_onnx_from_the_command_line(trained_run, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "model.onnx"
    assert main(["export", str(trained_run), "--format", "onnx", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    model = minidl.load(trained_run / "model.npz").eval()
    assert isinstance(model[0], Normalize)
    # the CLI writes the file the library writes
    assert out.read_bytes() == to_onnx(model, tmp_path / "library.onnx").read_bytes()
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for n in (1, 6):
        x = raw_rows(model, n)
        np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-5, atol=1e-5)


def test_torch_from_the_command_line(trained_run, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    out = tmp_path / "export" / "model.pt"
    assert main(["export", str(trained_run / "model.npz"), "--format", "torch", "--out", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out), str(out.with_suffix(".json"))]
    state = torch.load(out, weights_only=True)
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["torch"]["class"] == "torch.nn.Sequential"
    assert description["classes"] is not None
    # rebuild the network from the JSON alone (no minidl code), then load the state_dict into it
    from minidl.export.torch_ops import torch_normalize_class

    def build(spec):
        if spec["class"] == "torch.nn.Sequential":
            return torch.nn.Sequential(*(build(child) for child in spec["children"]))
        if spec["class"] == "Normalize":
            return torch_normalize_class(torch)(**spec["kwargs"])
        return getattr(torch.nn, spec["class"].removeprefix("torch.nn."))(**spec["kwargs"])

    net = build(description["torch"])
    net.load_state_dict(state)
    net.eval()
    model = minidl.load(trained_run / "model.npz").eval()
    x = raw_rows(model)
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["cnn", "lstm", "gru", "rnn", "vit"])
def test_the_train_commands_models_export_at_their_default_sizes(tmp_path, name):
    """Each --model architecture as `minidl train` builds it (default sizes, float32, behind the
    input normalisation): ONNX Runtime and PyTorch give minidl's evaluation-mode outputs."""
    ort = pytest.importorskip("onnxruntime")
    torch = pytest.importorskip("torch")
    from minidl.export import to_torch
    from minidl.nn import models

    norm = Normalize.fitted(np.full(784, 72.0), np.full(784, 90.0))
    model = minidl.Sequential(norm, *getattr(models, name)(rng=0)).eval()
    x = np.random.default_rng(1).uniform(0, 255, (3, 784)).astype(np.float32)
    expected = model(x)
    path = to_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], expected, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        from_net = to_torch(model)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(from_net, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["cnn", "lstm", "gru"])
def test_the_json_rebuilds_conv_and_recurrent_networks(tmp_path, name):
    """The architecture JSON of `--format torch` names, for each conv and recurrent layer, a
    torch.nn class or one of the small modules with the kwargs it is built from."""
    torch = pytest.importorskip("torch")
    from minidl.export import save_torch
    from minidl.export.torch_ops_conv import torch_classes as conv_classes
    from minidl.export.torch_ops_recurrent import torch_classes as recurrent_classes
    from minidl.nn import models

    sequence = dict(steps=4, features=2, hidden=3)
    small = {"cnn": dict(image_size=8, channels=(2, 3), hidden=4), "lstm": sequence, "gru": sequence}[name]
    model = getattr(models, name)(rng=0, num_classes=2, **small).eval()
    pt, json_path = save_torch(model, tmp_path / "m.pt")
    own = {**conv_classes(torch), **recurrent_classes(torch)}

    def build(spec):
        if spec["class"] == "torch.nn.Sequential":
            return torch.nn.Sequential(*(build(child) for child in spec["children"]))
        if spec["class"] in own:
            return own[spec["class"]](**spec["kwargs"])
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["kwargs"].items()}
        return getattr(torch.nn, spec["class"].removeprefix("torch.nn."))(**kwargs)

    net = build(json.loads(json_path.read_text())["torch"])
    net.load_state_dict(torch.load(pt, weights_only=True))
    net.eval()
    x = np.random.default_rng(2).standard_normal((3, 64 if name == "cnn" else 8)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-5, atol=1e-6)


def test_bad_model_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a model")
    assert main(["export", str(bad), "--format", "onnx", "--out", str(tmp_path / "m.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minidl export: error:") and "Traceback" not in err


def test_unwritable_out_is_a_clear_error(trained_run, tmp_path, capsys):
    pytest.importorskip("onnx")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["export", str(trained_run), "--format", "onnx", "--out", str(blocker / "m.onnx")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_format_is_required(trained_run, capsys):
    assert main(["export", str(trained_run), "--out", "x.onnx"]) == 2
    assert "--format" in capsys.readouterr().err


def test_vit_run_exports_to_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    run = tmp_path / "vit"
    assert main(["train", "--model", "vit", "--limit-train", "200", "--limit-test", "100", "--epochs", "1",
                 "--quiet", "--out", str(run)]) == 0
    out = tmp_path / "vit.onnx"
    assert main(["export", str(run), "--format", "onnx", "--out", str(out)]) == 0
    model = minidl.load(run / "model.npz").eval()
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = raw_rows(model, 3)
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-5, atol=1e-5)
