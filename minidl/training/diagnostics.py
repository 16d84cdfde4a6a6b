"""Gradient-flow diagnostics: how large each layer's gradients, updates and activations are,
epoch by epoch, with a warning when a layer's gradient vanishes or explodes.

``GradientFlow`` is a training callback. On a few *sampled* steps (the first step of every
epoch, and every ``every``-th step) it measures, for each leaf layer of the model:

- ``grad_norm``          ‖dθ‖, over all the layer's parameters (W and b together);
- ``grad_weight_ratio``  ‖dθ‖ / ‖θ‖;
- ``update_ratio``       ‖Δθ‖ / ‖θ‖ of that step's optimizer update (around 1e-3 is healthy);
- ``activation_mean``, ``activation_std`` of the layer's output on the step's batch;
- ``dead_fraction``      for a ReLU: the share of units that output 0 for every sample of the batch.

An epoch's record is the mean over its sampled steps. A gradient norm below ``vanishing``
(1e-7) or above ``exploding`` (1e3) raises a ``GradientFlowWarning`` naming the layer, once
per layer and kind. An unsampled step costs one comparison: the activations are read by
forward hooks (``Module.register_forward_hook``) put on each layer for a sampled step only;
a planned step with hooks on runs the layers' own methods, so sampling every step is slow.

Example:
    >>> flow = attach_diagnostics(trainer)   # or Trainer(..., callbacks=[GradientFlow(model)])
    >>> trainer.fit(loader, epochs=5)
    >>> print(flow.table())                  # the last epoch, one row per layer
    >>> flow.write("run")                    # run/diagnostics.json, run/gradient-flow.png
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write
from ..nn.layers import ReLU
from ..viz.plots import _pyplot, _save, plots_available
from .callbacks import Callback

GRADIENT_KEYS = ("grad_norm", "grad_weight_ratio", "update_ratio")
ACTIVATION_KEYS = ("activation_mean", "activation_std", "dead_fraction")


class GradientFlowWarning(UserWarning):
    """A layer's gradient norm fell below the vanishing or rose above the exploding threshold."""


