"""``Parameter`` and ``Module``: the base every layer, loss-free container and model builds on.

A Module finds its parameters by walking what was assigned to it: assigning a
``Parameter`` registers it under the attribute name, assigning a ``Module``
registers a child. Reading a parameter back by name gives its current array and
``d<name>`` gives its gradient, the notation of CS231n and of the background notes::

    layer.W, layer.dW       # the very arrays held by layer.parameters()[0].data / .grad

Layers keep what backward needs in ``self._cache`` (STYLE.md, habit 3);
``_cached()`` fetches it and raises a clear error when ``forward`` never ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class Parameter:
    """A trainable array and its gradient, always of the same shape and dtype.

    Attributes:
        data: the current value, updated in place by optimizers.
        grad: ∂L/∂data, accumulated (``+=``) by ``backward`` and reset by ``zero_grad``.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray):
        self.data = np.ascontiguousarray(data)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Reset the gradient in place, so references held elsewhere stay valid."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer and container.

    Subclasses implement ``forward(x)`` and ``backward(dout)``; ``module(x)``
    calls ``forward``. Containers override ``children()`` when their children
    are not plain attributes.
    """

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.setdefault("_params", {})
        children = self.__dict__.setdefault("_children", {})
        if isinstance(value, Parameter):
            params[name] = value
            return
        if name in params:
            self._assign(name, params[name].data, value)
            return
        if name.startswith("d") and name[1:] in params:
            # `self.dW += …` rebinds dW to the very grad array it updated in place.
            if value is not params[name[1:]].grad:
                self._assign(name, params[name[1:]].grad, value)
            return
        if isinstance(value, Module):
            children[name] = value
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: parameters live in _params.
        params = self.__dict__.get("_params", {})
        if name in params:
            return params[name].data
        if name.startswith("d") and name[1:] in params:
            return params[name[1:]].grad
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _assign(self, name: str, target: np.ndarray, value) -> None:
        """``layer.W = array`` copies into the existing array, keeping it shared with optimizers."""
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(
                f"{self!r}: cannot assign {name} of shape {value.shape}, expected {target.shape}"
            )
        np.copyto(target, value, casting="same_kind")

    # ----------------------------------------------------------------- calling
    @property
    def training(self) -> bool:
        return self.__dict__.get("_training", True)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dout):
        """Return ∂L/∂x given dout = ∂L/∂(output); subclasses state their equations."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def _cached(self):
        """Return what ``forward`` stored for ``backward``, or explain why there is nothing."""
        cache = self.__dict__.get("_cache")
        if cache is None:
            raise RuntimeError(
                f"{self!r}.backward called before forward: run forward on a batch first"
            )
        return cache

    def _check_dout(self, dout, expected_shape: tuple) -> np.ndarray:
        dout = np.asarray(dout)
        if dout.shape != expected_shape:
            raise ValueError(
                f"{self!r}.backward: expected dout of shape {expected_shape} "
                f"(the shape of the forward output), got {dout.shape}"
            )
        return dout

    # -------------------------------------------------------------- parameters
    def children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, child)`` for each direct sub-module."""
        yield from self.__dict__.get("_children", {}).items()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, Parameter)`` for this module and its children, in order."""
        for name, param in self.__dict__.get("_params", {}).items():
            yield prefix + name, param
        for name, child in self.children():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """All parameters, in the order ``named_parameters`` gives them."""
        return [param for _, param in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for param in self.parameters():
            param.zero_grad()

    def num_parameters(self) -> int:
        return sum(param.size for param in self.parameters())

    def train(self, mode: bool = True) -> Module:
        """Put this module and all children in training mode (``mode=False``: evaluation)."""
        self.__dict__["_training"] = bool(mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's value, keyed by its dotted name."""
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Copy values from ``state`` into the parameters, strictly.

        Missing keys, unexpected keys and shape mismatches raise ``KeyError`` /
        ``ValueError`` naming them, and nothing is assigned unless everything fits.
        """
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for name, param in params.items():
            value = np.asarray(state[name])
            if value.shape != param.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name} has shape {value.shape}, "
                    f"expected {param.shape}"
                )
            if not np.can_cast(value.dtype, param.dtype, casting="same_kind"):
                raise TypeError(
                    f"{type(self).__name__}.load_state_dict: {name} has dtype {value.dtype}, "
                    f"expected {param.dtype}"
                )
        for name, param in params.items():
            np.copyto(param.data, state[name], casting="same_kind")

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Constructor arguments that rebuild this module's architecture (used by ``save``)."""
        return {}

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)
