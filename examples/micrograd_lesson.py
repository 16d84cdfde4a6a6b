"""A micrograd lesson on minidl's engine: a scalar graph, its gradients, and its picture.

1. z = x·y + x at x = 2, y = 3: the chain rule by hand, then by `backward()`.
2. A tanh neuron a = tanh(w₁x₁ + w₂x₂ + b): the local derivative 1 − a², then every input's
   gradient (background/backprop-population-node.md §6.1).
3. The neuron's graph as Graphviz DOT text, and as a picture when `dot` is installed.

Run:  python examples/micrograd_lesson.py [--out neuron.svg]
"""

import argparse

from minidl.autodiff import Tensor, render_dot, to_dot


def scalar_chain_rule():
    """z = x·y + x: ∂z/∂x = y + 1 (two paths reach z from x), ∂z/∂y = x."""
    x = Tensor(2.0, requires_grad=True, name="x")
    y = Tensor(3.0, requires_grad=True, name="y")
    z = x * y + x
    z.backward()
    print(f"z = x·y + x = {z.item():g} at x = 2, y = 3")
    print(f"  by hand : ∂z/∂x = y + 1 = {3 + 1:g},   ∂z/∂y = x = {2:g}")
    print(f"  engine  : ∂z/∂x = {x.grad.item():g},   ∂z/∂y = {y.grad.item():g}")


def neuron():
    """a = tanh(w₁x₁ + w₂x₂ + b); returns a, with every node's gradient filled in."""
    x1, x2 = Tensor(2.0, requires_grad=True, name="x1"), Tensor(0.0, requires_grad=True, name="x2")
    w1, w2 = Tensor(-3.0, requires_grad=True, name="w1"), Tensor(1.0, requires_grad=True, name="w2")
    b = Tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    a = n.tanh()
    a.name = "a"
    n.retain_grad()           # keep the intermediate gradients too, for the picture
    a.retain_grad()
    a.backward()

    local = 1 - a.item() ** 2   # tanh' = 1 − tanh²
    print(f"\na = tanh(w1·x1 + w2·x2 + b) = {a.item():.4f};  da/dn = 1 − a² = {local:.4f}")
    for leaf, other in [(x1, w1), (w1, x1), (x2, w2), (w2, x2)]:
        print(f"  ∂a/∂{leaf.name} = (1 − a²)·{other.name} = {local * other.item():+.4f}"
              f"   engine: {leaf.grad.item():+.4f}")
    print(f"  ∂a/∂b  = 1 − a² = {local:+.4f}   engine: {b.grad.item():+.4f}")
    return a


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="render the neuron's graph to this .svg or .png file")
    args = parser.parse_args(argv)

    scalar_chain_rule()
    a = neuron()
    print("\nThe neuron's graph in DOT (paste into any Graphviz viewer):\n")
    print(to_dot(a))
    if args.out:
        try:
            print(f"picture written to {render_dot(a, args.out)}")
        except RuntimeError as error:
            print(error)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
