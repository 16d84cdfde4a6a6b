"""Training: the loop (``Trainer``), schedules, callbacks, metrics and resumable checkpoints."""

from .callbacks import BestCheckpoint, Callback, EarlyStopping
from .metrics import confusion_matrix, evaluate, predict_logits
from .mixed_precision import MixedPrecision
from .schedules import ConstantLR, CosineLR, StepLR, make_schedule
from .trainer import Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "MixedPrecision",
           "Callback", "EarlyStopping", "BestCheckpoint", "ConstantLR", "StepLR", "CosineLR", "make_schedule",
           "evaluate", "confusion_matrix", "predict_logits"]
