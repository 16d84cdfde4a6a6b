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

    A planned step (``minidl.plan``) may hold the state in another form between its own
    steps (SGD's momentum multiplied by the learning rate); reading ``state`` first
    converts it back (``settle``), so every reader sees PyTorch's meaning.
    """

    STATE: tuple[str, ...] = ()

    def __init__(self, params, **hyper):
        self.params = _parameter_list(params, type(self).__name__)
        self.hyper = hyper
        self.steps = 0
        self.state: dict[str, list[np.ndarray]] = {}
        self._add_missing_state()

    @property
    def state(self) -> dict[str, list[np.ndarray]]:
        """The per-parameter state arrays by name, in their documented meaning."""
        self.settle()
        return self.__dict__["_state"]

    @state.setter
    def state(self, value: dict) -> None:
        self.settle()
        self.__dict__["_state"] = value

    def held_state(self) -> dict[str, list[np.ndarray]]:
        """The state arrays as they are held now, not settled: what a planned step reads
        between its own steps (and what ``settle`` will convert)."""
        return self.__dict__["_state"]

    def settle_later(self, settle) -> None:
        """Have ``settle()`` called once, before the state is next read: a planned step that
        left the state in its own form says here how to give it its meaning back."""
        self.__dict__["_settle"] = settle

    def settle(self) -> None:
        """Give the state its documented meaning (see ``settle_later``); nothing when it has it."""
        settle = self.__dict__.pop("_settle", None)
        if settle is not None:
            settle()

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

    def check_hyper(self, hyper: dict) -> None:
        """Raise ``ValueError`` naming the first hyper-parameter ``hyper`` holds that this
        optimizer's constructor would refuse. Subclasses check their own."""

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned; validated in full before anything changes
        (hyper-parameters as the constructor checks them, the step count, every buffer's
        kind, shape and values), so a refused state leaves the optimizer as it was."""
        name = type(self).__name__
        try:
            hyper, steps, buffers = state["hyper"], state["steps"], state["state"]
        except (KeyError, TypeError) as err:
            raise ValueError(f"{name}.load_state_dict: malformed state ({err!r})") from None
        if not isinstance(hyper, dict) or not isinstance(buffers, dict):
            raise ValueError(f"{name}.load_state_dict: 'hyper' and 'state' must be dicts")
        if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 0:
            raise ValueError(f"{name}.load_state_dict: steps must be a non-negative integer, got {steps!r}")
        if set(hyper) != set(self.hyper):
            raise ValueError(
                f"{name}.load_state_dict: state is for hyper-parameters {sorted(hyper)} and buffers "
                f"{sorted(buffers)}, expected {sorted(self.hyper)} and {sorted(self.state)}")
        hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in hyper.items()}
        try:
            self.check_hyper(hyper)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}.load_state_dict: {err}") from None
        expected = self._state_names_for(hyper)
        if set(buffers) != set(expected):
            raise ValueError(f"{name}.load_state_dict: state has buffers {sorted(buffers)}, "
                             f"these hyper-parameters need {sorted(expected)}")
        shapes = [p.data.shape for p in self.params]
        for key in expected:
            arrays = buffers[key]
            if not isinstance(arrays, (list, tuple)) or len(arrays) != len(shapes):
                raise ValueError(f"{name}.load_state_dict: {key} must be a list of {len(shapes)} arrays")
            if [np.shape(a) for a in arrays] != shapes:
                raise ValueError(f"{name}.load_state_dict: {key} buffers have shapes "
                                 f"{[np.shape(a) for a in arrays]}, expected {shapes}")
            for i, (value, shape) in enumerate(zip(arrays, shapes)):
                if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.shape != shape:
                    raise ValueError(
                        f"{name}.load_state_dict: {key} buffer {i} is "
                        f"{getattr(value, 'dtype', type(value).__name__)} of shape {np.shape(value)}, "
                        f"expected a float array of shape {shape}")
                if not np.isfinite(value).all():
                    raise ValueError(f"{name}.load_state_dict: {key} buffer {i} holds NaN/inf")
        # everything checked: now change state
        self.hyper.update(hyper)
        self.state = {key: [np.zeros_like(p.data) for p in self.params] for key in expected}
        for key in expected:
            for target, value in zip(self.state[key], buffers[key]):
                np.copyto(target, value, casting="same_kind")
        self.steps = int(steps)

    def _state_names_for(self, hyper: dict) -> tuple[str, ...]:
        saved, self.__dict__["hyper"] = self.hyper, hyper
        try:
            return self.state_names()
        finally:
            self.__dict__["hyper"] = saved

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
        if np.asarray(param.data).dtype.kind != "f":
            raise TypeError(f"{where}: parameter {i} has dtype {np.asarray(param.data).dtype}; "
                            "gradient descent updates floating-point parameters only")
    return tuple(dict.fromkeys(params))  # a parameter listed twice is updated once


def check_in_unit_interval(value, what: str) -> None:
    """``0 ≤ value < 1`` (momentum, Adam's betas), PyTorch's message otherwise."""
    check_non_negative(value, what)
    if value >= 1:
        raise ValueError(f"Invalid {what}: {value} (must be in [0, 1))")


def check_positive(value, what: str) -> None:
    check_non_negative(value, what)
    if value == 0:
        raise ValueError(f"Invalid {what}: {value} (must be > 0)")


def check_non_negative(value, what: str) -> None:
    """PyTorch's message for a bad hyper-parameter: ``Invalid learning rate: -1``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"Invalid {what}: {value}")
