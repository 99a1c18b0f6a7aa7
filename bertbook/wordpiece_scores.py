"""Which pair to merge next: WordPiece's score beside BPE's count.

``tokenizers``' ``WordPieceTrainer`` runs byte-pair-encoding training (see ``wordpiece_merges``): it
merges the adjacent pair of pieces that occurs **most often**. WordPiece as Google described it
(Schuster & Nakajima 2012, "Japanese and Korean voice search", ICASSP) adds instead the new piece that
most raises the likelihood of the training text under a language model over pieces. Google never
released that trainer; the usual reconstruction (the Hugging Face course, chapter 6, "WordPiece
tokenization") scores a pair ``(a, b)`` by

    score(a, b) = freq(ab) / (freq(a) * freq(b)),

the pair's count divided by the counts of its two parts. It prefers pairs whose parts seldom occur
apart (``q`` + ``##u``) over pairs that are merely frequent (``##h`` + ``##e``). This module counts
both on a small corpus, in plain Python a student can read, so a lesson can show the two orders of
merges side by side. It is not how bertbook's shipped vocabulary was trained (that is BPE's count).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from .wordpiece_merges import PREFIX, MergeHistory

RULES = ("bpe", "wordpiece")


@dataclass(frozen=True)
class PairScore:
    """One adjacent pair of pieces, with the counts both rules read (each word weighted by its frequency)."""
    left: str
    right: str
    count: int          # freq(ab): how often the two pieces stand next to each other
    left_count: int     # freq(a): how often the left piece occurs at all
    right_count: int    # freq(b)

    @property
    def pair(self) -> tuple[str, str]:
        return self.left, self.right

    @property
    def score(self) -> float:
        """WordPiece's score freq(ab) / (freq(a) freq(b)); BPE's is just ``count``."""
        return self.count / (self.left_count * self.right_count)


def split_word(word: str) -> tuple[str, ...]:
    """Training starts from characters; all but the first get the ``##`` prefix: whale -> w ##h ##a ##l ##e."""
    if not word:
        raise ValueError("cannot split an empty word")
    return (word[0],) + tuple(PREFIX + c for c in word[1:])


def pair_scores(splits: Mapping[tuple[str, ...], int]) -> list[PairScore]:
    """Every adjacent pair in ``splits`` (a word's current pieces -> how often the word occurs), with
    its count and the counts of its two pieces."""
    pieces, pairs = Counter(), Counter()
    for word, n in splits.items():
        for piece in word:
            pieces[piece] += n
        for a, b in zip(word, word[1:]):
            pairs[a, b] += n
    return [PairScore(a, b, n, pieces[a], pieces[b]) for (a, b), n in pairs.items()]


def best_pair(scores: Iterable[PairScore], rule: str = "wordpiece") -> PairScore:
    """The pair a rule merges next. Ties are broken by the higher count, then alphabetically, so the
    result does not depend on the order of the corpus (real trainers break ties their own way)."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    scores = list(scores)
    if not scores:
        raise ValueError("no pair left to merge: every word is a single piece")
    if rule == "bpe":
        return min(scores, key=lambda s: (-s.count, s.pair))
    return min(scores, key=lambda s: (-s.score, -s.count, s.pair))


def merge_pair(splits: Mapping[tuple[str, ...], int], left: str, right: str) -> dict[tuple[str, ...], int]:
    """Glue every adjacent ``left right`` into one piece (``th`` + ``##e`` -> ``the``), in every word."""
    glued = MergeHistory.merged(left, right)
    out: dict[tuple[str, ...], int] = {}
    for word, n in splits.items():
        new, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == left and word[i + 1] == right:
                new.append(glued)
                i += 2
            else:
                new.append(word[i])
                i += 1
        out[tuple(new)] = out.get(tuple(new), 0) + n
    return out


def train_merges(word_counts: Mapping[str, int], n_merges: int, rule: str = "wordpiece") -> list[PairScore]:
    """The first ``n_merges`` merges of training by ``rule`` ("bpe": the most frequent pair;
    "wordpiece": the highest freq(ab) / (freq(a) freq(b))), each with the counts it was chosen on."""
    if n_merges < 0:
        raise ValueError(f"n_merges must be >= 0, got {n_merges}")
    splits: dict[tuple[str, ...], int] = {}
    for word, n in word_counts.items():
        key = split_word(word)
        splits[key] = splits.get(key, 0) + n
    chosen = []
    for _ in range(n_merges):
        best = best_pair(pair_scores(splits), rule)
        chosen.append(best)
        splits = merge_pair(splits, best.left, best.right)
    return chosen
