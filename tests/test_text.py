"""minidl.data.text: the word list, ids, the split, padding, batches, n-gram baselines, sampling."""

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.data import DataError
from minidl.data.text import (
    IGNORE,
    CharVocab,
    length_batches,
    load_words,
    model_bits,
    ngram_bits,
    pad_words,
    read_words,
    sample_words,
)


def write(tmp_path, text, name="words.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading and ids -------------------------------------------------------------------

def test_shipped_list_is_lowercase_words():
    words = read_words()
    assert len(words) == 63_875 and len(set(words)) == len(words)
    assert CharVocab.from_words(words).chars == ".abcdefghijklmnopqrstuvwxyz"


def test_read_words_skips_blank_lines_and_strips(tmp_path):
    assert read_words(write(tmp_path, "cat\n\n  dog \r\nemu")) == ["cat", "dog", "emu"]


@pytest.mark.parametrize("line", ["two words", "e.g"])
def test_read_words_names_the_bad_line(tmp_path, line):
    with pytest.raises(DataError, match=r"words.txt, line 2: expected one word"):
        read_words(write(tmp_path, f"cat\n{line}\n"))


def test_read_words_refuses_missing_empty_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="no such word list"):
        read_words(tmp_path / "absent.txt")
    with pytest.raises(DataError, match="no words"):
        read_words(write(tmp_path, "\n\n"))
    (tmp_path / "bin.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_words(tmp_path / "bin.txt")


def test_vocab_round_trip_and_unknown_character():
    vocab = CharVocab.from_words(["cab", "bad"])
    assert vocab.chars == ".abcd" and vocab.size == 5
    assert vocab.decode(vocab.encode("dab")) == "dab"
    assert vocab.decode([3, 1, 0, 2]) == "ca"   # stops at the first boundary
    with pytest.raises(ValueError, match=r"'z' in 'zap' is not one of the 5 characters"):
        vocab.encode("zap")


# --- the split -------------------------------------------------------------------------

def test_split_is_seeded_disjoint_and_complete(tmp_path):
    words = [f"w{chr(97 + i % 26)}{'x' * (i // 26)}" for i in range(100)]
    path = write(tmp_path, "\n".join(words))
    a, b = load_words(path, val_fraction=0.2), load_words(path, val_fraction=0.2)
    assert (a.train, a.val) == (b.train, b.val) and len(a.val) == 20
    assert not set(a.train) & set(a.val) and sorted(a.train + a.val) == sorted(words)
    assert load_words(path, val_fraction=0.2, rng=1).val != a.val
    small = load_words(path, val_fraction=0.2, limit=10)
    assert (len(small.train), len(small.val)) == (8, 2) and set(small.val) <= set(words)
    assert small.length == max(len(w) for w in small.train + small.val) + 1


@pytest.mark.parametrize("kwargs, message", [({"val_fraction": 1.0}, "val_fraction must be in"),
                                             ({"limit": 1}, "limit must be at least 2")])
def test_split_arguments_are_checked(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_words(write(tmp_path, "a\nb\nc"), **kwargs)


# --- padding and batches ---------------------------------------------------------------

def test_pad_words_shifts_targets_by_one():
    vocab = CharVocab.from_words(["cat", "a"])   # . a c t → 0 1 2 3
    x, y = pad_words(["cat", "a"], vocab, 5)
    assert x.tolist() == [[0, 2, 1, 3, 0], [0, 1, 0, 0, 0]]
    assert y.tolist() == [[2, 1, 3, 0, IGNORE], [1, 0, IGNORE, IGNORE, IGNORE]]
    with pytest.raises(ValueError, match=r"'cat' needs 4 positions, more than T = 3"):
        pad_words(["cat"], vocab, 3)


def test_length_batches_visit_every_word_once_and_trim_only_padding():
    words = ["a" * n for n in range(1, 40)] * 3
    x, y = pad_words(words, CharVocab.from_words(words), 40)
    seen, kept = [], 0
    for xb, yb in length_batches(x, y, 8, rng=0):
        assert xb.shape == yb.shape and (yb[:, -1] != IGNORE).any()   # the last column is used
        seen.extend((yb != IGNORE).sum(axis=1).tolist())
        kept += int((yb != IGNORE).sum())
    assert sorted(seen) == sorted((y != IGNORE).sum(axis=1).tolist()) and kept == (y != IGNORE).sum()
    widths = {xb.shape[1] for xb, _ in length_batches(x, y, 8, rng=0, trim=False)}
    assert widths == {40}


# --- n-gram baselines ------------------------------------------------------------------

def test_unigram_by_hand():
    vocab = CharVocab.from_words(["aab", "ab"])   # . a b
    # counts of the targets of "aab": a 2, b 1, . 1; add-one over V = 3: 3/7, 2/7, 2/7
    expected = -(math.log2(3 / 7) + math.log2(2 / 7) + math.log2(2 / 7)) / 3
    assert ngram_bits(["aab"], ["ab"], vocab, 1) == pytest.approx(expected, rel=1e-12)


def test_a_deterministic_text_costs_no_bits_to_a_bigram():
    words = ["ab"] * 50
    vocab = CharVocab.from_words(words)
    assert ngram_bits(words, words, vocab, 2, alpha=1e-12) < 1e-9
    assert ngram_bits(words, words, vocab, 1, alpha=1e-12) == pytest.approx(math.log2(3), rel=1e-9)


def reference_ngram_bits(train, val, order, alpha, vocab):
    """Counts kept in a dict of context strings: an independent way to the same number."""
    def events(words):
        for w in words:
            padded = "." * (order - 1) + w + "."
            for i in range(order - 1, len(padded)):
                yield padded[i - order + 1:i], padded[i]
    pairs = Counter(events(train))
    contexts = Counter(h for h, _ in events(train))
    scored = [math.log2((pairs[(h, c)] + alpha) / (contexts[h] + alpha * vocab.size))
              for h, c in events(val)]
    return -sum(scored) / len(scored)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text("abc", min_size=1, max_size=5), min_size=2, max_size=8),
       st.integers(1, 3), st.sampled_from([1.0, 0.1]))
