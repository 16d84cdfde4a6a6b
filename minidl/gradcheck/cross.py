"""The engine's opinion: hand-written gradients against autodiff of an independent formulation.

``cross_check`` computes ∂L/∂x and ∂L/∂θ for every parameter twice:

(a) the model's own way — ``forward``, the loss, ``loss_fn.backward()``,
    ``model.backward`` — the code a student writes and reads;
(b) the engine's way — the same parameter values wrapped as Tensors, the model
    rebuilt from each layer's registered engine formulation (``engine_forms.py``)
    and differentiated by reverse mode. No hand-written backward is called.

Both are exact up to rounding, so they agree to ~1e-15 in float64 and the
tolerances are far tighter than those of finite differences. The loss values
are compared too (row ``loss``): a forward that disagrees with the formulation
shows up there before any gradient is blamed.

Tolerance: an element passes when ``|a − e| / max(|a| + |e|, atol · s) ≤ rtol``,
where ``s = max(1, largest engine gradient element of the whole check)``; elements
far below the problem's scale are judged by absolute error, so a gradient that is
mathematically 0 (a bias before a BatchNorm) and numerically 1e-17 does not fail.
"""

from __future__ import annotations

import numpy as np

from ..autodiff import Tensor, backprop
from .engine_forms import Params, engine_form, engine_forward, engine_loss
from .frozen import frozen
from .inplace import inplace_row
from .numerical import tolerances
from .report import GradcheckReport, TensorCheck, compare, one_line

# (rtol, atol as a fraction of the largest gradient element) per dtype.
ENGINE_TOLERANCES = {
    np.dtype("float64"): (1e-8, 1e-5),
    np.dtype("float32"): (1e-3, 1e-2),
}


def engine_tolerances(dtype, rtol=None, atol=None) -> tuple[float, float]:
    """``(rtol, atol)``: the given values, or the engine-check defaults for ``dtype``."""
    return tolerances(dtype, rtol, atol, table=ENGINE_TOLERANCES)


def cross_check(model, x, targets, loss_fn, *, rtol=None, atol=None) -> GradcheckReport:
    """Compare the hand-written gradients of ``loss_fn(model(x), targets)`` with the engine's.

    Args:
        model: a ``Module`` whose every layer type has an engine formulation
            (``register_engine_form``); float64 parameters give the tightest check.
        x: an input batch (cast to the parameters' dtype, never modified).
        targets: what ``loss_fn`` takes as its second argument.
        loss_fn: a loss with an engine formulation (``SoftmaxCrossEntropy``, ``MSELoss``).
        rtol, atol: see the module docstring (defaults by dtype: 1e-8 / 1e-5 in float64).

    Returns:
        A ``GradcheckReport`` with rows ``loss``, ``dx`` and one per parameter
        (``0.W``, ``0.b``, …), and a failing row ``input`` naming the layer when a
        forward modifies its input array in place. The model's ``.grad`` arrays, buffers and random
        streams are left as they were.

    Raises:
        TypeError: a layer or the loss has no engine formulation (the message says
            how to register one).

    Example:
        >>> model = mlp([4, 8, 3], rng=0, dtype="float64")
        >>> cross_check(model, np.ones((5, 4)), np.array([0, 1, 2, 0, 1]), SoftmaxCrossEntropy()).ok
        True
    """
    engine_form(loss_fn)  # fail before running anything if the loss has no formulation
    named = list(model.named_parameters())
    x = np.array(x, dtype=_work_dtype(x, [p for _, p in named]), copy=True)
    rtol, atol = engine_tolerances(x.dtype, rtol, atol)
    modified = inplace_row(model, x)
    with frozen(model):
        # The engine gets its own copy first: a forward that writes into x must not move it.
        tensors = [Tensor(x.copy(), requires_grad=True)]
        loss_value, hand, notes = _hand_written(model, x, targets, loss_fn, named)

        tensors += [Tensor(param.data.copy(), requires_grad=True) for _, param in named]
        params = Params({name: t for (name, _), t in zip(named, tensors[1:], strict=True)})
        engine_value = engine_loss(loss_fn, engine_forward(model, tensors[0], params), targets)
        engine = [g.data for g in backprop(engine_value, tensors)]

    title = f"cross_check {one_line(model)} + {loss_fn!r}"
    names = ["dx"] + [name for name, _ in named]
    report = _report(title, x.dtype, rtol, atol, (loss_value, engine_value.data), names, hand,
                     engine, notes)
    if modified is not None:
        report.rows.insert(0, modified)
    return report


