"""``minidl gradcheck``: every layer and loss (or a saved model) checked two independent ways.

One table row per (layer, check, tensor): ``finite`` compares the hand-written
backward with central differences (``directional`` with ``--fast``), ``engine``
with the autodiff engine differentiating the layer's own formulation. Exit status:
0 when everything passes, 1 when any check fails, 2 on bad usage. This is what an
instructor runs in CI.
"""

from __future__ import annotations

import sys
import warnings

from ..gradcheck.cross import engine_tolerances
from ..gradcheck.numerical import PrecisionWarning, tolerances
from ..gradcheck.suite import SPECIMENS, check_case, model_case, needs_fast, resolve, run_checks
from ..io.model_file import load
from ..io.npz import FileFormatError

COLUMNS = ("layer", "check", "tensor", "shape", "max abs err", "max rel err", "result")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gradcheck",
        help="check every hand-written backward against finite differences and the engine",
        description="Check hand-written gradients two independent ways: central finite differences "
                    "and the autodiff engine differentiating each layer's own formulation. With no "
                    "arguments: every layer and loss and a sample MLP. Exit 1 if any check fails.")
    p.add_argument("layers", nargs="*", metavar="LAYER",
                   help=f"check only these (case-insensitive): {', '.join(SPECIMENS)}")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="also check a model saved by minidl (e.g. by `minidl train --out DIR`), "
                        "rebuilt in --dtype, on a random batch; without LAYER names, only it")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the checks (default float64; float32 widens the tolerances)")
    p.add_argument("--fast", action="store_true",
                   help="finite differences along 2 random directions per tensor instead of "
                        "element by element (for big models)")
    p.add_argument("--scheme", choices=("central", "forward", "fourth", "richardson"),
                   default="central",
                   help="finite-difference scheme of the finite check (default central, which also "
                        "excuses kinks; fourth and richardson are 4th-order; ignored with --fast)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for inputs, weights and directions (default 0)")


def run(args, parser) -> int:
    try:  # every usage error is reported before any checking starts
        names = resolve(args.layers)
        case = model_case(load(args.model), args.model, dtype=args.dtype, seed=args.seed) \
            if args.model else None
    except (FileFormatError, OSError, ValueError) as err:
        print(f"minidl gradcheck: error: {err}", file=sys.stderr)
        return 2
    print(header(args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)  # said once, in the header
        checks = run_checks(names, dtype=args.dtype, seed=args.seed, fast=args.fast,
                            scheme=args.scheme) \
            if names or case is None else []
        if case is not None:
            fast = args.fast or needs_fast(case)
            if fast and not args.fast:
                print(f"{args.model}: {case.module.num_parameters():,} parameters, so finite "
                      "differences run along random directions (as with --fast)")
            checks += check_case(case, seed=args.seed, fast=fast, scheme=args.scheme)
    print(format_table(checks))
    return summarize(checks)


def header(args) -> str:
    """What each check compares, and the float32 caveat."""
    reference = "finite differences along random directions" if args.fast else \
        f"{getattr(args, 'scheme', 'central')} differences"
    lines = [f"minidl gradcheck ({args.dtype}, seed {args.seed})",
             f"  {'directional' if args.fast else 'finite'}: hand-written backward vs {reference}",
             "  engine: hand-written backward vs minidl.autodiff on the layer's own formulation"]
    if args.dtype == "float32":
        rtol, atol = tolerances(args.dtype)
        lines.append(f"float32: finite differences agree only to ~1e-3, so tolerances are widened "
                     f"(rtol {rtol:g}, atol {atol:g}; engine rtol "
                     f"{engine_tolerances(args.dtype)[0]:g}); use float64 to certify a backward")
    return "\n".join(lines)


def format_table(checks) -> str:
    rows = [COLUMNS]
    for check in checks:
        for r in check.report.rows:
            rows.append((check.subject, check.kind, r.name, str(r.shape), f"{r.max_abs_error:.1e}",
                         f"{r.max_rel_error:.1e}", r.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
                     + "  " + row[-1] for row in rows)


def summarize(checks) -> int:
    """Print the verdict (and the full report of each failed check); return the exit status."""
    n_rows = sum(len(c.report.rows) for c in checks)
    failed = [c for c in checks if not c.report.ok]
    if not failed:
        print(f"\nall {n_rows} rows PASS ({len(checks)} checks)")
        return 0
    bad = sum(len(c.report.failed) for c in failed)
    print(f"\n{bad} of {n_rows} rows FAIL; the failed checks in full:\n")
    for check in failed:
        print(f"{check.subject} — {check.kind}")
        print(check.report.table())
        print()
    return 1
