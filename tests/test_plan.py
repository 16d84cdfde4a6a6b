"""The planned path is held to the teaching path: for every layer, loss and optimizer variant,
planned steps end at the parameters, buffers, losses and optimizer state the plain loop
reaches (float64 to 1e-10 relative, float32 within rounding)."""

from __future__ import annotations

import numpy as np
import pytest
from plan_helpers import steady_peak_bytes

from minidl import (
    SGD,
    Adam,
    BatchNorm1d,
    Dense,
    Dropout,
    Module,
    MSELoss,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)
from minidl.data import DataLoader
from minidl.nn.models import mlp
from minidl.optim import clip_grad_norm
from minidl.plan import NonFiniteLoss, plan
from minidl.plan.kernels import OwnMethods
from minidl.plan.planner import leaf_layers
from minidl.training import Trainer, evaluate

D, C = 6, 4


class Scale(Module):
    """A user's layer with its own backward: y = x ⊙ s."""

    def __init__(self, width, dtype):
        self.s = Parameter(np.linspace(0.5, 1.5, width).astype(dtype))

    def forward(self, x):
        self.cache = x
        return x * self.s

    def backward(self, dout):
        """y = x ⊙ s  ⇒  ds += Σ_n dY ⊙ X,  dX = dY ⊙ s."""
        x = self.cached()
        self.ds += (dout * x).sum(axis=0)
        return dout * self.s


class StudentDense(Dense):
    """A student's copy of Dense: the same maths, written out again."""

    def backward(self, dout):
        """dX = dZ Wᵀ, dW += Xᵀ dZ, db += Σ_n dZ[n]."""
        x = self.cached()
        self.dW += x.T @ dout
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


def tied(dtype):
    """Two Dense layers sharing one weight matrix (a tied parameter gets both gradients)."""
    first, middle = Dense(D, D, rng=3, dtype=dtype), Dense(D, D, rng=5, dtype=dtype)
    middle.W = first.parameters()[0]  # the same Parameter object: shared
    return Sequential(first, Tanh(), middle, ReLU(), Dense(D, C, rng=4, dtype=dtype))


MODELS = {
    "relu": lambda dt: mlp([D, 8, 5, C], "relu", rng=0, dtype=dt),
    "tanh": lambda dt: mlp([D, 8, C], "tanh", rng=0, dtype=dt),
    "sigmoid": lambda dt: mlp([D, 8, C], "sigmoid", rng=0, dtype=dt),
    "batchnorm-dropout": lambda dt: mlp([D, 8, 8, C], rng=0, dtype=dt, batchnorm=True, dropout=0.3),
    "batchnorm-no-affine": lambda dt: Sequential(Dense(D, 8, rng=0, dtype=dt),
                                                 BatchNorm1d(8, affine=False, dtype=dt), ReLU(),
                                                 Dense(8, C, rng=1, dtype=dt)),
    "user-layer": lambda dt: Sequential(Dense(D, 8, rng=0, dtype=dt), Scale(8, dt), Sigmoid(),
                                        Dense(8, C, rng=1, dtype=dt)),
    "student-dense-first": lambda dt: Sequential(StudentDense(D, 8, rng=0, dtype=dt), ReLU(),
                                                 Dense(8, C, rng=1, dtype=dt)),
    "nested": lambda dt: Sequential(Sequential(Dense(D, 8, rng=0, dtype=dt), ReLU()),
                                    Sequential(Dropout(0.2, rng=1), Dense(8, C, rng=2, dtype=dt))),
    "recompute": lambda dt: Sequential(*mlp([D, 8, 8, C], rng=0, dtype=dt, dropout=0.2).layers,
                                       recompute_segments=2),
    "tied": tied,
}

OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "nesterov-decay": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
    "adam": lambda ps: Adam(ps, lr=1e-2, eps=1e-3),
    "adam-decay": lambda ps: Adam(ps, lr=1e-2, eps=1e-3, weight_decay=1e-2),
}


