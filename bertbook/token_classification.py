"""One sentence -> a tag per word (BERT's Figure 4d): named entities on WNUT-17.

The head is one linear layer applied to every token's final vector, ``logits_i = W h_i + b``,
with a softmax over the BIO tags (``B-person`` begins a person, ``I-person`` continues it, ``O``
is outside every entity). Two details carry the whole task:

* **Words vs pieces.** The data labels words; BERT sees WordPiece pieces ("Kardashian" ->
  ``ka ##rda ##shian``). The word's label goes on its *first* piece and every other piece gets
  -100, which the loss ignores: each word then counts once in the loss, however many pieces it
  has, and at prediction time the first piece's tag is the word's tag (the BERT paper's choice,
  section 5.3). [CLS], [SEP] and padding also get -100.
* **Tags vs entities.** The score that matters is per *entity*: a prediction counts only if its
  type and both ends match. :func:`bio_to_spans` turns tags into spans the way ``seqeval`` (the
  field's standard scorer, used here for the numbers) does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import torch

from .batching import IGNORE_INDEX, pad_batch
from .task_datasets import WNUT_LABELS


# --- labels <-> pieces, tags <-> spans -----------------------------------------------------------
def align_labels(word_ids: Sequence[int | None], word_labels: Sequence[int]) -> list[int]:
    """Word labels -> piece labels. ``word_ids[i]`` is the word piece ``i`` came from (None for
    [CLS], [SEP] and padding). The first piece of each word gets the word's label, every later
    piece of the same word and every special token gets -100 (ignored by the loss)."""
    labels, previous = [], None
    for w in word_ids:
        labels.append(IGNORE_INDEX if w is None or w == previous else word_labels[w])
        previous = w
    return labels


def bio_to_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """BIO tags -> entities ``(type, start, end)`` with ``end`` exclusive, in order.

    An entity starts at ``B-X``, or at an ``I-X`` that does not continue an ``X`` (after ``O`` or
    another type: models do emit that, and seqeval counts it as an entity too), and runs over the
    ``I-X`` that follow. A ``B-X`` straight after an ``X`` entity starts a new one."""
    spans, kind, start = [], None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, t = tag.partition("-")
        if prefix not in ("B", "I", "O") or (prefix != "O" and not t):
            raise ValueError(f"tag {i} is {tag!r}: BIO tags are 'O', 'B-<type>' or 'I-<type>'.")
        continues = prefix == "I" and t == kind
        if kind is not None and not continues:
            spans.append((kind, start, i))
            kind = None
        if prefix in ("B", "I") and not continues:
            kind, start = t, i
    return spans


def entity_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Entity-level precision, recall and F1 (micro average over all entities) and the per-type
    table, computed by ``seqeval`` (conlleval's rules)."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
    gold, predicted = [list(s) for s in gold], [list(s) for s in predicted]
    if len(gold) != len(predicted) or any(len(g) != len(p) for g, p in zip(gold, predicted)):
        raise ValueError("gold and predicted must have the same sentences with the same number of tags.")
    return {"precision": precision_score(gold, predicted, zero_division=0),
            "recall": recall_score(gold, predicted, zero_division=0),
            "f1": f1_score(gold, predicted, zero_division=0),
            "per_type": classification_report(gold, predicted, output_dict=True, zero_division=0)}


# --- encoding ------------------------------------------------------------------------------------
def _check_words(words, what: str = "words") -> list[str]:
    if isinstance(words, str):
        raise TypeError(f"{what} must be a list of words (strings), not one string; for raw text use find_entities(text).")
    if not isinstance(words, (list, tuple)):
        raise TypeError(f"{what} must be a list of strings, got {type(words).__name__}.")
    for i, w in enumerate(words):
        if not isinstance(w, str):
            raise TypeError(f"{what}[{i}] is {w!r} ({type(w).__name__}); every word must be a string.")
        if not w.strip():
            raise ValueError(f"{what}[{i}] is empty{'' if not w else ' (only whitespace)'}: {w!r}; a word needs at "
                             f"least one character to tag. Drop it (e.g. [w for w in words if w.strip()]), or use "
                             f"find_entities(text) on raw text.")
    return list(words)


def encode_words(tokenizer, sentences: Sequence[Sequence[str]], labels: Sequence[Sequence[int]] | None = None,
                 max_length: int = 128, device=None) -> dict:
    """Pre-split sentences -> a padded batch ([CLS] pieces [SEP]), pieces beyond ``max_length``
    cut off (training only; prediction reads long sentences in windows), and with ``labels``
    (word label ids) the aligned piece labels."""
    encs = tokenizer.encode_batch([list(s) for s in sentences], is_pretokenized=True, add_special_tokens=False)
    cls, sep, pad = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    rows = [([cls] + e.ids[:max_length - 2] + [sep], [None] + e.word_ids[:max_length - 2] + [None]) for e in encs]
    piece_labels = None if labels is None else [align_labels(word_ids, labels[r]) for r, (_, word_ids) in enumerate(rows)]
    return pad_batch([ids for ids, _ in rows], pad, labels=piece_labels, device=device)


def wnut_batches(model, tokenizer, max_length: int = 128, limit: int | None = None):
    """(make_batch, number of examples, evaluate) for ``finetuning.train`` on WNUT-17 train;
    ``evaluate()`` gives dev entity precision / recall / F1."""
    from .task_datasets import load_wnut17
    train = load_wnut17("train")[:limit]
    dev = load_wnut17("validation")
    label_id = {name: i for i, name in enumerate(label_names(model))}

    def make_batch(idx):
        batch = encode_words(tokenizer, [train[i]["words"] for i in idx],
                             [[label_id[t] for t in train[i]["tags"]] for i in idx], max_length, model.device)
        return {**batch, "skip_padding": True}          # tweets vary in length: skip the padding's work

    def evaluation() -> dict:
        scores = evaluate_tagger(model, tokenizer, dev)
        return {f"validation_{k}": v for k, v in scores.items() if k != "per_type"}

    return make_batch, len(train), evaluation


def label_names(model) -> tuple[str, ...]:
    id2label = model.config.extra.get("id2label")
    if id2label and len(id2label) == model.config.num_labels:
        return tuple(id2label[str(i)] for i in range(model.config.num_labels))
    if model.config.num_labels == len(WNUT_LABELS):
        return WNUT_LABELS
    raise ValueError("the model's config has no id2label for its tags; save it with the label names.")


# --- prediction ----------------------------------------------------------------------------------
@dataclass
class TaggedSentence:
    words: list[str]
    tags: list[str]                     # one per word ("O" for a word with no pieces, e.g. an emoji)
    word_probabilities: list[float]     # probability of each word's tag (its first piece's)
    pieces: list[str]                   # the WordPiece pieces, no [CLS] / [SEP]
    piece_words: list[int]              # the word each piece belongs to
    piece_probabilities: torch.Tensor   # [pieces, tags], softmax of each piece's logits
    labels: tuple[str, ...]


@torch.no_grad()
def predict_tags(model, tokenizer, sentences: Sequence[Sequence[str]], max_length: int = 128, stride: int = 32,
                 batch_size: int = 64) -> list[TaggedSentence]:
    """Tag pre-split sentences. A sentence of more than ``max_length - 2`` pieces is read in
    overlapping windows (``stride`` pieces shared) and each piece keeps the logits of the window
    where it has the most context on both sides; nothing is cut off."""
    from .long_text import window_spans
    names = label_names(model)
    model.eval()
    encs = tokenizer.encode_batch([list(s) for s in sentences], is_pretokenized=True, add_special_tokens=False)
    cls, sep, pad = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    windows = []                       # (sentence, start, end)
    for s, e in enumerate(encs):
        if e.ids:
            windows += [(s, a, b) for a, b in window_spans(len(e.ids), max_length, stride)]
    piece_logits = [torch.empty(len(e.ids), len(names)) for e in encs]
    best_margin = [torch.full((len(e.ids),), -1) for e in encs]
    windows.sort(key=lambda w: w[2] - w[1])                 # similar lengths together: less padding
    for k in range(0, len(windows), batch_size):
        chunk = windows[k:k + batch_size]
        batch = pad_batch([[cls] + encs[s].ids[a:b] + [sep] for s, a, b in chunk], pad)
        logits = model(batch["input_ids"].to(model.device), batch["attention_mask"].to(model.device)).logits.float().cpu()
        for r, (s, a, b) in enumerate(chunk):
            pos = torch.arange(a, b)
            margin = torch.minimum(pos - a, b - 1 - pos)
            better = margin > best_margin[s][a:b]
            piece_logits[s][a:b][better] = logits[r, 1:b - a + 1][better]
            best_margin[s][a:b][better] = margin[better]
    out = []
    for s, (words, e) in enumerate(zip(sentences, encs)):
        probs = piece_logits[s].softmax(-1)
        tags, word_probs, seen = ["O"] * len(words), [1.0] * len(words), set()
        for i, w in enumerate(e.word_ids):
            if w not in seen:                                # the first piece speaks for the word
                seen.add(w)
                tags[w], word_probs[w] = names[int(probs[i].argmax())], float(probs[i].max())
        out.append(TaggedSentence(list(words), tags, word_probs, list(e.tokens), list(e.word_ids), probs, names))
    return out


def evaluate_tagger(model, tokenizer, sentences: Sequence[dict], max_length: int = 128) -> dict:
    """Entity-level scores (seqeval) of ``model`` on ``[{"words", "tags"}]``."""
    predicted = predict_tags(model, tokenizer, [s["words"] for s in sentences], max_length=max_length)
    return entity_scores([s["tags"] for s in sentences], [p.tags for p in predicted])


def _default(model, tokenizer):
    if model is None:
        from .task_models import default_model
        model, default_tokenizer = default_model("wnut17")
        return model, tokenizer or default_tokenizer
    if tokenizer is None:
        raise ValueError("pass the tokenizer that goes with your model (e.g. load_tokenizer('minilm')).")
    return model, tokenizer


def tag_words(words: Sequence[str] | Sequence[Sequence[str]], model=None, tokenizer=None) -> list:
    """BIO tags for a list of words (one tag per word), or for a list of word lists (batched: a
    list of tag lists). The default model is MiniLM fine-tuned on WNUT-17 (``minilm-wnut17``)."""
    if isinstance(words, str):
        raise TypeError("tag_words takes a list of words, e.g. text.split(), not one string; "
                        "for raw text use find_entities(text).")
    if not isinstance(words, (list, tuple)):
        raise TypeError(f"tag_words takes a list of words (strings), got {type(words).__name__}.")
    batched = bool(words) and all(isinstance(w, (list, tuple)) for w in words)
    sentences = [_check_words(s, f"words[{i}]") for i, s in enumerate(words)] if batched else [_check_words(words)]
    if not any(sentences):
        raise ValueError("no words to tag: give a non-empty list of words.")
    from .task_models import check_model_arguments
    check_model_arguments(model, tokenizer, "wnut17")
    model, tokenizer = _default(model, tokenizer)
    tagged = predict_tags(model, tokenizer, [s for s in sentences if s])
    it = iter(tagged)
    tags = [next(it).tags if s else [] for s in sentences]
    return tags if batched else tags[0]


WORD_PATTERN = re.compile(r"[@#]?\w+(?:[-.&]\w+)*|'\w+|\S")


def split_words(text: str) -> list[tuple[str, int, int]]:
    """Words of raw text with their character offsets, split roughly as WNUT-17's tweets are
    (``@user`` and ``#tag`` stay whole, punctuation marks are words, ``it's`` -> ``it`` + ``'s``)."""
    return [(m.group(), m.start(), m.end()) for m in WORD_PATTERN.finditer(text)]


def tag_text(text: str, model=None, tokenizer=None) -> tuple[list[tuple[str, int, int]], TaggedSentence]:
    """Raw text -> its words (with offsets) and their predictions; what the widget shows."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}"
                        + ("; for a list of words use tag_words(words)." if isinstance(text, (list, tuple)) else "."))
    words = split_words(text)
    if not words:
        raise ValueError(f"the text is empty{'' if not text else ' (only whitespace)'}: type a sentence to find entities in.")
    from .task_models import check_model_arguments
    check_model_arguments(model, tokenizer, "wnut17")
    model, tokenizer = _default(model, tokenizer)
    return words, predict_tags(model, tokenizer, [[w for w, _, _ in words]])[0]


def find_entities(text: str, model=None, tokenizer=None) -> list[dict]:
    """Named entities in raw text: ``[{"text", "type", "start", "end", "score"}]`` with
    ``text == text[start:end]`` and ``score`` the mean probability of the entity's word tags."""
    words, tagged = tag_text(text, model, tokenizer)
    return [{"text": text[words[a][1]:words[b - 1][2]], "type": kind, "start": words[a][1], "end": words[b - 1][2],
             "score": sum(tagged.word_probabilities[a:b]) / (b - a)}
            for kind, a, b in bio_to_spans(tagged.tags)]


def recall_seen_unseen(gold: Sequence[dict], predicted: Sequence[Sequence[str]], train: Sequence[dict]) -> dict:
    """Entity recall split by whether the entity's exact words (lower-cased) occur as an entity
    in ``train``: WNUT-17 was built so that most test entities are new ("emerging"), and a model
    that memorised names does well only on the seen ones."""
    seen_names = {" ".join(s["words"][a:b]).lower() for s in train for _, a, b in bio_to_spans(s["tags"])}
    hits = {True: [0, 0], False: [0, 0]}
    for s, tags in zip(gold, predicted):
        found = set(bio_to_spans(tags))
        for span in bio_to_spans(s["tags"]):
            seen = " ".join(s["words"][span[1]:span[2]]).lower() in seen_names
            hits[seen][0] += span in found
            hits[seen][1] += 1
    return {("seen" if k else "unseen"): {"entities": n, "recall": found / n if n else float("nan")}
            for k, (found, n) in hits.items()}
