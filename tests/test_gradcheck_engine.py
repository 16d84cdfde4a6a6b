"""cross_check: hand-written backward passes against the autodiff engine, and the registry."""

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import numpy as np
import pytest
from gradcheck_bugs import UnsummedBias, planted
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.gradcheck
from minidl import (
    BatchNorm1d,
    Dense,
    Dropout,
    Module,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)
from minidl.gradcheck import (
    GradcheckError,
    cross_check,
    cross_check_loss,
    engine_forms,
    register_engine_form,
)
from minidl.nn.losses import Loss
from minidl.nn.models import mlp

LAYERS = ["Dense", "ReLU", "Tanh", "Sigmoid", "Dropout", "BatchNorm1d train", "BatchNorm1d eval"]


def make_layer(kind, d, h, rng):
    """A float64 layer of the given kind mapping width d to its output width."""
    if kind == "Dense":
        return Dense(d, h, rng=rng, dtype="float64"), h
    if kind == "Dropout":
        return Dropout(0.4, rng=rng), d
    if kind.startswith("BatchNorm1d"):
        bn = BatchNorm1d(d, dtype="float64")
        bn(rng.standard_normal((4, d)) * 3 + 1)  # running statistics away from 0 and 1
        bn.gamma = rng.uniform(0.5, 2, d)
        bn.beta = rng.standard_normal(d)
        return bn.train(kind.endswith("train")), d
    return {"ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid}[kind](), d


@settings(max_examples=40)
@given(kind=st.sampled_from(LAYERS), n=st.integers(2, 6), d=st.integers(1, 6), h=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_every_layer_agrees_with_the_engine(kind, n, d, h, seed):
    rng = np.random.default_rng(seed)
    layer, width = make_layer(kind, d, h, rng)
    x = rng.standard_normal((n, d)) * 2
    report = cross_check(layer, x, rng.standard_normal((n, width)), MSELoss())
    assert report.ok, report.table()
    names = [name for name, _ in layer.named_parameters()]
    assert [row.name for row in report.rows] == ["loss", "dx", *names]


@settings(max_examples=30)
@given(n=st.integers(1, 6), c=st.integers(1, 6), seed=st.integers(0, 2**16),
       target=st.sampled_from(["ids", "probabilities", "mse"]))
def test_every_loss_agrees_with_the_engine(n, c, seed, target):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, c)) * 3
    if target == "ids":
        report = cross_check_loss(SoftmaxCrossEntropy(), z, rng.integers(0, c, n))
    elif target == "probabilities":
        report = cross_check_loss(SoftmaxCrossEntropy(), z, rng.dirichlet(np.ones(c), n))
    else:
        report = cross_check_loss(MSELoss(), z, rng.standard_normal((n, c)))
    assert report.ok, report.table()


@settings(max_examples=25)
@given(kinds=st.lists(st.sampled_from(LAYERS), min_size=1, max_size=5),
       widths=st.lists(st.integers(1, 5), min_size=6, max_size=6), n=st.integers(2, 5),
       seed=st.integers(0, 2**16))
def test_random_stacks_agree_with_the_engine(kinds, widths, n, seed):
    rng = np.random.default_rng(seed)
    layers, width = [], widths[0]
    for kind, h in zip(kinds, widths[1:], strict=False):
        layer, width = make_layer(kind, width, h, rng)
        layers.append(layer)
    model = Sequential(*layers, Dense(width, 3, rng=rng, dtype="float64"))
    report = cross_check(model, rng.standard_normal((n, widths[0])), rng.integers(0, 3, n),
                         SoftmaxCrossEntropy())
    assert report.ok, report.table()


@pytest.mark.parametrize("layer, guilty", planted())
def test_planted_bugs_are_caught_and_named(layer, guilty):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4))
    report = cross_check(layer, x, rng.standard_normal(np.shape(layer(x))), MSELoss())
    assert report.failed == guilty
    with pytest.raises(GradcheckError, match=f"gradient check failed for {guilty[0]}"):
        report.raise_if_failed()


def test_overwriting_is_named_as_such():
    layer = planted()[2][0]
    x = np.ones((2, 4))
    report = cross_check(layer, x, np.zeros((2, 3)), MSELoss())
    assert "instead of accumulating" in report["W"].note


