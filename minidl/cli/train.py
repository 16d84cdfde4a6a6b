"""``minidl train``: train an MLP on a data set from the shell, with checkpoints and curves.

The phases of ``run`` read top to bottom: settings → data → model and optimizer
→ (resume) → train → final evaluation → files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from ..data import DataError, DataLoader, load_dataset, train_val_split
from ..io.atomic import WriteError, atomic_write
from ..io.checkpoint import load_checkpoint, save_checkpoint
from ..io.checkpoint_checks import check_resumable
from ..io.model_file import save
from ..io.npz import FileFormatError
from ..nn.containers import Sequential
from ..nn.layers import Normalize, Rescale
from ..nn.losses import MSELoss, SoftmaxCrossEntropy
from ..nn.models import ACTIVATIONS
from ..nn.snapshot import set_rng_states
from ..optim import SGD, Adam
from ..training import (
    BestCheckpoint,
    Callback,
    EarlyStopping,
    MixedPrecision,
    Trainer,
    TrainingDiverged,
    attach_diagnostics,
    evaluate,
    make_schedule,
)
from ..training.regression import evaluate_regression
from ..training.schedules import SCHEDULES
from ..training.trainer import TASKS
from ..viz.filters import first_conv, plot_filters
from ..viz.plots import plot_confusion, plot_curves, plots_available
from .architectures import ARCHITECTURES
from .regression_data import load_regression_set
from .threads import ThreadCollapseWatch, blas_info, threads_from_flag

# The defaults: an MLP (with BatchNorm and a little dropout) that reaches 0.90 test
# accuracy on Fashion-MNIST in about half a minute on two cores (README, "Quick start").
DEFAULTS = {
    "model": "mlp", "task": "classification", "data": "fashion-mnist", "normalize": "scale",
    "limit_train": None, "limit_test": None, "label_column": 0,
    "hidden": [256, 128], "activation": "relu", "dropout": 0.1, "batchnorm": True,
    "epochs": 20, "batch_size": 128, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
    "nesterov": True, "weight_decay": 0.0, "schedule": "cosine", "warmup": 0.5, "clip_norm": None,
    "seed": 0, "dtype": "float32", "val_split": 0.0, "patience": None,
}
# Early stopping watches a validation split, never the test set: this much when none is given.
PATIENCE_VAL_SPLIT = 0.1
# Options that may change when resuming; everything else must match the checkpoint.
RESUMABLE = ("epochs",)
# Flags (store_true) that a checkpoint records and a resumed run keeps; giving one on --resume
# switches it on from then on.
STEPPING_FLAGS = ("diagnostics", "teaching")


def add_parser(sub) -> None:
    d = DEFAULTS
    p = sub.add_parser("train", help="train a model (an MLP unless --model says otherwise) on the data",
                       description="Train a model (--model: an MLP by default, or a CNN, ViT, LSTM, GRU "
                                   "or RNN) and report its test accuracy.")
    g = p.add_argument_group("data")
    g.add_argument("--data", help=f"'fashion-mnist', 'spirals', 'moons', 'xor', or a path to an MNIST-format "
                                  f"directory, an .npz or a .csv file (default: {d['data']})")
    g.add_argument("--task", choices=list(TASKS),
                   help="classification (class labels in the label column) or regression (a numeric "
                        "target in the label column of a CSV; reports MAE, RMSE and R², and the saved model "
                        f"predicts in the target's units) (default: {d['task']})")
    g.add_argument("--label-column", metavar="COLUMN",
                   help="the CSV column holding the labels: an index (-1: the last) or the header's "
                        "name for it (default: the first column)")
    g.add_argument("--normalize", choices=["scale", "standardize", "none"],
                   help=f"feature scaling fitted on the training split (default: {d['normalize']})")
    g.add_argument("--limit-train", type=int, help="use only the first N training samples")
    g.add_argument("--limit-test", type=int, help="use only the first N test samples")
    g.add_argument("--val-split", type=float,
                   help=f"fraction of the training set held out for validation, in [0, 1) "
                        f"(default: {d['val_split']})")
    g = p.add_argument_group("model")
    g.add_argument("--model", choices=list(ARCHITECTURES),
                   help="the architecture: "
                        + "; ".join(f"{name}: {a.help}" for name, a in ARCHITECTURES.items())
                        + f" (default: {d['model']})")
    g.add_argument("--hidden", type=int, nargs="+", metavar="WIDTH",
                   help=f"hidden layer widths (default: {' '.join(map(str, d['hidden']))})")
    g.add_argument("--activation", choices=sorted(ACTIVATIONS), help=f"(default: {d['activation']})")
    g.add_argument("--dropout", type=float, help=f"dropout probability after each hidden layer, in [0, 1) "
                                                 f"(default: {d['dropout']})")
    g.add_argument("--batchnorm", action=argparse.BooleanOptionalAction,
                   help="BatchNorm1d after each hidden Dense (default: on)")
    g.add_argument("--dtype", choices=["float16", "float32", "float64"],
                   help=f"compute dtype; float16 keeps float32 master weights and scales the loss "
                        f"dynamically (default: {d['dtype']})")
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, help=f"total epochs to train (default: {d['epochs']})")
    g.add_argument("--batch-size", type=int, help=f"samples per step (default: {d['batch_size']})")
    g.add_argument("--optimizer", choices=["sgd", "adam"], help=f"(default: {d['optimizer']})")
    g.add_argument("--lr", type=float,
                   help=f"peak learning rate (default: {d['lr']} for sgd, 0.001 for adam)")
    g.add_argument("--momentum", type=float, help=f"SGD momentum in [0, 1) (default: {d['momentum']})")
    g.add_argument("--nesterov", action=argparse.BooleanOptionalAction,
                   help="Nesterov momentum for SGD (default: on)")
    g.add_argument("--weight-decay", type=float,
                   help=f"L2 penalty added to gradients (default: {d['weight_decay']})")
    g.add_argument("--schedule", choices=SCHEDULES, help=f"learning-rate schedule (default: {d['schedule']})")
    g.add_argument("--warmup", type=float, help=f"epochs of linear warm-up (default: {d['warmup']})")
    g.add_argument("--clip-norm", type=float, help="clip the global gradient norm to this value")
    g.add_argument("--patience", type=int,
                   help="stop when the validation loss has not improved for N epochs, and keep the best "
                        f"epoch's weights (takes a --val-split of {PATIENCE_VAL_SPLIT} when none is given)")
    g.add_argument("--seed", type=int,
                   help=f"seed for initialisation, splits and shuffling (default: {d['seed']})")
    g = p.add_argument_group("output")
    g.add_argument("--out", type=Path, help="directory for model.npz, metrics.json, history.csv, "
                                            "checkpoint.npz and plots (default: runs/<next number>)")
    g.add_argument("--no-save", action="store_true", help="write no files (only print the results)")
    g.add_argument("--resume", type=Path, metavar="DIR",
                   help="continue the run saved in DIR (its checkpoint.npz); settings come from it, "
                        "only --epochs may change")
    g.add_argument("--diagnostics", action="store_true",
                   help="record per-layer gradient flow (norms, update ratios, activations, dead ReLUs) "
                        "into diagnostics.json and gradient-flow.png, warning on vanishing/exploding norms")
    g.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    g.add_argument("--teaching", action="store_true",
                   help="train on the teaching path (each layer's own forward/backward and the optimizer's "
                        "own step) instead of the planned one: the same numbers, slower")
    g.add_argument("--threads", type=int, help="BLAS threads (default: every core; see README, Performance)")


def settings(args, parser) -> dict:
    """Merge defaults, a resumed run's stored settings and the flags given; validate."""
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None}
    base = dict(DEFAULTS)
    if args.resume is not None:
        stored = args.stored_config
        changed = [k for k, v in given.items() if k not in RESUMABLE and stored.get(k) != v]
        if changed:
            parser.error(f"--resume continues a run with its own settings; cannot change "
                         f"{', '.join('--' + k.replace('_', '-') for k in changed)}")
        base.update(stored)
    else:
        base.update(ARCHITECTURES[given.get("model", base["model"])].defaults)
    base.update(given)
    preferred = ARCHITECTURES[base["model"]].defaults
    if base["patience"] and not base["val_split"] and args.resume is None:
        base["val_split"] = PATIENCE_VAL_SPLIT
        args.notes.append(f"--patience watches validation loss: holding out --val-split {PATIENCE_VAL_SPLIT} "
                          "of the training set for it (the test set never chooses the model)")
    if "lr" not in given and "lr" not in preferred and args.resume is None and base["optimizer"] == "adam":
        base["lr"] = 1e-3
    # How the run steps rather than what it learns; a checkpoint keeps them, so that a resumed
    # run continues the same arithmetic (diagnostics' sampled steps run the layers' own methods).
    kept = args.stored_config if args.resume is not None else {}
    for flag in STEPPING_FLAGS:
        base[flag] = bool(getattr(args, flag) or kept.get(flag))
    validate(base, parser)
    return base


