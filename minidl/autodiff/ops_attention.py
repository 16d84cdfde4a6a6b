"""Ops the transformer's engine formulations need beyond the basic set: erf (GELU's exact
form) and a masked fill (attention's causal mask). Batched matmul with broadcast batch axes
is ``ops_linalg.matmul``; softmax is built from exp, sum and a shift (docs/derivations/
attention.md §1).

Both rules are written with Tensor ops, so they can be differentiated again (``hvp``).
"""

import math

import numpy as np

from .._special import erf as _erf_values
from .tensor import as_tensor, from_op

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def erf(x):
    """z = erf x;  ∂z/∂x = (2/√π) e^{−x²}.

    >>> from minidl.autodiff import Tensor
    >>> round(float(erf(Tensor(0.5)).data), 12)
    0.520499877813
    """
    x = as_tensor(x)
    return from_op(_erf_values(x.data), "erf", (x,),
                   vjp=lambda g, z: (g * _TWO_OVER_SQRT_PI * (-(x * x)).exp(),),
                   jvp=lambda z, t: t * _TWO_OVER_SQRT_PI * (-(x * x)).exp())


def masked_fill(x, mask, value: float):
    """z = value where ``mask``, else x;  ∂z/∂x = 1[not mask] (a constant 0/1 array).

    ``mask`` (booleans) broadcasts against x; ``value`` may be −∞, which softmax turns into
    an exact 0 weight.

    >>> from minidl.autodiff import Tensor
    >>> masked_fill(Tensor([1.0, 2.0]), np.array([False, True]), -np.inf).data.tolist()
    [1.0, -inf]
    """
    x = as_tensor(x)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), x.shape)
    keep = (~mask).astype(x.dtype)
    return from_op(np.where(mask, np.asarray(value, dtype=x.dtype), x.data), "masked_fill", (x,),
                   vjp=lambda g, z: (g * keep,),
                   jvp=lambda z, t: t * keep)