def test_bug_inside_a_stack_is_named_by_position():
    model = mlp([4, 5, 2], rng=0, dtype="float64")
    model.layers[2] = UnsummedBias(5, 2, rng=1, dtype="float64")
    report = cross_check(model, np.random.default_rng(0).standard_normal((6, 4)),
                         np.array([0, 1, 1, 0, 1, 0]), SoftmaxCrossEntropy())
    assert report.failed == ["2.b"]


def test_a_subclass_is_checked_against_its_parents_math():
    class StudentTanh(Tanh):
        def backward(self, dout):
            """dZ = dH ⊙ (1 − H²), recomputed from the input instead of the cached output."""
            return dout * (1 - self.cached() ** 2)

    class StudentSigmoid(Sigmoid):
        def backward(self, dout):
            """A planted bug: dZ = dH ⊙ H (the (1 − H) factor is missing)."""
            return dout * self.cached()

    x, targets = np.linspace(-2, 2, 12).reshape(3, 4), np.zeros((3, 4))
    assert engine_forms.engine_form(StudentTanh()) is engine_forms.engine_form(Tanh())
    assert cross_check(StudentTanh(), x, targets, MSELoss()).ok
    assert cross_check(StudentSigmoid(), x, targets, MSELoss()).failed == ["dx"]


def test_planted_bug_example_catches_its_bug(capsys):
    path = Path(__file__).resolve().parents[1] / "examples" / "planted_bug.py"
    spec = importlib.util.spec_from_file_location("planted_bug", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main() == 0
    out = capsys.readouterr().out
    assert "check_module StudentDense(4 → 3)" in out and "caught: True" in out


def test_a_forward_that_disagrees_with_the_formulation_fails_the_loss_row():
    class LoudTanh(Tanh):
        def forward(self, x):
            return 1.01 * super().forward(x)

    report = cross_check(LoudTanh(), np.ones((2, 3)), np.zeros((2, 3)), MSELoss())
    assert "loss" in report.failed
    assert "forward disagrees" in report["loss"].note


class Square(Module):
    """A layer with no engine formulation registered: Y = X²."""

    def forward(self, x):
        self.cache = x
        return x * x

    def backward(self, dout):
        """Y = X²  ⇒  dX = 2 X ⊙ dY."""
        return 2 * self.cached() * dout


def test_unknown_types_get_a_message_saying_how_to_register():
    class Hinge(Loss):
        def forward(self, pred, target):
            return float(np.maximum(0, 1 - pred * target).mean())

    expected = r"no engine formulation for Square.*register_engine_form\(Square"
    with pytest.raises(TypeError, match=expected):
        cross_check(Sequential(Dense(2, 2, dtype="float64"), Square()), np.ones((1, 2)),
                    np.zeros((1, 2)), MSELoss())
    expected = r"register_engine_form\(Hinge, fn\(loss_fn, pred, target\)\)"
    with pytest.raises(TypeError, match=expected):
        cross_check_loss(Hinge(), np.ones((1, 2)), np.zeros((1, 2)))


def test_registering_a_formulation_makes_a_new_layer_checkable(monkeypatch):
    monkeypatch.setattr(engine_forms, "_FORMS", dict(engine_forms._FORMS))  # no leak to other tests
    register_engine_form(Square, lambda layer, x, params: x * x)
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), Square(),
                       Dense(4, 2, rng=1, dtype="float64"))
    assert cross_check(model, np.ones((2, 3)), np.array([0, 1]), SoftmaxCrossEntropy()).ok
    with pytest.raises(TypeError, match="expected a class"):
        register_engine_form("Square", lambda layer, x, params: x)


def test_every_layer_and_loss_type_has_a_formulation():
    types = [getattr(minidl, name) for name in minidl.__all__]
    for cls in types:
        if isinstance(cls, type) and issubclass(cls, (Module, Loss)) and cls is not Module:
            assert any(base in engine_forms.registered_types() for base in cls.__mro__), cls


def test_relu_inputs_exactly_at_zero_do_not_fail():
    x = np.array([[0.0, 1.0, -1.0, 0.0], [0.0, -0.0, 0.5, 2.0]])
    assert cross_check(ReLU(), x, np.ones((2, 4)), MSELoss()).ok
    model = Sequential(ReLU(), Dense(4, 2, rng=0, dtype="float64"))
    assert cross_check(model, x, np.array([0, 1]), SoftmaxCrossEntropy()).ok


