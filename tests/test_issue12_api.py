"""Issue 12, points 5, 9 and 12: in-place forwards are caught and blamed, model.summary,
precision/recall/F1 in evaluate, and the Python API papercuts."""

import pydoc

import numpy as np
import pytest

import minidl
from minidl import Dense, Module, ReLU, Sequential, SoftmaxCrossEntropy, Tanh
from minidl.data import DataLoader
from minidl.gradcheck import check_loss, check_module, cross_check
from minidl.training import Trainer, evaluate


class InPlaceLeakyReLU(ReLU):
    """A student's LeakyReLU that writes its answer into the caller's array."""

    def forward(self, x):
        self.cache = x > 0
        np.multiply(x, np.where(x > 0, 1.0, 0.1), out=x)
        return x

    def backward(self, dout):
        return dout * np.where(self.cached(), 1.0, 0.1)


def test_check_module_fails_an_inplace_forward_and_names_it():
    x = np.random.default_rng(0).standard_normal((4, 4))
    report = check_module(InPlaceLeakyReLU(), x, rng=0)
    assert not report.ok
    assert "input" in report.failed
    assert "InPlaceLeakyReLU" in report["input"].note and "in place" in report["input"].note


def test_cross_check_blames_the_inplace_layer_not_the_ones_before_it():
    model = Sequential(Dense(3, 5, rng=0, dtype="float64"), Tanh(), InPlaceLeakyReLU(),
                       Dense(5, 2, rng=1, dtype="float64"))
    x = np.random.default_rng(1).standard_normal((6, 3))
    report = cross_check(model, x, np.array([0, 1, 0, 1, 0, 1]), SoftmaxCrossEntropy())
    assert report.failed[0] == "input"
    assert report["input"].note.startswith("2 InPlaceLeakyReLU()")


def test_a_correct_model_has_no_input_row():
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), ReLU())
    report = check_module(model, np.ones((2, 3)), rng=0)
    assert report.ok and "input" not in [r.name for r in report.rows]


def test_summary_lists_layers_shapes_parameters_and_cached_bytes():
    model = Sequential(Dense(4, 3, rng=0, dtype="float64"), ReLU(), Dense(3, 2, rng=0))
    text = model.summary((5, 4))
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "output", "shape", "parameters", "cached", "for", "backward"]
    assert lines[1].startswith("0 Dense(4 → 3)") and "(5, 3)" in lines[1] and " 15 " in lines[1]
    assert "160 B" in lines[1]  # Dense caches its float64 input, 5 × 4 × 8 bytes
    assert lines[2].endswith("15 B")  # ReLU's boolean mask, 5 × 3
    assert lines[4].startswith("total") and "(5, 2)" in lines[4] and " 23 " in lines[4]
    assert model.summary(np.zeros((5, 4))) == text
    assert model.cache is None and all(m.cache is None for m in model.layers)  # left as it was


def test_summary_rejects_a_shape_without_batch_axis():
    with pytest.raises(ValueError, match="batch axis"):
        Dense(4, 3).summary((4,))


def test_evaluate_gives_precision_recall_f1_and_infers_num_classes():
    model = Dense(2, 3, dtype="float64")
    model.W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    model.b = np.zeros(3)
    x = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1], [1, 0]])
    y = np.array([0, 0, 1, 2, 2])  # predictions 0, 0, 1, 1, 0
    result = evaluate(model, SoftmaxCrossEntropy(), x, y)
    assert result["confusion_matrix"].shape == (3, 3)
    np.testing.assert_allclose(result["precision"], [2 / 3, 1 / 2, 0])
    np.testing.assert_allclose(result["recall"], [1, 1, 0])
    np.testing.assert_allclose(result["f1"], [0.8, 2 / 3, 0])
    assert result["support"] == [2, 1, 2]
    assert result["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 3)
    assert result["macro_precision"] == pytest.approx((2 / 3 + 1 / 2) / 3)
    assert result["macro_recall"] == pytest.approx(2 / 3)


def _fit(capsys, **kwargs):
    model = Sequential(Dense(2, 2, rng=0))
    x = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    Trainer(model, SoftmaxCrossEntropy(), minidl.SGD(model.parameters(), lr=0.1),
            **kwargs).fit(DataLoader(x, y, batch_size=4, rng=0), epochs=2)
    return capsys.readouterr()


def test_trainer_log_none_and_progress_false_are_silent(capsys):
    assert _fit(capsys, progress=False, log=None).out == ""
    assert _fit(capsys, progress=False).out == ""
    lines = []
    _fit(capsys, progress=False, log=lines.append)
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2")


def test_check_loss_takes_rng_like_check_module():
    assert check_loss(SoftmaxCrossEntropy(), np.zeros((2, 3)), np.array([0, 2]), rng=0).ok


def test_help_module_shows_no_comment_banner_as_a_docstring():
    text = pydoc.render_doc(Module, renderer=pydoc.plaintext)
    assert "# ---" not in text
