"""minidl.autodiff: a graph-autodiff engine over numpy arrays, independent of the layers.

Reverse mode (`Tensor.backward`, `grad`, `value_and_grad`, `vjp`), forward mode with dual
numbers (`jvp`), Hessian-vector products (`hvp`), whole Jacobians and Hessians, third and
higher derivatives by nesting (`nth_derivative`, `third_order_product`), gradients through
an optimum (`implicit_grad`), gradient estimators for discrete samples (`straight_through`,
`score_function`) and DOT pictures of graphs (`to_dot`).
It imports no other minidl module, and no layer imports it: it is the independent second
opinion on every hand-written backward.

>>> from minidl.autodiff import Tensor
>>> x = Tensor(2.0, requires_grad=True); y = Tensor(3.0, requires_grad=True)
>>> z = x * y + x; z.backward()
>>> float(x.grad), float(y.grad)
(4.0, 2.0)
"""

from .dot import render_dot, to_dot
from .estimators import bernoulli_log_prob, bernoulli_straight_through, score_function, straight_through
from .forward import jvp
from .functional import grad, value_and_grad, vjp
from .graph import backprop
from .higher_order import nth_derivative, third_derivative_tensor, third_directional, third_order_product
from .implicit import conjugate_gradient, implicit_grad
from .jacobian import hessian, jacobian
from .mode import is_grad_enabled, no_grad
from .second_order import gauss_newton_product, hvp, hvp_finite, hvp_reverse
from .tensor import Tensor

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "grad", "value_and_grad", "vjp", "jvp",
           "hvp", "hvp_reverse", "hvp_finite", "gauss_newton_product", "jacobian", "hessian",
           "nth_derivative", "third_order_product", "third_directional", "third_derivative_tensor",
           "conjugate_gradient", "implicit_grad", "straight_through", "bernoulli_straight_through",
           "bernoulli_log_prob", "score_function", "backprop", "to_dot", "render_dot"]