def batches(dtype, loss, sizes=(16, 16, 9, 16, 5)):
    """A changing batch size (a smaller one mid-way, as the last batch of an epoch)."""
    rng = np.random.default_rng(7)
    for n in sizes:
        x = rng.standard_normal((n, D)).astype(dtype)
        if loss == "mse":
            y = rng.standard_normal((n, C)).astype(dtype)
        elif loss == "probabilities":
            y = rng.dirichlet(np.ones(C), size=n)
        else:
            y = rng.integers(0, C, n)
        yield x, y


LOSSES = {"ids": SoftmaxCrossEntropy, "probabilities": SoftmaxCrossEntropy, "mse": MSELoss}


def teaching_step(model, loss_fn, opt, x, y, clip=None):
    opt.zero_grad()
    model.zero_grad()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    if clip is not None:
        clip_grad_norm(opt.params, clip)
    opt.step()
    return loss


def assert_close(a, b, rtol, what):
    """Each array against its own scale, not element by element, with a floor: the bias of a
    Dense layer that feeds BatchNorm has a true gradient of exactly zero, so it holds only
    rounding noise (amplified by lr/ε under Adam), which two correct paths round differently."""
    scale = max(float(np.max(np.abs(a))), 1e-4 if rtol < 1e-6 else 1e-2)
    err = float(np.max(np.abs(np.asarray(a, np.float64) - b))) / scale
    assert err <= rtol, f"{what}: relative difference {err:.3g} > {rtol:g}"


def assert_same_state(teach, planned, opt_t, opt_p, rtol):
    for (name, p), (_, q) in zip(teach.named_parameters(), planned.named_parameters()):
        assert_close(p.data, q.data, rtol, name)
    for (name, a), b in zip(teach.named_buffers(), planned.buffers()):
        assert_close(a, b, rtol, name)
    st, sp = opt_t.state_dict(), opt_p.state_dict()
    assert st["steps"] == sp["steps"] and st["hyper"] == sp["hyper"]
    for key in st["state"]:
        for i, (a, b) in enumerate(zip(st["state"][key], sp["state"][key])):
            assert_close(a, b, rtol, f"{key}[{i}]")


def run_both(model_name, opt_name, loss_name, dtype, clip=None, change_lr=True):
    teach, planned = MODELS[model_name](dtype), MODELS[model_name](dtype)
    opt_t, opt_p = OPTIMIZERS[opt_name](teach.parameters()), OPTIMIZERS[opt_name](planned.parameters())
    loss_t, loss_p = LOSSES[loss_name](), LOSSES[loss_name]()
    step = plan(planned, loss_p, opt_p, clip_norm=clip)
    for i, (x, y) in enumerate(batches(dtype, loss_name)):
        if change_lr and i == 2:  # a schedule sets the learning rate between steps
            opt_t.lr = opt_p.lr = opt_t.lr * 0.5
        expected = teaching_step(teach, loss_t, opt_t, x, y, clip)
        got = step(x, y)
        assert got == pytest.approx(expected, rel=1e-10 if dtype == "float64" else 1e-4)
    return teach, planned, opt_t, opt_p, step


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_planned_steps_end_where_the_teaching_loop_ends_float64(model_name, opt_name):
    teach, planned, opt_t, opt_p, _ = run_both(model_name, opt_name, "ids", "float64")
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


@pytest.mark.parametrize("model_name", ["relu", "batchnorm-dropout", "user-layer", "tanh"])
@pytest.mark.parametrize("opt_name", ["momentum", "adam"])
def test_planned_steps_agree_within_rounding_float32(model_name, opt_name):
    teach, planned, opt_t, opt_p, _ = run_both(model_name, opt_name, "ids", "float32")
    assert all(p.dtype == np.float32 for p in planned.parameters())
    assert_same_state(teach, planned, opt_t, opt_p, 1e-4)