def _hand_written(model, x, targets, loss_fn, named):
    """The model's own gradients: forward, loss, ``loss_fn.backward()``, ``model.backward``.

    ``model.backward`` runs twice on the same upstream gradient: the second call
    must double every ``.grad`` (the accumulation contract), else the row is noted.
    Returns ``(loss, [dx, grad, …], [note per tensor])``.
    """
    model.zero_grad()
    loss_value = loss_fn(model.forward(x), targets)
    dout = loss_fn.backward()
    # Copies: with a workspace on, a module's next call overwrites the array it returned.
    hand = [np.array(model.backward(dout))] + [param.grad.copy() for _, param in named]
    model.backward(dout)
    notes = [""]
    for (_, param), first in zip(named, hand[1:], strict=True):
        doubled = np.allclose(param.grad, 2 * first, rtol=1e-9, atol=0)
        notes.append("" if doubled else "backward overwrote .grad instead of accumulating (+=)")
    return loss_value, hand, notes


def cross_check_loss(loss_fn, pred, target, *, rtol=None, atol=None) -> GradcheckReport:
    """Compare ``loss_fn.backward()`` with the engine's gradient of the loss's formulation.

    Example:
        >>> cross_check_loss(MSELoss(), np.zeros((2, 3)), np.ones((2, 3))).ok
        True
    """
    engine_form(loss_fn)
    pred = np.array(pred, dtype=_work_dtype(pred, []), copy=True)
    rtol, atol = engine_tolerances(pred.dtype, rtol, atol)
    loss_value = loss_fn(pred, target)
    analytic = np.array(loss_fn.backward())
    z = Tensor(pred.copy(), requires_grad=True)
    engine_value = engine_loss(loss_fn, z, target)
    (engine,) = backprop(engine_value, [z])
    return _report(f"cross_check_loss {loss_fn!r}", pred.dtype, rtol, atol,
                   (loss_value, engine_value.data), ["dpred"], [analytic], [engine.data], [""])


def _work_dtype(x, params) -> np.dtype:
    """The dtype of the check: the parameters' (what the layers compute in), else x's float
    dtype."""
    if params:
        return params[0].dtype
    x = np.asarray(x)
    return x.dtype if x.dtype.kind == "f" else np.dtype("float64")


def _report(title, dtype, rtol, atol, losses, names, hand, engine, notes) -> GradcheckReport:
    """The table: the loss values, then each gradient, hand-written vs engine."""
    floor = atol * max([float(np.max(np.abs(g), initial=0.0)) for g in engine] + [1.0])
    settings = f"{np.dtype(dtype)}, rtol {rtol:g}, atol {atol:g}·max(1, |g|)"
    report = GradcheckReport(f"{title}  [{settings}]", reference="engine")
    report.rows.append(_loss_row(losses, rtol))
    for name, a, e, note in zip(names, hand, engine, notes, strict=True):
        report.rows.append(compare(name, a, e, rtol=rtol, atol=floor, note=note))
    return report


def _loss_row(losses, rtol) -> TensorCheck:
    hand, engine = (np.asarray(v, dtype=np.float64) for v in losses)
    row = compare("loss", hand, engine, rtol=rtol, atol=np.finfo(np.float64).tiny)
    if not row.passed:
        row.note = "the hand-written forward disagrees with the engine formulation"
    return row