def test_a_mathematically_zero_gradient_is_not_failed_on_rounding():
    # The bias before a BatchNorm cancels out: its gradient is 0 up to rounding, both ways.
    model = mlp([5, 6, 3], rng=0, dtype="float64", batchnorm=True)
    report = cross_check(model, np.random.default_rng(0).standard_normal((7, 5)),
                         np.arange(7) % 3, SoftmaxCrossEntropy())
    assert report.ok and np.abs(report["0.b"].analytic) < 1e-12


def test_cross_check_leaves_the_model_as_it_was():
    model = mlp([4, 6, 3], rng=0, dtype="float64", dropout=0.5, batchnorm=True)
    for param in model.parameters():
        param.grad[...] = 7.0
    dropout = model.layers[3]
    state, stream = model.state_dict(), dropout.rng_state()
    cross_check(model, np.ones((5, 4)), np.arange(5) % 3, SoftmaxCrossEntropy())
    assert all((param.grad == 7.0).all() for param in model.parameters())
    assert all((model.state_dict()[k] == v).all() for k, v in state.items())  # running stats too
    assert dropout.rng_state() == stream and dropout.fix_mask is False


def test_models_recomputing_are_checked():
    model = mlp([4, 6, 6, 3], rng=0, dtype="float64", batchnorm=True, dropout=0.2)
    model = Sequential(*model.layers, recompute_segments=3)
    x = np.random.default_rng(0).standard_normal((5, 4))
    assert cross_check(model, x, np.arange(5) % 3, SoftmaxCrossEntropy()).ok


def test_dropout_that_forgets_its_scale_is_caught():
    class UnscaledDropout(Dropout):
        def backward(self, dout):
            """A planted bug: dX = dY ⊙ M, without the 1/(1 − p)."""
            return dout * (super().backward(dout) != 0)

    report = cross_check(UnscaledDropout(0.5, rng=0), np.ones((4, 5)), np.zeros((4, 5)), MSELoss())
    assert report.failed == ["dx"]


def test_batchnorm_backward_that_ignores_the_batch_statistics_is_caught():
    class FrozenStatsBatchNorm(BatchNorm1d):
        def backward(self, dout):
            """A planted bug: the evaluation-mode dX = dY γ σ⁻¹ used while training."""
            super().backward(dout)
            _, inv_std, _ = self.cached()
            return dout * inv_std * self.gamma

    rng = np.random.default_rng(0)
    bn = FrozenStatsBatchNorm(3, dtype="float64")
    x, targets = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    assert cross_check(bn, x, targets, MSELoss()).failed == ["dx"]
    assert cross_check(bn.eval(), x, targets, MSELoss()).ok


def test_float32_models_are_checked_with_wider_tolerances():
    model = mlp([4, 8, 3], rng=0)  # float32 by default
    report = cross_check(model, np.ones((3, 4)), np.array([0, 1, 2]), SoftmaxCrossEntropy())
    assert report.ok and "float32, rtol 0.001" in report.title


def test_report_table_has_an_engine_column():
    layer = Dense(2, 2, rng=0, dtype="float64")
    report = cross_check(layer, np.ones((1, 2)), np.zeros((1, 2)), MSELoss())
    header = report.table().splitlines()[1]
    assert "engine" in header and "analytic" in header and "numeric" not in header


@pytest.mark.parametrize("name", [m.name for m in pkgutil.iter_modules(minidl.gradcheck.__path__)])
def test_docstring_examples(name):
    names = dict(np=np, Dense=Dense, ReLU=ReLU, Tanh=Tanh, Sequential=Sequential, MSELoss=MSELoss,
                 SoftmaxCrossEntropy=SoftmaxCrossEntropy, mlp=mlp)
    module = importlib.import_module(f"minidl.gradcheck.{name}")
    saved = dict(engine_forms._FORMS)
    try:
        assert doctest.testmod(module, extraglobs=names).failed == 0
    finally:
        engine_forms._FORMS.clear()
        engine_forms._FORMS.update(saved)
