"""The checks ``minidl gradcheck`` runs: a small specimen of every layer and loss, a sample
MLP, or a saved model — each checked by finite differences and against the engine.

A specimen is built fresh from a seed and a dtype, so every run checks the same
numbers. ``run_checks`` returns ``Check`` records; printing is the CLI's business.

Example:
    >>> checks = run_checks(["Dense", "Tanh"], dtype="float64", seed=0)
    >>> all(c.report.ok for c in checks)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.model_file import architecture, build
from ..nn.containers import Sequential
from ..nn.introspect import input_width
from ..nn.layers import (
    GELU,
    BatchNorm1d,
    Dense,
    Dropout,
    LayerNorm,
    MultiHeadAttention,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from ..nn.losses import MSELoss, SoftmaxCrossEntropy
from ..nn.models import mlp
from ..nn.registry import registered_module
from ..nn.residual import Residual
from .cross import cross_check, cross_check_loss
from .engine_forms import has_engine_form
from .finite import check_loss, check_module
from .report import GradcheckReport

# Above this many elements (input + parameters) a saved model is checked along
# random directions: element by element would take two forward passes per element.
FULL_CHECK_LIMIT = 20_000


@dataclass
class Check:
    """One check of one subject: ``kind`` is ``finite``, ``directional`` or ``engine``."""

    subject: str
    kind: str
    report: GradcheckReport


@dataclass
class ModuleCase:
    """A module, an input batch, and the loss and targets the engine check puts on top."""

    label: str
    module: object
    x: np.ndarray
    targets: np.ndarray
    loss_fn: object


@dataclass
class LossCase:
    """A loss with predictions and targets."""

    label: str
    loss_fn: object
    pred: np.ndarray
    target: np.ndarray


def _layer_case(label, module, x, rng) -> ModuleCase:
    """A single layer, under an MSE loss against random targets of its output's shape."""
    targets = rng.standard_normal(np.shape(module(x))).astype(x.dtype)
    return ModuleCase(label, module, x, targets, MSELoss())


def _dense(rng, dtype):
    return [_layer_case("Dense(5 → 4)", Dense(5, 4, rng=rng, dtype=dtype),
                        rng.standard_normal((3, 5)).astype(dtype), rng)]


def _relu(rng, dtype):
    x = rng.standard_normal((3, 4)).astype(dtype)
    x[0, 0] = x[2, 1] = 0.0  # exactly on the kink: reported, never failed
    return [_layer_case("ReLU()", ReLU(), x, rng)]


def _elementwise(cls):
    def cases(rng, dtype):
        x = rng.standard_normal((3, 4)).astype(dtype)
        return [_layer_case(f"{cls.__name__}()", cls(), x, rng)]
    return cases


def _dropout(rng, dtype):
    return [_layer_case("Dropout(p=0.5) train", Dropout(0.5, rng=rng),
                        rng.standard_normal((3, 4)).astype(dtype), rng)]


def _batchnorm(rng, dtype):
    cases = []
    for mode in ("train", "eval"):
        bn = BatchNorm1d(4, dtype=dtype)
        for _ in range(3):  # running statistics and γ, β away from their initial 0, 1
            bn(rng.standard_normal((6, 4)).astype(dtype) * 2 + 1)
        bn.gamma = rng.uniform(0.5, 1.5, 4)
        bn.beta = rng.standard_normal(4)
        bn.train(mode == "train")
        cases.append(_layer_case(f"BatchNorm1d(4) {mode}", bn,
                                 rng.standard_normal((5, 4)).astype(dtype), rng))
    return cases


def _layernorm(rng, dtype):
    ln = LayerNorm(4, dtype=dtype)
    ln.gamma = rng.uniform(0.5, 1.5, 4)
    ln.beta = rng.standard_normal(4)
    return [_layer_case("LayerNorm(4) on (N, T, D)", ln, rng.standard_normal((2, 3, 4)).astype(dtype), rng)]


def _gelu(rng, dtype):
    return [_layer_case(f"GELU({form!r})", GELU(form, dtype=dtype),
                        (rng.standard_normal((3, 4)) * 2).astype(dtype), rng) for form in ("none", "tanh")]


def _softmax(rng, dtype):
    return [_layer_case(f"Softmax(axis={axis})", Softmax(axis, dtype=dtype),
                        rng.standard_normal((3, 4)).astype(dtype), rng) for axis in (-1, 0)]


def _attention(rng, dtype):
    cases = []
    for causal in (False, True):
        mha = MultiHeadAttention(6, 2, causal=causal, rng=rng, dtype=dtype)
        for name in "qkvo":
            setattr(mha, "b" + name, rng.standard_normal(6) * 0.5)
        cases.append(_layer_case(f"{mha!r}", mha, rng.standard_normal((2, 4, 6)).astype(dtype), rng))
    return cases


def _residual(rng, dtype):
    block = Residual(Sequential(LayerNorm(6, dtype=dtype),
                                MultiHeadAttention(6, 2, causal=True, rng=rng, dtype=dtype)))
    return [_layer_case("Residual(LayerNorm → MultiHeadAttention)", block,
                        rng.standard_normal((2, 4, 6)).astype(dtype), rng)]


def _softmax_cross_entropy(rng, dtype):
    return [LossCase("SoftmaxCrossEntropy()", SoftmaxCrossEntropy(),
                     rng.standard_normal((4, 3)).astype(dtype), rng.integers(0, 3, 4))]


def _mse(rng, dtype):
    return [LossCase("MSELoss()", MSELoss(), rng.standard_normal((4, 3)).astype(dtype),
                     rng.standard_normal((4, 3)).astype(dtype))]


