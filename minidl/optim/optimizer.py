"""The optimizer base: the parameters, their per-parameter state, the hyper-parameters."""

from __future__ import annotations

import numbers

import numpy as np

from ..nn.module import Parameter


class Optimizer:
    """Holds ``params``, one state array per parameter and name (``self.state``), and the
    hyper-parameters (``self.hyper``, also readable as attributes: ``opt.lr``).

    Subclasses name their state in ``STATE`` and implement ``step()`` as their rule, one
    loop over the parameters. The state starts at zero, so ``state_dict`` always has
    arrays to show and ``load_state_dict`` arrays to fill.
    """

    STATE: tuple[str, ...] = ()

    def __init__(self, params, **hyper):
        self.params = _parameter_list(params, type(self).__name__)
        self.hyper = hyper
        self.steps = 0
        self.state: dict[str, list[np.ndarray]] = {}
        self._add_missing_state()

    def state_names(self) -> tuple[str, ...]:
        """Names of the per-parameter state arrays this optimizer keeps."""
        return self.STATE

    def _add_missing_state(self) -> None:
        """Zeros for each state array the hyper-parameters call for and that does not exist yet
        (at construction, or after e.g. ``opt.momentum = 0.9`` on a plain SGD)."""
        for name in self.state_names():
            if name not in self.state:
                self.state[name] = [np.zeros_like(p.data) for p in self.params]

    def __setattr__(self, name, value) -> None:
        # `opt.momentum = 0.5` changes the hyper-parameter that step() and state_dict() read
        hyper = self.__dict__.get("hyper")
        if hyper is not None and name in hyper and not isinstance(getattr(type(self), name, None), property):
            hyper[name] = value
            self._add_missing_state()
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        hyper = self.__dict__.get("hyper", {})
        if name in hyper:
            return hyper[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def lr(self) -> float:
        return self.hyper["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        """Learning-rate schedules set this between steps."""
        check_non_negative(value, "learning rate")
        self.hyper["lr"] = float(value)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for param in self.params:
            param.zero_grad()

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement step")

    def state_dict(self) -> dict:
        """Hyper-parameters, step count and copies of the per-parameter state."""
        return {"hyper": dict(self.hyper), "steps": self.steps,
                "state": {name: [a.copy() for a in arrays] for name, arrays in self.state.items()}}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned; validated in full before anything changes."""
        name = type(self).__name__
        try:
            hyper, steps, buffers = state["hyper"], int(state["steps"]), state["state"]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{name}.load_state_dict: malformed state ({err!r})") from None
        if set(hyper) != set(self.hyper) or set(buffers) != set(self.state):
            raise ValueError(
                f"{name}.load_state_dict: state is for hyper-parameters {sorted(hyper)} and "
                f"buffers {sorted(buffers)}, expected {sorted(self.hyper)} and {sorted(self.state)}")
        for key, arrays in self.state.items():
            shapes = [np.shape(a) for a in buffers[key]]
            if shapes != [a.shape for a in arrays]:
                raise ValueError(f"{name}.load_state_dict: {key} buffers have shapes {shapes}, "
                                 f"expected {[a.shape for a in arrays]}")
        for key, arrays in self.state.items():
            for target, value in zip(arrays, buffers[key]):
                np.copyto(target, value, casting="same_kind")
        self.hyper.update({k: v if not isinstance(v, list) else tuple(v) for k, v in hyper.items()})
        self.steps = steps

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}({args})"


def _parameter_list(params, where: str) -> tuple[Parameter, ...]:
    if isinstance(params, Parameter) or not hasattr(params, "__iter__"):
        raise TypeError(f"{where}: params must be an iterable of Parameters, e.g. "
                        f"model.parameters(), got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError(f"{where}: got an empty parameter list")
    for i, param in enumerate(params):
        if not isinstance(param, Parameter):
            raise TypeError(f"{where}: parameter {i} is a {type(param).__name__}, "
                            "expected minidl.Parameter (pass model.parameters())")
    return tuple(dict.fromkeys(params))  # a parameter listed twice is updated once


def check_non_negative(value, what: str) -> None:
    """PyTorch's message for a bad hyper-parameter: ``Invalid learning rate: -1``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"Invalid {what}: {value}")
