"""A character-level causal transformer on the same words and split as examples/char_lm.py.

The model is a composition of minidl's layers, nothing monolithic:

    Embedding(V, E) → PositionalEmbedding(T, E)
    → blocks × [ Residual(Sequential(LayerNorm, MultiHeadAttention(causal=True)))
                 Residual(Sequential(LayerNorm, Dense(E → M), GELU, Dense(M → E))) ]
    → LayerNorm → Dense(E → V)

The causal mask lets position t attend to positions ≤ t only, so every position predicts
its next character from the ones before it, like the LSTM, and the padding after a word
cannot leak into its targets. The script trains it, trains char_lm's LSTM beside it
(same words, split, schedule and seed; ``--no-lstm`` skips that), and prints both
held-out bits per character with their parameter counts next to the n-gram baselines,
then samples words from the transformer.

Every batch is padded to the one T that the positional embedding was built for (the
longest word + 1); the LSTM's batches stop at their own longest word instead.

Run:  python examples/char_transformer.py [--epochs 6] [--embed 64] [--blocks 2] [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from minidl import GELU, Dense, Embedding, LayerNorm, MultiHeadAttention, Residual, Sequential
from minidl.data.text import load_words
from minidl.nn.layers.tokens import PositionalEmbedding

# The LSTM, the training loop, the baselines and the report are char_lm's own: one copy.
sys.path.append(str(Path(__file__).resolve().parent))   # appended: shadows nothing
from char_lm import baselines, common_arguments, finish, lstm_lm, train  # noqa: E402
from char_lm import parse as lstm_defaults  # noqa: E402


def transformer_lm(vocab_size: int, length: int, *, embed: int, heads: int, blocks: int,
                   mlp: int, rng) -> Sequential:
    """The composition in the module docstring; T = ``length`` positions."""
    rng = np.random.default_rng(rng)
    layers = [Embedding(vocab_size, embed, rng=rng), PositionalEmbedding(length, embed, rng=rng)]
    for _ in range(blocks):
        layers += [
            Residual(Sequential(LayerNorm(embed), MultiHeadAttention(embed, heads, causal=True, rng=rng))),
            Residual(Sequential(LayerNorm(embed), Dense(embed, mlp, rng=rng), GELU(),
                                Dense(mlp, embed, rng=rng))),
        ]
    return Sequential(*layers, LayerNorm(embed), Dense(embed, vocab_size, rng=rng))


def padded_logits(model, length: int):
    """``ids (n, t) → logits (n, t, V)`` for a model built for T = ``length``: the prefix is
    padded on the right to T, which the causal mask keeps from changing the first t rows."""
    def logits_of(ids):
        ids = np.asarray(ids)
        full = np.zeros((ids.shape[0], length), dtype=ids.dtype)
        full[:, :ids.shape[1]] = ids
        return model(full)[:, :ids.shape[1]]
    return logits_of


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=6, help="passes over the training words")
    p.add_argument("--embed", type=int, default=64, help="E, the width of each token")
    p.add_argument("--heads", type=int, default=4, help="attention heads (must divide E)")
    p.add_argument("--blocks", type=int, default=2, help="transformer blocks")
    p.add_argument("--mlp", type=int, default=192, help="M, the hidden width of each block's MLP")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam's starting learning rate")
    p.add_argument("--no-lstm", action="store_true", help="skip the LSTM trained for comparison")
    common_arguments(p)
    p.add_argument("--quick", action="store_true",
                   help="a seconds-long run for the test suite: 3000 words, 3 epochs, small models")
    args = p.parse_args(argv)
    if args.embed % args.heads:
        p.error(f"--heads {args.heads} must divide --embed {args.embed}")
    if args.quick:
        args.limit, args.epochs, args.samples = 3000, 3, 5
        args.embed, args.heads, args.blocks, args.mlp, args.lr = 32, 2, 1, 64, 1e-2
    return args


def main(argv=None) -> int:
    args = parse(argv)
    split = load_words(limit=args.limit)   # char_lm's split: the same words held out
    print(f"{len(split.train):,} training and {len(split.val):,} held-out words, T = {split.length}")
    base = baselines(split)
    rows = []
    if not args.no_lstm:
        # char_lm's own defaults (its --quick ones under --quick), so the two rows compare.
        la = lstm_defaults(["--quick"] if args.quick else [])
        lstm = lstm_lm(split.vocab.size, la.embed, la.hidden, args.seed)
        print(f"LSTM (E = {la.embed}, H = {la.hidden}): {lstm.num_parameters():,} parameters")
        bits = train(lstm, split, epochs=la.epochs, batch_size=la.batch_size, lr=la.lr,
                     trim=True, seed=args.seed)
        rows.append(("LSTM (char_lm.py)", lstm.num_parameters(), bits))
    model = transformer_lm(split.vocab.size, split.length, embed=args.embed, heads=args.heads,
                           blocks=args.blocks, mlp=args.mlp, rng=args.seed)
    print(f"transformer (E = {args.embed}, {args.heads} heads, {args.blocks} blocks, MLP {args.mlp}): "
          f"{model.num_parameters():,} parameters")
    bits = train(model, split, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                 trim=False, seed=args.seed)
    rows.append(("transformer", model.num_parameters(), bits))
    finish(rows, base, split, padded_logits(model, split.length), samples=args.samples, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
