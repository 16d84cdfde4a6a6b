"""Gradient checks: every hand-written backward against finite differences and against
the independent autodiff engine.

- ``check_module`` / ``check_loss``: central differences, element by element
  (``fast=True``: ``check_directional``, along random directions, for big models);
- ``cross_check`` / ``cross_check_loss``: the engine differentiating each layer's
  registered formulation (``register_engine_form``);
- every check returns a ``GradcheckReport``; ``raise_if_failed()`` raises
  ``GradcheckError`` with its table.

This package is the one bridge between the layers and the engine (STYLE.md).
"""

from . import (
           engine_forms_attention,  # noqa: F401  (registers the transformer layers' forms)
           engine_forms_conv,  # noqa: F401  (registers the convolutional layers' forms)
           engine_forms_recurrent,  # noqa: F401  (registers the recurrent layers' forms)
)
from .cross import cross_check, cross_check_loss
from .directional import check_directional
from .engine_forms import register_engine_form
from .finite import check_loss, check_module
from .frozen import frozen
from .numerical import PrecisionWarning, numerical_grad
from .report import GradcheckError, GradcheckReport, TensorCheck

__all__ = ["numerical_grad", "check_module", "check_loss", "check_directional",
           "cross_check", "cross_check_loss", "register_engine_form", "frozen",
           "GradcheckError", "GradcheckReport", "TensorCheck", "PrecisionWarning"]
