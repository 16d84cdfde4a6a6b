"""Checks on a model file's records before anything is built from them.

A model file is JSON (the architecture, the metadata) beside arrays. The JSON is
trusted by nothing: ``check_architecture`` walks it without recursion and refuses
deep nesting, malformed entries and sizes the stored arrays cannot back (so a file
declaring ``out_features = 2,000,000`` is refused before a 6 GB weight matrix is
allocated); ``check_claimed`` holds the built model's parameters and buffers to
the stored arrays, both ways; ``check_finite`` refuses NaN/inf weights;
``check_metadata`` types the metadata that ``eval``/``predict`` read.
"""

from __future__ import annotations

import numbers

import numpy as np

from .npz import FileFormatError

MAX_DEPTH = 64  # nesting of containers; far above any real model, far below Python's recursion limit
MAX_MODULES = 100_000
# An integer constructor argument (a width, a feature count) above both this and the number
# of stored values cannot be backed by the file's arrays: refuse it before allocating.
SIZE_SLACK = 1 << 16


def _fail(path, reason: str) -> FileFormatError:
    return FileFormatError(f"cannot load {str(path)!r}: {reason}")


def check_architecture(spec, path, stored_values: int) -> None:
    """Refuse a malformed, too deep or oversized architecture record (iteratively)."""
    pending = [(spec, "architecture", 0)]
    count = 0
    while pending:
        node, where, depth = pending.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise _fail(path, f"the architecture nests deeper than {MAX_DEPTH} levels")
        if count > MAX_MODULES:
            raise _fail(path, f"the architecture has more than {MAX_MODULES} modules")
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise _fail(path, f"bad architecture record: {where} is not a module description")
        config, children = node.get("config", {}), node.get("children", [])
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise _fail(path, f"bad architecture record: {where} ({node['type']}) has a malformed config")
        if not isinstance(children, list):
            raise _fail(path, f"bad architecture record: {where} ({node['type']}) has malformed children")
        for key, value in config.items():
            _check_config_value(value, f"{where} ({node['type']}).{key}", path, stored_values)
        pending.extend((child, f"{where}.children[{i}]", depth + 1) for i, child in enumerate(children))


def _check_config_value(value, where: str, path, stored_values: int) -> None:
    if isinstance(value, float) and not np.isfinite(value):
        raise _fail(path, f"bad architecture record: {where} is {value}")
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > max(stored_values, SIZE_SLACK):
            raise _fail(path, f"{where} = {value} is far larger than the file's "
                              f"{stored_values} stored values can back (refused before allocating)")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_config_value(item, f"{where}[{i}]", path, stored_values)


def check_claimed(expected: dict[str, np.ndarray], arrays: dict, path) -> None:
    """Every stored array claimed by the architecture and every parameter/buffer found."""
    unclaimed = sorted(set(arrays) - set(expected))
    missing = sorted(set(expected) - set(arrays))
    if unclaimed:
        raise _fail(path, f"the architecture does not use the stored arrays (unexpected keys "
                          f"{unclaimed[:8]}{' …' if len(unclaimed) > 8 else ''}): "
                          "a layer was removed or changed")
    if missing:
        raise _fail(path, f"the architecture needs arrays the file lacks (missing keys "
                          f"{missing[:8]}{' …' if len(missing) > 8 else ''})")
    for name, target in expected.items():
        stored = arrays[name]
        if tuple(stored.shape) != tuple(target.shape):
            raise _fail(path, f"weights do not fit the architecture ({name} has shape "
                              f"{tuple(stored.shape)}, expected {tuple(target.shape)})")
        if stored.dtype != target.dtype:
            raise _fail(path, f"weights do not fit the architecture ({name} has dtype "
                              f"{stored.dtype}, expected {target.dtype})")


def check_finite(arrays: dict, path) -> None:
    """Weights and statistics must be finite numbers: a NaN model predicts nothing."""
    for name, array in arrays.items():
        if array.dtype.kind not in "fc":
            continue
        bad = np.size(array) - np.count_nonzero(np.isfinite(array))
        if bad:
            raise _fail(path, f"array {name!r} holds {bad} NaN/inf value(s)")


def _is_label(value) -> bool:
    return isinstance(value, (str, numbers.Real)) and not isinstance(value, bool)


def check_metadata(metadata, path) -> None:
    """The metadata keys ``eval``/``predict``/``train`` read must have the types they expect."""
    if not isinstance(metadata, dict):
        raise _fail(path, f"its metadata is a {type(metadata).__name__}, expected a JSON object")
    for key in ("classes", "class_names"):
        value = metadata.get(key)
        if value is not None and not (isinstance(value, list) and all(map(_is_label, value))):
            raise _fail(path, f"metadata {key!r} must be a list of class names, got {value!r:.80}")
    if "seed" in metadata:
        seed = metadata["seed"]
        if seed is not None and not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
            raise _fail(path, f"metadata 'seed' must be a non-negative integer, got {seed!r:.80}")
    for key in ("data", "model", "task"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            raise _fail(path, f"metadata {key!r} must be a string, got {value!r:.80}")
    norm = metadata.get("normalizer")
    if norm is not None:
        _check_normalizer(norm, path)


def _check_normalizer(norm, path) -> None:
    if not isinstance(norm, dict):
        raise _fail(path, f"metadata 'normalizer' must be an object, got {norm!r:.80}")
    for key in ("offset", "divisor"):
        value = norm.get(key)
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if value is None or array is None or not np.isfinite(array).all():
            raise _fail(path, f"metadata 'normalizer' needs finite numbers for {key!r}, got {value!r:.80}")
        if key == "divisor" and (array == 0).any():
            raise _fail(path, "metadata 'normalizer' divides by zero")
