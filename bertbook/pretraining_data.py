"""Pretraining examples, made the way Google's ``create_pretraining_data.py`` makes them.

Each example is ``[CLS] A [SEP] B [SEP]``: A and B are runs of whole sentences taken from one
document and packed up to ``max_seq_length`` tokens (a few, ``short_seq_prob``, are shorter so the
model also sees short inputs). Half the time B is the text that really follows A (NSP label 0,
"IsNext"); otherwise B is a run of sentences from *another* document (label 1, "NotNext"), and the
sentences of the real continuation are put back, so no text is wasted. A chunk of a single sentence
cannot be cut into A and B, so it always gets another document's B (as in Google's script), which
makes slightly more than half of the pairs NotNext.

Then masked language modelling picks 15% of the positions (at most ``max_predictions_per_seq``) and
asks the model to predict the *original* token there. Of the picked positions 80% become
``[MASK]``, 10% a random token and 10% stay unchanged: [MASK] never appears when BERT is used later,
so the model must also produce good vectors for ordinary, unmasked tokens.

Where this differs from Google's ``create_pretraining_data.py`` (on purpose; the shipped
bertbook-tiny was trained with these rules, and lesson 5 states them):

* **The short target length is drawn per example, not per document.** Google draws
  ``target_seq_length`` once at the start of each document in each of its ``dupe_factor`` passes (10
  by default), so within a pass every example of that document is short (with probability
  ``short_seq_prob``) or none is. Its documents are Wikipedia articles and BookCorpus books, millions
  of draws; ours are nine whole novels, where each draw makes a whole book short for a pass or not,
  and the share of short inputs would hang on a few dozen coin flips. Drawing again after every
  example keeps the share near ``short_seq_prob``.
* **A "random" replacement is never a special token.** Google draws from the whole vocabulary
  (``vocab_words``), ``[PAD]``, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]`` included (and in BERT's
  own vocabulary the 994 ``[unused]`` slots: 3.3% of its draws); we draw from the non-special
  pieces only (7995 of our 8000), so the 10% "random token" case always shows a real word piece.
  With our vocabulary Google's rule would have drawn a special token 5 times in 8000.
* **Only ordinary tokens are chosen for prediction.** Google skips ``[CLS]`` and ``[SEP]``; we skip
  every special token, so an ``[UNK]`` in the text is never a target (our corpus tokenises without
  a single ``[UNK]``, so this changes nothing there).
* The NotNext document is drawn among the *other* documents at once (Google retries a draw over all
  documents up to 10 times), and the documents are not shuffled first; both change which examples a
  seed gives, not their statistics.

Everything else (packing whole sentences up to the target, the random A/B split point, putting the
unused sentences back, truncating the longer segment from a random end, the number of predictions
``min(max_predictions_per_seq, max(1, round(n * masked_lm_prob)))``, 80/10/10, whole-word masking as
in Google's 2019 update) follows Google's script.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from .corpus import Document
from .tokenizer import SPECIAL_TOKENS


@dataclass
class PretrainingExample:
    """One ``[CLS] A [SEP] B [SEP]`` example, after masking; small enough to print in a lesson."""
    tokens: list[str]                 # after masking, e.g. ["[CLS]", "the", "[MASK]", ...]
    input_ids: list[int]              # after masking
    segment_ids: list[int]            # 0 for [CLS] A [SEP], 1 for B [SEP]
    masked_positions: list[int]       # sorted
    masked_labels: list[int]          # the original token ids at masked_positions
    masked_kinds: list[str]           # per masked position: "mask" (80%), "random" (10%), "keep" (10%)
    is_random_next: bool              # NSP: True = B is a random segment from another document (label 1)

    @property
    def next_sentence_label(self) -> int:
        return int(self.is_random_next)

    def original_ids(self) -> list[int]:
        """The token ids before masking."""
        ids = list(self.input_ids)
        for p, label in zip(self.masked_positions, self.masked_labels):
            ids[p] = label
        return ids

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class VocabInfo:
    """What masking needs to know about a vocabulary (built once from a tokenizer)."""
    id_to_token: list[str]
    mask_id: int
    special_ids: frozenset
    random_ids: list[int]             # candidates for the 10% "random token": every non-special piece
                                      # (Google's script draws from the whole vocabulary, specials too)

    @classmethod
    def from_tokenizer(cls, tokenizer) -> "VocabInfo":
        vocab = tokenizer.get_vocab()
        id_to_token = [""] * (max(vocab.values()) + 1)
        for t, i in vocab.items():
            id_to_token[i] = t
        missing = [s for s in ("[CLS]", "[SEP]", "[MASK]") if s not in vocab]
        if missing:
            raise ValueError(f"the tokenizer has no {', '.join(missing)} token(s); BERT pretraining needs "
                             "[CLS], [SEP] and [MASK] (train one with bertbook.train_wordpiece).")
        special = frozenset(vocab[s] for s in SPECIAL_TOKENS if s in vocab)
        return cls(id_to_token, vocab["[MASK]"], special,
                   [i for i in range(len(id_to_token)) if i not in special and id_to_token[i]])

    def is_continuation(self, token_id: int) -> bool:
        return self.id_to_token[token_id].startswith("##")


def _vocab_info(tokenizer_or_vocab) -> VocabInfo:
    return tokenizer_or_vocab if isinstance(tokenizer_or_vocab, VocabInfo) else VocabInfo.from_tokenizer(tokenizer_or_vocab)


# --- masking ---------------------------------------------------------------------------------
def mask_tokens(token_ids: Sequence[int], rng: random.Random, vocab, masked_lm_prob: float = 0.15,
                max_predictions_per_seq: int = 20, whole_word_masking: bool = False,
                common: frozenset[int] = frozenset(), pass_over: float = 0.0):
    """BERT's masked-LM corruption of one example.

    Returns ``(masked_ids, positions, labels, kinds)``; ``positions`` sorted, ``labels`` the original
    ids there, ``kinds`` "mask" / "random" / "keep". Special tokens are never picked. With
    ``whole_word_masking`` a word (a piece and its following ``##`` pieces) is picked or left whole.
    ``vocab``: a tokenizer or a :class:`VocabInfo`.

    ``common`` and ``pass_over`` (not BERT's rule; off by default): a word whose first piece is in
    ``common`` (say the most frequent words and the punctuation) goes to the back of the queue with
    probability ``pass_over``, so more of the blanks fall on content words, which a small model learns
    last and a student's [MASK] usually stands for. The number of blanks does not change.
    """
    info = _vocab_info(vocab)
    candidates: list[list[int]] = []
    for i, t in enumerate(token_ids):
        if t in info.special_ids:
            continue
        if whole_word_masking and candidates and info.is_continuation(t) and candidates[-1][-1] == i - 1:
            candidates[-1].append(i)
        else:
            candidates.append([i])
    rng.shuffle(candidates)
    if common and pass_over:           # a stable sort: the shuffled order stays within each group
        candidates.sort(key=lambda word: token_ids[word[0]] in common and rng.random() < pass_over)
    num_to_predict = min(max_predictions_per_seq, max(1, int(round(len(token_ids) * masked_lm_prob))))
    output = list(token_ids)
    picked: list[tuple[int, int, str]] = []
    for word in candidates:
        if len(picked) >= num_to_predict:
            break
        if len(picked) + len(word) > num_to_predict:      # a whole word or nothing
            continue
        for i in word:
            if rng.random() < 0.8:
                output[i], kind = info.mask_id, "mask"
            elif rng.random() < 0.5:
                kind = "keep"
            else:
                output[i], kind = info.random_ids[rng.randrange(len(info.random_ids))], "random"
            picked.append((i, token_ids[i], kind))
    picked.sort()
    return output, [p[0] for p in picked], [p[1] for p in picked], [p[2] for p in picked]


def _build_example(ids_a, ids_b, is_random_next, rng, info: VocabInfo, cls_id, sep_id, **mask_kw) -> PretrainingExample:
    ids = [cls_id, *ids_a, sep_id, *ids_b, sep_id]
    segment_ids = [0] * (len(ids_a) + 2) + [1] * (len(ids_b) + 1)
    masked, positions, labels, kinds = mask_tokens(ids, rng, info, **mask_kw)
    return PretrainingExample([info.id_to_token[i] for i in masked], masked, segment_ids, positions, labels,
                              kinds, is_random_next)


def remask(examples: Sequence[PretrainingExample], vocab, seed: int, masked_lm_prob: float = 0.15,
           max_predictions_per_seq: int = 20, whole_word_masking: bool = False) -> list[PretrainingExample]:
    """Dynamic masking (RoBERTa's idea): the same A/B pairs with fresh masks, e.g. one seed per epoch,
    so the model does not see the same blanks every time it meets a sentence."""
    info, rng = _vocab_info(vocab), random.Random(seed)
    out = []
    for ex in examples:
        masked, positions, labels, kinds = mask_tokens(ex.original_ids(), rng, info, masked_lm_prob,
                                                       max_predictions_per_seq, whole_word_masking)
        out.append(PretrainingExample([info.id_to_token[i] for i in masked], masked, list(ex.segment_ids),
                                      positions, labels, kinds, ex.is_random_next))
    return out


# --- A/B pairs -------------------------------------------------------------------------------
def _truncate_pair(a: list[int], b: list[int], max_tokens: int, rng: random.Random) -> None:
    """Cut the longer segment one token at a time, from the front or the back at random (as Google
    does, so the model does not learn that text always ends at a segment's end)."""
    while len(a) + len(b) > max_tokens:
        longer = a if len(a) > len(b) else b
        if rng.random() < 0.5:
            del longer[0]
        else:
            longer.pop()


def _instances_from_document(docs: list[list[list[int]]], d: int, max_seq_length: int, short_seq_prob: float,
                             rng: random.Random):
    """Yield (ids_a, ids_b, is_random_next) from document ``d`` (a list of tokenised sentences)."""
    document = docs[d]
    max_tokens = max_seq_length - 3                      # [CLS] A [SEP] B [SEP]
    target = max_tokens
    if rng.random() < short_seq_prob:
        target = rng.randint(2, max_tokens)
    chunk: list[list[int]] = []
    length, i = 0, 0
    while i < len(document):
        chunk.append(document[i])
        length += len(document[i])
        if i == len(document) - 1 or length >= target:
            if chunk:
                a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
                ids_a = [t for s in chunk[:a_end] for t in s]
                ids_b: list[int] = []
                is_random_next = len(chunk) == 1 or rng.random() < 0.5
                if is_random_next:
                    target_b = target - len(ids_a)
                    other = rng.randrange(len(docs) - 1)          # any document but this one
                    other += other >= d
                    random_doc = docs[other]
                    for s in random_doc[rng.randrange(len(random_doc)):]:
                        ids_b.extend(s)
                        if len(ids_b) >= target_b:
                            break
                    i -= len(chunk) - a_end                        # put the unused sentences back
                else:
                    ids_b = [t for s in chunk[a_end:] for t in s]
                _truncate_pair(ids_a, ids_b, max_tokens, rng)
                if ids_a and ids_b:
                    yield ids_a, ids_b, is_random_next
            chunk, length = [], 0
            # Google draws the short target once per document (a Wikipedia article); our documents are
            # whole books, so we draw it per example, which keeps the 10% share of short inputs
            # (see the module docstring for every difference from Google's script).
            target = max_tokens if rng.random() >= short_seq_prob else rng.randint(2, max_tokens)
        i += 1


def tokenize_documents(documents: Sequence[Document], tokenizer) -> list[list[list[int]]]:
    """Every sentence of every document as WordPiece ids (no special tokens), empty ones dropped."""
    out = []
    for doc in documents:
        encs = tokenizer.encode_batch(list(doc.sentences), add_special_tokens=False)
        out.append([e.ids for e in encs if e.ids])
    return out


def check_documents(documents: Sequence[Document]) -> None:
    """NSP needs a second document to draw random B segments from; say so early and clearly."""
    docs = [d for d in documents if any(s.strip() for s in d.sentences)]
    if not docs:
        raise ValueError("the corpus is empty: no document has any text. Put one document per .txt file in the corpus folder.")
    if len(docs) < 2:
        raise ValueError(f"the corpus has only one document ({docs[0].name!r}); next sentence prediction needs at "
                         "least two, because a 'random next' segment must come from another document. Add a "
                         "second .txt file (or split the book in two).")


def create_pretraining_examples(documents: Sequence[Document], tokenizer, max_seq_length: int = 128,
                                short_seq_prob: float = 0.1, masked_lm_prob: float = 0.15,
                                max_predictions_per_seq: int = 20, whole_word_masking: bool = False,
                                seed: int = 12345, dupe_factor: int = 1) -> list[PretrainingExample]:
    """Documents -> shuffled, masked ``[CLS] A [SEP] B [SEP]`` examples; the same seed gives the same list.

    ``dupe_factor`` passes over the data, each with different A/B splits and masks (Google's static
    alternative to dynamic masking; see :func:`remask` for the dynamic one).
    """
    if max_seq_length < 5:
        raise ValueError(f"max_seq_length={max_seq_length} leaves no room for [CLS] A [SEP] B [SEP]; use at least 5.")
    check_documents(documents)
    return examples_from_token_ids(tokenize_documents(documents, tokenizer), tokenizer, max_seq_length,
                                   short_seq_prob, masked_lm_prob, max_predictions_per_seq, whole_word_masking,
                                   seed, dupe_factor)


def examples_from_token_ids(docs: list[list[list[int]]], tokenizer, max_seq_length: int = 128,
                            short_seq_prob: float = 0.1, masked_lm_prob: float = 0.15,
                            max_predictions_per_seq: int = 20, whole_word_masking: bool = False,
                            seed: int = 12345, dupe_factor: int = 1) -> list[PretrainingExample]:
    """:func:`create_pretraining_examples` on documents already tokenised by :func:`tokenize_documents`
    (the trainer tokenises once and builds examples for several sequence lengths)."""
    info = VocabInfo.from_tokenizer(tokenizer)
    vocab = tokenizer.get_vocab()
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    docs = [d for d in docs if d]
    if len(docs) < 2:
        raise ValueError("fewer than two documents have any tokens; next sentence prediction needs two.")
    rng = random.Random(seed)
    mask_kw = dict(masked_lm_prob=masked_lm_prob, max_predictions_per_seq=max_predictions_per_seq,
                   whole_word_masking=whole_word_masking)
    examples = []
    for _ in range(dupe_factor):
        for d in range(len(docs)):
            for ids_a, ids_b, is_random_next in _instances_from_document(docs, d, max_seq_length, short_seq_prob, rng):
                examples.append(_build_example(ids_a, ids_b, is_random_next, rng, info, cls_id, sep_id, **mask_kw))
    rng.shuffle(examples)
    return examples


def collate(examples: Sequence[PretrainingExample], pad_token_id: int = 0) -> dict:
    """A batch padded to its *longest* example (not to max_seq_length): no compute on padding rows
    beyond what the batch needs. ``labels`` is -100 everywhere except the masked positions."""
    import torch

    from .batching import IGNORE_INDEX, pad_batch
    if not examples:
        raise ValueError("collate() got no examples.")
    labels = []
    for ex in examples:
        row = [IGNORE_INDEX] * len(ex.input_ids)
        for position, original in zip(ex.masked_positions, ex.masked_labels):
            row[position] = original
        labels.append(row)
    batch = pad_batch([ex.input_ids for ex in examples], pad_token_id,
                      token_type_ids=[ex.segment_ids for ex in examples], labels=labels)
    batch["next_sentence_label"] = torch.tensor([int(ex.is_random_next) for ex in examples], dtype=torch.long)
    return batch