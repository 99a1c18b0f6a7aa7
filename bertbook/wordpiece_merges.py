"""How a WordPiece vocabulary is learned: the merge list that ``tokenizers`` throws away.

``tokenizers``' ``WordPieceTrainer`` runs byte-pair-encoding training (start from single characters,
word-internal ones written ``##x``; repeatedly merge the most frequent adjacent pair into a new piece)
and keeps only the resulting vocabulary. Google's original WordPiece trainer (which picked pairs by
language-model likelihood) was never released. Here we run the same BPE training but keep the merges,
so a lesson can show them in order and rebuild the vocabulary after any number of merges.

Note the asymmetry: merges only *build* the vocabulary. To tokenize, WordPiece ignores them and takes
the longest vocabulary piece that starts the rest of the word, again and again (greedy
longest-match-first); BPE tokenizers (GPT-2) instead replay the merges.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from .corpus import load_corpus
from .tokenizer import SPECIAL_TOKENS, bert_normalizer, new_wordpiece_tokenizer

PREFIX = "##"


@dataclass
class MergeHistory:
    """The outcome of WordPiece (= BPE) training: the starting alphabet and the merges in order."""
    special_tokens: list[str]
    alphabet: list[str]                  # single characters, word-initial ("a") and word-internal ("##a")
    merges: list[tuple[str, str]]        # (left, right) pieces, most frequent pair first

    @staticmethod
    def merged(left: str, right: str) -> str:
        """("th", "##e") -> "the": the right piece loses its ## when glued on."""
        return left + right[len(PREFIX):] if right.startswith(PREFIX) else left + right

    def vocab(self, n_merges: int | None = None) -> dict[str, int]:
        """The vocabulary after the first ``n_merges`` merges (all of them by default), piece -> id."""
        if n_merges is None:
            n_merges = len(self.merges)
        if not 0 <= n_merges <= len(self.merges):
            raise ValueError(f"n_merges must be between 0 and {len(self.merges)} (the merges learned), got {n_merges}.")
        pieces = self.special_tokens + self.alphabet + [self.merged(a, b) for a, b in self.merges[:n_merges]]
        return {p: i for i, p in enumerate(dict.fromkeys(pieces))}

    def tokenizer(self, n_merges: int | None = None) -> Tokenizer:
        """A BERT WordPiece tokenizer over ``vocab(n_merges)``: see how words split as merges accumulate."""
        return new_wordpiece_tokenizer(self.vocab(n_merges))


def learn_merges(texts: Iterable[str] | None = None, vocab_size: int = 8000, min_frequency: int = 2) -> MergeHistory:
    """Train WordPiece the way ``tokenizers.trainers.WordPieceTrainer`` does (BPE with ``##``
    continuation pieces, same normaliser and pre-tokeniser as BERT) and keep the merge list."""
    if texts is None:
        texts = (s for doc in load_corpus() for s in doc.sentences)
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed the {len(SPECIAL_TOKENS)} special tokens, got {vocab_size}.")
    bpe = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix=PREFIX))
    bpe.normalizer = bert_normalizer()
    bpe.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIAL_TOKENS,
        continuing_subword_prefix=PREFIX, show_progress=False))
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    by_id = sorted(model["vocab"], key=model["vocab"].get)
    n_base = len(by_id) - len({MergeHistory.merged(a, b) for a, b in merges} - set(SPECIAL_TOKENS))
    alphabet = [p for p in by_id[:n_base] if p not in SPECIAL_TOKENS]
    return MergeHistory(list(SPECIAL_TOKENS), alphabet, merges)


def alphabet_size(tokenizer: Tokenizer) -> int:
    """How many ids a trained vocabulary spends on special tokens and single characters (the
    starting point of training): every piece before the first one built by a merge."""
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    for piece, i in by_id:
        if piece not in SPECIAL_TOKENS and len(piece[len(PREFIX):] if piece.startswith(PREFIX) else piece) > 1:
            return i
    return len(by_id)


def vocabulary_after(tokenizer: Tokenizer, n_merges: int) -> Tokenizer:
    """The tokenizer as it was after ``n_merges`` merges, read off a trained vocabulary.

    A vocabulary trained by ``tokenizers`` lists its pieces in the order they were learned (special
    tokens, the alphabet, then one new piece per merge), so keeping the first ids rebuilds any earlier
    stage exactly, with no retraining (retraining can break ties between equally frequent pairs
    differently from run to run).
    """
    base = alphabet_size(tokenizer)
    n_max = tokenizer.get_vocab_size() - base
    if not 0 <= n_merges <= n_max:
        raise ValueError(f"n_merges must be between 0 and {n_max} for this vocabulary, got {n_merges}.")
    vocab = {p: i for p, i in tokenizer.get_vocab().items() if i < base + n_merges}
    return new_wordpiece_tokenizer(vocab)