@pytest.mark.parametrize("loss_name", ["probabilities", "mse"])
def test_losses_without_a_kernel_run_their_own_methods(loss_name):
    teach, planned, opt_t, opt_p, _ = run_both("batchnorm-dropout", "nesterov-decay", loss_name, "float64")
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_gradient_clipping_is_planned_too():
    teach, planned, opt_t, opt_p, _ = run_both("relu", "momentum", "ids", "float64", clip=0.05)
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_planned_then_teaching_steps_end_where_teaching_steps_alone_do():
    alone, mixed = MODELS["batchnorm-dropout"]("float64"), MODELS["batchnorm-dropout"]("float64")
    opt_a = SGD(alone.parameters(), lr=0.1, momentum=0.9)
    opt_m = SGD(mixed.parameters(), lr=0.1, momentum=0.9)
    loss_fn = SoftmaxCrossEntropy()
    step = plan(mixed, SoftmaxCrossEntropy(), opt_m)
    for i, (x, y) in enumerate(batches("float64", "ids", sizes=(8,) * 6)):
        teaching_step(alone, loss_fn, opt_a, x, y)
        if i < 3:
            step(x, y)
        else:
            teaching_step(mixed, loss_fn, opt_m, x, y)
    assert_same_state(alone, mixed, opt_a, opt_m, 1e-10)


def test_the_state_dict_keeps_pytorch_momentum_meaning_and_loads_back():
    teach, planned, opt_t, opt_p, step = run_both("relu", "momentum", "ids", "float64")
    state = opt_p.state_dict()
    fresh = SGD(planned.parameters(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(state)
    for a, b in zip(fresh.state["momentum"], opt_t.state["momentum"]):
        assert_close(b, a, 1e-10, "momentum")
    opt_p.load_state_dict(opt_t.state_dict())  # loading into a planned optimizer: in place
    x, y = next(batches("float64", "ids"))
    teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
    step(x, y)
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_a_rebound_parameter_is_followed():
    teach, planned, opt_t, opt_p, step = run_both("relu", "adam", "ids", "float64")
    planned[0]._params["W"].data = planned[0].W.copy()  # someone gives the parameter a new array
    teach[0]._params["W"].data = teach[0].W.copy()
    x, y = next(batches("float64", "ids"))
    teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
    step(x, y)
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_layers_the_plan_cannot_vouch_for_run_their_own_methods():
    step = plan(MODELS["student-dense-first"]("float64"), SoftmaxCrossEntropy(),
                SGD(MODELS["relu"]("float64").parameters(), lr=0.1))
    assert isinstance(step.kernels[0], OwnMethods) and not isinstance(step.kernels[1], OwnMethods)
    tied_step = plan(tied("float64"), SoftmaxCrossEntropy(), SGD(tied("float64").parameters(), lr=0.1))
    assert isinstance(tied_step.kernels[0], OwnMethods) and isinstance(tied_step.kernels[2], OwnMethods)


def test_a_model_with_forward_hooks_is_stepped_the_plain_way():
    teach, planned = MODELS["relu"]("float64"), MODELS["relu"]("float64")
    opt_t, opt_p = SGD(teach.parameters(), lr=0.1), SGD(planned.parameters(), lr=0.1)
    seen = []
    handle = planned[1].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    for x, y in batches("float64", "ids", sizes=(8, 8)):
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
    handle.remove()
    assert seen == [(8, 8), (8, 8)]
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_forward_is_evaluation_mode_and_returns_an_array_the_caller_owns():
    model = MODELS["batchnorm-dropout"]("float64")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    x, y = next(batches("float64", "ids"))
    step(x, y)
    buffers = [b.copy() for b in model.buffers()]
    out = step.forward(x)
    model.eval()
    np.testing.assert_allclose(out, model(x), rtol=1e-12)
    assert model.training is False  # the caller's mode is kept
    model.train()
    step.forward(x * 0)
    np.testing.assert_allclose(out, model.eval()(x), rtol=1e-12)  # not overwritten by the next call
    assert all((a == b).all() for a, b in zip(buffers, model.buffers()))


def test_forward_runs_in_slices_of_the_training_batch_with_the_same_numbers():
    model = MODELS["batchnorm-dropout"]("float64")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    x, y = next(batches("float64", "ids", sizes=(4,)))
    step(x, y)
    assert step.workspace_rows == 4
    x_test = np.random.default_rng(3).standard_normal((11, x.shape[1]))
    whole = model.eval()(x_test)
    model.train()
    for batch_size in (None, 3, 11, 50):  # 4, 4, 3 rows by default; a ragged last slice
        np.testing.assert_allclose(step.forward(x_test, batch_size=batch_size), whole, rtol=1e-12)
    assert step.workspace_rows == 4  # evaluating does not grow what a step reuses


def test_the_trainer_evaluates_through_the_plan_with_the_teaching_numbers():
    model = MODELS["batchnorm-dropout"]("float64")
    x, y = next(batches("float64", "ids", sizes=(40,)))
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), progress=False)
    trainer.fit(DataLoader(x, y, batch_size=8, rng=0), epochs=1)
    seen = []
    original = trainer._plan.forward
    trainer._plan.forward = lambda data: seen.append(len(data)) or original(data)
    record = trainer.evaluate((x, y))
    assert seen == [40]
    teaching = evaluate(model, SoftmaxCrossEntropy(), x, y)
    assert record["accuracy"] == teaching["accuracy"]
    assert record["loss"] == pytest.approx(teaching["loss"], rel=1e-12)


