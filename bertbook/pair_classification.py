"""Sentence pairs -> one label (BERT's Figure 4a): natural language inference on SNLI.

The pair goes in as one sequence, ``[CLS] premise [SEP] hypothesis [SEP]``, with segment id 0 on
the premise (and its [CLS], [SEP]) and 1 on the hypothesis: every token of one sentence attends
to every token of the other in every layer, so the model can compare them word by word. The head
is lesson 8's: a linear layer on the pooled [CLS] vector, here with three outputs (entailment,
neutral, contradiction), trained with the same ``fine_tune`` loop.
"""
from __future__ import annotations

from typing import Sequence

import torch

from .task_datasets import SNLI_LABELS


def snli_batches(model, tokenizer, max_length: int = 128, limit: int | None = None):
    """(make_batch, number of examples, evaluate) for ``finetuning.train`` on the SNLI train split;
    ``evaluate()`` gives the validation accuracy."""
    from .finetuning import encode_examples
    from .task_datasets import load_snli
    train = load_snli("train")[:limit]
    pairs = [(x["premise"], x["hypothesis"]) for x in train]
    labels = [x["label"] for x in train]

    def make_batch(idx):
        batch = encode_examples(tokenizer, [pairs[i] for i in idx], max_length=max_length, device=model.device)
        return {**batch, "labels": torch.tensor([labels[i] for i in idx], device=model.device)}

    def evaluation() -> dict:
        return {"validation_accuracy": evaluate_snli(model, tokenizer, max_length=max_length).accuracy}

    return make_batch, len(pairs), evaluation


def evaluate_snli(model, tokenizer, split: str = "validation", max_length: int = 128):
    """Accuracy, confusion matrix and mistakes (``finetuning.Evaluation``) on an SNLI split;
    ``texts`` holds the (premise, hypothesis) pairs."""
    from .finetuning import evaluate
    from .task_datasets import load_snli
    data = load_snli(split)
    return evaluate(model, tokenizer, [(x["premise"], x["hypothesis"]) for x in data], [x["label"] for x in data],
                    max_length=max_length)


def _as_list(x, name: str) -> list[str]:
    items = [x] if isinstance(x, str) else x
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"{name} must be a string or a list of strings, got {type(x).__name__}"
                        f"{'' if x is None else f' {x!r}'[:80]}.")
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{i}] is a {type(t).__name__}, not a string: every {name} must be a sentence (str).")
        if not t.strip():
            raise ValueError(f"{name}{'' if isinstance(x, str) else f'[{i}]'} is empty: NLI needs a sentence on each side.")
    return list(items)


def classify_pair(premise: str | Sequence[str], hypothesis: str | Sequence[str], model=None, tokenizer=None,
                  max_length: int = 128, batch_size: int = 64):
    """Does ``premise`` entail ``hypothesis``, contradict it, or neither (neutral)?

    Returns ``{"label": "entailment", "scores": {"entailment": p, "neutral": p, "contradiction": p}}``;
    lists of premises and hypotheses (the same length) give a list of those dicts, computed in
    batches. The default model is the shipped MiniLM fine-tuned on SNLI (``data/pretrained/minilm-snli``).
    Pairs longer than ``max_length`` tokens are truncated, longer side first (SNLI's are < 100).
    """
    from .finetuning import predict_proba
    from .task_models import check_model_arguments
    single = isinstance(premise, str) and isinstance(hypothesis, str)
    if isinstance(premise, str) != isinstance(hypothesis, str):
        raise TypeError("give one premise and one hypothesis (two strings), or two lists of the same length; got "
                        f"{type(premise).__name__} and {type(hypothesis).__name__}.")
    premises, hypotheses = _as_list(premise, "premise"), _as_list(hypothesis, "hypothesis")
    if len(premises) != len(hypotheses):
        raise ValueError(f"{len(premises)} premises but {len(hypotheses)} hypotheses: give one hypothesis per premise.")
    if not premises:
        raise ValueError("no pairs to classify: the lists of premises and hypotheses are empty; give at least "
                         "one premise and one hypothesis.")
    check_model_arguments(model, tokenizer, "snli", max_length=max_length, batch_size=batch_size)
    if model is None:
        from .task_models import default_model
        model, default_tokenizer = default_model("snli")
        tokenizer = tokenizer or default_tokenizer
    elif tokenizer is None:
        raise ValueError("pass the tokenizer that goes with your model (e.g. load_tokenizer('minilm')).")
    names = _label_names(model)
    probs = predict_proba(model, tokenizer, list(zip(premises, hypotheses)), batch_size=batch_size, max_length=max_length)
    out = [{"label": names[int(p.argmax())], "scores": {n: float(v) for n, v in zip(names, p)}} for p in probs]
    return out[0] if single else out


def _label_names(model) -> tuple[str, ...]:
    id2label = model.config.extra.get("id2label")
    if id2label and len(id2label) == model.config.num_labels:
        return tuple(id2label[str(i)] if str(i) in id2label else id2label[i] for i in range(model.config.num_labels))
    if model.config.num_labels == len(SNLI_LABELS):
        return SNLI_LABELS
    return tuple(f"LABEL_{i}" for i in range(model.config.num_labels))


def hypothesis_only_baseline(train: Sequence[dict], test: Sequence[dict], tokenizer, seed: int = 0,
                             sample: float = 0.8, steps: int = 100, lr: float = 0.05, weight_decay: float = 1e-3) -> float:
    """Accuracy on ``test`` of a model that never sees the premise: logistic regression on the
    hypothesis' bag of words (BERT's normalisation and word split, every word seen three times or more
    in training), trained full-batch with Adam on a ``sample`` of ``train`` drawn with ``seed``.
    Gururangan et al. (2018) found such cues ("nobody", "sleeping", "outdoors") in SNLI's
    crowd-written hypotheses; a baseline above chance measures them."""
    from collections import Counter

    from .tokenizer import normalized_words
    g = torch.Generator().manual_seed(seed)
    keep = torch.randperm(len(train), generator=g)[:max(1, int(sample * len(train)))].tolist()
    rows = [train[i] for i in keep]
    words = [normalized_words(tokenizer, x["hypothesis"]) for x in rows]
    counts = Counter(w for ws in words for w in set(ws))
    vocab = {w: i for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 3))}

    def featurise(word_lists):
        x = torch.zeros(len(word_lists), len(vocab))
        for r, ws in enumerate(word_lists):
            for w in ws:
                if w in vocab:
                    x[r, vocab[w]] = 1.0
        return x

    x, y = featurise(words), torch.tensor([r["label"] for r in rows])
    x_test = featurise([normalized_words(tokenizer, t["hypothesis"]) for t in test])
    y_test = torch.tensor([t["label"] for t in test])
    torch.manual_seed(seed)
    linear = torch.nn.Linear(len(vocab), len(SNLI_LABELS))
    opt = torch.optim.Adam(linear.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(linear(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return (linear(x_test).argmax(-1) == y_test).float().mean().item()