class GradientFlow(Callback):
    """Record per-layer gradient, update and activation statistics during training.

    Args:
        model: the Module being trained (its leaf modules are the layers reported).
        every: also sample every ``every``-th step (None: only each epoch's first step).
        vanishing: warn when a layer's gradient norm falls below this.
        exploding: warn when it rises above this.
        out_dir: if given, ``diagnostics.json`` there is rewritten after every epoch (an
            interrupted run keeps its records); the picture (matplotlib) is drawn
            by ``write`` — call it once training ends.

    Attributes:
        records: one dict per (epoch, layer): ``epoch, layer, module, samples`` and the
            statistics above; ``flag`` is ``"vanishing"`` or ``"exploding"`` when crossed.
        warnings: the messages of the warnings issued.
    """

    def __init__(self, model, *, every: int | None = 50, vanishing: float = 1e-7,
                 exploding: float = 1e3, out_dir=None):
        if every is not None and not (isinstance(every, int) and every >= 1):
            raise ValueError(f"GradientFlow: every must be a positive integer or None, "
                             f"got {every!r}")
        if not 0 <= vanishing < exploding:
            raise ValueError(f"GradientFlow: need 0 ≤ vanishing < exploding, "
                             f"got {vanishing}, {exploding}")
        self.every, self.vanishing, self.exploding = every, float(vanishing), float(exploding)
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.layers = [(name or "model", m) for name, m in model.named_modules()
                       if not any(m.children())]
        self.records: list[dict] = []
        self.warnings: list[str] = []
        self._warned: set = set()
        self._samples: list[dict] = []     # the current epoch's sampled steps
        self._first_of_epoch = True
        self._params: dict = {}            # per layer, the parameters a sampled step measures
        self._before = None                # their copies from before the sampled step
        self._skipped = 0                  # float16 training's skipped steps before it
        self._outputs: dict = {}           # activation statistics of the sampled step
        self._hooks: list = []             # the forward hooks installed for it

    # ------------------------------------------------------------------ hooks
    def on_step_begin(self, trainer, step: int) -> None:
        """Arm the sampled steps: copy the parameters and hook every layer's forward."""
        if not (self._first_of_epoch or (self.every and step % self.every == 0)):
            return
        self._first_of_epoch = False
        self._params = {name: _tracked(m, trainer) for name, m in self.layers}
        self._before = {name: [p.data.copy() for p in ps] for name, ps in self._params.items()}
        self._skipped = _skipped_steps(trainer)
        self._outputs = {}
        self._unhook()  # hooks left by a step that raised (TrainingDiverged) must not pile up
        self._hooks = [module.register_forward_hook(self._recorder(name)) for name, module in self.layers]

    def on_step_end(self, trainer, step: int) -> None:
        """Measure a sampled step (unless float16 training skipped it) and take the hooks off."""
        if self._before is None:
            return
        self._unhook()
        if _skipped_steps(trainer) == self._skipped:  # a skipped step has no gradient to show
            self._samples.append(self._measure())
        self._before = None

    def on_epoch_end(self, trainer, record: dict) -> None:
        """Average the epoch's samples into one record per layer; warn; save the json if asked."""
        if self._samples:
            for name, module in self.layers:
                row = {"epoch": record["epoch"], "layer": name, "module": repr(module),
                       "samples": len(self._samples)}
                row.update(_means([s[name] for s in self._samples]))
                self._check(row)
                self.records.append(row)
        self._samples, self._first_of_epoch = [], True
        if self.out_dir is not None:
            self._write_json(self.out_dir / "diagnostics.json")

    # ------------------------------------------------------------ measuring
    def _recorder(self, name: str):
        """A forward hook keeping the statistics of a layer's output."""
        def record(module, args, out):
            self._outputs[name] = activation_stats(module, out)
        return record

    def _unhook(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks = []

    def _measure(self) -> dict:
        sample = {}
        for name, _ in self.layers:
            stats, params, before = {}, self._params[name], self._before[name]
            if params:
                grad, weight = _norm(p.grad for p in params), _norm(before)
                stats["grad_norm"] = grad
                if weight > 0:  # an all-zero layer (zeros init) has no ratio
                    stats["grad_weight_ratio"] = grad / weight
                    update = _norm(p.data - b for p, b in zip(params, before, strict=True))
                    stats["update_ratio"] = update / weight
            sample[name] = stats | self._outputs.get(name, {})
        return sample

    def _check(self, row: dict) -> None:
        norm = row.get("grad_norm")
        if norm is None:
            return
        if norm < self.vanishing:
            row["flag"], message = "vanishing", f"{norm:.2g} < {self.vanishing:.0e} (vanishing)"
        elif norm > self.exploding:
            row["flag"], message = "exploding", f"{norm:.2g} > {self.exploding:.0e} (exploding)"
        else:
            return
        if (row["layer"], row["flag"]) not in self._warned:
            self._warned.add((row["layer"], row["flag"]))
            text = f"layer {row['layer']} {row['module']}: gradient norm {message}"
            self.warnings.append(text)
            warnings.warn(text, GradientFlowWarning, stacklevel=3)  # points at the trainer's call

    # -------------------------------------------------------------- reading
    def table(self, epoch: int | None = None) -> str:
        """The records of ``epoch`` (default: the last one) as a text table."""
        if not self.records:
            return "no gradient-flow records yet"
        epoch = self.records[-1]["epoch"] if epoch is None else epoch
        rows = [r for r in self.records if r["epoch"] == epoch]
        width = max(len(f"{r['layer']} {r['module']}") for r in rows)
        header = ["‖dθ‖", "‖dθ‖/‖θ‖", "‖Δθ‖/‖θ‖", "act mean", "act std", "dead"]
        samples = rows[0]["samples"]
        lines = [f"gradient flow, epoch {epoch} ({samples} sampled step{'s' * (samples != 1)})",
                 f"{'layer':{width}s}" + "".join(f"{h:>11s}" for h in header)]
        for r in rows:
            cells = [_cell(r.get(k)) for k in GRADIENT_KEYS + ACTIVATION_KEYS]
            flag = f"  ← {r['flag']}" if "flag" in r else ""
            lines.append(f"{r['layer'] + ' ' + r['module']:{width}s}" + "".join(cells) + flag)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """What ``diagnostics.json`` holds (non-finite numbers become null)."""
        return _finite({"thresholds": {"vanishing": self.vanishing, "exploding": self.exploding},
                        "every": self.every, "records": self.records, "warnings": self.warnings})

    def write(self, out_dir) -> list[Path]:
        """Write ``diagnostics.json`` and, with matplotlib, ``gradient-flow.png`` to ``out_dir``.

        Returns the paths written (without matplotlib the picture is skipped, silently).
        """
        out = Path(out_dir)
        written = [self._write_json(out / "diagnostics.json")]
        if plots_available() and self.records:
            plot_gradient_flow({"": self}, out / "gradient-flow.png")
            written.append(out / "gradient-flow.png")
        return written

    def _write_json(self, path: Path) -> Path:
        text = json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"
        return atomic_write(path, lambda f: f.write(text), text=True)


def attach_diagnostics(trainer, out_dir=None, **options) -> GradientFlow:
    """Add a ``GradientFlow`` for ``trainer.model`` to ``trainer``'s callbacks and return it.

    With ``out_dir``, ``out_dir/diagnostics.json`` is kept up to date after every epoch;
    ``flow.write(out_dir)`` after training adds ``gradient-flow.png``. ``options`` go to
    ``GradientFlow`` (``every``, ``vanishing``, ``exploding``).

    Example:
        >>> flow = attach_diagnostics(trainer, out_dir="run")
        >>> trainer.fit(loader, epochs=5)
        >>> flow.write("run")               # run/diagnostics.json and run/gradient-flow.png
    """
    flow = GradientFlow(trainer.model, out_dir=out_dir, **options)
    trainer.callbacks.append(flow)
    return flow


def activation_stats(module, out) -> dict:
    """Mean and std of a layer's output; for a ReLU also the share of units dead on this batch.

    A unit (a column of the (N, H) output) is dead when it is 0 for every sample.

    Example:
        >>> activation_stats(ReLU(), np.array([[-1.0, 2.0], [-3.0, 0.0]]))["dead_fraction"]
        0.5
    """
    out = np.asarray(out)
    stats = {"activation_mean": float(out.mean(dtype=np.float64)),
             "activation_std": float(out.std(dtype=np.float64))}
    if isinstance(module, ReLU):
        alive = (out > 0).any(axis=0)
        stats["dead_fraction"] = float(1.0 - alive.mean())
    return stats


def _tracked(module, trainer) -> list:
    """The layer's parameters as the optimizer sees them: float16 training's float32 masters
    hold the unscaled gradients, the model's float16 copies the scaled ones."""
    mp = getattr(trainer, "mixed_precision", None)
    if mp is None:
        return module.parameters()
    masters = {id(p): m for p, m in zip(mp.model_params, mp.master, strict=True)}
    return [masters.get(id(p), p) for p in module.parameters()]


def _skipped_steps(trainer) -> int:
    mp = getattr(trainer, "mixed_precision", None)
    return 0 if mp is None else mp.skipped_steps


def _norm(arrays) -> float:
    # Squares summed in float64: a float32 gradient of 1e-21 squares to 0 in float32.
    return math.sqrt(sum(float(np.square(a, dtype=np.float64).sum()) for a in arrays))


def _means(samples: list[dict]) -> dict:
    keys = dict.fromkeys(k for s in samples for k in s)
    return {k: float(np.mean([s[k] for s in samples if k in s])) for k in keys}


def _cell(value) -> str:
    if value is None:
        return f"{'':>11s}"
    return f"{value:>11.2e}" if value != 0 and not 1e-2 <= abs(value) < 1e4 else f"{value:>11.4f}"


def _finite(value):
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plot_gradient_flow(flows: dict, path) -> None:
    """Per-layer gradient norms, log scale: one row per labelled ``GradientFlow``.

    Left, each layer's ‖dθ‖ over the epochs, one line per layer (colour: depth, input
    dark → output light; a legend names every layer, or a colour bar when there are more
    than ``LEGEND_LINES``); right, ‖dθ‖ against depth, one line per epoch (colour bar:
    epoch), x ticks naming the layers. The dashed lines are the warning thresholds: below
    the lower one a gradient counts as vanishing, above the upper one as exploding.
    Rows share the y axis, so ``{"bad init": a, "xavier": b}`` compares two runs.
    """
    plt = _pyplot()
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(len(flows), 2, figsize=(12, 4.4 * len(flows)), squeeze=False,
                             sharey=True, layout="constrained")
    for (over_time, by_depth), (label, flow) in zip(axes, flows.items(), strict=True):
        names = list(dict.fromkeys(r["layer"] for r in flow.records if "grad_norm" in r))
        shown = {r["layer"]: f"{r['layer']} {r.get('module', '')}".strip() for r in flow.records}
        epochs = sorted({r["epoch"] for r in flow.records})
        norm = {(r["epoch"], r["layer"]): r["grad_norm"] for r in flow.records if "grad_norm" in r}
        depth = Normalize(0, max(len(names) - 1, 1))
        for i, name in enumerate(names):
            over_time.plot(epochs, _positive([norm.get((e, name)) for e in epochs]), "-o", ms=3,
                           color=plt.cm.viridis(depth(i)), label=shown[name])
        when = Normalize(min(epochs, default=0), max(max(epochs, default=1), min(epochs, default=0) + 1))
        for epoch in epochs:
            by_depth.plot(range(len(names)), _positive([norm.get((epoch, n)) for n in names]),
                          "-o", ms=3, color=plt.cm.plasma(when(epoch)), label=f"epoch {epoch}")
        for ax in (over_time, by_depth):
            ax.set_yscale("log")
            ax.grid(alpha=0.3, which="both")
            _draw_thresholds(ax, flow)
        title = f"{label}: " if label else ""
        over_time.set(xlabel="epoch", ylabel="‖dθ‖ per layer (log)",
                      title=f"{title}gradient norm over time")
        over_time.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        by_depth.set(xlabel="layer with parameters (input → output)",
                     title=f"{title}gradient norm by depth")
        by_depth.set_xticks(range(len(names)), [shown[n] for n in names], fontsize=7,
                            rotation=30, ha="right")
        if not names:  # a model without parameters has no gradient lines to name
            continue
        if len(names) <= LEGEND_LINES:
            over_time.legend(fontsize=7, title="layer", title_fontsize=7)
        else:
            bar = fig.colorbar(plt.cm.ScalarMappable(depth, "viridis"), ax=over_time)
            bar.set_label("layer depth (0 = input side)")
        if len(epochs) <= LEGEND_LINES:
            by_depth.legend(fontsize=7)
        else:
            bar = fig.colorbar(plt.cm.ScalarMappable(when, "plasma"), ax=by_depth)
            bar.set_label("epoch")
            bar.locator = MaxNLocator(integer=True)
            bar.update_ticks()
    _save(fig, path)
    plt.close(fig)


LEGEND_LINES = 8  # more lines than this get a colour bar instead of legend entries


def _draw_thresholds(ax, flow) -> None:
    """The warning thresholds as dashed lines, each labelled on the plot itself."""
    for threshold, meaning in ((flow.vanishing, "vanishing below"),
                               (flow.exploding, "exploding above")):
        if 0 < threshold < math.inf:  # 0 or inf: a check turned off, not drawable
            ax.axhline(threshold, color="red", ls="--", lw=0.8)
            ax.annotate(f"{meaning} {threshold:g}", (0.005, threshold),
                        xycoords=("axes fraction", "data"), color="red", fontsize=7,
                        va="bottom")


def _positive(values) -> list:
    """A log axis cannot show 0 or a missing value: both become NaN, a gap in the line."""
    return [v if v is not None and v > 0 else np.nan for v in values]
