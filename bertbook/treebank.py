"""Universal Dependencies treebanks (CoNLL-U): words, part-of-speech tags and dependency trees.

Why this module: lesson 10 asks what a model's vectors hold about *syntax*, so it needs text whose
syntax a person has annotated. The UD English Web Treebank (``data/ud_ewt/``, dev and test splits,
CC BY-SA 4.0; see data/SOURCES.md section 8) gives every word a universal part-of-speech tag
(UPOS: NOUN, VERB, ADP, ...) and a head: the word it depends on (0 = the root).

CoNLL-U has two kinds of line that are not one syntactic word, and both are skipped here:
multi-word tokens (ID ``3-4``: the surface form "don't", whose words "do" and "n't" follow on their
own lines) and empty nodes (ID ``8.1``, enhanced dependencies only). What is left is one row per
syntactic word, which is what the tags and heads describe.

A model sees WordPiece pieces, not words: :func:`first_piece_positions` maps each word to the
position of its first piece, where a probe reads its vector (as Hewitt & Manning and most probing
work do; averaging the pieces is the other common choice).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .corpus import DATA_DIR

UD_EWT_DIR = DATA_DIR / "ud_ewt"
SPLITS = {"dev": "en_ewt-ud-dev.conllu", "test": "en_ewt-ud-test.conllu"}
UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
             "PUNCT", "SCONJ", "SYM", "VERB", "X")


@dataclass
class Sentence:
    """One annotated sentence: ``words[i]`` has tag ``upos[i]`` and depends on word ``heads[i]``
    (1-based, as in the file; 0 = the root)."""
    sent_id: str
    text: str
    words: list[str]
    upos: list[str]
    heads: list[int]
    deprels: list[str]

    def __len__(self) -> int:
        return len(self.words)

    def is_punctuation(self) -> list[bool]:
        return [t == "PUNCT" for t in self.upos]


def _fail(path, line_no: int, what: str):
    raise ValueError(f"{path}, line {line_no}: {what}. A CoNLL-U token line has 10 tab-separated columns "
                     "(ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC).")


def parse_conllu(text: str, source: str = "<text>") -> list[Sentence]:
    """The sentences of a CoNLL-U text, one row per syntactic word (multi-word-token lines like
    ``3-4`` and empty nodes like ``8.1`` skipped)."""
    sentences: list[Sentence] = []
    rows: list[list[str]] = []
    meta: dict[str, str] = {}

    def finish(line_no: int) -> None:
        if not rows:
            return
        ids = [int(r[0]) for r in rows]
        if ids != list(range(1, len(ids) + 1)):
            _fail(source, line_no, f"word IDs {ids[:10]}... are not 1, 2, 3, ... in sentence {meta.get('sent_id', '?')}")
        heads = []
        for r in rows:
            if not r[6].isdigit() or int(r[6]) > len(rows):
                _fail(source, line_no, f"head {r[6]!r} of word {r[0]} ({r[1]!r}) is not a word of its sentence")
            heads.append(int(r[6]))
        sentences.append(Sentence(meta.get("sent_id", f"{source}#{len(sentences) + 1}"), meta.get("text", " ".join(r[1] for r in rows)),
                                  [r[1] for r in rows], [r[3] for r in rows], heads, [r[7] for r in rows]))
        rows.clear()
        meta.clear()

    line_no = 0
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            finish(line_no)
        elif line.startswith("#"):
            key, _, value = line[1:].partition("=")
            if value:
                meta[key.strip()] = value.strip()
        else:
            cols = line.split("\t")
            if len(cols) != 10:
                _fail(source, line_no, f"{len(cols)} columns")
            if "-" in cols[0] or "." in cols[0]:          # multi-word token or empty node
                continue
            if not cols[0].isdigit():
                _fail(source, line_no, f"ID {cols[0]!r} is not a number")
            rows.append(cols)
    finish(line_no)
    return sentences


def read_conllu(path: str | Path) -> list[Sentence]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No CoNLL-U file at {path}; the shipped ones are in {UD_EWT_DIR} "
                                f"({', '.join(SPLITS.values())}).")
    return parse_conllu(path.read_text(encoding="utf-8"), str(path))


def load_ud_ewt(split: str = "dev", limit: int | None = None, max_words: int | None = None) -> list[Sentence]:
    """The UD English Web Treebank's ``split`` ("dev" or "test"), in file order: the first ``limit``
    sentences of at most ``max_words`` words (None: all)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)} (the training split is not shipped), got {split!r}.")
    sentences = read_conllu(UD_EWT_DIR / SPLITS[split])
    if max_words is not None:
        sentences = [s for s in sentences if len(s) <= max_words]
    return sentences[:limit]


def fits(tokenizer, sentence: Sentence, max_length: int) -> bool:
    """True when the sentence's pieces plus [CLS] and [SEP] fit in ``max_length`` positions."""
    return len(tokenizer.encode(sentence.words, is_pretokenized=True).ids) <= max_length


def first_piece_positions(encoding, n_words: int) -> list[int]:
    """The position of each word's first piece in a ``tokenizers`` encoding of pre-split words.
    A word with no piece at all (the tokenizer dropped it: a control character, say) is an error,
    because its label would silently move to the next word."""
    first: dict[int, int] = {}
    for position, word in enumerate(encoding.word_ids):
        if word is not None and word not in first:
            first[word] = position
    missing = [i for i in range(n_words) if i not in first]
    if missing:
        raise ValueError(f"words {missing} got no WordPiece piece (the tokenizer dropped them); "
                         "remove such sentences before reading features.")
    return [first[i] for i in range(n_words)]


def tree_distances(heads: Sequence[int]) -> np.ndarray:
    """[n, n] number of edges between words i and j in the (undirected) dependency tree."""
    n = len(heads)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for child, head in enumerate(heads):
        if head:
            neighbours[child].append(head - 1)
            neighbours[head - 1].append(child)
    dist = np.full((n, n), -1, dtype=np.int64)
    for start in range(n):
        dist[start, start] = 0
        frontier = [start]
        while frontier:
            nxt = []
            for u in frontier:
                for v in neighbours[u]:
                    if dist[start, v] < 0:
                        dist[start, v] = dist[start, u] + 1
                        nxt.append(v)
            frontier = nxt
    if (dist < 0).any():
        raise ValueError("the heads do not form one tree (some words are not connected): " + str(list(heads)))
    return dist


def tree_edges(heads: Sequence[int]) -> set[frozenset]:
    """The tree's undirected edges {child, head} (0-based), the root's attachment left out."""
    return {frozenset((child, head - 1)) for child, head in enumerate(heads) if head}


def tag_counts(sentences: Sequence[Sentence]) -> Counter:
    return Counter(t for s in sentences for t in s.upos)


def majority_tag_baseline(fit: Sequence[Sentence], score: Sequence[Sentence]) -> float:
    """Accuracy of tagging every word with its most frequent tag in ``fit`` (unseen words: the most
    frequent tag overall). No context at all: what a lookup table knows."""
    by_word: dict[str, Counter] = {}
    for s in fit:
        for w, t in zip(s.words, s.upos):
            by_word.setdefault(w, Counter())[t] += 1
    default = tag_counts(fit).most_common(1)[0][0]
    right = total = 0
    for s in score:
        for w, t in zip(s.words, s.upos):
            guess = by_word[w].most_common(1)[0][0] if w in by_word else default
            right += guess == t
            total += 1
    return right / total
