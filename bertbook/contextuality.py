"""Words in context: how much a word's vector depends on its sentence, layer by layer, and which
other occurrences in a corpus are nearest to it.

Why: a word embedding table gives "bank" one vector; a contextual model gives it a different vector
in every sentence. How different? Ethayarajh (2019, "How Contextual are Contextualized Word
Representations?") measures it with *self-similarity*: the average cosine similarity between the
vectors of the same word in different contexts (1 = the context changed nothing). Raw cosines
mislead, because a layer's vectors can all point the same way (anisotropy): then any two words look
similar. So the baseline is the average cosine between vectors of *randomly chosen different words*
at the same layer, and the corrected self-similarity is the difference.

:class:`NeighbourIndex` is the other half, the view exBERT (Hoover et al. 2020) gave researchers:
every word of a set of sentences, one unit vector per layer (float16: half the memory, and cosines
good to about 3 decimals), searched by cosine for the occurrences nearest to a word in a sentence
the student types.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .probing import WordFeatures, word_features
from .treebank import Sentence


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def occurrences(features: WordFeatures, min_count: int = 5, max_occurrences: int = 20, seed: int = 0) -> dict[str, list[int]]:
    """Row indices of every alphabetic word form (lower-cased) seen at least ``min_count`` times,
    at most ``max_occurrences`` of them (a seeded random choice) per word."""
    rows: dict[str, list[int]] = defaultdict(list)
    words = [w.lower() for s in features.sentences for w in s.words]
    for i, w in enumerate(words):
        if w.isalpha():
            rows[w].append(i)
    rng = random.Random(seed)
    return {w: sorted(rng.sample(r, min(len(r), max_occurrences))) for w, r in sorted(rows.items()) if len(r) >= min_count}


def self_similarity(features: WordFeatures, layer: int, words: dict[str, list[int]]) -> float:
    """Mean over ``words`` of the mean pairwise cosine between a word's occurrences at ``layer``."""
    x = _unit(features.layer(layer))
    values = []
    for rows in words.values():
        v = x[rows]
        n = len(rows)
        sims = v @ v.T
        values.append(((sims.sum() - sims.diagonal().sum()) / (n * (n - 1))).item())
    return float(np.mean(values))


def anisotropy(features: WordFeatures, layer: int, n_pairs: int = 5000, seed: int = 0) -> float:
    """Mean cosine between the vectors of ``n_pairs`` random pairs of words with different forms."""
    words = [w.lower() for s in features.sentences for w in s.words]
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < n_pairs:
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        if words[i] != words[j]:
            pairs.append((i, j))
    x = _unit(features.layer(layer))
    a, b = zip(*pairs)
    return float((x[list(a)] * x[list(b)]).sum(-1).mean())


def contextuality(features: WordFeatures, min_count: int = 5, max_occurrences: int = 20, seed: int = 0) -> list[dict]:
    """Per layer: self-similarity, the anisotropy baseline and their difference (Ethayarajh's
    anisotropy-adjusted self-similarity: lower = more contextual)."""
    words = occurrences(features, min_count, max_occurrences, seed)
    out = []
    for layer in range(features.n_layers + 1):
        s, a = self_similarity(features, layer, words), anisotropy(features, layer, seed=seed)
        out.append({"layer": layer, "self_similarity": s, "anisotropy": a, "adjusted": s - a, "words": len(words)})
    return out


# --- nearest occurrences ------------------------------------------------------------------------------
@dataclass
class Neighbour:
    word: str
    sentence: list[str]
    position: int            # index of the word in ``sentence``
    similarity: float
    source: str

    def html(self) -> str:
        import html
        words = [html.escape(w) for w in self.sentence]
        words[self.position] = f"<mark>{words[self.position]}</mark>"
        return " ".join(words)


