"""The one exception the data package raises for unusable data."""

from __future__ import annotations


class DataError(ValueError):
    """A data file or data set that cannot be used as it is.

    Raised for missing, truncated, corrupted or inconsistent files and for unknown
    data-set names. The message always names the file (or data set) and what is
    wrong with it, e.g. ``train-labels-idx1-ubyte.gz: wrong magic number: expected
    0x00000801 (ubyte, 1-D), got 0x00000803 (ubyte, 3-D)``.

    It subclasses ``ValueError`` so code that already catches ``ValueError`` keeps
    working.
    """
