"""Each layer's and loss's math written a second time, as an expression of the autodiff engine.

Owns the registry of engine formulations (``register_engine_form``) that ``cross_check``
differentiates: the one module importing both the layers and the engine (STYLE.md). The
two signatures and the MRO look-up: docs/gradcheck/engine-forms.md.

Example — a new layer ``Y = X²`` and its one-line engine formulation:
    >>> from minidl import Module, MSELoss
    >>> from minidl.gradcheck import cross_check
    >>> class Square(Module):
    ...     def forward(self, x):
    ...         self.cache = x
    ...         return x * x
    ...     def backward(self, dout):
    ...         '''Y = X²  ⇒  dX = 2 X ⊙ dY.'''
    ...         return 2 * self.cached() * dout
    >>> _ = register_engine_form(Square, lambda layer, x, params: x * x)
    >>> cross_check(Square(), np.ones((2, 3)), np.zeros((2, 3)), MSELoss()).ok
    True
"""

from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..nn.containers import Sequential
from ..nn.layers import BatchNorm1d, Dense, Dropout, Normalize, ReLU, Rescale, Sigmoid, Tanh
from ..nn.losses import Loss, MSELoss, SoftmaxCrossEntropy

_FORMS: dict[type, object] = {}


def register_engine_form(cls: type, fn=None):
    """Register ``fn`` as the engine formulation of ``cls`` (and of its subclasses).

    Usable directly, ``register_engine_form(MyLayer, fn)``, or as a decorator,
    ``@register_engine_form(MyLayer)``. Registering a type again replaces its form.
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_engine_form: expected a class, got {cls!r}")
    if fn is None:
        return lambda f: register_engine_form(cls, f)
    if not callable(fn):
        raise TypeError(f"register_engine_form: the formulation of {cls.__name__} must be callable")
    _FORMS[cls] = fn
    return fn


def engine_form(obj):
    """The formulation registered for ``type(obj)`` or its nearest base class.

    Raises:
        TypeError: naming the type and how to register a formulation for it.
    """
    for cls in type(obj).__mro__:
        if cls in _FORMS:
            return _FORMS[cls]
    name = type(obj).__name__
    signature = "fn(loss_fn, pred, target)" if isinstance(obj, Loss) else "fn(layer, x, params)"
    raise TypeError(
        f"no engine formulation for {name}: the engine cannot cross-check it. Register one with "
        f"minidl.gradcheck.register_engine_form({name}, {signature}), where fn builds the "
        "same output from engine Tensors (see minidl/gradcheck/engine_forms.py)"
    )


def has_engine_form(obj) -> bool:
    """Whether ``type(obj)`` or a base class has a registered formulation."""
    return any(cls in _FORMS for cls in type(obj).__mro__)


def registered_types() -> list[type]:
    """Every type with a formulation, in registration order."""
    return list(_FORMS)


class Params:
    """The engine Tensors standing for one module's parameters, by local name.

    Example:
        >>> w = Tensor(np.ones((2, 2)), requires_grad=True)
        >>> Params({"0.W": w}).child("0")["W"] is w
        True
    """

    def __init__(self, tensors: dict[str, Tensor], prefix: str = ""):
        self._tensors = tensors
        self._prefix = prefix

    def __getitem__(self, name: str) -> Tensor:
        return self._tensors[self._prefix + name]

    def child(self, name: str) -> Params:
        return Params(self._tensors, f"{self._prefix}{name}.")


def engine_forward(module, x: Tensor, params: Params) -> Tensor:
    """``module``'s output as an engine Tensor, built by its registered formulation."""
    return engine_form(module)(module, x, params)


def engine_loss(loss_fn, pred: Tensor, target) -> Tensor:
    """``loss_fn(pred, target)`` as a scalar engine Tensor."""
    return engine_form(loss_fn)(loss_fn, pred, target)


@register_engine_form(Dense)
def _dense(layer, x, params):
    """Z = X W + b."""
    return x @ params["W"] + params["b"]


@register_engine_form(ReLU)
def _relu(layer, x, params):
    """H = max(0, Z)."""
    return x.relu()


@register_engine_form(Tanh)
def _tanh(layer, x, params):
    """H = tanh(Z)."""
    return x.tanh()


@register_engine_form(Sigmoid)
def _sigmoid(layer, x, params):
    """H = σ(Z)."""
    return x.sigmoid()


@register_engine_form(Dropout)
def _dropout(layer, x, params):
    """out = X ⊙ M / (1 − p) with the layer's frozen 0/1 mask M (X in evaluation mode).

    The mask is the layer's one random draw, so it is read from the layer: ones
    sent through its forward (``fix_mask`` on, as ``frozen`` sets) are nonzero
    exactly where M = 1. The scaling is applied here, independently.
    """
    if not layer.training or layer.p == 0:
        return x
    keep = layer.forward(np.ones(x.shape, dtype=x.dtype)) != 0
    return x * keep.astype(x.dtype) / (1 - layer.p)


@register_engine_form(BatchNorm1d)
def _batchnorm(layer, x, params):
    """Y = γ ⊙ x̂ + β with x̂ = (X − μ) / √(σ² + eps).

    Training: μ and the biased σ² are the batch's, so gradients flow through them;
    evaluation: they are the running statistics, constants.
    """
    if layer.training:
        centred = x - x.mean(axis=0)
        var = (centred * centred).mean(axis=0)
        xhat = centred / (var + layer.eps) ** 0.5
    else:
        xhat = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    return xhat * params["gamma"] + params["beta"] if layer.affine else xhat


@register_engine_form(Normalize)
def _normalize(layer, x, params):
    """Y = (X − offset) / divisor with fixed offset and divisor."""
    return (x - layer.offset) / layer.divisor


@register_engine_form(Rescale)
def _rescale(layer, x, params):
    """Y = X ⊙ scale + offset with fixed scale and offset."""
    return x * layer.scale + layer.offset


@register_engine_form(Sequential)
def _sequential(model, x, params):
    """x → m₀ → m₁ → …: the children's formulations composed."""
    for name, child in model.children():
        x = engine_forward(child, x, params.child(name))
    return x


@register_engine_form(SoftmaxCrossEntropy)
def _softmax_cross_entropy(loss_fn, z, target):
    """L = −(1/K) Σ_{kept m} log softmax(Z)[m, y_m] over the M rows of Z (M = N, or N·T for
    sequence logits; K = M without ``ignore_index``); probability targets:
    L = −(1/M) Σ_m Σ_i Y[m,i] log softmax(Z)[m,i]."""
    target = np.asarray(target)
    c = z.shape[-1]
    rows = z.reshape((-1, c))
    log_p = rows.log_softmax(axis=1)
    if target.ndim == len(z.shape) - 1:  # class ids pick one column per row
        ids = target.reshape(-1)
        kept = np.ones(ids.shape, bool) if loss_fn.ignore_index is None else ids != loss_fn.ignore_index
        picked = np.flatnonzero(kept)
        return -log_p[picked, ids[picked]].sum() / max(len(picked), 1)
    return -(log_p * target.reshape(-1, c).astype(z.dtype)).sum() / rows.shape[0]


@register_engine_form(MSELoss)
def _mse(loss_fn, pred, target):
    """L = (1/M) Σ (pred − target)² over all M elements."""
    diff = pred - np.asarray(target, dtype=pred.dtype)
    return (diff * diff).mean()
