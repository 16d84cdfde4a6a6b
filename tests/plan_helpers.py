"""What the planned-path tests share: the peak a steady-state step allocates."""

import tracemalloc


def steady_peak_bytes(train, warmup: int = 2, steps: int = 3) -> int:
    """Call ``train()`` ``warmup`` times (a plan allocates its arrays then), then ``steps``
    more under tracemalloc (as needle's tests count live tensors); the most those held at
    once beyond what was there before."""
    for _ in range(warmup):
        train()
    tracemalloc.start()
    try:
        for _ in range(steps):
            train()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