def test_a_non_finite_loss_stops_before_anything_is_updated():
    model = MODELS["relu"]("float64")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    before = [p.data.copy() for p in model.parameters()]
    x, y = next(batches("float64", "ids"))
    with pytest.raises(NonFiniteLoss):
        step(x * np.inf, y)
    assert all((a == p.data).all() for a, p in zip(before, model.parameters()))


def test_bad_input_gets_the_layers_own_error():
    model = MODELS["relu"]("float32")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    expected = r"Dense\(6 → 8\)\.forward: expected input of shape \(N, 6\), got \(3, 5\)"
    with pytest.raises(ValueError, match=expected):
        step(np.zeros((3, 5)), np.zeros(3, int))
    with pytest.raises(IndexError, match="label 9 is out of range for 4 classes"):
        step(np.zeros((3, 6)), np.array([0, 9, 1]))


class FixedBatches:
    """A loader over batches made beforehand (a DataLoader gathers each shuffled batch anew,
    which is the loader's allocation, not the step's)."""

    def __init__(self, batches):
        self.batches, self.num_samples = batches, sum(len(y) for _, y in batches)

    def __iter__(self):
        return iter(self.batches)


@pytest.mark.parametrize("path", ["plan-loop", "trainer"])
@pytest.mark.parametrize("opt_name", ["momentum", "nesterov-decay", "adam-decay"])
def test_steady_state_planned_training_allocates_no_batch_sized_array(path, opt_name):
    """Count what a step allocates (tracemalloc, as needle's tests count live tensors), in a
    user's loop calling the plan and in the Trainer's epoch (loss sum, accuracy count): after
    the first steps every intermediate is reused, so the peak of a step stays far below the
    size of one batch-sized array. What remains is numpy's own fixed-size casting buffer
    (8192 elements, e.g. for bool × float32) and a few (N,)-sized arrays (the loss's picked
    logits, the Trainer's predicted classes)."""
    n, width = 2048, 64
    model = mlp([width, width, width, C], rng=0, batchnorm=True, dropout=0.2)
    opt = OPTIMIZERS[opt_name](model.parameters())
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, width)).astype(np.float32), rng.integers(0, C, n)
    if path == "trainer":
        trainer = Trainer(model, SoftmaxCrossEntropy(), opt, progress=False, log=None)
        loader = FixedBatches([(x, y)])

        def train():
            trainer.train_epoch(loader)
    else:
        step = plan(model, SoftmaxCrossEntropy(), opt)

        def train():
            step(x, y)
    peak = steady_peak_bytes(train, warmup=2, steps=3)
    one_batch_array = n * width * 4
    assert peak < one_batch_array / 8, f"a planned step allocated up to {peak} bytes"


