"""``minidl bench``: it runs and prints its tables (never a timing assertion)."""

import json

import pytest

from minidl.bench.runner import format_table, interleave, summarise
from minidl.cli import main


def test_bench_quick_prints_the_tables(capsys):
    assert main(["bench", "--quick", "--synthetic", "--no-torch", "--hidden", "32"]) == 0
    out = capsys.readouterr().out
    for text in ("one training epoch", "layer", "engine", "gemm", "× gemm", "micrograd demo",
                 "scalar ÷ this", "memory at batch size 128", "peak RSS"):
        assert text in out


def test_bench_json(capsys):
    assert main(["bench", "--quick", "--synthetic", "--no-torch", "--hidden", "16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in result["epoch"]} == {"layer", "engine", "gemm"}
    assert all(r["median_s"] > 0 and "vs_gemm" in r for r in result["epoch"])
    assert result["machine"]["blas"] and result["setup"]["sizes"] == [784, 16, 10]


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