def validate(s: dict, parser) -> None:
    checks = [
        (s["epochs"] >= 1, f"--epochs must be ≥ 1, got {s['epochs']}"),
        (s["batch_size"] >= 1, f"--batch-size must be ≥ 1, got {s['batch_size']}"),
        (s["lr"] > 0 and np.isfinite(s["lr"]), f"--lr must be a positive number, got {s['lr']}"),
        (0 <= s["momentum"] < 1, f"--momentum must be in [0, 1), got {s['momentum']}"),
        (0 <= s["weight_decay"] < np.inf,
         f"--weight-decay must be a finite number ≥ 0, got {s['weight_decay']}"),
        (s["seed"] >= 0, f"--seed must be ≥ 0, got {s['seed']}"),
        (0 <= s["val_split"] < 1, f"--val-split must be in [0, 1), got {s['val_split']}"),
        (0 <= s["dropout"] < 1, f"--dropout must be in [0, 1), got {s['dropout']}"),
        (0 <= s["warmup"] <= s["epochs"], f"--warmup must be between 0 and --epochs, got {s['warmup']}"),
        (all(h >= 1 for h in s["hidden"]), f"--hidden widths must be ≥ 1, got {s['hidden']}"),
        (s["clip_norm"] is None or 0 < s["clip_norm"] < np.inf,
         f"--clip-norm must be a finite number > 0, got {s['clip_norm']}"),
        (s["patience"] is None or s["patience"] >= 1, f"--patience must be ≥ 1, got {s['patience']}"),
        (s["limit_train"] is None or s["limit_train"] >= 1,
         f"--limit-train must be ≥ 1, got {s['limit_train']}"),
        (s["limit_test"] is None or s["limit_test"] >= 1, f"--limit-test must be ≥ 1, got {s['limit_test']}"),
    ]
    for ok, message in checks:
        if not ok:
            parser.error(message)


