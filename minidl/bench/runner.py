"""Interleaved timing: A B C A B C …, so a noisy machine slows every contestant alike.

Medians, never means (one preempted run must not decide a ratio), and every ratio is
taken against a reference measured in the same process and the same rounds: round by
round where both ran equally often (a slow spell of the machine then slows both sides
of each ratio), else as the ratio of the two medians.
"""

from __future__ import annotations

import statistics
import time


def interleave(contestants: dict, repeats: int, warmup: int = 1,
               clock=time.perf_counter) -> dict[str, list[float]]:
    """Run each ``name → callable`` ``warmup`` times, then ``repeats`` rounds in turn;
    return the seconds of every timed call per name, read off ``clock`` (wall time by
    default; ``time.process_time`` counts only the CPU time this process used, every one of
    its threads, which on a machine other processes load is what the work itself took)."""
    for _ in range(warmup):
        for run in contestants.values():
            run()
    times = {name: [] for name in contestants}
    for _ in range(repeats):
        for name, run in contestants.items():
            started = clock()
            run()
            times[name].append(clock() - started)
    return times


def summarise(times: dict[str, list[float]], samples_per_call: int, references: dict[str, str],
              speedups: dict[str, str] | None = None) -> list[dict]:
    """One row per contestant: median, min, max seconds, samples/s, the time ratios to the
    ``references`` (``this / reference``) and the ``speedups`` over others (``other / this``)."""
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    rows = []
    for name, ts in times.items():
        row = {"name": name, "median_s": medians[name], "min_s": min(ts), "max_s": max(ts),
               "samples_per_s": samples_per_call / medians[name], "runs": len(ts)}
        for label, reference in references.items():
            if reference in times:
                row[f"vs_{label}"] = _ratio_of(ts, times[reference])
        for label, other in (speedups or {}).items():
            if other in times:
                row[f"speedup_{label}"] = _ratio_of(times[other], ts)
        rows.append(row)
    return rows


def _ratio_of(times: list[float], reference: list[float]) -> float:
    """``times / reference``: the median of the round-by-round ratios when the two ran in
    the same rounds, else the ratio of the medians."""
    if len(times) == len(reference):
        return statistics.median(t / r for t, r in zip(times, reference))
    return statistics.median(times) / statistics.median(reference)


def format_table(rows: list[dict], title: str, unit: str = "s/epoch") -> str:
    """``rows`` from :func:`summarise` as an aligned text table under ``title``, one ratio
    column per reference and speedup, in the order they were asked for."""
    ratio_keys = [k for k in rows[0] if k.startswith(("vs_", "speedup_"))] if rows else []
    header = ["contestant", f"median {unit}", "min", "max", "samples/s"] + [
        f"× {k[3:]}" if k.startswith("vs_") else f"{k[8:]} ÷ this" for k in ratio_keys]
    lines = [header]
    for r in rows:
        lines.append([r["name"], _fmt(r["median_s"]), _fmt(r["min_s"]), _fmt(r["max_s"]),
                      f"{r['samples_per_s']:,.0f}"] + [_ratio(r[k]) for k in ratio_keys])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [title]
    for i, line in enumerate(lines):
        out.append("  ".join(cell.rjust(w) if i and j else cell.ljust(w)
                             for j, (cell, w) in enumerate(zip(line, widths))))
    return "\n".join(out)


def check_targets(rows: list[dict], targets: list[tuple]) -> list[dict]:
    """Each ``(name, reference, at_most)`` target whose two contestants both ran, with the
    ratio measured in ``rows`` (``vs_<reference>``, from :func:`summarise`) and whether it held."""
    by_name = {row["name"]: row for row in rows}
    checked = []
    for name, reference, at_most in targets:
        ratio = by_name.get(name, {}).get(f"vs_{reference}")
        if ratio is not None:
            checked.append({"name": name, "reference": reference, "at_most": at_most,
                            "ratio": ratio, "met": ratio <= at_most})
    return checked


def format_targets(checked: list[dict]) -> str:
    """The checked targets, one line each: ``planned ÷ numpy  0.97 ≤ 1.00  met``."""
    width = max((len(f"{t['name']} ÷ {t['reference']}") for t in checked), default=0)
    lines = ["targets (time ÷ reference's time, round by round)"]
    for t in checked:
        label = f"{t['name']} ÷ {t['reference']}".ljust(width)
        verdict = "met" if t["met"] else "not met"
        lines.append(f"{label}  {_ratio(t['ratio'])} ≤ {t['at_most']:.2f}  {verdict}")
    return "\n".join(lines)


def _ratio(value: float) -> str:
    """Two decimals, or a whole number with separators once decimals say nothing."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def _fmt(seconds: float) -> str:
    """Seconds to four decimals, microseconds below a millisecond (four decimals would show 0)."""
    return f"{seconds:.4f}" if seconds >= 0.001 else f"{seconds * 1e6:.1f}µs"
