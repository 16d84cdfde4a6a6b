"""Feature normalisation: fitted on the training split, then applied to every split alike.

Fitting on training data only keeps the test set unseen (its statistics never leak
into the model), and a fitted :class:`Normalizer` can be saved with a model and
re-applied to new data at evaluation time.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

MODES = ("scale", "standardize", "none")
# A feature's std is floored at this share of its range: near-constant features (border
# pixels lit in a handful of images) would otherwise turn into hundreds of standard
# deviations on the rare sample where they are non-zero.
STD_FLOOR = 0.01
_CHUNK = 8192  # rows per step when accumulating statistics, to bound float64 temporaries


class Normalizer:
    """The per-feature affine map ``x ↦ (x − offset) / divisor``, producing float32.

    Modes (how :meth:`fit` chooses ``offset`` and ``divisor``):

    - ``"scale"``: into [0, 1] on the training split. Unsigned-byte data (pixels)
      is divided by 255; other data is min-max scaled per feature.
    - ``"standardize"``: zero mean and unit variance per feature on the training
      split; the std is floored at ``STD_FLOOR`` (1 %) of the feature's range
      (255 for bytes), and constant features are only centred.
    - ``"none"``: the values as they are, as float32.

    Attributes:
        mode: one of ``MODES``.
        offset: (D,) float64.
        divisor: (D,) float64, positive.

    Example:
        >>> norm = Normalizer.fit(x_train, "standardize")
        >>> x_train, x_test = norm(x_train), norm(x_test)
        >>> same = Normalizer.from_state_dict(norm.state_dict())   # JSON-serialisable
    """

    def __init__(self, mode: str, offset, divisor):
        if mode not in MODES:
            raise ValueError(f"Normalizer: mode must be one of {', '.join(MODES)}, got {mode!r}")
        offset = np.asarray(offset, dtype=np.float64)
        divisor = np.asarray(divisor, dtype=np.float64)
        if offset.ndim != 1 or offset.shape != divisor.shape:
            raise ValueError(
                "Normalizer: offset and divisor must both have shape (D,), "
                f"got {offset.shape} and {divisor.shape}"
            )
        if not (np.isfinite(offset).all() and np.isfinite(divisor).all() and (divisor > 0).all()):
            raise ValueError("Normalizer: offset must be finite and divisor finite and positive")
        self.mode, self.offset, self.divisor = mode, offset, divisor

    @property
    def num_features(self) -> int:
        """D, the number of features this normaliser was fitted on."""
        return len(self.offset)

    @classmethod
    def fit(cls, x_train, mode: str = "scale") -> Normalizer:
        """Fit on the training features.

        Args:
            x_train: (N, D) array of any real dtype; uint8 is taken as 8-bit pixels.
            mode: one of ``MODES`` (see the class docstring).

        Returns:
            The fitted Normalizer; ``x_train`` is not modified.

        Example:
            >>> Normalizer.fit(np.array([[0, 255]], np.uint8))(np.array([[51, 255]], np.uint8))
            array([[0.2, 1. ]], dtype=float32)
        """
        if mode not in MODES:
            raise ValueError(
                f"Normalizer.fit: mode must be one of {', '.join(MODES)}, got {mode!r}"
            )
        x = np.asarray(x_train)
        if x.ndim != 2 or len(x) == 0:
            raise ValueError(
                f"Normalizer.fit: expected x_train of shape (N, D) with N > 0, got {x.shape}"
            )
        width = x.shape[1]
        if mode == "none":
            return cls(mode, np.zeros(width), np.ones(width))
        if x.dtype == np.uint8:
            low, high = np.zeros(width), np.full(width, 255.0)
        else:
            low, high = x.min(axis=0).astype(np.float64), x.max(axis=0).astype(np.float64)
        constant = high == low
        span = np.where(constant, 1.0, high - low)
        if mode == "scale":
            return cls(mode, low, span)
        mean, std = _mean_std(x)
        return cls(mode, mean, np.where(constant, 1.0, np.maximum(std, STD_FLOOR * span)))

    def __call__(self, x) -> np.ndarray:
        """Apply to (N, D) features; returns a new float32 (N, D) array."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise DataError(
                f"Normalizer({self.mode}, {self.num_features} features): "
                f"expected x of shape (N, {self.num_features}), got {x.shape}"
            )
        out = np.subtract(x, self.offset.astype(np.float32), dtype=np.float32)  # (N, D)
        out /= self.divisor.astype(np.float32)
        return out

    def state_dict(self) -> dict:
        """Plain-Python state: ``{"mode": str, "offset": [float], "divisor": [float]}``."""
        return {"mode": self.mode, "offset": self.offset.tolist(), "divisor": self.divisor.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict) -> Normalizer:
        """Rebuild a Normalizer from :meth:`state_dict`'s output."""
        return cls(state["mode"], state["offset"], state["divisor"])

    def __repr__(self) -> str:
        return f"Normalizer({self.mode!r}, {self.num_features} features)"


def _mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and (population) std in float64, two-pass for accuracy, in row chunks."""
    n = len(x)
    total = np.zeros(x.shape[1])
    for start in range(0, n, _CHUNK):
        total += x[start : start + _CHUNK].sum(axis=0, dtype=np.float64)
    mean = total / n
    squares = np.zeros(x.shape[1])
    for start in range(0, n, _CHUNK):
        centred = x[start : start + _CHUNK] - mean  # (chunk, D) float64
        squares += np.einsum("ij,ij->j", centred, centred)
    return mean, np.sqrt(squares / n)
