"""``Parameter`` and ``Module``: the base every layer, loss-free container and model builds on.

A Module finds its parameters by walking what was assigned to it: assigning a
``Parameter`` registers it under the attribute name, assigning a ``Module``
registers a child. Reading a parameter back by name gives its current array and
``d<name>`` gives its gradient, the notation of CS231n and of the background notes::

    layer.W, layer.dW       # the very arrays held by layer.parameters()[0].data / .grad

Non-trainable state (BatchNorm's running statistics) lives in *buffers*, made
with ``register_buffer``: read back by name like a parameter, saved by
``state_dict``, but never returned by ``parameters()`` — so no optimizer touches it.

Layers keep what backward needs in ``self._cache`` (STYLE.md, habit 3);
``_cached()`` fetches it and raises a clear error when ``forward`` never ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


class Parameter:
    """A trainable array and its gradient, always of the same shape and dtype.

    Attributes:
        data: the current value, updated in place by optimizers.
        grad: ∂L/∂data, accumulated (``+=``) by ``backward`` and reset by ``zero_grad``.
    """

    __slots__ = ("data", "_grad", "_grad_zero_pending")

    def __init__(self, data: np.ndarray):
        self.data = np.ascontiguousarray(data)
        self._grad = np.zeros_like(self.data)
        self._grad_zero_pending = False

    @property
    def grad(self) -> np.ndarray:
        self.settle_grad()
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        """``p.grad = g`` copies into the existing array: optimizers and layers keep theirs."""
        if value is self._grad:  # `p.grad += g` and `p.grad *= s` end by assigning the same array
            return
        if value is None:
            raise TypeError("Parameter.grad cannot be None: each parameter keeps one gradient array "
                            "(zero_grad(lazy=True) gives the saving of PyTorch's set_to_none)")
        value = np.asarray(value)
        if value.shape != self._grad.shape:
            raise ValueError(f"Parameter: cannot set a gradient of shape {value.shape} on a "
                             f"parameter of shape {self._grad.shape}")
        np.copyto(self._grad, value, casting="same_kind")
        self._grad_zero_pending = False

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self, lazy: bool = False) -> None:
        """Reset the gradient in place, so references held elsewhere stay valid.

        With ``lazy=True`` the zeros are written only when needed: the next backward
        that uses :meth:`grad_slot` writes its gradient straight into the array (no
        zero pass, no add pass: PyTorch's ``set_to_none`` saving), and reading ``.grad``
        first fills it with zeros. Only an array fetched *before* the call and read
        directly afterwards would still show the old values: the training loop, which
        holds none, uses it.
        """
        if lazy:
            self._grad_zero_pending = True
        else:
            self._grad.fill(0)
            self._grad_zero_pending = False

    def raw_grad(self) -> np.ndarray:
        """The gradient array as it is, without writing a pending lazy zero (for code that
        arranges memory, like the optimizers' blocks; everyone else reads ``.grad``)."""
        return self._grad

    def settle_grad(self) -> None:
        """Write the zeros a lazy ``zero_grad`` left pending (reading ``.grad`` does this too)."""
        if self._grad_zero_pending:
            self._grad.fill(0)
            self._grad_zero_pending = False

    def move_to(self, data: np.ndarray, grad: np.ndarray) -> None:
        """Keep the value and gradient in ``data`` and ``grad`` from now on (copied in first):
        how ``Module.flatten_parameters`` puts all of a model's parameters side by side."""
        if data.shape != self.data.shape or grad.shape != self.data.shape \
                or data.dtype != self.dtype or grad.dtype != self.dtype:
            raise ValueError(f"Parameter.move_to: expected arrays of shape {self.data.shape} and dtype "
                             f"{self.dtype}, got {data.shape} {data.dtype} and {grad.shape} {grad.dtype}")
        data[...] = self.data
        grad[...] = self.grad
        self.data, self._grad = data, grad

    def grad_slot(self, scratch: np.ndarray) -> np.ndarray:
        """Where a backward should write its gradient term for this parameter.

        The gradient array itself while a lazy ``zero_grad`` is pending (the term *is*
        the new gradient), otherwise ``scratch``; hand the result to :meth:`add_grad`.
        """
        return self._grad if self._grad_zero_pending else scratch

    def add_grad(self, term: np.ndarray) -> None:
        """``grad += term`` — or, for a term written into the slot :meth:`grad_slot` gave,
        just mark the gradient current."""
        if term is self._grad:
            self._grad_zero_pending = False
        else:
            grad = self.grad
            grad += term

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer and container.

    Subclasses implement ``forward(x)`` and ``backward(dout)``; ``module(x)``
    calls ``forward``. Containers override ``children()`` when their children
    are not plain attributes.
    """

    def __setattr__(self, name: str, value) -> None:
        plain = self.__dict__
        if name in plain and not isinstance(value, (Parameter, Module)) \
                and name not in plain.get("_children", ()):
            plain[name] = value  # an ordinary attribute set again (`self._cache = x`, every step)
            return
        params = self.__dict__.setdefault("_params", {})
        children = self.__dict__.setdefault("_children", {})
        buffers = self.__dict__.get("_buffers", {})
        if isinstance(value, Parameter):
            plain.pop(name, None)  # an attribute or child of that name would hide the parameter
            children.pop(name, None)
            params[name] = value
            return
        if name in params:
            self._assign(name, params[name].data, value)
            return
        if name in buffers:
            # `self.running_mean *= …` rebinds the name to the very array it updated in place.
            if value is not buffers[name]:
                self._assign(name, buffers[name], value)
            return
        if name.startswith("d") and name[1:] in params:
            # `self.dW += …` rebinds dW to the very grad array it updated in place.
            if value is not params[name[1:]].grad:
                self._assign(name, params[name[1:]].grad, value)
            return
        if isinstance(value, Module):
            children[name] = value
        else:
            children.pop(name, None)  # `self.act = None` removes a child
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: parameters live in _params.
        params = self.__dict__.get("_params", {})
        if name in params:
            return params[name].data
        if name.startswith("d") and name[1:] in params:
            return params[name[1:]].grad
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            return buffers[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _assign(self, name: str, target: np.ndarray, value) -> None:
        """``layer.W = array`` copies into the existing array, keeping it shared with optimizers
        (and a buffer's array shared with whoever holds it)."""
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

    def backward_params(self, dout) -> None:
        """Accumulate the parameter gradients only, when ∂L/∂x is not needed (x is data).

        The default runs ``backward`` and drops ∂L/∂x; a layer that can skip that
        work (``Dense``: one GEMM per step) overrides this.
        """
        self.backward(dout)

    # --------------------------------------------------------------- workspace
    def use_workspace(self, enabled: bool = True) -> Module:
        """Let this module and its children reuse their output arrays from step to step.

        With the workspace on, ``forward`` and ``backward`` write into arrays kept
        from the previous call of the same shape instead of allocating new ones
        (the training loop turns it on: it saves the allocation and page-faulting
        of every intermediate array). The price: an array a module returned is
        overwritten by its next call — so it is off by default, and turning it off
        frees the arrays. The numbers computed are the same either way.
        """
        if enabled:
            self.__dict__.setdefault("_workspace", {})  # present exactly while reuse is on
        else:
            self.__dict__.pop("_workspace", None)
        for _, child in self.children():
            child.use_workspace(enabled)
        return self

    def _array(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An uninitialised array to write a result into: the workspace's when reuse is on."""
        workspace = self.__dict__.get("_workspace")
        if workspace is None:
            return np.empty(shape, dtype)
        array = workspace.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = workspace[name] = np.empty(shape, dtype)
        return array

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

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted_name, module)`` for this module (name ``""``) and every descendant."""
        yield prefix.rstrip("."), self
        for name, child in self.children():
            yield from child.named_modules(prefix + name + ".")

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, Parameter)`` for this module and its children, in order."""
        for name, param in self.__dict__.get("_params", {}).items():
            yield prefix + name, param
        for name, child in self.children():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """All parameters, in the order ``named_parameters`` gives them, each once (a parameter
        shared by two layers is listed where it first appears, so it is updated once)."""
        return list(dict.fromkeys(param for _, param in self.named_parameters()))

    def flatten_parameters(self) -> Module:
        """Put every parameter's value side by side in one array, and every gradient in another.

        Each Parameter keeps its values and becomes a view into the shared arrays (one pair
        per dtype), so an optimizer built afterwards updates all of them with a few numpy
        calls per step instead of a few per parameter (``minidl.optim``); nothing else
        changes. An array fetched before the call (``w = layer.W``) is no longer the
        parameter's own: call it first, as ``mlp()`` does. Returns ``self``.
        """
        by_dtype: dict[np.dtype, list[Parameter]] = {}
        for param in self.parameters():  # each once: a shared parameter moves once
            by_dtype.setdefault(param.dtype, []).append(param)
        for dtype, params in by_dtype.items():
            total = sum(p.size for p in params)
            data, grad = np.empty(total, dtype), np.empty(total, dtype)
            offset = 0
            for p in params:
                end = offset + p.size
                p.move_to(data[offset:end].reshape(p.shape), grad[offset:end].reshape(p.shape))
                offset = end
        return self

    def register_buffer(self, name: str, array) -> None:
        """Keep ``array`` as non-trainable state under ``name`` (e.g. a running mean).

        ``self.<name>`` reads it, ``self.<name> = value`` copies into it in place;
        ``state_dict`` saves it and ``load_state_dict`` restores it, but
        ``parameters()`` never lists it, so optimizers and ``zero_grad`` leave it alone.

        Example:
            >>> self.register_buffer("running_mean", np.zeros(64))
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{type(self).__name__}.register_buffer: invalid name {name!r}")
        taken = name in self.__dict__ or name in self.__dict__.get("_params", {})
        if taken or hasattr(type(self), name):  # a method or property would shadow the buffer
            raise ValueError(f"{type(self).__name__}.register_buffer: {name!r} is already "
                             "an attribute or parameter")
        self.__dict__.setdefault("_buffers", {})[name] = np.ascontiguousarray(array)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(dotted_name, array)`` for every buffer of this module and its children."""
        for name, array in self.__dict__.get("_buffers", {}).items():
            yield prefix + name, array
        for name, child in self.children():
            yield from child.named_buffers(prefix + name + ".")

    def buffers(self) -> list[np.ndarray]:
        """All buffers, in the order ``named_buffers`` gives them."""
        return [array for _, array in self.named_buffers()]

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
    def _named_state(self) -> dict[str, np.ndarray]:
        """The live arrays ``state_dict`` saves: every parameter's value, then every buffer."""
        state = {name: param.data for name, param in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's value and every buffer, keyed by its dotted name."""
        return {name: array.copy() for name, array in self._named_state().items()}

    def load_state_dict(self, state: dict) -> None:
        """Copy values from ``state`` into the parameters and buffers, strictly.

        Missing keys, unexpected keys and shape mismatches raise ``KeyError`` /
        ``ValueError`` naming them, and nothing is assigned unless everything fits.
        """
        targets = self._named_state()
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name} has shape {value.shape}, "
                    f"expected {target.shape}"
                )
            if not np.can_cast(value.dtype, target.dtype, casting="same_kind"):
                raise TypeError(
                    f"{type(self).__name__}.load_state_dict: {name} has dtype {value.dtype}, "
                    f"expected {target.dtype}"
                )
        for name, target in targets.items():
            np.copyto(target, state[name], casting="same_kind")

    def rng_states(self) -> dict:
        """``{dotted name: RNG state}`` of every sub-module that draws random numbers (Dropout)."""
        return {name: m.rng_state() for name, m in self.named_modules() if hasattr(m, "rng_state")}

    def set_rng_states(self, states: dict) -> None:
        """Put back what ``rng_states`` returned: random layers continue exactly from there."""
        modules = dict(self.named_modules())
        for name, state in states.items():
            modules[name].set_rng_state(state)

    @contextmanager
    def undisturbed(self):
        """Forward passes inside this block leave no trace on the module.

        On exit the buffers (running statistics), the random layers' RNG states, every
        forward cache and every train/eval flag are what they were on entry — for
        measuring (memory, shapes) and checking code that must not change a model. Inside
        it the workspace is set aside, so arrays returned before stay intact.
        """
        modules = [m for _, m in self.named_modules()]
        buffers = [(array, array.copy()) for array in self.buffers()]
        rng = self.rng_states()
        saved = [(m, m.__dict__.get("_cache"), m.training, m.__dict__.pop("_workspace", None))
                 for m in modules]
        try:
            yield self
        finally:
            for array, values in buffers:
                array[...] = values
            self.set_rng_states(rng)
            for m, cache, training, workspace in saved:
                m.__dict__["_cache"], m.__dict__["_training"] = cache, training
                if workspace is None:
                    m.__dict__.pop("_workspace", None)
                else:
                    m.__dict__["_workspace"] = workspace

    def memory_report(self, batch_size: int, **kwargs):
        """Bytes cached for backward per layer at ``batch_size``, parameters, gradients
        (and optimizer state with ``optimizer=``); see ``minidl.memory.memory_report``."""
        from .memory import memory_report

        return memory_report(self, batch_size, **kwargs)

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