def assert_trainers_agree(model_name, make_opt, fit, n=100, **options):
    """Train one model with a planned and one with a teaching Trainer; same parameters after."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, D)), rng.integers(0, C, n)
    models = []
    for planned in (True, False):
        model = MODELS[model_name]("float64")
        trainer = Trainer(model, SoftmaxCrossEntropy(), make_opt(model.parameters()), progress=False,
                          log=lambda *a: None, planned=planned, **options)
        fit(trainer, x, y)
        models.append(model)
    for p, q in zip(*(m.parameters() for m in models)):
        assert_close(p.data, q.data, 1e-10, "parameter")


def test_trainer_planned_and_teaching_train_to_the_same_model():
    assert_trainers_agree("batchnorm-dropout", OPTIMIZERS["momentum"],
                          lambda trainer, x, y: trainer.fit(DataLoader(x, y, 32, rng=0), epochs=2),
                          schedule=lambda s: 0.1 / (1 + s), clip_norm=1.0)


def test_float16_loss_scaling_is_handed_back_to_the_teaching_path():
    from minidl.training import MixedPrecision

    model = mlp([D, 8, C], rng=0, dtype="float16")
    mp = MixedPrecision(model)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(mp.master_parameters(), lr=0.1),
                      mixed_precision=mp, progress=False, log=lambda *a: None)
    assert trainer.planned is False
    x, y = next(batches("float16", "ids"))
    trainer.train_step(x, y)
    assert mp.steps == 1


# ---------------------------------------------------------------- found by an independent review
def test_one_module_object_in_two_places_is_refused():
    relu = ReLU()
    with pytest.raises(ValueError, match=r"ReLU\(\) appears twice \(at 1 and 3\)"):
        Sequential(Dense(D, 8, rng=0), relu, Dense(8, 8, rng=1), relu)
    with pytest.raises(ValueError, match="appears twice"):
        Sequential(Sequential(relu), Sequential(relu))


def test_parameters_over_one_array_stay_tied():
    def build():
        first, second = Dense(D, D, rng=0, dtype="float64"), Dense(D, C, rng=1, dtype="float64")
        middle = Dense(D, D, rng=2, dtype="float64")
        middle.W = Parameter(first.W)  # a second Parameter over the same array
        return Sequential(first, Tanh(), middle, Tanh(), second)
    teach, planned = build(), build()
    opt_t, opt_p = SGD(teach.parameters(), lr=0.1), SGD(planned.parameters(), lr=0.1)
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    for x, y in batches("float64", "ids", sizes=(8, 8, 8)):
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
    assert np.shares_memory(planned[0].W, planned[2].W)
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_float16_batchnorm_runs_its_own_methods():
    model = Sequential(BatchNorm1d(4, dtype="float16"), Dense(4, C, rng=0, dtype="float16"))
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    assert isinstance(step.kernels[0], OwnMethods)


def test_a_trainer_given_a_new_optimizer_plans_again():
    def fit(trainer, x, y):
        trainer.fit(DataLoader(x, y, 16, rng=0), epochs=1)
        trainer.optimizer = Adam(trainer.model.parameters(), lr=1e-2)  # fine-tuning with another one
        trainer.fit(DataLoader(x, y, 16, rng=0), epochs=2, start_epoch=1)
    assert_trainers_agree("relu", OPTIMIZERS["sgd"], fit, n=64)


def test_planned_dropout_leaves_its_last_mask_on_the_layer():
    model = MODELS["nested"]("float64")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    x, y = next(batches("float64", "ids"))
    step(x, y)
    dropout = model.layers[1].layers[0]
    assert dropout.mask.shape == (16, 8) and set(np.unique(dropout.mask)) <= {0.0, 1 / 0.8}


def test_hyper_parameters_set_as_attributes_reach_the_state_dict():
    opt = SGD(MODELS["relu"]("float64").parameters(), lr=0.1)
    opt.momentum = 0.9
    opt.step()
    assert opt.state_dict()["hyper"]["momentum"] == 0.9 and len(opt.state["momentum"]) == 6


def test_a_non_finite_output_is_named_by_the_planned_step():
    model = MODELS["relu"]("float64")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    x, y = next(batches("float64", "ids"))
    x[3, 0] = np.nan
    with pytest.raises(NonFiniteLoss, match=r"the model's output is not finite \(first at index \(3, 0\)"):
        step(x, y)


# ------------------------------------------------ the learning rate folded into ∂L/∂Z (stretch)
LEARNING_RATES = [0.1, 0.1, 0.05, 0.2, 0.0, 0.0, 0.3, 0.01]  # a schedule, stopped and restarted


def momentum_pair(model_name, momentum=0.9):
    """A model for the teaching loop, its twin planned, each with its own SGD (lr 0.1)."""
    teach, planned = MODELS[model_name]("float64"), MODELS[model_name]("float64")
    opt_t = SGD(teach.parameters(), lr=0.1, momentum=momentum)
    opt_p = SGD(planned.parameters(), lr=0.1, momentum=momentum)
    return teach, planned, opt_t, opt_p, plan(planned, SoftmaxCrossEntropy(), opt_p)


@pytest.mark.parametrize("model_name", ["relu", "batchnorm-dropout", "tanh"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_folded_update_follows_a_changing_learning_rate_as_pytorch_does(model_name, momentum):
    """PyTorch's buffer under a new lr: v ← μv + g, p ← p − lr_t·v. The plan holds u = lr·v and
    rescales it by lr_t/lr_{t−1}; after every step the state_dict shows v and the parameters are
    the teaching loop's (lr = 0 keeps v: that step is not folded)."""
    teach, planned, opt_t, opt_p, step = momentum_pair(model_name, momentum)
    assert step.can_fold
    sizes = (12,) * len(LEARNING_RATES)
    for lr, (x, y) in zip(LEARNING_RATES, batches("float64", "ids", sizes=sizes)):
        opt_t.lr = opt_p.lr = lr
        expected = teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        assert step(x, y) == pytest.approx(expected, rel=1e-10)
        assert step.folded_lr == (lr if lr > 0 else None)
        assert_same_state(teach, planned, opt_t, opt_p, 1e-10)  # reads state_dict: settles the fold


