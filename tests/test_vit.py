"""The vision transformer built from the blocks: Tokenwise, the whole model against the
engine, save/load, the planned step against the teaching path, a tiny run from the CLI."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import GELU, SGD, Dense, Sequential, SoftmaxCrossEntropy, load, save
from minidl.cli import main
from minidl.gradcheck import check_module, cross_check
from minidl.nn.models import vit
from minidl.nn.tokenwise import Tokenwise
from minidl.plan import plan


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 3), t=st.integers(1, 4), d=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_tokenwise_matches_finite_differences(n, t, d, seed):
    inner = Sequential(Dense(d, 3, rng=seed, dtype="float64"), GELU(dtype="float64"))
    x = np.random.default_rng(seed).standard_normal((n, t, d))
    check_module(Tokenwise(inner), x, rng=seed).raise_if_failed()


def _tiny_vit(dtype="float64", seed=0):
    return vit(4, 2, 3, embed_dim=8, depth=2, num_heads=2, mlp_dim=12, rng=seed, dtype=dtype)


def test_a_whole_vit_matches_the_engine():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 16)), rng.integers(0, 3, 5)
    cross_check(_tiny_vit(), x, y, SoftmaxCrossEntropy()).raise_if_failed()


def test_a_vit_saves_and_loads(tmp_path):
    model = _tiny_vit()
    x = np.random.default_rng(0).standard_normal((2, 16))
    save(model, tmp_path / "vit.npz")
    np.testing.assert_array_equal(load(tmp_path / "vit.npz")(x), model(x))


def test_the_planned_vit_step_matches_the_teaching_path():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 16)), rng.integers(0, 3, 6)
    planned, teaching = _tiny_vit(), _tiny_vit()
    # SGD, not Adam: the key bias bk has a gradient of exactly 0 in exact arithmetic (softmax
    # ignores a shift of a row), and Adam would turn its round-off into full-size steps.
    step = plan(planned, SoftmaxCrossEntropy(), SGD(planned.parameters(), lr=0.1, momentum=0.9))
    loss_fn, opt = SoftmaxCrossEntropy(), SGD(teaching.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        step(x, y)
        teaching.zero_grad()
        loss_fn(teaching(x), y)
        teaching.backward(loss_fn.backward())
        opt.step()
    for p, q in zip(planned.parameters(), teaching.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-13)


def test_minidl_train_builds_and_trains_a_vit(tmp_path, capsys):
    code = main(["train", "--model", "vit", "--epochs", "1", "--limit-train", "256", "--limit-test", "128",
                 "--quiet", "--out", str(tmp_path / "run")])
    assert code == 0
    assert "test accuracy" in capsys.readouterr().out
    saved = load(tmp_path / "run" / "model.npz")   # the fitted input normalisation, then the ViT
    assert [type(m).__name__ for m in saved[:2]] == ["Normalize", "PatchEmbedding"]

