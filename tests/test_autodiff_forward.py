"""Forward mode: jvp against finite differences, the jvp ⟷ vjp adjoint identity on random
functions, and the promise that no reverse pass is made."""

import numpy as np
import pytest
from autodiff_helpers import SEEDS, random_function, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import graph, jvp, vjp


@settings(max_examples=30, deadline=None)
@given(ops=st.lists(st.integers(0, 100), min_size=1, max_size=6), seed=SEEDS)
def test_adjoint_identity_and_finite_differences(ops, seed):
    """⟨J t, c⟩ = ⟨t, Jᵀ c⟩, and J t = (f(x + ht) − f(x − ht)) / 2h."""
    rng = np.random.default_rng(seed)
    f = random_function(ops, rng, n=3)
    x, y = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))
    tx, ty = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    out, jt = jvp(f, (x, y), (tx, ty))
    out2, vjp_fn = vjp(f, x, y)
    c = rng.standard_normal(out.shape)
    gx, gy = vjp_fn(c)
    assert np.array_equal(out, out2)
    assert rel_error(np.sum(jt * c), np.sum(tx * gx) + np.sum(ty * gy)) < 1e-12
    h = 1e-6
    numeric = (jvp(f, (x + h * tx, y + h * ty), (tx, ty))[0]
               - jvp(f, (x - h * tx, y - h * ty), (tx, ty))[0]) / (2 * h)
    # An absolute floor: chains of contracting blocks can make J t ~1e-5, where the
    # differences' rounding noise (~1e-10) is a visible share of the value itself.
    np.testing.assert_allclose(jt, numeric, rtol=1e-6, atol=1e-9)


def test_jvp_of_the_worked_example():
    out, t = jvp(lambda x, y: x * y + x, (2.0, 3.0), (0.0, 1.0))   # ∂z/∂y = x
    assert (float(out), float(t)) == (8.0, 2.0)


def test_jvp_runs_no_reverse_pass(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("forward mode must not sweep backwards")

    monkeypatch.setattr(graph, "sweep", forbidden)
    out, t = jvp(lambda x: (x.tanh() @ np.ones(3)).exp(), (np.zeros(3),), (np.ones(3),))
    assert float(out) == 1.0 and float(t) == 3.0


def test_jvp_keeps_float32():
    x = np.ones(3, dtype=np.float32)
    out, t = jvp(lambda x: x.sigmoid() * 2.0, (x,), (x,))
    assert out.dtype == np.float32 and t.dtype == np.float32


def test_jvp_of_a_function_not_depending_on_its_input():
    out, t = jvp(lambda x: x.detach() * 2.0, (np.ones(2),), (np.ones(2),))
    assert out.tolist() == [2.0, 2.0] and t.tolist() == [0.0, 0.0]


def test_jvp_argument_errors():
    with pytest.raises(TypeError, match="tuples"):
        jvp(lambda x: x, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda x, y: x, (1.0, 2.0), (1.0,))
    message = r"tangent 0 has shape \(3,\) but primal 0 has shape \(2,\)"
    with pytest.raises(ValueError, match=message):
        jvp(lambda x: x, (np.ones(2),), (np.ones(3),))