def _mlp(rng, dtype):
    model = mlp([6, 10, 10, 4], activation="relu", rng=rng, dtype=dtype)
    return [ModuleCase("mlp([6, 10, 10, 4])", model, rng.standard_normal((5, 6)).astype(dtype),
                       rng.integers(0, 4, 5), SoftmaxCrossEntropy())]


SPECIMENS = {
    "Dense": _dense, "ReLU": _relu, "Tanh": _elementwise(Tanh), "Sigmoid": _elementwise(Sigmoid),
    "Dropout": _dropout, "BatchNorm1d": _batchnorm,
    "LayerNorm": _layernorm, "GELU": _gelu, "Softmax": _softmax, "MultiHeadAttention": _attention,
    "Residual": _residual,
    "SoftmaxCrossEntropy": _softmax_cross_entropy, "MSELoss": _mse, "mlp": _mlp,
}

from .specimens_conv import SPECIMENS as _CONV_SPECIMENS  # noqa: E402  (issue 14)
from .specimens_recurrent import SPECIMENS as _RECURRENT_SPECIMENS  # noqa: E402  (issue 15)

SPECIMENS.update(_CONV_SPECIMENS)
SPECIMENS.update(_RECURRENT_SPECIMENS)


def resolve(names) -> list[str]:
    """Specimen names as spelled in ``SPECIMENS``, matched case-insensitively.

    Raises:
        ValueError: naming the unknown names and listing the known ones.
    """
    known = {name.lower(): name for name in SPECIMENS}
    unknown = [name for name in names if name.lower() not in known and registered_module(name) is None]
    if unknown:
        raise ValueError(f"unknown layer {', '.join(map(repr, unknown))}; known: {', '.join(SPECIMENS)}, "
                         "or a class registered with @minidl.register_module (--import FILE.py)")
    return [known.get(name.lower(), name) for name in names]


def run_checks(names, *, dtype="float64", seed=0, fast=False,
               scheme="central") -> list[Check]:
    """Check each named specimen (all when ``names`` is empty) both ways."""
    checks = []
    for name in resolve(names) if names else list(SPECIMENS):
        specimen = SPECIMENS.get(name) or _registered(registered_module(name))
        for case in specimen(np.random.default_rng(seed), np.dtype(dtype)):
            checks += check_case(case, seed=seed, fast=fast, scheme=scheme)
    return checks


def _registered(cls):
    """The specimen of a user's registered layer: ``cls()`` on a (3, 4) batch, or on
    ``cls.example_input(rng, dtype)`` when the class defines one."""
    def cases(rng, dtype):
        try:
            module = cls()
        except TypeError as err:
            raise ValueError(f"{cls.__name__}: cannot build it with no arguments to check it ({err}); "
                             "give it defaults, or check it from Python with check_module") from None
        example = getattr(cls, "example_input", None)
        x = example(rng, dtype) if example is not None else rng.standard_normal((3, 4)).astype(dtype)
        return [_layer_case(f"{module!r}", module, x, rng)]
    return cases


def check_case(case, *, seed=0, fast=False, scheme="central") -> list[Check]:
    """The finite-difference (or directional) check, by ``scheme``, and the engine check of one case."""
    if isinstance(case, LossCase):
        return [Check(case.label, "finite", check_loss(case.loss_fn, case.pred, case.target)),
                Check(case.label, "engine", cross_check_loss(case.loss_fn, case.pred, case.target))]
    kind = "directional" if fast else "finite"
    checks = [Check(case.label, kind, check_module(case.module, case.x, rng=seed, fast=fast,
                                                    scheme=scheme))]
    if has_engine_form(case.module):  # a user's layer may have none: finite differences still judge it
        checks.append(Check(case.label, "engine",
                            cross_check(case.module, case.x, case.targets, case.loss_fn)))
    return checks


def model_case(model, label: str, *, dtype="float64", seed=0, batch: int = 8) -> ModuleCase:
    """A saved classifier rebuilt in ``dtype`` with a random batch and random class ids.

    Random streams inside the model (Dropout's masks) are seeded from ``seed`` too,
    so the same file and seed give the same table.
    """
    model = with_dtype(model, dtype)
    for _, module in model.named_modules():
        if hasattr(module, "set_rng_state"):
            module.set_rng_state(np.random.PCG64(seed).state)
    params = model.parameters()
    if not params:
        raise ValueError(f"{label}: the model has no parameters, nothing to check")
    rng = np.random.default_rng(seed)
    # the row width the model states (a leading Normalize or Reshape, as saved runs have),
    # else the first weight's input axis (a Dense's D); a Conv2d's W begins with F, not D
    width = input_width(model) or params[0].shape[0]
    x = rng.standard_normal((batch, width)).astype(dtype)
    classes = np.shape(model(x))[-1]
    return ModuleCase(label, model, x, rng.integers(0, classes, batch), SoftmaxCrossEntropy())


def needs_fast(case: ModuleCase) -> bool:
    """Whether the per-element check of ``case`` would be too slow to run."""
    return case.x.size + case.module.num_parameters() > FULL_CHECK_LIMIT


def with_dtype(model, dtype):
    """A copy of ``model`` whose layers compute in ``dtype`` (weights and buffers cast).

    Rebuilt from the model's architecture, so the copy is of the very layer types
    ``save`` knows; the original is untouched.
    """
    spec = _set_dtype(architecture(model), np.dtype(dtype).name)
    copy = build(spec)
    copy.load_state_dict(model.state_dict())
    copy.train(model.training)
    return copy


def _set_dtype(spec: dict, dtype: str) -> dict:
    config = dict(spec.get("config", {}))
    if "dtype" in config:
        config["dtype"] = dtype
    children = [_set_dtype(child, dtype) for child in spec.get("children", [])]
    return {**spec, "config": config, "children": children}