def make_optimizer(s: dict, params):
    if s["optimizer"] == "adam":
        return Adam(params, lr=s["lr"], weight_decay=s["weight_decay"])
    return SGD(params, lr=s["lr"], momentum=s["momentum"], nesterov=s["nesterov"] and s["momentum"] > 0,
               weight_decay=s["weight_decay"])


class EpochCheckpoint(Callback):
    """After every epoch, save everything ``--resume`` needs to ``DIR/checkpoint.npz``."""

    def __init__(self, path: Path, loader, config: dict, mixed_precision=None):
        self.path, self.loader, self.config = path, loader, config
        self.mixed_precision = mixed_precision

    def on_epoch_end(self, trainer, record: dict) -> None:
        save_checkpoint(self.path, model=trainer.model, optimizer=trainer.optimizer,
                        epoch=record["epoch"], step=trainer.step, loader=self.loader,
                        history=trainer.history, config=self.config,
                        mixed_precision=self.mixed_precision)


def run(args, parser) -> int:
    code = threads_from_flag(args, parser)
    if code is not None:
        return code
    started = time.perf_counter()
    log = (lambda *a, **k: None) if args.quiet else print
    if args.no_save and (args.out is not None or args.resume is not None):
        parser.error("--no-save writes nothing, so it cannot go with --out or --resume")
    args.notes = []
    try:
        # settings: defaults < resumed run < flags
        state = load_checkpoint(args.resume / "checkpoint.npz") if args.resume is not None else None
        args.stored_config = state.config if state is not None else {}
        s = settings(args, parser)
        if args.out is not None and args.out.exists() and not args.out.is_dir():
            parser.error(f"--out {args.out} exists and is not a directory")
        data = load_data(s)  # before the output directory: a run that cannot start leaves nothing
        run_ = Run(s, data, None if args.no_save else output_directory(args.out or args.resume))
    except (FileFormatError, DataError, OutputError) as err:
        return fail(err)
    for note in args.notes:
        log(note)
    trainer, flow = run_.trainer(args, log)
    if state is not None:
        try:
            check_resumable(state, run_.model, run_.loader, args.resume / "checkpoint.npz")
        except FileFormatError as err:
            return fail(err)
        run_.resume(trainer, state)
        log(f"resuming {args.resume} from epoch {state.epoch} (step {state.step})")
    log(f"{run_.ds!r}\n{run_.model!r}\n{run_.optimizer_description()}, schedule {s['schedule']}, "
        f"{s['epochs']} epochs, "
        f"batch {s['batch_size']}, {run_.model.num_parameters():,} parameters; "
        "{} with {} threads".format(*blas_info()))

    # train
    try:
        history = trainer.fit(run_.loader, s["epochs"], val_data=run_.val_data, test_data=run_.test_data,
                              num_classes=run_.ds.num_classes, start_epoch=state.epoch if state else 0)
    except TrainingDiverged as err:
        last = run_.out / "checkpoint.npz" if run_.out else None
        kept = f"; the last good checkpoint is {last}" if last and last.exists() else ""
        return fail(f"{err}{kept}")
    except WriteError as err:  # a full disk while saving a checkpoint
        return fail(err)
    try:
        run_.finish(history, started, log, flow, resumed_from=state.epoch if state else 0)
    except WriteError as err:
        return fail(err)
    return 0


