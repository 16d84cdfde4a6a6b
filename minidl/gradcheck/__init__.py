"""Gradient checks: every hand-written backward against finite differences
(and, through ``cross_check``, against the independent autodiff engine).

This package is the one bridge between the layers and the engine (STYLE.md).
"""

from .finite import check_loss, check_module
from .numerical import PrecisionWarning, numerical_grad
from .report import GradcheckError, GradcheckReport, TensorCheck

__all__ = ["numerical_grad", "check_module", "check_loss", "GradcheckError",
           "GradcheckReport", "TensorCheck", "PrecisionWarning"]
