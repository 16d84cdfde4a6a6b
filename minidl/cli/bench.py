"""``minidl bench``: time one training epoch seven ways, interleaved, and print the ratios.

Contestants (``minidl.bench.contestants``): the Trainer on its planned path (what
``minidl train`` runs) and on its teaching path, a user's own loop calling ``plan``, the
same MLP on the autodiff engine, the same step hand-written in numpy, the GEMM-only lower
bound, and PyTorch eager when it is importable; then the micrograd demo step (scalar graph
vs array engine vs PyTorch) and the memory a training step holds. Speed is shown as ratios
against references measured in the same run, never as absolute promises.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

import numpy as np

from ..bench import contestants, micro
from ..bench.models import BENCH_MODULES, bench_model
from ..bench.runner import check_targets, format_table, format_targets, interleave, summarise
from ..data import DataError, load_dataset
from ..nn.memory import memory_report
from ..nn.models import mlp
from ..optim import SGD
from .threads import blas_info, rerun_with_threads
from .train import peak_rss_mib as peak_rss

# the columns "× name": this contestant's time over that one's, round by round — the
# bounds (gemm, torch, numpy), then each of minidl's paths against the next faster one
EPOCH_REFERENCES = {name: name for name in ("gemm", "torch", "numpy", "planned", "teaching")}


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmark a training epoch against the GEMM bound and PyTorch",
                       description="Time one training epoch of an MLP: minidl's planned and teaching "
                                   "paths, a loop calling plan(), its autodiff engine, hand-written "
                                   "numpy, the GEMM-only bound and PyTorch eager (if installed), "
                                   "interleaved in one process.")
    p.add_argument("--model", choices=["mlp", *BENCH_MODULES], default="mlp",
                   help="what to time: the MLP (default) or a CLI architecture's default model "
                        "(planned and teaching paths, a GEMM bound and PyTorch eager beside them)")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128], metavar="WIDTH",
                   help="MLP hidden layer widths (default: 256 128)")
    p.add_argument("--batch-size", type=int, default=128, help="samples per step (default: 128)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="(default: float32)")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds per contestant (default: 5)")
    p.add_argument("--limit", type=int, default=None, help="samples per epoch (default: all 60,000)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="time with the wall clock (default) or with this process's CPU time, all its "
                        "threads together: steadier on a machine other processes load")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS and PyTorch threads (default: what the BLAS chose, usually every core)")
    p.add_argument("--synthetic", action="store_true",
                   help="random data of Fashion-MNIST's shape instead of the shipped files")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 2,000 samples, one warm-up and one timed round, a short micro demo")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data order (default: 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def run(args, parser) -> int:
    if args.batch_size < 1 or args.repeats < 1 or (args.limit is not None and args.limit < 1) \
            or any(h < 1 for h in args.hidden) or (args.threads is not None and args.threads < 1):
        parser.error("--batch-size, --repeats, --limit, --threads and --hidden must be positive")
    if args.threads is not None:
        code = rerun_with_threads(args.threads)
        if code is not None:
            return code
    architecture = None if args.model == "mlp" else bench_model(args.model)
    limit = 2000 if args.quick and args.limit is None else args.limit
    if architecture is not None and limit is None:
        limit = architecture.default_limit
    # one warm-up round even when quick: the Trainer plans at its first step, torch starts its
    # threads — one-time costs that would otherwise land in the only timed round
    repeats, warmup = (1 if args.quick else args.repeats), 1

    # data: the shipped Fashion-MNIST, or random numbers of the same shape
    if args.synthetic:
        rng = np.random.default_rng(args.seed)
        n = limit or 60_000
        x, y = rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)
    else:
        try:
            ds = load_dataset("fashion-mnist", limit_train=limit)
        except DataError as err:
            print(f"minidl bench: error: {err} (or pass --synthetic)", file=sys.stderr)
            return 1
        x, y = ds.x_train, ds.y_train
    x = x.astype(args.dtype, copy=False)
    sizes = [x.shape[1], *args.hidden, 10]
    blas, threads = blas_info()
    use_torch = torch_available() and not args.no_torch
    machine = {"python": platform.python_version(), "numpy": np.__version__, "blas": blas,
               "threads": threads, "cpus": os.cpu_count(), "machine": platform.machine(),
               "torch": _torch_version() if use_torch else None}
    if architecture is not None:
        return _run_architecture(args, architecture, x, y, machine, use_torch, repeats, warmup)

    # epoch: every contestant once per round
    runs = {name: make(x, y, sizes, args.batch_size, args.dtype, args.seed)
            for name, make in contestants.EPOCH.items()}
    if use_torch:
        runs["torch"] = contestants.torch_path(x, y, sizes, args.batch_size, args.dtype, args.seed, threads)
    epoch_rows = summarise(interleave(runs, repeats, warmup, _clock(args)), len(x), EPOCH_REFERENCES)
    targets = check_targets(epoch_rows, contestants.TARGETS)

    # the micrograd demo: one full-batch step
    steps = {"scalar": micro.scalar_step(args.seed), "engine": micro.engine_step(args.seed)}
    if use_torch:
        steps["torch"] = micro.torch_step(args.seed, threads)
    micro_repeats = 1 if args.quick else 3
    micro_times = interleave({"scalar": steps.pop("scalar")}, micro_repeats, warmup=0)
    micro_times.update(interleave(steps, 50 if args.quick else 300, warmup=5))
    micro_rows = summarise(micro_times, 100, {"torch": "torch"}, speedups={"scalar": "scalar"})

    # memory of one training step
    model = mlp(sizes, rng=args.seed, dtype=args.dtype)
    memory = memory_report(model, args.batch_size, optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9))
    peak_rss_mib = peak_rss()

    setup = {"sizes": sizes, "batch_size": args.batch_size, "dtype": args.dtype,
             "samples_per_epoch": len(x), "repeats": repeats, "clock": args.clock,
             "data": "synthetic" if args.synthetic else "fashion-mnist"}
    if args.json:
        print(json.dumps({"machine": machine, "setup": setup, "epoch": epoch_rows, "targets": targets,
                          "micro_step": micro_rows, "memory": {
                              "cached_bytes": memory.cached_bytes, "parameter_bytes": memory.parameter_bytes,
                              "optimizer_bytes": memory.optimizer_bytes, "peak_rss_mib": peak_rss_mib}}))
        return 0
    print(_machine_line(machine))
    print(f"MLP {'-'.join(map(str, sizes))} ReLU, batch {args.batch_size}, {args.dtype}, "
          f"{len(x):,} samples per epoch ({setup['data']}), SGD lr 0.1 momentum 0.9, "
          f"{repeats} interleaved rounds\n")
    print(format_table(epoch_rows, "one training epoch" + _clock_note(args)))
    print()
    print(format_targets(targets))
    print()
    print(format_table(micro_rows, "micrograd demo: one full-batch step, MLP 2-16-16-1, 100 points",
                       unit="s/step"))
    print()
    print(memory.table())
    print(f"peak RSS of this process: {peak_rss_mib:.0f} MiB")
    return 0


def _run_architecture(args, architecture, x, y, machine, use_torch, repeats, warmup) -> int:
    """``--model NAME``: one timed pass over ``x`` per contestant and round, interleaved."""
    runs = architecture.contestants(x, y, args.batch_size, args.dtype, args.seed,
                                    machine["threads"], use_torch)
    rows = summarise(interleave(runs, repeats, warmup, _clock(args)), len(x), architecture.references)
    setup = {"model": args.model, "batch_size": args.batch_size, "dtype": args.dtype,
             "samples_per_round": len(x), "repeats": repeats,
             "data": "synthetic" if args.synthetic else "fashion-mnist"}
    if args.json:
        print(json.dumps({"machine": machine, "setup": setup, "epoch": rows}))
        return 0
    print(_machine_line(machine))
    print(f"{architecture.describe(args.batch_size, args.dtype)}, {len(x):,} samples per round "
          f"({setup['data']}), {repeats} interleaved rounds\n")
    print(format_table(rows, f"training over {len(x):,} samples{_clock_note(args)}", unit="s/round"))
    return 0


def _clock(args):
    """``--clock``: the wall clock, or this process's CPU time (every thread of it)."""
    return time.process_time if args.clock == "cpu" else time.perf_counter


def _clock_note(args) -> str:
    return " (process CPU time)" if args.clock == "cpu" else ""


def _machine_line(machine: dict) -> str:
    torch = f", torch {machine['torch']}" if machine["torch"] else ", no torch"
    return (f"minidl bench — {machine['machine']}, {machine['cpus']} CPUs, {machine['blas']}, "
            f"{machine['threads']} threads, numpy {machine['numpy']}{torch}")


def _torch_version() -> str:
    import torch

    return torch.__version__
