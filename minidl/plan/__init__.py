"""The planned path: ``plan(model, loss_fn, optimizer)`` returns a fast training step that
computes what the teaching path computes (DESIGN.md; held to it by tests/test_plan.py)."""

from .kernels import Kernel, register_kernel
from .planner import NonFiniteLoss, PlannedStep, plain_step, plan

__all__ = ["plan", "plain_step", "PlannedStep", "NonFiniteLoss", "Kernel", "register_kernel"]
