"""Pictures: DOT graphs of models and engine expressions, training curves and confusion
matrices (matplotlib optional)."""

from .graphs import expression_to_dot, model_to_dot, render

__all__ = ["model_to_dot", "expression_to_dot", "render"]