class OutputError(Exception):
    """The run's output directory cannot be used; the message names it and says why."""


def output_directory(out: Path | None) -> Path:
    """``out`` created (parents too), or ``runs/<next number>`` in the working directory when None."""
    if out is None:
        runs = Path("runs")
        taken = [int(p.name) for p in runs.glob("*") if p.name.isdigit()] if runs.is_dir() else []
        out = runs / str(max(taken, default=0) + 1)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        where = f" ({err.filename})" if err.filename and str(err.filename) != str(out) else ""
        raise OutputError(f"cannot create the output directory {out}: {err.strerror}{where}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to the output directory {out}: permission denied")
    return out


def load_data(s: dict) -> dict:
    """The data set and its splits, in the run's dtype; one seed fans out to independent
    streams for initialisation, the validation split and shuffling."""
    init_seed, split_seed, shuffle_seed = np.random.SeedSequence(s["seed"]).spawn(3)
    if s["task"] == "regression":
        ds = load_regression_set(s["data"], seed=s["seed"], normalize=s["normalize"],
                                 limit_train=s["limit_train"], limit_test=s["limit_test"],
                                 label_column=s["label_column"])
    else:
        ds = load_dataset(s["data"], seed=s["seed"], normalize=s["normalize"],
                          limit_train=s["limit_train"], limit_test=s["limit_test"],
                          label_column=s["label_column"])
    x_train, y_train = ds.x_train.astype(s["dtype"], copy=False), ds.y_train
    val_data = None
    if s["val_split"] > 0:
        x_train, y_train, x_val, y_val = train_val_split(x_train, y_train, s["val_split"],
                                                         np.random.default_rng(split_seed))
        val_data = (x_val, y_val)
    return {"ds": ds, "init_seed": init_seed, "val_data": val_data,
            "test_data": (ds.x_test.astype(s["dtype"], copy=False), ds.y_test),
            "loader": DataLoader(x_train, y_train, s["batch_size"], rng=np.random.default_rng(shuffle_seed))}


