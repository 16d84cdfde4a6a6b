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

from .checks import FLOAT32_MAX
from .errors import DataError

MAX_CLASS_ID = 2**31 - 1
DELIMITERS = (",", ";", "\t", "|")


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


def read_csv(path, label_column: int | str = 0) -> Table:
    """Read a CSV table: one label column (the first by default) and numeric feature columns.

    A header row is recognised by its text: it is a header when the columns that
    do not parse as numbers differ from those of the next row (so ``label,x1,x2``
    over numeric rows is a header, while ``setosa,5.1,3.5`` over the same kind of
    rows is data with text labels).

    The delimiter is the comma unless the first line has none and holds a ``;``, a tab
    or a ``|`` (the first of those found), as spreadsheets in many locales write.

    Args:
        path: the CSV file (UTF-8, optionally with a BOM).
        label_column: which column holds the labels: an index (``-1``: the last) or,
            for a file with a header row, the column's name.

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
    delimiter = _delimiter(path)
    head = _first_rows(path, 2, delimiter)
    if not head:
        raise DataError(f"{path}: empty file")
    width = len(head[0])
    if width < 2:
        seen = "" if delimiter == "," else f" (delimiter {delimiter!r} detected)"
        raise DataError(f"{path}: expected a label column and at least one feature column, got 1 "
                        f"column{seen}; minidl reads files separated by one of "
                        f"{', '.join(repr(d) for d in DELIMITERS)}")
    header = len(head) == 2 and _text_columns(head[0]) != _text_columns(head[1])
    header = header or (len(head) == 1 and bool(_text_columns(head[0]) - {0}))
    columns = [c.strip() for c in head[0]] if header else None
    label = _label_index(path, label_column, width, columns)
    if header and len(head) == 1:
        raise DataError(f"{path}: no data rows, only a header")
    first_line = 2 if header else 1
    try:
        x, labels = _parse(path, first_line, width, columns, delimiter, label)
    except UnicodeDecodeError as err:
        raise DataError(f"{path}, line {_line_of_byte(path)}: not UTF-8 text ({err.reason}); "
                        "save the file as UTF-8") from None
    features = [i for i in range(width) if i != label]
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        row, col = (int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(
            f"{path}, line {first_line + row}, {_column(features[col], columns)}: value {x[row, col]} "
            "is not finite; features must be finite numbers"
        )
    if x.dtype.kind == "f" and (np.abs(x) > FLOAT32_MAX).any():
        row, col = (int(i) for i in np.argwhere(np.abs(x) > FLOAT32_MAX)[0])
        raise DataError(
            f"{path}, line {first_line + row}, {_column(features[col], columns)}: value {x[row, col]:.4g} "
            f"overflows float32 (largest {FLOAT32_MAX:.3g}), the dtype training runs in; rescale that column"
        )
    return Table(x, labels, first_line, columns)


def _delimiter(path: Path) -> str:
    """``,`` unless the first line has none but holds another of ``DELIMITERS``."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            first = next((line for line in handle if line.strip()), "")
    except OSError as err:
        raise DataError(f"{path}: cannot read: {err.strerror or err}") from None
    if "," in first:
        return ","
    return next((d for d in DELIMITERS[1:] if d in first), ",")


def _label_index(path: Path, label_column, width: int, columns) -> int:
    if isinstance(label_column, str) and not label_column.lstrip("-").isdigit():
        if columns is None or label_column not in columns:
            known = "columns: " + ", ".join(columns) if columns else "the file has no header row"
            raise DataError(f"{path}: no column named {label_column!r} for the labels ({known})")
        return columns.index(label_column)
    index = int(label_column)
    if not -width <= index < width:
        raise DataError(f"{path}: label column {index} does not exist (the file has {width} columns)")
    return index % width


def _line_of_byte(path: Path) -> int:
    """The 1-based line holding the first byte that is not UTF-8."""
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return line
    return 1


def _parse(path: Path, first_line: int, width: int, columns,
           delimiter: str = ",", label: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) by the fastest numpy parse that accepts the file."""
    options = dict(
        delimiter=delimiter, skiprows=first_line - 1, quotechar='"', comments=None, encoding="utf-8-sig"
    )
    for dtype in (np.int64, np.float64):  # all-numeric files: one pass, labels included
        try:
            table = np.loadtxt(path, dtype=dtype, ndmin=2, **options)
        except ValueError as err:
            if isinstance(err, UnicodeDecodeError):
                raise
            continue
        if table.shape[1] == width:
            return np.delete(table, label, axis=1), table[:, label]
    # Not all numbers: text labels, or a malformed row. Name a malformed row first, because
    # numpy's text-label parse would silently ignore extra columns.
    _diagnose(path, first_line, width, columns, delimiter, label)
    try:  # text labels: features and labels separately
        features = [i for i in range(width) if i != label]
        x = np.loadtxt(path, usecols=features, dtype=np.float64, ndmin=2, **options)
        labels = np.loadtxt(path, usecols=label, dtype=str, ndmin=1, **options)
    except ValueError as err:
        raise DataError(f"{path}: {err}") from None
    return x, np.char.strip(labels)


def _first_rows(path: Path, count: int, delimiter: str = ",") -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = []
            for row in csv.reader(handle, delimiter=delimiter):
                if row:
                    rows.append(row)
                if len(rows) == count:
                    break
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path}: cannot read as UTF-8 CSV: {err}") from None


def is_number(text: str) -> bool:
    """Whether a CSV field reads as a number (``1_0`` does not, though Python's float takes it)."""
    if "_" in text:  # Python's float() reads "1_0" as 10; no CSV writer means that
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text_columns(row: list[str]) -> set[int]:
    return {i for i, field in enumerate(row) if not is_number(field)}


def _column(index: int, columns: list[str] | None) -> str:
    """'column 3' or 'column 3 (petal_length)' for the 0-based ``index``."""
    name = f" ({columns[index]})" if columns and index < len(columns) else ""
    return f"column {index + 1}{name}"


def _diagnose(path: Path, first_line: int, width: int, columns: list[str] | None,
              delimiter: str = ",", label: int = 0) -> None:
    """Find the first malformed row and raise a DataError naming its line and column.

    Only runs after numpy's fast parser has refused the file, to turn its message
    into one that points at the cell.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            if line < first_line or not row:
                continue
            if len(row) != width:
                hint = " (a trailing comma?)" if len(row) == width + 1 and not row[-1].strip() else ""
                raise DataError(f"{path}, line {line}: expected {width} columns, got {len(row)} "
                                f"(the first row has {width}){hint}")
            for index in range(width):
                if index != label and not is_number(row[index]):
                    what = "empty" if not row[index].strip() else f"{row[index]!r} is not a number"
                    if index == width - 1 and not row[index].strip():
                        what += " (every row ends with a comma? remove the trailing commas)"
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
        numeric = np.array([is_number(v) for v in table.labels])
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
    huge = np.abs(values) > MAX_CLASS_ID
    if huge.any():
        row = int(np.flatnonzero(huge)[0])
        raise DataError(f"{path}, line {table.first_line + row}: label {values[row].item():g} is far "
                        "too large to be a class id")
    bad = values < 0
    if values.dtype.kind == "f":
        bad |= ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        last = table.x[:, -1]
        hint = ""
        if np.array_equal(last, np.round(last)) and (last >= 0).all():
            hint = ("; the last column holds whole numbers — if it is the label, pass "
                    "label_column=-1 (minidl train --label-column -1)")
        raise DataError(
            f"{path}, line {table.first_line + row}: label {values[row].item()} "
            f"is not a class id (a non-negative integer){hint}"
        )
    return values.astype(np.int64)
