"""``minidl bench``: it runs and prints its tables (never a timing assertion), and its
contestants do the same work, so their times compare like for like."""

import json

import numpy as np
import pytest

from minidl.bench import contestants
from minidl.bench.runner import check_targets, format_table, format_targets, interleave, summarise
from minidl.cli import main
from minidl.plan import updates

EPOCH_NAMES = {"planned", "teaching", "plan-loop", "engine", "numpy", "gemm"}


def test_bench_quick_prints_the_tables(capsys):
    assert main(["bench", "--quick", "--synthetic", "--no-torch", "--hidden", "32"]) == 0
    out = capsys.readouterr().out
    for text in (*EPOCH_NAMES, "one training epoch", "× gemm", "× numpy", "× planned", "× teaching",
                 "micrograd demo", "scalar ÷ this", "memory at batch size 128", "peak RSS",
                 "targets", "planned ÷ numpy", "plan-loop ÷ numpy", "engine ÷ teaching"):
        assert text in out


def test_bench_json(capsys):
    assert main(["bench", "--quick", "--synthetic", "--no-torch", "--hidden", "16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in result["epoch"]} == EPOCH_NAMES
    ratios = {"vs_gemm", "vs_numpy", "vs_planned", "vs_teaching"}
    assert all(r["median_s"] > 0 and ratios <= set(r) for r in result["epoch"])
    assert not any("vs_torch" in r for r in result["epoch"])  # --no-torch: no column for it
    assert result["machine"]["blas"] and result["setup"]["sizes"] == [784, 16, 10]
    assert {(t["name"], t["reference"]) for t in result["targets"]} == {
        ("planned", "numpy"), ("plan-loop", "numpy"), ("teaching", "planned"), ("engine", "teaching")}


def test_bench_can_time_with_the_process_cpu_clock(capsys):
    assert main(["bench", "--quick", "--synthetic", "--no-torch", "--hidden", "16", "--clock", "cpu"]) == 0
    assert "one training epoch (process CPU time)" in capsys.readouterr().out
    spent = []
    times = interleave({"a": lambda: spent.append(1)}, repeats=2, warmup=0, clock=lambda: float(len(spent)))
    assert times == {"a": [1.0, 1.0]}  # each call read off the given clock


def test_bench_rejects_bad_values(capsys):
    assert main(["bench", "--batch-size", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_interleave_alternates_and_summarise_takes_ratios():
    calls = []
    times = interleave({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, warmup=1)
    assert calls == ["a", "b"] * 4 and all(len(t) == 3 for t in times.values())
    rows = summarise({"a": [2.0, 4.0, 3.0], "b": [1.0, 1.0, 1.0]}, 10, {"b": "b"}, speedups={"a": "a"})
    assert rows[0]["median_s"] == 3.0 and rows[0]["vs_b"] == 3.0 and rows[1]["speedup_a"] == 3.0
    assert rows[0]["samples_per_s"] == pytest.approx(10 / 3)
    assert "× b" in format_table(rows, "t") and "a ÷ this" in format_table(rows, "t")


def test_training_contestants_train_to_the_same_weights():
    """An epoch of each (float64, 200 samples, the last batch short) ends at the same weights:
    the five implementations run the same equations on the same batches."""
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 12)), rng.integers(0, 10, 200)
    names = ("planned", "teaching", "plan-loop", "engine", "numpy")
    runs = {name: contestants.EPOCH[name](x, y, [12, 16, 8, 10], 64, "float64", seed=3) for name in names}
    for run in runs.values():
        run()
    reference = runs["teaching"].weights()
    for name in names:
        for ours, theirs in zip(reference, runs[name].weights(), strict=True):
            np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-14, err_msg=name)


def test_the_numpy_step_flushes_subnormals_as_the_planned_update_does():
    # its own copies, so it reads nothing from the framework; they must not drift apart
    assert (contestants.FLUSH_EVERY, contestants.FLUSH_BELOW) == (updates.FLUSH_EVERY, updates.FLUSH_BELOW)


def test_ratios_pair_the_rounds_so_a_slow_spell_cancels():
    # round 2 ran on a machine ten times slower: per round, a is always about twice b
    rows = summarise({"a": [2.0, 20.0, 2.2], "b": [1.0, 10.0, 1.0]}, 1, {"b": "b"})
    assert rows[0]["vs_b"] == 2.0  # the median of 2, 2, 2.2; the medians' ratio would say 2.2
    unpaired = summarise({"a": [2.0, 4.0, 3.0], "b": [1.0, 2.0]}, 1, {"b": "b"})
    assert unpaired[0]["vs_b"] == 3.0 / 1.5  # different round counts: the medians' ratio


def test_targets_are_checked_against_the_paired_ratios_and_absent_references_skipped():
    rows = summarise({"a": [0.9, 9.0, 1.1], "b": [1.0, 10.0, 1.0]}, 1, {"b": "b"})
    checked = check_targets(rows, [("a", "b", 1.0), ("b", "b", 0.5), ("a", "torch", 0.8)])
    assert [(t["name"], t["reference"], t["met"]) for t in checked] == [("a", "b", True), ("b", "b", False)]
    assert checked[0]["ratio"] == pytest.approx(0.9)
    text = format_targets(checked)
    assert "a ÷ b  0.90 ≤ 1.00  met" in text and "b ÷ b  1.00 ≤ 0.50  not met" in text