class Run:
    """One training run's parts: data, model, optimizer, schedule, and where files go."""

    def __init__(self, s: dict, data: dict, out):
        self.s, self.out = s, out
        self.ds, self.loader = data["ds"], data["loader"]
        self.val_data, self.test_data = data["val_data"], data["test_data"]
        self.model = ARCHITECTURES[s["model"]].build(s, self.ds, np.random.default_rng(data["init_seed"]))
        self.mixed = MixedPrecision(self.model) if s["dtype"] == "float16" else None
        self.optimizer = make_optimizer(s, self.mixed.master_parameters() if self.mixed
                                        else self.model.parameters())
        self.regression = s["task"] == "regression"
        self.loss_fn = MSELoss() if self.regression else SoftmaxCrossEntropy()
        self.metadata = {"data": data_reference(s["data"]), "seed": s["seed"], "task": s["task"],
                         "label_column": s["label_column"],
                         "class_names": self.ds.class_names, "model": s["model"]}
        self.stopper = None

    def deployable(self, model=None):
        """What ``model.npz`` holds: the fitted input normalisation in front of the trained model,
        so that the saved model takes raw features; ``classes`` names its outputs."""
        model = model or self.model
        norm = self.ds.normalizer
        first = Normalize.fitted(norm.offset, norm.divisor, dtype=self.s["dtype"])
        layers = list(model) if isinstance(model, Sequential) else [model]
        if self.regression:  # standardised predictions back in the target's units
            layers.append(Rescale.fitted([self.ds.target_std], [self.ds.target_mean], dtype=self.s["dtype"]))
        saved = Sequential(first, *layers)
        saved.classes = None if self.regression else list(self.ds.class_names)
        saved.train(model.training)
        return saved

    def optimizer_description(self) -> str:
        # A resumed optimizer holds the schedule's last learning rate; the header shows the
        # configured peak, which is what the settings say.
        return repr(self.optimizer).replace(f"lr={self.optimizer.lr}", f"lr={self.s['lr']}", 1)

    def trainer(self, args, log):
        """The Trainer with this run's schedule and callbacks (and diagnostics when asked)."""
        s, out = self.s, self.out
        schedule = make_schedule(s["schedule"], s["lr"], epochs=s["epochs"], steps_per_epoch=len(self.loader),
                                 warmup_epochs=s["warmup"])
        monitor = "val" if self.val_data is not None else "test"
        callbacks = [ThreadCollapseWatch(log)]
        if s["patience"]:
            self.stopper = EarlyStopping(f"{monitor}_loss", patience=s["patience"], keep_best=True)
            callbacks.append(self.stopper)
        if out is not None:
            callbacks.append(EpochCheckpoint(out / "checkpoint.npz", self.loader, s, self.mixed))
            if self.val_data is not None:  # the same metric early stopping watches
                callbacks.append(BestCheckpoint(out / "best.npz", "val_loss", self.metadata,
                                                deployable=self.deployable))
        trainer = Trainer(self.model, self.loss_fn, self.optimizer, schedule=schedule,
                          clip_norm=s["clip_norm"], callbacks=callbacks, progress=not args.quiet, log=log,
                          mixed_precision=self.mixed, planned=not s["teaching"], task=s["task"],
                          target_scale=getattr(self.ds, "target_std", 1.0))
        flow = attach_diagnostics(trainer, out_dir=out) if s["diagnostics"] else None
        return trainer, flow

    def resume(self, trainer, state) -> None:
        """Model, optimizer, data order, Dropout streams and float16 state from a checkpoint."""
        self.model.load_state_dict(state.model.state_dict())
        self.optimizer.load_state_dict(state.optimizer_state)
        self.loader.load_state_dict(state.loader_state)
        set_rng_states(self.model, state.layer_rng_states)
        if self.mixed is not None:
            self.mixed.load_state_dict(state.mixed_precision)
        trainer.step, trainer.history = state.step, state.history

    def finish(self, history, started: float, log, flow, resumed_from: int = 0) -> None:
        """The final evaluation (of the best epoch's weights under early stopping), its summary
        line and the run's files."""
        model, mixed, ds = self.model, self.mixed, self.ds
        chosen = len(history)
        if self.stopper is not None and self.stopper.best_state is not None:
            model.load_state_dict(self.stopper.best_state)
            chosen = self.stopper.best_epoch
            log(f"keeping epoch {chosen}'s weights (best {self.stopper.monitor} {self.stopper.best:.4f})")
        if self.regression:
            final = evaluate_regression(model, self.loss_fn, *self.test_data, scale=ds.target_std)
            score = (f"test MAE {final['mae']:.4g}, RMSE {final['rmse']:.4g}, R² {final['r2']:.4f} "
                     f"(loss {final['loss']:.4f})")
        else:
            final = evaluate(model, self.loss_fn, *self.test_data, ds.num_classes)
            score = f"test accuracy {final['accuracy']:.4f} (loss {final['loss']:.4f})"
        seconds = time.perf_counter() - started
        train_seconds = sum(r["seconds"] for r in history)
        this_run = sum(r["seconds"] for r in history if r["epoch"] > resumed_from)
        timing = (f"{train_seconds:.1f}s of training" if not resumed_from else
                  f"{train_seconds:.1f}s of training in all, {this_run:.1f}s of it since resuming "
                  f"at epoch {resumed_from}")
        epochs = f"{len(history)} epoch{'s' * (len(history) != 1)}"
        if chosen != len(history):
            epochs = f"epoch {chosen} of {len(history)}"
        print(f"{score} after {epochs}, "
              f"{timing}, {seconds:.1f}s for this command, peak memory {peak_rss_mib():.0f} MiB")
        if mixed is not None:
            print(f"float16: {mixed.skipped_steps} of {mixed.steps} steps skipped for overflow, "
                  f"{mixed.underflows:,} gradient entries underflowing (subnormal), "
                  f"final loss scale {mixed.scale:g}")
        if self.out is None:
            return
        if self.regression:
            metrics = {"task": "regression", "test_loss": final["loss"], "test_mae": final["mae"],
                       "test_rmse": final["rmse"], "test_r2": final["r2"]}
        else:
            metrics = {"task": "classification", "test_accuracy": final["accuracy"],
                       "test_loss": final["loss"],
                       "per_class_accuracy": dict(zip(ds.class_names, final["per_class_accuracy"])),
                       "confusion_matrix": final["confusion_matrix"].tolist()}
        metrics |= {"epochs": len(history), "chosen_epoch": chosen, "train_seconds": train_seconds,
                   "seconds": seconds,
                   "parameters": model.num_parameters(), "config": self.s, "history": history,
                   "peak_rss_mib": peak_rss_mib()}
        if mixed is not None:
            metrics["mixed_precision"] = {"skipped_steps": mixed.skipped_steps, "steps": mixed.steps,
                                          "underflows": mixed.underflows, "loss_scale": mixed.scale}
        write_outputs(self.out, self.deployable(), self.metadata, metrics, final, ds.class_names,
                      log, flow)


