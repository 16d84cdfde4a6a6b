"""@register_module: a user's own layer is saved and loaded like a built-in; clashes are refused."""

import numpy as np
import pytest

import minidl
from minidl import Module, Sequential, load, save


@minidl.register_module
class LeakyReLU(Module):
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, x):
        self.cache = x
        return np.where(x > 0, x, self.slope * x)

    def backward(self, dout):
        """Y = max(X, aX)  ⇒  dX = dY ⊙ (1 if X > 0 else a)."""
        return dout * np.where(self.cached() > 0, 1.0, self.slope)

    def get_config(self):
        return {"slope": self.slope}


def test_registered_layer_round_trips(tmp_path):
    model = Sequential(minidl.Dense(3, 4, rng=0), LeakyReLU(0.2), minidl.Dense(4, 2, rng=1))
    save(model, tmp_path / "m.npz")
    again = load(tmp_path / "m.npz")
    assert isinstance(again[1], LeakyReLU) and again[1].slope == 0.2
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(again(x), model(x))


def test_unregistered_layer_is_refused_with_the_way_out(tmp_path):
    class Unlisted(Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="register_module"):
        save(Sequential(Unlisted()), tmp_path / "m.npz")


def test_a_different_class_under_a_taken_name_is_an_error():
    with pytest.raises(ValueError, match="taken"):
        minidl.register_module(type("Dense", (Module,), {}))
    assert minidl.register_module(LeakyReLU) is LeakyReLU  # the same class again is harmless


def test_register_module_rejects_non_modules():
    with pytest.raises(TypeError, match="Module subclass"):
        minidl.register_module(int)
