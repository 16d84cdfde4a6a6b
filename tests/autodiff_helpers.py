"""Shared helpers of the autodiff tests: ONE derivative checker and the registry of ops.

`check_case` compares, for one op at one point, everything the engine derives with central
differences in float64 (J is the Jacobian found by differences, one input element at a time):
- reverse : the vjp cᵀJ from `backward(c)`, for a random cotangent c;
- forward : the whole Jacobian from `jvp`, one basis tangent eᵢ per pass;
- adjoint : ⟨J·t, c⟩ from `jvp` against ⟨t, cᵀJ⟩ from `backward` (they must be transposes);
- second  : forward-over-reverse H·t of ⟨f(x), c⟩ against differences of its gradient.
Errors use CS231n's relative error scaled by the largest entry,
max|a − b| / max(1e-8, max(|a| + |b|)), taken over all inputs together (one vector of the
product space, or the whole Jacobian), so an entry that happens to be near zero is not judged
against the differences' round-off alone.

`OPS` maps a name to a hypothesis strategy drawing a `Case` (function + input arrays) with
random shapes, axes and keepdims. Run this file to print the worst error seen per op:
    python tests/autodiff_helpers.py
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl.autodiff import Tensor, backprop, jvp, no_grad, ops_shape

TOL = 1e-6
H_FIRST = 1e-6   # step for first derivatives: truncation ~h², round-off ~ε/h
H_SECOND = 1e-5  # step for differences of gradients


@dataclass
class Case:
    fn: Callable          # Tensors -> Tensor
    arrays: list          # float64 inputs
    seed: int             # for cotangents and tangents


def rel_error(a, b):
    """max|a − b| / max(1e-8, max(|a| + |b|)); a list of arrays counts as one long vector."""
    a, b = (np.concatenate([np.ravel(x) for x in v]) if isinstance(v, list) else np.asarray(v)
            for v in (a, b))
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))


def evaluate(fn, arrays):
    """fn on constant Tensors, as a fresh array (an op's result may be a view of its input)."""
    with no_grad():
        return np.array(fn(*[Tensor(a) for a in arrays]).data)


def jacobians(arrays, column):
    """Per input k, the array J_k of shape out.shape + arrays[k].shape with
    J_k[..., i] = column(k, i) for every element index i of that input."""
    result = []
    for k, a in enumerate(arrays):
        columns = [column(k, i) for i in np.ndindex(a.shape)]
        result.append(np.stack(columns, axis=-1).reshape(columns[0].shape + a.shape))
    return result


def difference_column(fn, arrays, k, i, h=H_FIRST):
    """(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for element i of input k (restored afterwards)."""
    a = arrays[k]
    saved = a[i]
    a[i] = saved + h
    plus = evaluate(fn, arrays)
    a[i] = saved - h
    minus = evaluate(fn, arrays)
    a[i] = saved
    return (plus - minus) / (2 * h)


def jvp_column(fn, arrays, k, i):
    """J·eᵢ by one forward-mode pass, eᵢ the basis tangent of element i of input k."""
    tangents = [np.zeros_like(a) for a in arrays]
    tangents[k][i] = 1.0
    return jvp(fn, tuple(arrays), tuple(tangents))[1]


def shifted(arrays, directions, step):
    return [a + step * d for a, d in zip(arrays, directions, strict=True)]


def engine_grads(fn, arrays, cotangent, directions=None):
    """∂⟨fn(x), c⟩/∂x by the engine; with `directions`, each gradient also carries H·t."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    for x, d in zip(xs, directions, strict=True) if directions else ():
        x.tangent = Tensor(d)
    return backprop((fn(*xs) * cotangent).sum(), xs)


def adjoint_error(forward_terms, reverse_terms):
    """|Σ a − Σ b| relative to Σ|a| + Σ|b|, the scale of an inner product's round-off."""
    a, b = np.sum(forward_terms), sum(np.sum(t) for t in reverse_terms)
    scale = np.sum(np.abs(forward_terms)) + sum(np.sum(np.abs(t)) for t in reverse_terms)
    return float(abs(a - b) / max(1e-8, scale))


def check_case(case):
    """The four errors (reverse, forward, adjoint, second) of one op at one point."""
    fn, rng = case.fn, np.random.default_rng(case.seed)
    arrays = [np.array(a, dtype=np.float64) for a in case.arrays]
    numeric = jacobians(arrays, lambda k, i: difference_column(fn, arrays, k, i))
    cotangent = rng.standard_normal(numeric[0].shape[:numeric[0].ndim - arrays[0].ndim])
    directions = [rng.standard_normal(a.shape) for a in arrays]

    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    fn(*xs).backward(cotangent)
    reverse = [x.grad for x in xs]
    numeric_reverse = [np.tensordot(cotangent, j, axes=cotangent.ndim) for j in numeric]
    forward = jacobians(arrays, lambda k, i: jvp_column(fn, arrays, k, i))
    _, jt = jvp(fn, tuple(arrays), tuple(directions))

    hv = [g.tangent.data if g.tangent is not None else np.zeros_like(g.data)
          for g in engine_grads(fn, arrays, cotangent, directions)]
    plus = engine_grads(fn, shifted(arrays, directions, H_SECOND), cotangent)
    minus = engine_grads(fn, shifted(arrays, directions, -H_SECOND), cotangent)
    numeric_hv = [(p.data - m.data) / (2 * H_SECOND) for p, m in zip(plus, minus, strict=True)]

    return {
        "reverse": rel_error(reverse, numeric_reverse),
        "forward": rel_error(forward, numeric),
        "adjoint": adjoint_error(jt * cotangent,
                                 [d * r for d, r in zip(directions, reverse, strict=True)]),
        "second": rel_error(hv, numeric_hv),
    }


# ----- sampling ------------------------------------------------------------------------------
def sample(rng, shape, domain="real"):
    """Inputs kept away from the op's kinks and poles, so differences see a smooth function."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    if domain == "distinct":  # no two entries within 0.1: max has no tie to cross
        n = int(np.prod(shape))
        return (rng.permutation(n) * 0.2 - 0.1 * n + rng.uniform(0, 0.05, n)).reshape(shape)
    return rng.uniform(-2.0, 2.0, shape)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
SEEDS = st.integers(0, 2**32 - 1)


@st.composite
def unary(draw, fn, domain="real", shapes=SHAPES):
    """A one-input case of `fn` on a random shape."""
    seed = draw(SEEDS)
    return Case(fn, [sample(np.random.default_rng(seed), draw(shapes), domain)], seed)


@st.composite
def binary(draw, fn, domains=("real", "real")):
    """A two-input case of `fn` on a random pair of mutually broadcastable shapes."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    arrays = [sample(rng, s, d) for s, d in zip(shapes.input_shapes, domains, strict=True)]
    return Case(fn, arrays, seed)


@st.composite
def axis_and_keepdims(draw, shape):
    """None, one axis (maybe negative) or a tuple of distinct axes; and keepdims."""
    ndim = len(shape)
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(st.lists(st.integers(0, ndim - 1), unique=True).map(tuple))
    return draw(st.one_of(choices)), draw(st.booleans())


@st.composite
def reduction(draw, method, domain="real"):
    """x.method(axis, keepdims) for a random shape, axis and keepdims."""
    shape = draw(SHAPES)
    axis, keepdims = draw(axis_and_keepdims(shape))
    seed = draw(SEEDS)
    x = sample(np.random.default_rng(seed), shape, domain)
    return Case(lambda t: getattr(t, method)(axis=axis, keepdims=keepdims), [x], seed)


@st.composite
def log_softmax_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    seed = draw(SEEDS)
    return Case(lambda t: t.log_softmax(axis), [sample(np.random.default_rng(seed), shape)], seed)


@st.composite
def reshape_case(draw):
    shape = draw(SHAPES)
    target = draw(st.sampled_from([shape[::-1], (-1,), (1,) + shape]))
    seed = draw(SEEDS)
    return Case(lambda t: t.reshape(target), [sample(np.random.default_rng(seed), shape)], seed)


@st.composite
def transpose_case(draw):
    shape = draw(SHAPES)
    axes = tuple(draw(st.permutations(range(len(shape)))))
    seed = draw(SEEDS)
    return Case(lambda t: t.transpose(axes), [sample(np.random.default_rng(seed), shape)], seed)


@st.composite
def getitem_case(draw, advanced):
    """x[key]: a basic key (ints and slices) or an int array with repeated indices."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    if advanced:
        key = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6)))
    else:
        key = draw(hnp.basic_indices(shape, allow_newaxis=False, allow_ellipsis=True))
    seed = draw(SEEDS)
    return Case(lambda t: t[key], [sample(np.random.default_rng(seed), shape)], seed)


@st.composite
def scatter_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    key = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
    seed = draw(SEEDS)
    g = sample(np.random.default_rng(seed), (len(key),) + shape[1:])
    return Case(lambda t: ops_shape.scatter_add(t, key, shape), [g], seed)


@st.composite
def broadcast_case(draw, to_big):
    """broadcast_to a bigger shape, or unbroadcast (sum back) to a smaller one."""
    small, big = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=4)
                      .map(lambda s: (s.input_shapes[0], s.result_shape)))
    big = draw(st.sampled_from([big, (2,) + big]))
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    if to_big:
        return Case(lambda t: ops_shape.broadcast_to(t, big), [sample(rng, small)], seed)
    return Case(lambda t: ops_shape.unbroadcast(t, small), [sample(rng, big)], seed)


@st.composite
def matmul_case(draw, kind):
    """a @ b: matrix-matrix, matrix-vector, vector-matrix, vector-vector or batched."""
    m, k, n, b = (draw(st.integers(1, 4)) for _ in range(4))
    shapes = {"mm": ((m, k), (k, n)), "mv": ((m, k), (k,)), "vm": ((k,), (k, n)),
              "vv": ((k,), (k,)), "batched": ((b, m, k), (k, n)),
              "batched2": ((b, 1, m, k), (b, k, n))}[kind]
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    return Case(lambda x, y: x @ y, [sample(rng, s) for s in shapes], seed)


@st.composite
def rmatmul_case(draw):
    """constant array @ tensor (numpy on the left)."""
    m, k = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k))
    return Case(lambda x: a @ x, [sample(rng, (k, 3))], seed)


def _diamond(x):
    a = x.tanh()              # a is used on three paths
    return a * a + (a * 0.5).exp() - a


def _cross_entropy(z):
    labels = np.arange(z.shape[0]) % z.shape[-1]
    return -z.log_softmax(axis=-1)[np.arange(z.shape[0]), labels].mean()


def _mlp(x, w, b):
    return ((x @ w + b).tanh() @ w.T).sigmoid()


@st.composite
def mlp_case(draw):
    n, d, h = (draw(st.integers(1, 4)) for _ in range(3))
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    return Case(_mlp, [sample(rng, (n, d)), sample(rng, (d, h)), sample(rng, (h,))], seed)


OPS = {
    "add": binary(lambda a, b: a + b),
    "sub": binary(lambda a, b: a - b),
    "mul": binary(lambda a, b: a * b),
    "div": binary(lambda a, b: a / b, ("real", "nonzero")),
    "pow (tensor exponent)": binary(lambda a, b: a ** b, ("positive", "real")),
    "pow (x ** 3)": unary(lambda x: x ** 3),
    "pow (x ** 1.5)": unary(lambda x: x ** 1.5, "positive"),
    "radd (number + x)": unary(lambda x: 1.5 + x),
    "rsub (array - x)": unary(lambda x: np.full(x.shape, 0.5) - x),
    "rmul (number * x)": unary(lambda x: -2.0 * x),
    "rtruediv (number / x)": unary(lambda x: 3.0 / x, "nonzero"),
    "rpow (2 ** x)": unary(lambda x: 2.0 ** x),
    "neg": unary(lambda x: -x),
    "exp": unary(lambda x: x.exp()),
    "log": unary(lambda x: x.log(), "positive"),
    "tanh": unary(lambda x: x.tanh()),
    "relu": unary(lambda x: x.relu(), "nonzero"),
    "sigmoid": unary(lambda x: x.sigmoid()),
    "sum": reduction("sum"),
    "mean": reduction("mean"),
    "max": reduction("max", "distinct"),
    "logsumexp": reduction("logsumexp"),
    "log_softmax": log_softmax_case(),
    "reshape": reshape_case(),
    "transpose": transpose_case(),
    "T": unary(lambda x: x.T),
    "getitem (ints, slices)": getitem_case(advanced=False),
    "getitem (int array)": getitem_case(advanced=True),
    "scatter_add": scatter_case(),
    "broadcast_to": broadcast_case(to_big=True),
    "unbroadcast": broadcast_case(to_big=False),
    "matmul (matrix @ matrix)": matmul_case("mm"),
    "matmul (matrix @ vector)": matmul_case("mv"),
    "matmul (vector @ matrix)": matmul_case("vm"),
    "matmul (vector @ vector)": matmul_case("vv"),
    "matmul (batched)": matmul_case("batched"),
    "matmul (batched, both)": matmul_case("batched2"),
    "rmatmul (array @ x)": rmatmul_case(),
    "diamond (a reused)": unary(_diamond),
    "cross-entropy": unary(_cross_entropy, shapes=hnp.array_shapes(min_dims=2, max_dims=2,
                                                                  max_side=4)),
    "mlp": mlp_case(),
}


# ----- random smooth functions (for jvp ⟷ vjp and hvp tests) ---------------------------------
# Shape-preserving smooth blocks for random functions of an (m, n) array; A and c are
# drawn per function.
BLOCKS = [
    lambda x, A, c: x.tanh(),
    lambda x, A, c: x.sigmoid() * 2.0,
    lambda x, A, c: (x * 0.5).exp(),
    lambda x, A, c: x * x - x,
    lambda x, A, c: x @ A,
    lambda x, A, c: x + c,
    lambda x, A, c: x.log_softmax(axis=-1),
    lambda x, A, c: x * x.mean(axis=-1, keepdims=True),
    lambda x, A, c: x / (1.0 + x * x),
    lambda x, A, c: (x * x + 1.0) ** 0.5,
    lambda x, A, c: x - x.logsumexp(axis=0, keepdims=True) * 0.3,
    lambda x, A, c: (A @ x.T).T,
]


def random_function(ops, rng, n):
    """f(x, y) = chain(x + tanh(y)·x) for a chain of BLOCKS picked by `ops`."""
    params = [(rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)) for _ in ops]
    blocks = [BLOCKS[i % len(BLOCKS)] for i in ops]

    def f(x, y):
        z = x + y.tanh() * x
        for block, (a, c) in zip(blocks, params, strict=True):
            z = block(z, a, c)
        return z

    return f


def worst_errors(max_examples=40):
    """{op: {check: worst error}} over `max_examples` hypothesis cases per op."""
    from hypothesis import given, settings

    def record(strategy, seen):
        @settings(max_examples=max_examples, deadline=None, database=None)
        @given(strategy)
        def run(case):
            for check, err in check_case(case).items():
                seen[check] = max(seen.get(check, 0.0), err)
        return run

    worst = {name: {} for name in OPS}
    for name, strategy in OPS.items():
        record(strategy, worst[name])()
    return worst


if __name__ == "__main__":
    table = worst_errors()
    print(f"{'op':28s} {'reverse':>9s} {'forward':>9s} {'adjoint':>9s} {'second':>9s}")
    for op, errs in table.items():
        print(f"{op:28s} " + " ".join(f"{errs[c]:9.1e}" for c in
                                       ("reverse", "forward", "adjoint", "second")))