def data_reference(data) -> str:
    """How the model file names its training data: a name as given, a path made absolute, so
    that ``minidl eval`` finds it from any directory."""
    parts = [part.strip() for part in str(data).split(",")]
    resolved = [str(Path(p).resolve()) if Path(p).exists() else p for p in parts]
    return ",".join(resolved)


def write_outputs(out: Path, model, metadata, metrics, final, class_names, log, flow=None) -> None:
    save(model, out / "model.npz", metadata=metadata)
    write_text(out / "metrics.json", json.dumps(metrics, indent=2, default=str) + "\n")
    keys = list(metrics["history"][0]) if metrics["history"] else []
    rows = [",".join(keys)] + [",".join(f"{r[k]:.6g}" if isinstance(r[k], float) else str(r[k])
                                        for k in keys) for r in metrics["history"]]
    write_text(out / "history.csv", "\n".join(rows) + "\n")
    written = ["model.npz", "metrics.json", "history.csv", "checkpoint.npz"]
    if plots_available() and "confusion_matrix" not in final:  # a regression run
        plot_curves(metrics["history"], out / "curves.png", metrics=("loss", "r2"))
        written.append("curves.png")
    elif plots_available():
        plot_curves(metrics["history"], out / "curves.png")
        plot_confusion(final["confusion_matrix"], class_names, out / "confusion.png")
        written += ["curves.png", "confusion.png"]
    else:
        skipped = ["curves.png", "confusion.png"] + ["filters.png"] * (first_conv(model) is not None)
        log(f"matplotlib is not installed: skipped {', '.join(skipped[:-1])} and {skipped[-1]} "
            "(pip install 'minidl[plot]')")
    if plots_available() and first_conv(model) is not None:  # the first conv layer's kernels
        plot_filters(first_conv(model), out / "filters.png")
        written.append("filters.png")
    if flow is not None:
        written += [path.name for path in flow.write(out)]
    print(f"wrote {', '.join(written)} to {out}")


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text), text=True)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB); NaN where
    the ``resource`` module does not exist (Windows)."""
    try:
        import resource  # POSIX only: imported here so that `minidl` itself works on Windows
    except ImportError:
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fail(err) -> int:
    print(f"minidl train: error: {err}", file=sys.stderr)
    return 1