def test_ngram_matches_a_dictionary_count(words, order, alpha):
    train, val = words[: len(words) // 2], words[len(words) // 2:]
    vocab = CharVocab.from_words(words)
    assert ngram_bits(train, val, vocab, order, alpha=alpha) == pytest.approx(
        reference_ngram_bits(train, val, order, alpha, vocab), rel=1e-10)


# --- scoring a model and sampling from it ----------------------------------------------

def test_model_bits_of_uniform_and_of_known_probabilities():
    vocab = CharVocab.from_words(["ab", "b"])
    x, y = pad_words(["ab", "b"], vocab, 3)   # 5 kept targets
    assert model_bits(lambda ids: np.zeros(ids.shape + (3,)), x, y, batch_size=1) == pytest.approx(
        math.log2(3), rel=1e-12)
    p = np.array([0.5, 0.2, 0.3])   # P(.), P(a), P(b) at every position
    targets = y[y != IGNORE]
    expected = -np.log2(p[targets]).mean()
    assert model_bits(lambda ids: np.broadcast_to(np.log(p), ids.shape + (3,)), x, y) == pytest.approx(
        expected, rel=1e-12)


def chain(vocab, p_first):
    """A model that draws the first character from ``p_first`` and then ends the word."""
    def logits_of(ids):
        z = np.full(ids.shape + (vocab.size,), -50.0)
        z[:, 0, :] = np.log(p_first)
        z[:, 1:, 0] = 0.0
        return z
    return logits_of


def test_samples_follow_the_model_and_the_temperature():
    vocab = CharVocab.from_words(["a", "b"])
    logits_of = chain(vocab, [1e-30, 0.75, 0.25])
    words = sample_words(logits_of, vocab, 4000, rng=0)
    assert set(words) == {"a", "b"} and abs(words.count("a") / 4000 - 0.75) < 0.03
    assert sample_words(logits_of, vocab, 50, rng=3) == sample_words(logits_of, vocab, 50, rng=3)
    cold = sample_words(logits_of, vocab, 200, temperature=0.05, rng=0)
    assert cold == ["a"] * 200   # (3:1)^(1/0.05) is all but certain
    hot = sample_words(logits_of, vocab, 4000, temperature=1e6, rng=0)
    # flattened to uniform: the first character is a, b or the boundary a third of the time each
    first = Counter(w[:1] for w in hot)
    assert all(abs(first[c] / 4000 - 1 / 3) < 0.04 for c in ("a", "b", ""))


def test_samples_stop_at_max_length_and_check_the_temperature():
    vocab = CharVocab.from_words(["a"])
    never_ends = lambda ids: np.log(np.broadcast_to([1e-30, 1.0], ids.shape + (2,)))  # noqa: E731
    assert sample_words(never_ends, vocab, 3, max_length=4, rng=0) == ["aaaa"] * 3
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sample_words(never_ends, vocab, 1, temperature=0)
