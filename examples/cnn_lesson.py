"""A convolution lesson: the correlation sum as loops, its backward, and what a max-pool routes.

1. One Conv2d forward on a tiny two-channel image, written as the correlation sum
   Z[n,f,i,j] = Σ_{c,k,l} Xp[n, c, s·i + d·k, s·j + d·l] · W[f,c,k,l] + b[f]
   (docs/derivations/convolution.md §1, §8) with plain loops, against the layer.
2. The backward's three equations (§2–3) as loops — dW (the input correlated with dZ),
   db (dZ summed), dX (dZ scattered back through the kernel) — against the layer's
   backward and against central differences of L = Σ G ⊙ Z.
3. Max pooling (§4): which input pixel each window's gradient goes to, ties included.

Run:  python examples/cnn_lesson.py [--stride 2] [--padding 1] [--dilation 2]
"""

import argparse

import numpy as np

from minidl import Conv2d, MaxPool2d
from minidl.gradcheck import numerical_grad

# float64: the loops and the layer do the same sums in another order (rounding, ~1e-15);
# central differences carry their own error, ~1e-10 relative to the gradient's size.
LOOPS_AGREE, DIFFERENCES_AGREE = 1e-12, 1e-7


def correlation_loops(xp, w, b, stride, dilation, out_h, out_w):
    """Z[n,f,i,j] = Σ_{c,k,l} Xp[n,c,s·i+d·k,s·j+d·l] W[f,c,k,l] + b[f], one term at a time."""
    n_, c_, f_, kh, kw = xp.shape[0], xp.shape[1], w.shape[0], w.shape[2], w.shape[3]
    z = np.zeros((n_, f_, out_h, out_w))
    for n in range(n_):
        for f in range(f_):
            for i in range(out_h):
                for j in range(out_w):
                    total = b[f]
                    for c in range(c_):
                        for k in range(kh):
                            for l in range(kw):  # noqa: E741  (the kernel column, as in the note)
                                u, v = stride * i + dilation * k, stride * j + dilation * l
                                total += xp[n, c, u, v] * w[f, c, k, l]
                    z[n, f, i, j] = total
    return z


def backward_loops(xp, w, dz, stride, dilation):
    """dW[f,c,k,l] = Σ_{n,i,j} dZ[n,f,i,j] Xp[n,c,s·i+d·k,s·j+d·l];  db[f] = Σ_{n,i,j} dZ[n,f,i,j];
    dXp[n,c,s·i+d·k,s·j+d·l] += dZ[n,f,i,j] W[f,c,k,l]  (each output sends its gradient back
    to the pixels its window read)."""
    dw, dxp = np.zeros_like(w), np.zeros_like(xp)
    db = dz.sum(axis=(0, 2, 3))
    for n, f, i, j in np.ndindex(dz.shape):
        for c, k, l in np.ndindex(w.shape[1:]):  # noqa: E741
            u, v = stride * i + dilation * k, stride * j + dilation * l
            dw[f, c, k, l] += dz[n, f, i, j] * xp[n, c, u, v]
            dxp[n, c, u, v] += dz[n, f, i, j] * w[f, c, k, l]
    return dw, db, dxp


def verdict(error: float, tolerance: float = LOOPS_AGREE) -> str:
    return "agree" if error < tolerance else "DISAGREE"


def forward_lesson(args, rng):
    x = rng.integers(-3, 4, (1, 2, 5, 6)).astype(np.float64)  # N = 1, C = 2, a 5×6 image
    layer = Conv2d(2, 2, 3, stride=args.stride, padding=args.padding, dilation=args.dilation,
                   rng=0, dtype="float64")
    layer.b = np.array([0.5, -1.0])
    p = args.padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    z = layer(x)
    loops = correlation_loops(xp, layer.W, layer.b, args.stride, args.dilation, *z.shape[2:])
    print(f"1. {layer!r} on a {x.shape[2]}×{x.shape[3]} two-channel image → Z {z.shape}")
    print("   Z[0, 0] by the loops:")
    for row in loops[0, 0]:
        print("   " + " ".join(f"{v:8.3f}" for v in row))
    error = float(np.abs(z - loops).max())
    print(f"   max |layer − loops| = {error:.1e}  ({verdict(error)})\n")
    return layer, x, xp


def backward_lesson(args, rng, layer, x, xp):
    z = layer(x)
    g = rng.standard_normal(z.shape)  # the upstream gradient G = ∂L/∂Z for L = Σ G ⊙ Z
    layer.zero_grad()
    dx = layer.backward(g)
    dw, db, dxp = backward_loops(xp, layer.W, g, args.stride, args.dilation)
    p = args.padding
    dx_loops = dxp[:, :, p:xp.shape[2] - p, p:xp.shape[3] - p]  # dX = dXp without its border

    def loss_of(name):
        """L = Σ G ⊙ Z as a function of one tensor (x, W or b), the others held fixed."""
        if name == "x":
            return lambda value: float((layer.forward(value) * g).sum())

        def loss(value):
            original = getattr(layer, name).copy()
            setattr(layer, name, value)
            out = float((layer.forward(x) * g).sum())
            setattr(layer, name, original)
            return out
        return loss

    rows = [("dW", "Σ_{n,i,j} dZ · Xp[s·i+d·k, s·j+d·l]", layer.dW, dw, "W"),
            ("db", "Σ_{n,i,j} dZ", layer.db, db, "b"),
            ("dX", "dZ scattered back through W, cropped", dx, dx_loops, "x")]
    print("2. the backward's three equations (L = Σ G ⊙ Z)")
    print(f"   {'':3s} {'equation':38s} {'|layer − loops|':>16s} {'relative to finite diff.':>25s}")
    for name, equation, by_layer, by_loops, wrt in rows:
        at = x if wrt == "x" else getattr(layer, wrt).copy()
        numeric = numerical_grad(loss_of(wrt), at.copy())
        e_loops = float(np.abs(by_layer - by_loops).max())
        e_fd = float(np.abs(by_layer - numeric).max() / max(1.0, np.abs(by_layer).max()))
        print(f"   {name:3s} {equation:38s} {e_loops:16.1e} {e_fd:25.1e}  "
              f"({verdict(e_loops)}, {verdict(e_fd, DIFFERENCES_AGREE)})")
    print()


def maxpool_lesson():
    x = np.array([[[[1.0, 3.0, 2.0, 0.0],
                    [3.0, 0.0, 5.0, 1.0],
                    [2.0, 4.0, 1.0, 1.0],
                    [0.0, 4.0, 1.0, 0.0]]]])
    pool = MaxPool2d(2, dtype="float64")
    y = pool(x)
    dx = pool.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    print("3. MaxPool2d(2×2): each window's gradient goes to its maximum; a tie to the first")
    print("   in row-major order (ties: two 3s top left, two 4s bottom left, three 1s bottom right)")
    print(f"   {'input X':23s}  {'dY routed to dX':23s}")
    for row_x, row_d in zip(x[0, 0], dx[0, 0], strict=True):
        print("   " + " ".join(f"{v:5.0f}" for v in row_x) + "   " + " ".join(f"{v:5.0f}" for v in row_d))
    print(f"   Y = {y[0, 0].tolist()},  dY = [[10, 20], [30, 40]]")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stride", type=int, default=1, help="the convolution's stride s (default 1)")
    parser.add_argument("--padding", type=int, default=1, help="zeros added on each side, p (default 1)")
    parser.add_argument("--dilation", type=int, default=1, help="spacing d of the kernel's taps (default 1)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    layer, x, xp = forward_lesson(args, rng)
    backward_lesson(args, rng, layer, x, xp)
    maxpool_lesson()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
