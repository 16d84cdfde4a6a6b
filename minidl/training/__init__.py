"""Training: the loop (``Trainer``), schedules, callbacks, metrics, resumable checkpoints and
gradient-flow diagnostics."""

from .callbacks import BestCheckpoint, Callback, EarlyStopping
from .diagnostics import GradientFlow, GradientFlowWarning, attach_diagnostics, plot_gradient_flow
from .metrics import confusion_matrix, evaluate, predict_logits
from .mixed_precision import MixedPrecision
from .schedules import ConstantLR, CosineLR, StepLR, make_schedule
from .trainer import Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "MixedPrecision",
           "Callback", "EarlyStopping", "BestCheckpoint", "ConstantLR", "StepLR", "CosineLR", "make_schedule",
           "evaluate", "confusion_matrix", "predict_logits",
           "GradientFlow", "GradientFlowWarning", "attach_diagnostics", "plot_gradient_flow"]