def test_folded_momentum_read_between_steps_is_pytorchs_buffer():
    """Reading opt.state (not only state_dict) gives v; planned steps then continue from it."""
    teach, planned, opt_t, opt_p, step = momentum_pair("relu")
    for i, (x, y) in enumerate(batches("float64", "ids", sizes=(8,) * 6)):
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
        if i % 2:
            opt_t.lr = opt_p.lr = opt_p.lr * 0.7
            for a, b in zip(opt_t.state["momentum"], opt_p.state["momentum"]):
                assert_close(a, b, 1e-10, "momentum")
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_the_fold_leaves_lr_times_the_gradient_in_grad_and_fold_lr_false_the_gradient():
    x, y = next(batches("float64", "ids"))
    grads = {}
    for fold in (True, False):
        model = MODELS["relu"]("float64")
        step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.25, momentum=0.9),
                    fold_lr=fold)
        step(x, y)
        grads[fold] = [p.grad.copy() for p in model.parameters()]
    for folded, true in zip(grads[True], grads[False]):
        np.testing.assert_allclose(folded, 0.25 * true, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", ["nesterov-decay", "clip", "user-layer", "adam", "probabilities"])
def test_where_the_fold_cannot_hold_the_update_is_unfolded(case):
    model = MODELS["user-layer" if case == "user-layer" else "relu"]("float64")
    opt = (OPTIMIZERS[case] if case in OPTIMIZERS else OPTIMIZERS["momentum"])(model.parameters())
    step = plan(model, SoftmaxCrossEntropy(), opt, clip_norm=1.0 if case == "clip" else None)
    x, y = next(batches("float64", "probabilities" if case == "probabilities" else "ids"))
    step(x, y)
    assert step.folded_lr is None  # nothing folded: the state already holds its meaning


def test_weight_decay_switched_on_mid_run_unfolds_the_state_first():
    teach, planned, opt_t, opt_p, step = momentum_pair("relu")
    for i, (x, y) in enumerate(batches("float64", "ids", sizes=(8,) * 5)):
        if i == 2:
            opt_t.weight_decay = opt_p.weight_decay = 1e-2
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
    assert step.folded_lr is None
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_a_trainer_with_a_step_end_callback_sees_the_true_gradient():
    class Grads:
        def on_step_end(self, trainer, step):
            self.norm = float(np.sqrt(sum((p.grad ** 2).sum() for p in trainer.model.parameters())))

        def on_epoch_end(self, trainer, record):
            pass

    x, y = next(batches("float64", "ids"))
    norms = []
    for planned in (True, False):
        model, seen = MODELS["relu"]("float64"), Grads()
        trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.3, momentum=0.9),
                          callbacks=[seen], progress=False, planned=planned)
        trainer.train_step(x, y)
        norms.append(seen.norm)
    assert norms[0] == pytest.approx(norms[1], rel=1e-12)


