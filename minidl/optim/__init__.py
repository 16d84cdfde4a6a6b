"""Optimizers (the teaching path): each ``step()`` is the update rule in its docstring, one
loop over the parameters. The planned path (``minidl.plan``) runs the same rules fused over
all parameters at once and keeps this state current."""

from .adam import Adam
from .clip import clip_grad_norm
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "clip_grad_norm"]
