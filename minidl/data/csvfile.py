"""CSV data sets: a label column followed by numeric feature columns, optional header row.

Parsing uses numpy's C reader (integers first: faster than floats, and pixel
tables are integers); only when it refuses the file does a slow pass with
the ``csv`` module look for the offending line and column to name in the error.
Line numbers count physical lines of the file, starting at 1.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError


@dataclass(frozen=True)
class Table:
    """Features and labels read from one CSV file.

    Attributes:
        x: (N, D) features, int64 when every value is an integer, else float64.
        labels: (N,) the label column: numbers (int64 or float64) when every label
            is a number, else text.
        first_line: the line of the file holding sample 0 (for messages).
        columns: column names from the header row, or None without one.
    """

    x: np.ndarray
    labels: np.ndarray
    first_line: int
    columns: list[str] | None


def read_csv(path) -> Table:
    """Read a CSV table whose first column is the label and the others numeric features.

    A header row is recognised by its text: it is a header when the columns that
    do not parse as numbers differ from those of the next row (so ``label,x1,x2``
    over numeric rows is a header, while ``setosa,5.1,3.5`` over the same kind of
    rows is data with text labels).

    Args:
        path: the CSV file (comma-separated, UTF-8, optionally with a BOM).

    Returns:
        A :class:`Table`.

    Raises:
        DataError: an empty file, fewer than two columns, a header without rows, a
            row with the wrong number of columns, or a non-numeric, empty or
            non-finite feature, each naming the line (and column).

    Example:
        >>> table = read_csv("iris.csv")
        >>> table.x.shape, table.labels[:2]
        ((150, 4), array(['setosa', 'setosa'], dtype='<U10'))
    """
    path = Path(path)
    head = _first_rows(path, 2)
    if not head:
        raise DataError(f"{path}: empty file")
    header = len(head) == 2 and _text_columns(head[0]) != _text_columns(head[1])
    header = header or (len(head) == 1 and bool(_text_columns(head[0]) - {0}))
    columns = [c.strip() for c in head[0]] if header else None
    width = len(head[0])
    if width < 2:
        raise DataError(f"{path}: expected a label column and at least one feature column, got 1")
    if header and len(head) == 1:
        raise DataError(f"{path}: no data rows, only a header")
    first_line = 2 if header else 1
    x, labels = _parse(path, first_line, width, columns)
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        row, col = (int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(
            f"{path}, line {first_line + row}, {_column(col + 1, columns)}: value {x[row, col]} "
            "is not finite; features must be finite numbers"
        )
    return Table(x, labels, first_line, columns)


def _parse(path: Path, first_line: int, width: int, columns) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) by the fastest numpy parse that accepts the file."""
    options = dict(
        delimiter=",", skiprows=first_line - 1, quotechar='"', comments=None, encoding="utf-8-sig"
    )
    for dtype in (np.int64, np.float64):  # all-numeric files: one pass, labels included
        try:
            table = np.loadtxt(path, dtype=dtype, ndmin=2, **options)
        except ValueError:
            continue
        if table.shape[1] == width:
            return table[:, 1:], table[:, 0]
    try:  # text labels: features and labels separately
        x = np.loadtxt(path, usecols=range(1, width), dtype=np.float64, ndmin=2, **options)
        labels = np.loadtxt(path, usecols=0, dtype=str, ndmin=1, **options)
    except ValueError as err:
        _diagnose(path, first_line, width, columns)
        raise DataError(f"{path}: {err}") from None
    return x, np.char.strip(labels)


def _first_rows(path: Path, count: int) -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = []
            for row in csv.reader(handle):
                if row:
                    rows.append(row)
                if len(rows) == count:
                    break
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path}: cannot read as UTF-8 CSV: {err}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text_columns(row: list[str]) -> set[int]:
    return {i for i, field in enumerate(row) if not _is_number(field)}


def _column(index: int, columns: list[str] | None) -> str:
    """'column 3' or 'column 3 (petal_length)' for the 0-based ``index``."""
    name = f" ({columns[index]})" if columns and index < len(columns) else ""
    return f"column {index + 1}{name}"


def _diagnose(path: Path, first_line: int, width: int, columns: list[str] | None) -> None:
    """Find the first malformed row and raise a DataError naming its line and column.

    Only runs after numpy's fast parser has refused the file, to turn its message
    into one that points at the cell.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if line < first_line or not row:
                continue
            if len(row) != width:
                raise DataError(f"{path}, line {line}: expected {width} columns, got {len(row)}")
            for index in range(1, width):
                if not _is_number(row[index]):
                    what = "empty" if not row[index].strip() else f"{row[index]!r} is not a number"
                    raise DataError(f"{path}, line {line}, {_column(index, columns)}: {what}")


def csv_label_ids(
    path_and_tables: list[tuple[Path, Table]],
) -> tuple[list[np.ndarray], list[str] | None]:
    """Turn the label columns of one or more CSV tables into int64 class ids.

    Numeric labels are class ids and must be non-negative integers (``3`` or
    ``3.0``). Text labels (``setosa``) become ids in sorted order over all the
    tables, which also gives the class names. Mixing the two is refused, because a
    stray word among numeric labels is a corrupt file, not a new class.

    Args:
        path_and_tables: ``[(path, table), ...]`` read by :func:`read_csv`.

    Returns:
        ``(ids, class_names)``: one (N,) int64 array per table, and the sorted
        text labels, or None for numeric labels.

    Raises:
        DataError: an empty, fractional, negative or non-finite label, or numbers
            mixed with text, naming the file and line.

    Example:
        >>> ids, names = csv_label_ids([(path, read_csv(path))])
    """
    if all(t.labels.dtype.kind in "iuf" for _, t in path_and_tables):
        return [_numeric_ids(path, table) for path, table in path_and_tables], None
    for path, table in path_and_tables:
        if table.labels.dtype.kind in "iuf":
            raise DataError(
                f"{path}: labels are numbers while other files have text labels; "
                "labels must be all class ids or all class names"
            )
        empty = np.flatnonzero(table.labels == "")
        if empty.size:
            raise DataError(f"{path}, line {table.first_line + empty[0]}: empty label")
        numeric = np.array([_is_number(v) for v in table.labels])
        if numeric.any():
            # Blame the minority: one word among digits, or one number among words.
            odd = ~numeric if 2 * numeric.sum() > len(numeric) else numeric
            row = int(np.flatnonzero(odd)[0])
            kind = "is a number, but most labels are not"
            if not numeric[row]:
                kind = "is not a number, but most labels are"
            raise DataError(
                f"{path}, line {table.first_line + row}: label {str(table.labels[row])!r} {kind}; "
                "labels must be all class ids or all class names"
            )
    names = sorted(set().union(*(set(t.labels.tolist()) for _, t in path_and_tables)))
    lookup = {name: i for i, name in enumerate(names)}
    ids = [np.array([lookup[v] for v in t.labels], dtype=np.int64) for _, t in path_and_tables]
    return ids, names


def _numeric_ids(path: Path, table: Table) -> np.ndarray:
    values = table.labels
    bad = values < 0
    if values.dtype.kind == "f":
        bad |= ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}, line {table.first_line + row}: label {values[row].item()} "
            "is not a class id (a non-negative integer)"
        )
    return values.astype(np.int64)