# --------------------------------------------------- changes noticed without walking the model
def test_a_hook_added_after_planning_is_seen_and_its_removal_too():
    teach, planned, opt_t, opt_p, step = momentum_pair("relu")
    seen = []
    for i, (x, y) in enumerate(batches("float64", "ids", sizes=(8,) * 5)):
        if i == 1:
            handle = planned[2].register_forward_hook(lambda m, args, out: seen.append(out.shape))
        if i == 3:
            handle.remove()
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
    assert seen == [(8, 5), (8, 5)]  # the steps with the hook on: 1 and 2
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


@pytest.mark.parametrize("change", ["item", "layers-list", "parameter", "nested-list"])
def test_a_layer_replaced_after_planning_is_planned_anew(change):
    def build():
        return Sequential(Sequential(Dense(D, 8, rng=0, dtype="float64"), ReLU()),
                          Dense(8, C, rng=1, dtype="float64"))
    teach, planned = build(), build()
    opt_t, opt_p = SGD(teach.parameters(), lr=0.1), SGD(planned.parameters(), lr=0.1)
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    data = list(batches("float64", "ids", sizes=(8, 8, 8)))
    for x, y in data[:2]:
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
    for model in (teach, planned):
        if change == "item":
            model.layers.insert(1, Tanh())  # the list changed in place
        elif change == "layers-list":
            model.layers = [model.layers[0], Tanh(), model.layers[1]]
        elif change == "nested-list":
            model.layers[0].layers[1] = Tanh()
        else:  # a new Parameter for the last layer's bias, held by neither optimizer
            model.layers[1].b = Parameter(np.full(C, 0.5))
    teaching_step(teach, SoftmaxCrossEntropy(), opt_t, *data[2])
    step(*data[2])
    assert [k.layer for k in step.kernels] == leaf_layers(planned)
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)


def test_two_plans_of_one_optimizer_alternate_without_losing_the_momentum_meaning():
    teach, planned, opt_t, opt_p, first = momentum_pair("relu")
    second = plan(planned, SoftmaxCrossEntropy(), opt_p)
    for i, (x, y) in enumerate(batches("float64", "ids", sizes=(8,) * 6)):
        opt_t.lr = opt_p.lr = 0.1 * (i + 1)
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        (first if i % 2 else second)(x, y)
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)
