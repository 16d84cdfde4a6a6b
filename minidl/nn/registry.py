"""The module registry: the classes a model file may name, by class name.

``save`` describes a model by each module's registered name and ``get_config()``;
``load`` rebuilds it from that name. Loading never imports code, so a user's own
layer must be registered in the loading process too — ``@register_module`` on the
class, or ``--import FILE.py`` on the command line. Built-in layers register
themselves where they are defined.

Example:
    >>> @register_module
    ... class Square(Module):
    ...     def forward(self, x):
    ...         self.cache = x
    ...         return x * x
    ...     def backward(self, dout):
    ...         '''Y = X²  ⇒  dX = 2 X ⊙ dY.'''
    ...         return 2 * self.cached() * dout
    >>> registered_module("Square") is Square
    True
"""

from __future__ import annotations

from .module import Module

_MODULES: dict[str, type[Module]] = {}


def register_module(cls: type | None = None):
    """Make ``cls`` (a ``Module`` subclass) savable, loadable, drawable and checkable by name.

    Usable bare (``@register_module``) or called (``register_module(cls)``); returns the
    class unchanged. Registering the same class again is harmless; registering a
    different class under a name already taken raises ``ValueError``.
    """
    if cls is None:
        return register_module
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_module: expected a Module subclass, got {cls!r}")
    name = cls.__name__
    taken = _MODULES.get(name)
    if taken is not None and taken is not cls and not _same_definition(taken, cls):
        raise ValueError(
            f"register_module: the name {name!r} is taken by {taken.__module__}.{taken.__qualname__}; "
            f"rename {cls.__module__}.{cls.__qualname__} to register it"
        )
    _MODULES[name] = cls
    return cls


def _same_definition(old: type, new: type) -> bool:
    # A module re-executed (a file imported twice, a notebook cell run again) defines a new
    # class object from the same place: that replaces the old one rather than clashing.
    return (old.__module__, old.__qualname__) == (new.__module__, new.__qualname__)


def registered_module(name: str) -> type[Module] | None:
    """The class registered under ``name``, or ``None``."""
    return _MODULES.get(name)


def registered_names() -> list[str]:
    """Every registered name, in registration order."""
    return list(_MODULES)


def is_registered(module: Module) -> bool:
    """Whether ``type(module)`` is the class registered under its name (a subclass is not)."""
    return _MODULES.get(type(module).__name__) is type(module)
