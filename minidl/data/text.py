"""Words for character-level language models: the shipped English word list (data/words/),
characters as ids, a seeded train/validation split, padded (N, T) inputs and targets,
batches of similar length, the n-gram baselines and sampling.

Each word is one sequence, as makemore does with names: id 0 is the word boundary ``.``,
the context before the first letter and the target after the last. For ``"cat"`` the
inputs are ``. c a t`` and the targets ``c a t .``; shorter words are padded on the right
with targets ``IGNORE``, which ``SoftmaxCrossEntropy(ignore_index=IGNORE)`` skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import as_generator
from .errors import DataError

# The shipped list (see data/README.md): <repo>/data/words/words.txt, next to the package.
WORDS_PATH = Path(__file__).resolve().parents[2] / "data" / "words" / "words.txt"
BOUNDARY = "."   # id 0: start-of-word context and end-of-word target
IGNORE = -1      # the target of a padding position


def read_words(path=None) -> list[str]:
    """The words of a text file, one a line (blank lines skipped), in file order.

    A word may hold any characters but whitespace and the boundary ``.``; a line that
    does is a ``DataError`` naming the file and the line.
    """
    path = Path(WORDS_PATH if path is None else path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: no such word list") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    words = []
    for number, line in enumerate(lines, start=1):
        word = line.strip()
        if not word:
            continue
        if BOUNDARY in word or len(word.split()) != 1:
            raise DataError(f"{path}, line {number}: expected one word without spaces or "
                            f"{BOUNDARY!r} (the word boundary), got {line!r}")
        words.append(word)
    if not words:
        raise DataError(f"{path}: no words in the file")
    return words


class CharVocab:
    """Characters ↔ ids: 0 is the boundary ``.``, then the characters in sorted order.

    Example:
        >>> vocab = CharVocab.from_words(["cab", "bad"])
        >>> vocab.size, vocab.encode("dab").tolist(), vocab.decode([4, 1, 2, 0, 3])
        (5, [4, 1, 2], 'dab')
    """

    def __init__(self, chars: str):
        self.chars = BOUNDARY + "".join(sorted(set(chars) - {BOUNDARY}))
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_words(cls, words) -> CharVocab:
        return cls("".join(words))

    @property
    def size(self) -> int:
        """V: the boundary plus every character."""
        return len(self.chars)

    def encode(self, word: str) -> np.ndarray:
        try:
            return np.array([self._ids[c] for c in word], dtype=np.int64)
        except KeyError as err:
            raise ValueError(f"CharVocab.encode: {err.args[0]!r} in {word!r} is not one of "
                             f"the {self.size} characters {self.chars!r}") from None

    def decode(self, ids) -> str:
        """The characters of ``ids`` up to the first boundary (the end of the word)."""
        out = []
        for i in np.asarray(ids).tolist():
            if i == 0:
                break
            out.append(self.chars[i])
        return "".join(out)

    def __repr__(self) -> str:
        return f"CharVocab({self.size}: {self.chars!r})"


@dataclass
class WordSplit:
    """A word list split into ``train`` and ``val`` words, with the vocabulary of both."""

    train: list[str]
    val: list[str]
    vocab: CharVocab

    @property
    def length(self) -> int:
        """T that fits every word of both parts: the longest word plus its boundary."""
        return max(len(w) for w in self.train + self.val) + 1


def load_words(path=None, *, val_fraction: float = 0.1, limit: int | None = None,
               rng=0) -> WordSplit:
    """Read a word list and split it by a seeded permutation.

    Args:
        path: the word list (default: the shipped ``data/words/words.txt``).
        val_fraction: the share of words held out, in (0, 1).
        limit: keep only this many words, drawn by the same permutation (quick runs).
        rng: seed or Generator of the permutation; the default 0 fixes the split.

    Returns:
        A :class:`WordSplit`; the vocabulary is built from every word read, so a held-out
        word never meets an unknown character.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"load_words: val_fraction must be in (0, 1), got {val_fraction!r}")
    words = read_words(path)
    order = as_generator(rng).permutation(len(words))
    if limit is not None:
        if limit < 2:
            raise ValueError(f"load_words: limit must be at least 2 words, got {limit!r}")
        order = order[:limit]
    held = max(1, round(val_fraction * len(order)))
    if held >= len(order):
        raise ValueError(f"load_words: {len(order)} words with val_fraction={val_fraction} "
                         f"leave none to train on")
    return WordSplit(train=[words[i] for i in order[held:]], val=[words[i] for i in order[:held]],
                     vocab=CharVocab.from_words(words))


