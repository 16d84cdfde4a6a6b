"""API misuse that used to give a numpy message or a wrong number (issue 13's list)."""

import numpy as np
import pytest

import minidl


def test_mse_of_float16_predictions_is_finite():
    loss = minidl.MSELoss()
    value = loss(np.full((2, 2), 300, np.float16), np.zeros((2, 2), np.float16))
    assert value == pytest.approx(90000.0)
    assert loss.backward().dtype == np.float16


def test_assigning_words_to_a_weight_names_the_layer():
    layer = minidl.Dense(2, 2, rng=0)
    with pytest.raises(TypeError, match=r"Dense\(2 → 2\): cannot assign W"):
        layer.W = np.array([["a", "b"], ["c", "d"]])


def test_save_refuses_what_load_would_refuse(tmp_path):
    model = minidl.Dense(2, 2, rng=0)
    for _ in range(70):
        model = minidl.Sequential(model)
    with pytest.raises(ValueError, match="deeper than 64"):
        minidl.save(model, tmp_path / "deep.npz")
    assert not (tmp_path / "deep.npz").exists()
