"""The planned RNN, LSTM and GRU kernels are held to the teaching layers: after several planned
steps (SGD with momentum, Adam; a changing batch size and sequence length; return_sequences
both ways; the recurrent layer first, after a Dense, after a Reshape of flat rows, stacked)
the parameters, optimizer state, final states and ∂L/∂(initial state) are the teaching
loop's (float64 to 1e-10 relative, float32 within rounding); a step allocates nothing per
time step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_helpers import steady_peak_bytes

from minidl import GRU, LSTM, RNN, SGD, Adam, Dense, Sequential, SoftmaxCrossEntropy
from minidl.nn.models import lstm
from minidl.plan import plan
from minidl.plan.kernels import GRUKernel, LSTMKernel, OwnMethods, RNNKernel
from minidl.plan.planner import plain_step

D, H, C = 3, 5, 4
CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
KERNEL_OF = {RNN: RNNKernel, LSTM: LSTMKernel, GRU: GRUKernel}


def first(cell, sequences, dtype):
    """The recurrent layer reads the data (its dX is never needed)."""
    return Sequential(cell(D, H, return_sequences=sequences, rng=1, dtype=dtype),
                      Dense(H, C, rng=2, dtype=dtype))


def after_dense(cell, sequences, dtype):
    """A Dense per time step before it, so its dX reaches that Dense's weights."""
    return Sequential(Dense(D, D, rng=0, dtype=dtype),
                      cell(D, H, return_sequences=sequences, rng=1, dtype=dtype),
                      Dense(H, C, rng=2, dtype=dtype))


def stacked(cell, sequences, dtype):
    """A whole sequence into a second recurrent layer of another kind."""
    other = GRU if cell is LSTM else LSTM
    return Sequential(cell(D, H, rng=1, dtype=dtype),
                      other(H, H, return_sequences=sequences, rng=3, dtype=dtype),
                      Dense(H, C, rng=2, dtype=dtype))


ARRANGEMENTS = {"first": first, "after-dense": after_dense, "stacked": stacked}
OPTIMIZERS = {"momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
              "adam": lambda ps: Adam(ps, lr=1e-2, eps=1e-3)}
# (N, T): a smaller batch, a longer and a shorter sequence, one step
SHAPES = [(6, 4), (6, 4), (3, 4), (6, 7), (4, 2), (5, 1)]


def sequences_of(shapes, sequences, dtype, seed=7):
    rng = np.random.default_rng(seed)
    for n, t in shapes:
        x = rng.standard_normal((n, t, D)).astype(dtype)
        yield x, rng.integers(0, C, (n, t) if sequences else n)


def assert_close(a, b, rtol, what):
    """Each array against its own scale (as tests/test_plan.py)."""
    scale = max(float(np.max(np.abs(a))), 1e-4 if rtol < 1e-6 else 1e-2)
    err = float(np.max(np.abs(np.asarray(a, np.float64) - b))) / scale
    assert err <= rtol, f"{what}: relative difference {err:.3g} > {rtol:g}"


def recurrent_layers(model):
    return [layer for layer in model.layers if type(layer) in KERNEL_OF]


def run_both(make, shapes, sequences, opt_name, dtype):
    """The same model trained by the teaching loop and by a plan; both returned, with the step."""
    teach, planned = make(), make()
    opt_t, opt_p = OPTIMIZERS[opt_name](teach.parameters()), OPTIMIZERS[opt_name](planned.parameters())
    loss_t, loss_p = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
    step = plan(planned, loss_p, opt_p)
    for x, y in sequences_of(shapes, sequences, dtype):
        expected, _ = plain_step(teach, loss_t, opt_t, x, y)
        got = step(x, y)
        assert got == pytest.approx(expected, rel=1e-10 if dtype == "float64" else 1e-4)
    return teach, planned, opt_t, opt_p, step


def assert_same(teach, planned, opt_t, opt_p, rtol):
    for (name, p), (_, q) in zip(teach.named_parameters(), planned.named_parameters()):
        assert_close(p.data, q.data, rtol, name)
    st_t, st_p = opt_t.state_dict(), opt_p.state_dict()
    assert st_t["steps"] == st_p["steps"]
    for key in st_t["state"]:
        for i, (a, b) in enumerate(zip(st_t["state"][key], st_p["state"][key])):
            assert_close(a, b, rtol, f"{key}[{i}]")
    for a, b in zip(recurrent_layers(teach), recurrent_layers(planned)):
        for name in ("final_state", "dstate"):  # LSTM: (h, c); RNN, GRU: h
            for u, v in zip(*(as_tuple(getattr(layer, name)) for layer in (a, b)), strict=True):
                assert_close(u, v, rtol, f"{a!r}.{name}")