class NeighbourIndex:
    """Every word of ``features.sentences``, one unit vector per layer (float16), searchable by cosine.
    ``model`` and ``tokenizer`` (the ones that made the features) encode the query sentence."""

    def __init__(self, features: WordFeatures, model, tokenizer, sources: Sequence[str] | None = None):
        self.model, self.tokenizer = model, tokenizer
        self.n_layers = features.n_layers
        self.name = features.name
        self.vectors = _unit(features.layers).half()                     # [L + 1, n_words, hidden]
        self.sentences = features.sentences
        self.row_sentence = np.repeat(np.arange(len(features.sentences)), [len(s) for s in features.sentences])
        self.offsets = features.offsets
        self.sources = list(sources) if sources is not None else ["" for _ in features.sentences]

    @classmethod
    def build(cls, model, tokenizer, sentences: Sequence[Sentence], name: str = "model", sources=None,
              progress: bool = True, batch_size: int = 32) -> "NeighbourIndex":
        """Run the model over ``sentences`` (a progress bar while it does) and index the result."""
        return cls(word_features(model, tokenizer, sentences, name, batch_size, progress), model, tokenizer, sources)

    def __len__(self) -> int:
        return self.vectors.shape[1]

    def split(self, sentence: str) -> list[str]:
        """The words of a typed sentence, split as BERT's pre-tokenizer does (spaces and punctuation)."""
        if not isinstance(sentence, str) or not sentence.strip():
            raise ValueError("the sentence is empty: type a sentence with the word you want to look up, "
                             "e.g. 'We sat on the bank of the river.'")
        pre = self.tokenizer.pre_tokenizer
        words = [w for w, _ in pre.pre_tokenize_str(sentence)] if pre is not None else sentence.split()
        return words

    def _position(self, words: list[str], word: str | int) -> int:
        if isinstance(word, (int, np.integer)) and not isinstance(word, bool):
            if not 0 <= word < len(words):
                raise ValueError(f"word number {word} is not in the sentence: it has {len(words)} words "
                                 f"(0 to {len(words) - 1}): {words}.")
            return int(word)
        if not isinstance(word, str) or not word.strip():
            raise ValueError(f"word must be one of the sentence's words (or its number); got {word!r}.")
        matches = [i for i, w in enumerate(words) if w.lower() == word.strip().lower()]
        if not matches:
            raise ValueError(f"{word!r} is not a word of the sentence; its words are {words}. Pick one of them "
                             "(or its number, counting from 0).")
        return matches[0]

    def check_layer(self, layer) -> int:
        if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 0 <= layer <= self.n_layers:
            raise ValueError(f"layer must be an integer from 0 (the embeddings) to {self.n_layers} (the last layer) "
                             f"of {self.name}; got {layer!r}.")
        return int(layer)

    @torch.no_grad()
    def query_vector(self, sentence: str, word: str | int, layer: int) -> tuple[torch.Tensor, list[str], int]:
        layer = self.check_layer(layer)
        words = self.split(sentence)
        position = self._position(words, word)
        encoding = self.tokenizer.encode(words, is_pretokenized=True)
        limit = self.model.config.max_position_embeddings
        if len(encoding.ids) > limit:
            raise ValueError(f"the sentence has {len(encoding.ids)} pieces, more than the model's {limit} positions: "
                             "shorten it.")
        piece = list(encoding.word_ids).index(position)
        ids = torch.tensor([encoding.ids])
        self.model.eval()
        out = self.model(ids, torch.ones_like(ids), output_hidden_states=True)
        return _unit(out.hidden_states[layer][0, piece].float()), words, position

    def nearest(self, sentence: str, word: str | int, layer: int, k: int = 8, exclude_same_sentence: bool = True) -> list[Neighbour]:
        """The ``k`` indexed occurrences whose vectors at ``layer`` have the largest cosine with
        ``word`` in ``sentence`` (an indexed sentence identical to the typed one is left out)."""
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k (how many neighbours) must be a positive integer, got {k!r}.")
        q, words, _ = self.query_vector(sentence, word, layer)
        sims = self.vectors[layer].float() @ q
        if exclude_same_sentence:
            same = [i for i, s in enumerate(self.sentences) if s.words == words]
            for i in same:
                sims[self.offsets[i]:self.offsets[i + 1]] = -2.0
        top = torch.topk(sims, min(k, len(sims))).indices.tolist()
        out = []
        for row in top:
            i = int(self.row_sentence[row])
            s = self.sentences[i]
            pos = row - self.offsets[i]
            out.append(Neighbour(s.words[pos], s.words, pos, float(sims[row]), self.sources[i]))
        return out


def plain_sentences(texts: Sequence[str], tokenizer, max_words: int = 40) -> list[Sentence]:
    """Unannotated sentences for the index, split into words by the tokenizer's pre-tokenizer (as a
    typed query is): no tags, no heads. Sentences longer than ``max_words`` words are left out."""
    out = []
    for i, text in enumerate(texts):
        words = [w for w, _ in tokenizer.pre_tokenizer.pre_tokenize_str(text)]
        if 0 < len(words) <= max_words:
            out.append(Sentence(f"text-{i}", text, words, [], [], []))
    return out


def everyday_sentences(pattern: str = r"\b(bank|banks)\b", files: Sequence[str] = ("onestop_elementary",
                       "onestop_intermediate", "onestop_advanced", "wikitext2_valid_test")) -> list[str]:
    """The sentences of the shipped everyday texts (``data/everyday``, news at three reading levels and
    Wikipedia articles) that match ``pattern`` (case-insensitive): extra occurrences for the index,
    e.g. of *bank* by a river and *bank* with money."""
    import re
    from .corpus import DATA_DIR, read_document
    regex = re.compile(pattern, re.I)
    return [s for name in files for s in read_document(DATA_DIR / "everyday" / f"{name}.txt").sentences
            if regex.search(s)]
