"""XOR with a tanh network: the smallest problem a linear model cannot solve.

Four points, two classes: (0,0) and (1,1) are class 0, (0,1) and (1,0) class 1.
No line separates them; a hidden layer of tanh units bends the space until one
does. The loop below is written out by hand (forward → loss → backward → step),
so every line maps to an equation of backprop-mlp-layers.md.

Run:  python examples/xor_tanh.py
"""

import numpy as np

from minidl import SGD, Dense, Sequential, SoftmaxCrossEntropy, Tanh


def main():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])

    model = Sequential(Dense(2, 8, rng=1, dtype="float64", init="xavier"), Tanh(),
                       Dense(8, 2, rng=2, dtype="float64", init="xavier"))
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(model.parameters(), lr=0.5, momentum=0.9)

    for step in range(301):
        logits = model(x)                    # Z₂ = tanh(X W₁ + b₁) W₂ + b₂
        loss = loss_fn(logits, y)            # L = −(1/N) Σ log P[n, yₙ]
        optimizer.zero_grad()
        model.backward(loss_fn.backward())   # ∂L/∂Z₂ = (P − Y)/N, then back through each layer
        optimizer.step()                     # v ← μv + g;  p ← p − lr·v
        if step % 50 == 0:
            print(f"step {step:3d}  loss {loss:.4f}")

    predictions = model(x).argmax(axis=1)
    for point, label, guess in zip(x, y, predictions):
        print(f"{point} → class {guess} (true {label})")
    print("solved" if (predictions == y).all() else "not solved yet: train longer")
    return 0 if (predictions == y).all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
