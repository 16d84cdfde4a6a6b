"""Small specimens of the convolutional layers for ``minidl gradcheck`` (``suite.SPECIMENS``)."""

from __future__ import annotations

import numpy as np

from ..nn.containers import Sequential
from ..nn.layers import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dense,
    Flatten,
    GlobalAvgPool2d,
    MaxPool2d,
    ReLU,
    Reshape,
)
from ..nn.losses import MSELoss, SoftmaxCrossEntropy


def _case(label, module, x, rng):
    from .suite import ModuleCase  # suite imports this file to list the specimens
    targets = rng.standard_normal(np.shape(module(x))).astype(x.dtype)
    return ModuleCase(label, module, x, targets, MSELoss())


def _image(rng, dtype, shape=(2, 2, 5, 4)):
    return rng.standard_normal(shape).astype(dtype)


def _conv2d(rng, dtype):
    cases = []
    for kernel, stride, padding, dilation in ((3, 1, 1, 1), ((2, 3), 2, 1, 1), ((7, 6), 1, 1, 1),
                                              ((2, 2), 1, 1, 3), (3, 2, 1, 2)):
        layer = Conv2d(2, 3, kernel, stride=stride, padding=padding, dilation=dilation, rng=rng,
                       dtype=dtype)
        layer.b = rng.standard_normal(3)
        cases.append(_case(repr(layer), layer, _image(rng, dtype), rng))
    return cases


def _pool(cls):
    def cases(rng, dtype):
        return [_case(repr(layer), layer, _image(rng, dtype), rng)
                for layer in (cls(2, dtype=dtype), cls(3, stride=1, dtype=dtype))]
    return cases


def _global_avgpool2d(rng, dtype):
    return [_case("GlobalAvgPool2d()", GlobalAvgPool2d(dtype=dtype), _image(rng, dtype), rng)]


def _flatten(rng, dtype):
    return [_case("Flatten()", Flatten(), _image(rng, dtype), rng)]


def _reshape(rng, dtype):
    return [_case("Reshape((2, 5, 4))", Reshape((2, 5, 4)), rng.standard_normal((2, 40)).astype(dtype), rng)]


def _batchnorm2d(rng, dtype):
    cases = []
    for mode in ("train", "eval"):
        bn = BatchNorm2d(2, dtype=dtype)
        for _ in range(3):  # running statistics away from 0 and 1
            bn(_image(rng, dtype, (2, 2, 2, 3)) * 2 + 1)
        bn.gamma = rng.uniform(0.5, 1.5, 2)
        bn.beta = rng.standard_normal(2)
        bn.train(mode == "train")
        cases.append(_case(f"BatchNorm2d(2) {mode}", bn, _image(rng, dtype, (2, 2, 2, 3)), rng))
    return cases


def _cnn(rng, dtype):
    from .suite import ModuleCase
    model = Sequential(Reshape((1, 6, 6)), Conv2d(1, 3, 3, padding=1, rng=rng, dtype=dtype),
                       BatchNorm2d(3, dtype=dtype), ReLU(), MaxPool2d(2, dtype=dtype),
                       Conv2d(3, 4, 2, rng=rng, dtype=dtype), GlobalAvgPool2d(dtype=dtype),
                       Flatten(), Dense(4, 3, rng=rng, dtype=dtype))
    return [ModuleCase("small CNN", model, rng.standard_normal((4, 36)).astype(dtype),
                       rng.integers(0, 3, 4), SoftmaxCrossEntropy())]


SPECIMENS = {
    "Conv2d": _conv2d, "MaxPool2d": _pool(MaxPool2d), "AvgPool2d": _pool(AvgPool2d),
    "GlobalAvgPool2d": _global_avgpool2d, "Flatten": _flatten, "Reshape": _reshape,
    "BatchNorm2d": _batchnorm2d, "cnn": _cnn,
}
