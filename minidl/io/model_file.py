"""``save(model, path)`` / ``load(path)``: a model's architecture and weights in one ``.npz``.

The architecture is JSON (each module's type name, constructor arguments and
children); the weights and buffers (BatchNorm's running statistics) are plain
arrays. ``load`` rebuilds the module tree from the JSON, validates every array's
name, shape and dtype against it, and only then assigns — a bad file raises one
``FileFormatError`` and builds nothing.
"""

from __future__ import annotations

import numpy as np

from .. import nn  # noqa: F401  (importing the layers registers the built-in module types)
from ..nn.module import Module
from ..nn.registry import is_registered, registered_module, registered_names
from .npz import FileFormatError, read_npz, write_npz
from .validate import MAX_DEPTH, check_architecture, check_claimed, check_finite, check_metadata


def architecture(module: Module, depth: int = 0) -> dict:
    """A JSON-ready description of ``module``: type, constructor config and children."""
    name = type(module).__name__
    if depth > MAX_DEPTH:  # load refuses such files, so save does not write them
        raise ValueError(f"save: the model nests containers deeper than {MAX_DEPTH} levels; "
                         "minidl model files stop there")
    if not is_registered(module):
        raise TypeError(
            f"save: cannot describe {name}: it is not a registered module type. Decorate the class "
            f"with @minidl.register_module (registered now: {', '.join(registered_names())})"
        )
    return {"type": name, "config": module.get_config(),
            "children": [architecture(child, depth + 1) for _, child in module.children()]}


def build(spec: dict) -> Module:
    """Rebuild a module tree from ``architecture``'s description (weights uninitialised)."""
    cls = registered_module(spec["type"])
    if cls is None:
        raise ValueError(
            f"unknown module type {spec['type']!r}: loading never imports code, so a custom layer "
            f"must be registered in this process (@minidl.register_module, or --import FILE.py "
            f"on the command line)"
        )
    children = [build(child) for child in spec.get("children", [])]
    return cls(*children, **spec.get("config", {}))


def save(model: Module, path, metadata: dict | None = None) -> None:
    """Write ``model``'s architecture and weights to ``path`` (an ``.npz``), atomically.

    ``metadata`` (JSON-serialisable) travels with the model, e.g. the data it was
    trained on; ``load_with_metadata`` returns it. ``model.classes``, when set, is
    saved too and set again by ``load``.

    Example:
        >>> save(model, "model.npz"); same = load("model.npz")
    """
    metadata = dict(metadata or {})
    if model.classes is not None:
        metadata["classes"] = [c.item() if hasattr(c, "item") else c for c in model.classes]
    record = {"kind": "model", "architecture": architecture(model), "metadata": metadata}
    write_npz(path, record, model.state_dict())


def load(path) -> Module:
    """Read a model written by ``save``; raises ``FileFormatError`` naming the file if it
    is truncated, corrupted, foreign or inconsistent. Never unpickles."""
    return load_with_metadata(path)[0]


def load_with_metadata(path) -> tuple[Module, dict]:
    """Like ``load``, also returning the ``metadata`` dict given to ``save``."""
    meta, arrays = read_npz(path, check=lambda meta: _check_model_record(meta, path))
    model, metadata = model_from_record(meta, arrays, path), meta.get("metadata", {})
    if isinstance(metadata, dict) and isinstance(metadata.get("classes"), list):
        model.classes = metadata["classes"]
    return model, metadata


def _check_model_record(meta: dict, path) -> None:
    """Before any array is read: a model file, sane architecture and metadata."""
    if meta.get("kind") != "model":
        raise FileFormatError(
            f"cannot load {str(path)!r}: it holds a {meta.get('kind')!r}, not a model"
        )
    check_architecture(meta.get("architecture"), path, stored_values(meta))
    check_metadata(meta.get("metadata", {}), path)


def stored_values(meta: dict) -> int:
    """How many numbers the file's arrays hold, from their declared shapes."""
    total = 0
    for info in meta["arrays"].values():
        shape = info.get("shape")
        if isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape):
            total += int(np.prod(shape, dtype=np.float64))
    return total


def model_from_record(meta: dict, arrays: dict, path) -> Module:
    """Build the model described by ``meta["architecture"]`` and load ``arrays`` into it
    (every array claimed, every parameter found, all finite: ``minidl.io.validate``)."""
    check_architecture(meta.get("architecture"), path, sum(np.size(a) for a in arrays.values()))
    try:
        model = build(meta["architecture"])
    except (KeyError, TypeError, ValueError, MemoryError) as err:  # MemoryError: absurd sizes
        raise FileFormatError(
            f"cannot load {str(path)!r}: bad architecture record ({err})"
        ) from None
    expected = {name: param.data for name, param in model.named_parameters()}
    expected.update(model.named_buffers())
    check_claimed(expected, arrays, path)
    check_finite(arrays, path)
    try:
        model.load_state_dict(arrays)
    except (KeyError, ValueError, TypeError) as err:
        raise FileFormatError(
            f"cannot load {str(path)!r}: weights do not fit the architecture ({err})"
        ) from None
    return model
