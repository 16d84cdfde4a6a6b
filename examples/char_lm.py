"""A character-level language model: an LSTM learns to spell English words and invents new ones.

The text is the shipped English word list (data/words/: SCOWL's size-50 American list
from Debian's ``wamerican``, licence in data/README.md), split 90/10 by a fixed seed.
Each word is one sequence, as makemore does with names: the inputs ``. c a t`` predict
the targets ``c a t .`` (``.`` is the word boundary; shorter words are padded with
targets the loss ignores). The model is Embedding → LSTM → Dense over every step.

What it reports is the held-out **bits per character**: −log₂ P(next character),
averaged over every letter of the validation words and each word's end. A model that
knew nothing but the letter frequencies (the unigram) needs about 4.2 bits; one that
also saw the previous letter (the bigram) about 3.6; both are counted on the same
training words (minidl.data.text.ngram_bits). Then it samples new words, seeded, at a
few temperatures.

Run:  python examples/char_lm.py [--epochs 6] [--hidden 128] [--quick]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from minidl import LSTM, Adam, Dense, Embedding, Sequential, SoftmaxCrossEntropy
from minidl.data.text import (
    IGNORE,
    WordSplit,
    length_batches,
    load_words,
    model_bits,
    ngram_bits,
    pad_words,
    sample_words,
)
from minidl.optim.clip import clip_grad_norm

TEMPERATURES = (0.5, 0.8, 1.0)


def lstm_lm(vocab_size: int, embed: int, hidden: int, rng) -> Sequential:
    """Embedding(V, E) → LSTM(E → H), every step → Dense(H → V): logits for the next character."""
    rng = np.random.default_rng(rng)
    return Sequential(Embedding(vocab_size, embed, rng=rng), LSTM(embed, hidden, rng=rng),
                      Dense(hidden, vocab_size, rng=rng))


def baselines(split: WordSplit) -> dict[str, float]:
    """Held-out bits per character of add-one n-gram models counted on the training words."""
    return {name: ngram_bits(split.train, split.val, split.vocab, order)
            for order, name in ((1, "unigram"), (2, "bigram"), (3, "trigram"))}


def train(model, split: WordSplit, *, epochs: int, batch_size: int, lr: float, trim: bool,
          seed: int, log=print) -> float:
    """Adam with a cosine-decayed learning rate; returns the held-out bits per character.

    ``trim`` lets each batch run only as many steps as its longest word (a recurrent
    model takes any T); a model built for one T (positional embeddings) passes False.
    """
    x, y = pad_words(split.train, split.vocab, split.length)
    x_val, y_val = pad_words(split.val, split.vocab, split.length)
    loss_fn = SoftmaxCrossEntropy(ignore_index=IGNORE)
    params = model.parameters()
    opt = Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    total, step = epochs * math.ceil(len(x) / batch_size), 0
    for epoch in range(1, epochs + 1):
        start, losses = time.perf_counter(), []
        for xb, yb in length_batches(x, y, batch_size, rng, trim=trim):
            # Cosine decay: large steps early, small ones late to settle into a minimum.
            opt.lr = lr * 0.5 * (1 + math.cos(math.pi * step / total))
            losses.append(loss_fn(model(xb), yb))
            model.zero_grad()
            model.backward(loss_fn.backward())
            clip_grad_norm(params, 5.0)   # a rare long word's large gradient cannot wreck a step
            opt.step()
            step += 1
        val_bits = model_bits(model, x_val, y_val)
        log(f"epoch {epoch}/{epochs}: train {np.mean(losses) / math.log(2):.3f} bits/char, "
            f"held-out {val_bits:.3f} bits/char ({time.perf_counter() - start:.1f} s)")
    return val_bits


def show_samples(logits_of, split: WordSplit, *, count: int, seed: int, log=print) -> None:
    """``count`` sampled words per temperature, and how many of them are real held-out or training words."""
    known = set(split.train) | set(split.val)
    for temperature in TEMPERATURES:
        words = sample_words(logits_of, split.vocab, count, temperature=temperature,
                             max_length=split.length - 1, rng=seed)
        real = sum(w in known for w in words)
        log(f"  T = {temperature}: {' '.join(w or '(empty)' for w in words)}   "
            f"[{real} of {count} are in the word list]")


def finish(rows: list[tuple[str, int, float]], base: dict[str, float], split: WordSplit,
           logits_of, *, samples: int, seed: int, log=print) -> None:
    """The table of held-out bits per character (models, then the n-gram baselines), which
    baselines the last model beats, and words sampled from it."""
    log("\n| model | parameters | held-out bits/char |\n|---|---:|---:|")
    for name, count, bits in rows:
        log(f"| {name} | {count:,} | {bits:.3f} |")
    for name, bits in base.items():
        log(f"| {name} (add-one, same split) | — | {bits:.3f} |")
    name, _, bits = rows[-1]
    beaten = [b for b in ("unigram", "bigram") if bits < base[b]]
    log(f"\nheld-out: {name} {bits:.3f} bits/char; beats {', '.join(beaten) or 'neither baseline'}")
    log(f"samples from the {name}:")
    show_samples(logits_of, split, count=samples, seed=seed, log=log)


def common_arguments(p: argparse.ArgumentParser) -> None:
    """The flags both language-model scripts take."""
    p.add_argument("--batch-size", type=int, default=64, help="words per step")
    p.add_argument("--limit", type=int, default=None, help="use only this many words (a seeded draw)")
    p.add_argument("--samples", type=int, default=12, help="words sampled per temperature")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, batches and samples")


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=6, help="passes over the training words")
    p.add_argument("--embed", type=int, default=32, help="E, the width of each character's embedding")
    p.add_argument("--hidden", type=int, default=128, help="H, the LSTM's hidden size")
    p.add_argument("--lr", type=float, default=5e-3, help="Adam's starting learning rate")
    common_arguments(p)
    p.add_argument("--quick", action="store_true",
                   help="a seconds-long run for the test suite: 3000 words, 3 epochs, H = 48")
    args = p.parse_args(argv)
    if args.quick:
        args.limit, args.epochs, args.hidden, args.embed, args.samples = 3000, 3, 48, 16, 5
        args.lr = 1e-2
    return args


def main(argv=None) -> int:
    args = parse(argv)
    split = load_words(limit=args.limit)   # the fixed split (seed 0) whatever --seed says
    print(f"{len(split.train):,} training and {len(split.val):,} held-out words, "
          f"{split.vocab.size} symbols {split.vocab.chars!r}, T = {split.length}")
    base = baselines(split)
    model = lstm_lm(split.vocab.size, args.embed, args.hidden, args.seed)
    print(f"{model!r}: {model.num_parameters():,} parameters")
    bits = train(model, split, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                 trim=True, seed=args.seed)
    finish([("LSTM", model.num_parameters(), bits)], base, split, model,
           samples=args.samples, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
