"""A small cloze test: did the model learn language, or only word frequencies?

``data/cloze/cloze_sentences.tsv`` holds simple sentences written for bertbook, each with one [MASK]
and the words that would fit there, in two sets: "novels" (28, in the style of the books the first
models read) and "everyday" (47 of modern English: 12 written with the 43 more books, 35 more with the
everyday library, each before any model trained on that text answered it). None of them is in the
training text (``tests/test_fill_mask.py`` checks the books and the everyday library). A model scores a
hit when an acceptable word is among its top ``k`` predictions. A model that always answers with the
most frequent words ("the", ",", ".") scores 0: the answers are content words that only the context
can suggest (``tests/test_fill_mask.py`` holds the set sizes to these numbers).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .corpus import DATA_DIR

CLOZE_FILE = DATA_DIR / "cloze" / "cloze_sentences.tsv"
# A second set (27 novel-style, 49 everyday), written on 2026-12-07 before any model answered it, for one
# decision: which of two retrained minilm-mlm runs to ship (data/cloze/README.md has the rule, written
# with it, and the result). Kept apart so that the first set's numbers stay comparable across runs.
SECOND_SET_FILE = DATA_DIR / "cloze" / "second_set.tsv"
# A third (25 novel-style, 50 everyday), written and committed with its rule before any model answered it, for
# the next decision: run 11 against run 10 (data/cloze/README.md; it chose run 11).
THIRD_SET_FILE = DATA_DIR / "cloze" / "third_set.tsv"
# A fourth (25 novel-style, 50 everyday), written and committed with its rule before any model answered it, for
# one decision: whether run 12 (a long run from run 11's weights) replaces run 11 (data/cloze/README.md; it did not).
FOURTH_SET_FILE = DATA_DIR / "cloze" / "fourth_set.tsv"


@dataclass
class ClozeItem:
    sentence: str                  # with exactly one [MASK]
    acceptable: frozenset          # lower-case words that fit the gap
    set: str = ""                  # "novels" or "everyday"


def load_cloze(path: str | Path = CLOZE_FILE) -> list[ClozeItem]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    items = [ClozeItem(r["sentence"], frozenset(w.strip().lower() for w in r["acceptable"].split(",")), r.get("set") or "")
             for r in rows]
    bad = [i.sentence for i in items if i.sentence.count("[MASK]") != 1]
    if bad:
        raise ValueError(f"every cloze sentence needs exactly one [MASK]; these do not: {bad}")
    return items


@dataclass
class ClozeResult:
    hits: int
    total: int
    rows: list                     # (sentence, top-k words, hit?) per item
    sets: tuple = ()               # the item's set ("novels", "everyday") per row
    items: tuple = ()              # the ClozeItems scored, for ``within``
    k: int = 0                     # how many answers per sentence were kept (0: not recorded)

    @property
    def accuracy(self) -> float:
        return self.hits / self.total

    def by_set(self) -> dict:
        """``{set: (hits, total)}``, e.g. ``{"novels": (16, 28), "everyday": (20, 47)}``."""
        out = {}
        for (*_, hit), name in zip(self.rows, self.sets):
            hits, total = out.get(name, (0, 0))
            out[name] = (hits + hit, total + 1)
        return out

    def within(self, k: int) -> "ClozeResult":
        """The same answers scored at a smaller ``k``: a model's top ``k`` are the first ``k`` of its top answers, so
        right-first counts (``within(1)``) need no second pass over the sentences."""
        if not self.items:
            raise ValueError("this result does not keep its cloze items; score it again with cloze_score(...)")
        if not 1 <= k <= self.k:
            raise ValueError(f"within(k) needs 1 <= k <= {self.k}, the answers kept per sentence; got {k!r} "
                             f"(score again with cloze_score(k={k}) for more)")
        rows = [(sentence, words[:k], any(w.lower() in item.acceptable for w in words[:k]))
                for (sentence, words, _), item in zip(self.rows, self.items)]
        return ClozeResult(sum(hit for *_, hit in rows), len(rows), rows, self.sets, self.items, k)

    def __str__(self) -> str:
        return f"{self.hits}/{self.total} sentences with an acceptable word in the top k ({self.accuracy:.0%})"


def cloze_score(predict: Callable[[str, int], list] | None = None, k: int = 5,
                items: list[ClozeItem] | None = None, model=None, tokenizer=None) -> ClozeResult:
    """Score ``predict(sentence, k) -> [(word, prob), ...]`` (default: ``fill_mask`` with ``model``)."""
    if predict is None:
        from .fill_mask import fill_mask
        predict = lambda sentence, k: fill_mask(sentence, k=k, model=model, tokenizer=tokenizer)  # noqa: E731
    items = load_cloze() if items is None else items
    rows = []
    for item in items:
        words = [w for w, _ in predict(item.sentence, k)][:k]
        rows.append((item.sentence, words, any(w.lower() in item.acceptable for w in words)))
    return ClozeResult(sum(hit for *_, hit in rows), len(rows), rows, tuple(item.set for item in items), tuple(items),
                       k)
