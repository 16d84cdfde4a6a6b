"""DataLoader: mini-batches of (x, y) for an epoch, shuffled by a seeded Generator, resumable."""

from __future__ import annotations

import numbers

import numpy as np

from .._validate import as_generator, positive_int


class DataLoader:
    """Iterate over ``(xb, yb)`` mini-batches of ``x`` and ``y``, one epoch per ``iter()``.

    With ``shuffle`` each epoch draws one permutation and each batch gathers its rows,
    ``x[perm[lo:hi]]``, into a fresh contiguous array: cheaper than one shuffled copy of the
    whole set (whose pages must be faulted in), and the batch is still in cache when the
    first layer reads it. Without ``shuffle`` the batches are views of ``x`` and ``y`` in order.
    Batches stay valid after the next one (and the next epoch) starts.

    The order is fully determined by the Generator's state, which
    :meth:`state_dict` captures as plain, JSON-serialisable Python: loading the state
    saved after epoch k into a fresh loader yields exactly the batches epoch k + 1
    would have had. A state saved in the middle of an epoch resumes at the next
    batch of that same epoch.

    Args:
        x: (N, ...) features.
        y: (N,) labels (or any (N, ...) targets).
        batch_size: samples per batch B (positive).
        shuffle: reshuffle at the start of every epoch.
        rng: int seed or numpy Generator for the shuffling; None draws fresh
            OS entropy (not reproducible). A Generator is used, not copied.
        drop_last: drop the final batch if it has fewer than B samples.

    Attributes:
        num_samples: N.
        batch_size: B.

    Raises:
        ValueError: bad batch size, ``len(x) != len(y)``, empty data, or
            ``drop_last`` with fewer than B samples (an epoch without batches).

    Example:
        >>> loader = DataLoader(x_train, y_train, batch_size=128, rng=0)
        >>> len(loader)                      # batches per epoch, for N = 60000
        469
        >>> for xb, yb in loader:            # xb: (128, 784), the last one (96, 784)
        ...     ...
        >>> state = loader.state_dict()      # save with the checkpoint; later:
        >>> loader.load_state_dict(state)    # the next epoch replays identically
    """

    def __init__(
        self,
        x,
        y,
        batch_size: int = 128,
        *,
        shuffle: bool = True,
        rng=None,
        drop_last: bool = False,
    ):
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
            raise ValueError(
                "DataLoader: x and y must have the same length N, "
                f"got shapes {x.shape} and {y.shape}"
            )
        if len(x) == 0:
            raise ValueError("DataLoader: x and y are empty (N = 0)")
        self.batch_size = positive_int(batch_size, "batch_size", "DataLoader")
        if drop_last and len(x) < self.batch_size:
            raise ValueError(
                f"DataLoader: drop_last=True with batch_size {self.batch_size} > {len(x)} samples "
                "gives no batches"
            )
        self.x, self.y = x, y
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self._rng = as_generator(rng)
        self._epoch_state = None  # Generator state before the running epoch's permutation
        self._position = 0  # batches the running epoch has yielded
        self._skip = 0  # batches the next epoch skips: set by loading a mid-epoch state

    @property
    def num_samples(self) -> int:
        """N, the number of samples per (full) epoch."""
        return len(self.x)

    def __len__(self) -> int:
        """Batches per epoch."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        start_state = self._rng.bit_generator.state
        perm = self._rng.permutation(self.num_samples) if self.shuffle else None
        self._epoch_state, self._position, self._skip = start_state, self._skip, 0
        for index in range(self._position, len(self)):
            batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
            self._position = index + 1
            if perm is None:
                yield self.x[batch], self.y[batch]
            else:
                rows = perm[batch]
                yield self.x[rows], self.y[rows]
        self._epoch_state = None

    def state_dict(self) -> dict:
        """The data order's state as plain Python (ints, strings, lists, dicts): JSON-serialisable.

        Returns:
            ``{"rng": <bit-generator state>, "position": batches done in the current
            epoch, "num_samples", "batch_size", "shuffle", "drop_last"}``.
        """
        # An epoch whose last batch was taken counts as finished even if its iterator
        # was never exhausted; the Generator has then moved past its permutation.
        if self._epoch_state is not None and self._position < len(self):
            rng_state, position = self._epoch_state, self._position
        else:
            rng_state, position = self._rng.bit_generator.state, self._skip
        return {
            "rng": _plain(rng_state),
            "position": position,
            "num_samples": self.num_samples,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`'s output; the next ``iter()`` continues from it.

        Raises:
            ValueError: the state belongs to a loader with a different number of
                samples, batch size, shuffle or drop_last (its order would not replay).
        """
        for key in ("num_samples", "batch_size", "shuffle", "drop_last"):
            if state[key] != getattr(self, key):
                raise ValueError(
                    f"DataLoader.load_state_dict: state has {key}={state[key]!r}, "
                    f"this loader {getattr(self, key)!r}"
                )
        self._rng.bit_generator.state = state["rng"]
        self._epoch_state, self._position, self._skip = None, 0, int(state["position"])

    def __repr__(self) -> str:
        return (
            f"DataLoader(num_samples={self.num_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def _plain(value):
    """Convert numpy scalars and arrays inside a (nested) state to plain Python for JSON."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, numbers.Integral):
        return int(value)
    return value
