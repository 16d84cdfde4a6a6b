"""``Parameter`` and ``Module``: the base every layer, container and model builds on.

A Module finds its parameters and children by what is assigned to it: assigning a
``Parameter`` registers it under the attribute name, assigning a ``Module`` registers a
child. Reading a parameter back gives its current array, and ``d<name>`` its gradient —
the notation of CS231n and of the background notes::

    layer.W, layer.dW       # the arrays held by layer.parameters()[0].data / .grad
    self.dW += x.T @ dout   # in a backward: accumulates into the gradient, in place

Non-trainable state (BatchNorm's running statistics) lives in *buffers*
(``register_buffer``): read back by name, saved by ``state_dict``, never listed by
``parameters()``, so no optimizer touches them.

What ``forward`` keeps for ``backward`` goes in ``self.cache``; ``self.cached()`` returns
it, or raises a clear error when ``forward`` never ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import prediction, summary


class Parameter:
    """A trainable array ``data`` and its gradient ``grad`` (∂L/∂data), same shape and dtype.

    Backward passes add into ``grad``; ``zero_grad`` resets it in place; optimizers
    update ``data`` in place.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray):
        self.data = np.ascontiguousarray(data)
        self.grad = np.zeros_like(self.data)

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def zero_grad(self) -> None:
        """Set the gradient to zero in place (arrays held elsewhere stay valid)."""
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer and container.

    Subclasses implement ``forward(x)`` (storing what backward needs in ``self.cache``)
    and ``backward(dout)`` (returning ∂L/∂x and adding each parameter's gradient into
    ``self.d<name>``). ``module(x)`` calls ``forward`` and then any forward hooks.

    Naming: a ``Parameter`` assigned as ``self.W`` is read back as ``self.W`` (its array)
    and its gradient as ``self.dW``; ``self.W = array`` copies into the parameter's array.
    """

    cache = None  # what forward kept for backward; None until forward runs
    # Counts, over all modules, every Parameter or child registered or removed and every
    # forward hook added or taken off: a planned step compares one number per step instead
    # of walking the model (containers that keep their children in a list, as Sequential
    # does, are compared by the plan itself).
    generation = 0

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.setdefault("_params", {})
        children = self.__dict__.setdefault("_children", {})
        buffers = self.__dict__.setdefault("_buffers", {})
        if isinstance(value, Parameter):
            Module.generation += 1
            self.__dict__.pop(name, None)  # an attribute or child of that name would hide it
            children.pop(name, None)
            params[name] = value
        elif name in params:
            self._copy_into(name, params[name].data, value)
        elif name.startswith("d") and name[1:] in params:
            self._copy_into(name, params[name[1:]].grad, value)  # `self.dW += …` lands here
        elif name in buffers:
            self._copy_into(name, buffers[name], value)
        else:
            if isinstance(value, Module) or name in children:  # `self.act = None` removes a child
                Module.generation += 1
                if isinstance(value, Module):
                    children[name] = value
                else:
                    del children[name]
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Reached only when ordinary look-up fails: parameters and buffers live in dicts.
        params, buffers = self.__dict__.get("_params", {}), self.__dict__.get("_buffers", {})
        if name in params:
            return params[name].data
        if name.startswith("d") and name[1:] in params:
            return params[name[1:]].grad
        if name in buffers:
            return buffers[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _copy_into(self, name: str, target: np.ndarray, value) -> None:
        """``layer.W = array`` copies into the existing array, which optimizers also hold."""
        if value is target:  # `self.dW += g` rebinds the name to the array it updated in place
            return
        value = np.asarray(value)
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{self!r}: cannot assign {name} from an array of {value.dtype} values, "
                            f"expected real numbers (as {target.dtype})")
        if value.shape != target.shape:
            raise ValueError(f"{self!r}: cannot assign {name} of shape {value.shape}, "
                             f"expected {target.shape}")
        np.copyto(target, value, casting="same_kind")

    # -------------------------------------------------------------- predicting
    classes = None  # a classifier's labels in predict_proba's column order (set by load)

    def predict_proba(self, x, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities per row, in evaluation mode (``minidl.nn.prediction``)."""
        return prediction.predict_proba(self, x, batch_size)

    def predict(self, x, batch_size: int = 1024) -> np.ndarray:
        """The predicted label per row (from ``classes`` when set), in evaluation mode."""
        return prediction.predict(self, x, batch_size)

    # ----------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        for hook in list(self.__dict__.get("_forward_hooks", {}).values()):
            hook(self, args, out)
        return out

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dout):
        """Return ∂L/∂x given dout = ∂L/∂(output); subclasses state their equations."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def cached(self):
        """What ``forward`` stored in ``self.cache`` for ``backward``; a clear error if nothing."""
        if self.cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward: run forward on a batch first")
        return self.cache

    def register_forward_hook(self, hook) -> ForwardHook:
        """Call ``hook(module, args, output)`` after every ``module(...)`` call.

        Returns a handle whose ``remove()`` takes the hook off again (diagnostics
        record activations this way). A planned step runs a model that has hooks
        through its own methods, so the hooks see every call.
        """
        hooks = self.__dict__.setdefault("_forward_hooks", {})
        handle = ForwardHook(hooks)
        hooks[handle.key] = hook
        Module.generation += 1
        return handle

    def has_hooks(self) -> bool:
        """Whether this module or a descendant has a forward hook."""
        return any(m.__dict__.get("_forward_hooks") for _, m in self.named_modules())

    @property
    def training(self) -> bool:
        return self.__dict__.get("_training", True)

    def train(self, mode: bool = True) -> Module:
        """Put this module and all children in training mode (``mode=False``: evaluation)."""
        self.__dict__["_training"] = bool(mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

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
        """All parameters in ``named_parameters`` order, each once (a parameter shared by two
        layers is listed where it first appears, so it is updated once)."""
        return list(dict.fromkeys(param for _, param in self.named_parameters()))

    def num_parameters(self) -> int:
        return sum(param.size for param in self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for param in self.parameters():
            param.zero_grad()

    def register_buffer(self, name: str, array) -> None:
        """Keep ``array`` as non-trainable state under ``name`` (e.g. a running mean).

        ``self.<name>`` reads it, ``self.<name> = value`` copies into it; ``state_dict``
        saves it, ``parameters()`` never lists it.

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
        """Copy values from ``state`` into the parameters and buffers, strictly: missing or
        unexpected keys, shapes and dtypes that do not fit raise before anything is assigned."""
        where = f"{type(self).__name__}.load_state_dict"
        targets = self._named_state()
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        if missing or unexpected:
            raise KeyError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"{where}: {name} has shape {value.shape}, expected {target.shape}")
            if not np.can_cast(value.dtype, target.dtype, casting="same_kind"):
                raise TypeError(f"{where}: {name} has dtype {value.dtype}, expected {target.dtype}")
        for name, target in targets.items():
            np.copyto(target, state[name], casting="same_kind")

    def summary(self, batch) -> str:
        """A table of layers, output shapes, parameters and cached bytes (``nn.summary``)."""
        return summary.summary(self, batch)

    def get_config(self) -> dict:
        """Constructor arguments that rebuild this module's architecture (used by ``save``)."""
        return {}

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's repr (``784 → 256``)."""
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


class ForwardHook:
    """The handle ``register_forward_hook`` returns: ``remove()`` takes the hook off."""

    _next_key = 0

    def __init__(self, hooks: dict):
        self.hooks, self.key = hooks, ForwardHook._next_key
        ForwardHook._next_key += 1

    def remove(self) -> None:
        self.hooks.pop(self.key, None)
        Module.generation += 1