def as_tuple(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("arrangement", sorted(ARRANGEMENTS))
@pytest.mark.parametrize("sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_planned_recurrent_steps_end_where_the_teaching_loop_ends_float64(cell, arrangement, sequences,
                                                                          opt_name):
    def make():
        return ARRANGEMENTS[arrangement](CELLS[cell], sequences, "float64")
    teach, planned, opt_t, opt_p, step = run_both(make, SHAPES, sequences, opt_name, "float64")
    planned_kinds = {type(k) for k in step.kernels}
    assert {KERNEL_OF[type(layer)] for layer in recurrent_layers(planned)} <= planned_kinds
    assert_same(teach, planned, opt_t, opt_p, 1e-10)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("sequences", [False, True], ids=["last", "sequences"])
def test_planned_recurrent_steps_agree_within_rounding_float32(cell, sequences):
    def make():
        return after_dense(CELLS[cell], sequences, "float32")
    teach, planned, opt_t, opt_p, _ = run_both(make, SHAPES, sequences, "adam", "float32")
    assert all(p.dtype == np.float32 for p in planned.parameters())
    assert_same(teach, planned, opt_t, opt_p, 1e-4)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_sequence_classifier_of_the_command_line_plans_its_cell(cell):
    """``minidl train --model lstm|gru|rnn``'s model: Reshape of flat rows, the cell, Dense."""
    from minidl.nn import models

    def make():
        return getattr(models, cell)(steps=4, features=D, hidden=H, num_classes=C, rng=0, dtype="float64")
    teach, planned = make(), make()
    opt_t, opt_p = Adam(teach.parameters(), lr=1e-2, eps=1e-3), Adam(planned.parameters(), lr=1e-2, eps=1e-3)
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    assert isinstance(step.kernels[0], OwnMethods) and type(step.kernels[1]) is KERNEL_OF[CELLS[cell]]
    rng = np.random.default_rng(3)
    for n in (8, 8, 5):
        x, y = rng.standard_normal((n, 4 * D)), rng.integers(0, C, n)
        expected, _ = plain_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        assert step(x, y) == pytest.approx(expected, rel=1e-10)
    assert_same(teach, planned, opt_t, opt_p, 1e-10)
    assert_close(teach(x), step.forward(x), 1e-10, "planned forward")


def test_clipping_the_gradient_norm_as_the_command_line_does_is_planned_too():
    """``minidl train --model lstm`` clips the global norm to 1.0: small here, so it bites."""
    def make():
        return after_dense(LSTM, False, "float64")
    teach, planned = make(), make()
    opt_t, opt_p = Adam(teach.parameters(), lr=1e-2), Adam(planned.parameters(), lr=1e-2)
    step = plan(planned, SoftmaxCrossEntropy(), opt_p, clip_norm=0.05)
    for x, y in sequences_of(SHAPES, False, "float64"):
        expected, _ = plain_step(teach, SoftmaxCrossEntropy(), opt_t, x, y, clip_norm=0.05)
        assert step(x, y) == pytest.approx(expected, rel=1e-10)
    assert_same(teach, planned, opt_t, opt_p, 1e-10)


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4), t=st.integers(1, 5), d=st.integers(1, 4), h=st.integers(1, 4),
       cell=st.sampled_from(sorted(CELLS)), sequences=st.booleans())
def test_planned_recurrent_forward_and_gradients_match_over_shapes(n, t, d, h, cell, sequences):
    """One step's loss and gradients (Adam with lr 0: the gradients are left in .grad)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, t, d))

    def make():
        return Sequential(Dense(d, d, rng=0, dtype="float64"),
                          CELLS[cell](d, h, return_sequences=sequences, rng=1, dtype="float64"))
    teach, planned = make(), make()
    step = plan(planned, SoftmaxCrossEntropy(), Adam(planned.parameters(), lr=0.0))
    y = rng.integers(0, h, (n, t) if sequences else n)
    expected, _ = plain_step(teach, SoftmaxCrossEntropy(), Adam(teach.parameters(), lr=0.0), x, y)
    assert step(x, y) == pytest.approx(expected, rel=1e-10)
    for (name, p), (_, q) in zip(teach.named_parameters(), planned.named_parameters()):
        assert_close(p.grad, q.grad, 1e-10, f"d{name}")


def test_a_steady_planned_lstm_step_allocates_nothing_per_time_step():
    """After the first steps every array is the workspace's. What a step still allocates is
    the copies it hands out as ``final_state`` (h_T, c_T) and ``dstate`` (dh_0, dc_0), four
    (N, H) arrays, twice over while the previous step's are being replaced, and numpy's small
    fixed-size buffers: the peak of three steps (tracemalloc) stays within that, where one more
    per-step (N, 4H) temporary, or anything sized by the sequence (N, T, ·), would not."""
    n, t, d, h = 64, 8, 8, 64
    model = lstm(steps=t, features=d, hidden=h, num_classes=C, rng=0)
    step = plan(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-3))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, t * d)).astype(np.float32), rng.integers(0, C, n)
    for _ in range(2):
        step(x, y)
    held = step.workspace.nbytes()
    peak = steady_peak_bytes(lambda: step(x, y), warmup=0, steps=3)
    state_copies = 4 * n * h * 4
    assert step.workspace.nbytes() == held
    assert peak < 2 * state_copies + 16 * 1024, f"a planned LSTM step allocated up to {peak} bytes"