def pad_words(words, vocab: CharVocab, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs X and targets Y, both (N, T) int64: row n is word n as ``. w₁ … w_L`` → ``w₁ … w_L .``.

    Input padding is the boundary id 0 (never seen by a kept target of a causal or
    recurrent model, since it comes after the word); target padding is ``IGNORE``.
    """
    x = np.zeros((len(words), length), dtype=np.int64)
    y = np.full((len(words), length), IGNORE, dtype=np.int64)
    for n, word in enumerate(words):
        if len(word) + 1 > length:
            raise ValueError(f"pad_words: {word!r} needs {len(word) + 1} positions, "
                             f"more than T = {length}")
        ids = vocab.encode(word)
        x[n, 1:len(ids) + 1] = ids
        y[n, :len(ids)] = ids
        y[n, len(ids)] = 0
    return x, y


def length_batches(x, y, batch_size: int, rng, *, trim: bool = True) -> Iterator[tuple]:
    """One epoch of shuffled (X, Y) batches, each of words of similar length.

    The words are shuffled, sorted by length within chunks of 16 batches and cut into
    batches, whose order is shuffled again. With ``trim`` each batch drops its trailing
    columns of pure padding: they carry no kept target, so the loss is unchanged and a
    recurrent layer runs only as many steps as the batch's longest word needs.
    """
    rng = as_generator(rng)
    lengths = (y != IGNORE).sum(axis=1)
    order = rng.permutation(len(y))
    chunk = 16 * batch_size
    order = np.concatenate([part[np.argsort(lengths[part], kind="stable")]
                            for part in np.split(order, range(chunk, len(order), chunk))])
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    for b in rng.permutation(len(batches)):
        rows = batches[b]
        t = lengths[rows].max() if trim else y.shape[1]
        yield x[rows, :t], y[rows, :t]


def ngram_bits(train, val, vocab: CharVocab, order: int, *, alpha: float = 1.0) -> float:
    """Held-out bits per character of an add-α smoothed n-gram model counted on ``train``.

    ``P(c | h) = (count(h, c) + α) / (count(h) + α V)``, h the n − 1 characters before c
    (boundaries before the word's start); order 1 is the unigram, 2 the bigram. The
    characters scored are the targets of :func:`pad_words`: every letter and each word's end.
    """
    if order < 1:
        raise ValueError(f"ngram_bits: order must be at least 1, got {order!r}")
    v = vocab.size
    length = max(len(w) for w in list(train) + list(val)) + 1

    def codes(words):
        """(context, character) of every scored position as one integer, context·V + c."""
        x, y = pad_words(words, vocab, length)
        kept = y != IGNORE
        context = np.zeros_like(x)
        for k in range(order - 1):  # the character k + 1 places back is x shifted right by k
            back = np.zeros_like(x)
            back[:, k:] = x[:, :length - k]
            context = context * v + back
        return (context * v + np.where(kept, y, 0))[kept]

    counts = np.bincount(codes(train), minlength=v ** order).reshape(-1, v).astype(np.float64)
    log_p = np.log2(counts + alpha) - np.log2(counts.sum(axis=1, keepdims=True) + alpha * v)
    return float(-log_p.reshape(-1)[codes(val)].mean())


def model_bits(logits_of: Callable, x, y, *, batch_size: int = 1024) -> float:
    """Bits per kept target of a model: −Σ log₂ softmax(Z)[y] / K over all K kept positions.

    ``logits_of(X)`` maps (n, T) ids to (n, T, V) logits. The log-softmax is taken in
    float64, so float32 models are scored without their own rounding in the log.
    """
    total, count = 0.0, 0
    for i in range(0, len(x), batch_size):
        z = np.asarray(logits_of(x[i:i + batch_size]), dtype=np.float64)  # (n, T, V)
        t = y[i:i + batch_size]
        kept = t != IGNORE
        z = z - z.max(axis=-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(log_p, np.where(kept, t, 0)[..., None], axis=-1)[..., 0]
        total -= picked[kept].sum()
        count += int(kept.sum())
    return total / count / np.log(2)


def sample_words(logits_of: Callable, vocab: CharVocab, count: int, *, temperature: float = 1.0,
                 max_length: int = 30, rng=None) -> list[str]:
    """``count`` words drawn one character at a time from softmax(Z_t / temperature).

    ``logits_of(X)`` maps (n, t) ids, the boundary first, to (n, t, V) logits; the last
    position's row is the next character's distribution. A word ends at its first
    boundary, or after ``max_length`` characters. Lower temperatures sharpen the
    distribution (more common spellings), higher ones flatten it.
    """
    if not temperature > 0:
        raise ValueError(f"sample_words: temperature must be > 0, got {temperature!r}")
    rng = as_generator(rng)
    ids = np.zeros((count, 1), dtype=np.int64)
    done = np.zeros(count, dtype=bool)
    for _ in range(max_length):
        z = np.asarray(logits_of(ids), dtype=np.float64)[:, -1] / temperature   # (n, V)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        draw = (cumulative < rng.random((count, 1))).sum(axis=1).clip(max=vocab.size - 1)
        draw[done] = 0
        ids = np.concatenate([ids, draw[:, None]], axis=1)
        done |= draw == 0
        if done.all():
            break
    return [vocab.decode(row[1:]) for row in ids]
