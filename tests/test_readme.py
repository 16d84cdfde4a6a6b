"""The README's Python code blocks run, in order, in one namespace (so the tour stays true)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_the_two_commands():
    text = README.read_text()
    assert 'pip install -e . && minidl train' in text
    assert 'pip install -e ".[test]" && pytest' in text


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = python_blocks()
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)


def _rows(text: str) -> list[list[str]]:
    """The check_module table's rows without the three error columns (rounding noise of
    ~1e-11 whose digits differ between BLAS builds); names, shapes, the worst index, the
    gradient values there and the verdicts stay."""
    rows = []
    for line in text.strip().splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        rows.append(cells[:2] + cells[5:] if len(cells) == 9 else cells)
    return rows


def test_readme_check_module_table_is_what_the_tour_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in python_blocks():
        capsys.readouterr()
        exec(compile(block, str(README), "exec"), namespace)
        if "check_module(layer" in block:
            printed = capsys.readouterr().out
            break
    shown = re.search(r"which prints\n\n```text\n(.*?)```", README.read_text(), flags=re.S)[1]
    assert _rows(printed) == _rows(shown)
    assert printed.splitlines()[0] == shown.splitlines()[0]
