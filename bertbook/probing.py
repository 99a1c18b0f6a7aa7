"""Probing: what a model's vectors hold, read by a small classifier trained on top of them, layer by layer.

Why: ``fill_mask`` asks a model a question in its own words; a *probe* asks its vectors. Freeze the
model, take each word's vector after layer l (0 = the embeddings, then layers 1..L: the numbering of
``output_hidden_states`` used everywhere in this package), and train a small classifier to predict a
label from it, here the word's universal part-of-speech tag. Fit on one split of the treebank (UD EWT
dev), score on another (UD EWT test): a probe that only memorised its training words scores badly.

What a probe's accuracy cannot say by itself (Hewitt & Liang 2019, "Designing and Interpreting Probes
with Control Tasks"): a big enough probe *learns* a task instead of reading it. Their control task
gives every word *type* a fixed random tag (drawn from the real tags' frequencies), a task that only
memorising word identities can solve. Selectivity = task accuracy - control accuracy: high when the
probe reads something the control cannot be read from. A linear probe is the usual low-capacity
choice; an MLP probe raises both accuracies, and mostly the control one.

Conventions: features are float32, one vector per word: its *first* WordPiece piece (the label sits
there as in token classification). Each feature is standardised with the fitting split's mean and
standard deviation (a linear change of coordinates: it changes what Adam finds in a fixed number of
steps, not what a linear probe can express). Probes train with Adam for a fixed number of epochs;
``seed`` sets the probe's initial weights and the order of its mini-batches.
"""
from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .treebank import UPOS_TAGS, Sentence, fits, first_piece_positions, tag_counts

PROBE_MODELS = ("minilm", "bertbook-tiny")


@dataclass
class WordFeatures:
    """Every word's vector after every layer: ``layers[l]`` is ``[n_words, hidden]`` (l = 0: the
    embeddings), the words of ``sentences`` one after another (sentence i is rows
    ``offsets[i]:offsets[i + 1]``)."""
    name: str
    layers: torch.Tensor                       # [L + 1, n_words, hidden], float32
    sentences: list[Sentence]
    offsets: list[int] = field(default_factory=list)

    @property
    def n_layers(self) -> int:
        return self.layers.shape[0] - 1

    def check_layer(self, layer: int) -> int:
        if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 0 <= layer <= self.n_layers:
            raise ValueError(f"layer must be an integer from 0 (the embeddings) to {self.n_layers} (the last layer) "
                             f"for {self.name}; got {layer!r}.")
        return int(layer)

    def layer(self, layer: int) -> torch.Tensor:
        return self.layers[self.check_layer(layer)]

    def sentence_rows(self, i: int) -> slice:
        return slice(self.offsets[i], self.offsets[i + 1])


def load_probe_model(name: str, random_seed: int | None = None):
    """``(model, tokenizer)`` for ``name`` ("minilm" or "bertbook-tiny"), in eval mode. With
    ``random_seed``, the same architecture with fresh random weights (BERT's N(0, 0.02) initialisation
    drawn with that seed): what the architecture alone gives, before any training."""
    from .checkpoints import resolve_checkpoint_dir
    from .model import BertModel, load_pretrained
    from .tokenizer import load_tokenizer
    if name not in PROBE_MODELS:
        raise ValueError(f"name must be one of {PROBE_MODELS}, got {name!r}.")
    tokenizer = load_tokenizer("minilm" if name == "minilm" else resolve_checkpoint_dir(name))
    model = load_pretrained(name, BertModel)
    if random_seed is not None:
        with torch.random.fork_rng():
            torch.manual_seed(random_seed)
            model = BertModel(model.config)
    return model.eval(), tokenizer


def usable(sentences: Sequence[Sentence], tokenizers: Sequence, max_length: int = 128) -> list[Sentence]:
    """The sentences whose pieces (+ [CLS], [SEP]) fit ``max_length`` positions under every tokenizer
    (our tiny model has 128 positions), so that every model sees the same words."""
    return [s for s in sentences if all(fits(t, s, max_length) for t in tokenizers)]


@torch.no_grad()
def word_features(model, tokenizer, sentences: Sequence[Sentence], name: str = "model", batch_size: int = 32,
                  progress: bool = False) -> WordFeatures:
    """Run ``model`` once over ``sentences`` (batches of similar length) and keep each word's
    first-piece vector after every layer."""
    if not sentences:
        raise ValueError("word_features needs at least one sentence.")
    max_positions = model.config.max_position_embeddings
    encodings = [tokenizer.encode(s.words, is_pretokenized=True) for s in sentences]
    too_long = [i for i, e in enumerate(encodings) if len(e.ids) > max_positions]
    if too_long:
        raise ValueError(f"{len(too_long)} sentences (e.g. number {too_long[0]}) have more pieces than the model's "
                         f"{max_positions} positions: keep only those that fit, with usable(sentences, [tokenizer], "
                         f"{max_positions}).")
    firsts = [first_piece_positions(e, len(s)) for e, s in zip(encodings, sentences)]
    order = sorted(range(len(sentences)), key=lambda i: len(encodings[i].ids))
    n_layers = model.config.num_hidden_layers
    per_sentence: list = [None] * len(sentences)
    model.eval()
    from tqdm.auto import tqdm
    for start in tqdm(range(0, len(order), batch_size), disable=not progress, desc=f"features of {name}"):
        batch = order[start:start + batch_size]
        length = max(len(encodings[i].ids) for i in batch)
        ids = torch.zeros(len(batch), length, dtype=torch.long)
        mask = torch.zeros(len(batch), length, dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, :len(encodings[i].ids)] = torch.tensor(encodings[i].ids)
            mask[row, :len(encodings[i].ids)] = 1
        out = model(ids, mask, output_hidden_states=True)
        hidden = torch.stack(out.hidden_states)                     # [L + 1, batch, seq, hidden]
        for row, i in enumerate(batch):
            per_sentence[i] = hidden[:, row, firsts[i]].float().clone()
    assert all(h.shape[0] == n_layers + 1 for h in per_sentence)
    offsets = np.cumsum([0] + [len(s) for s in sentences]).tolist()
    return WordFeatures(name, torch.cat(per_sentence, 1), list(sentences), offsets)


# --- labels -----------------------------------------------------------------------------------------
def pos_labels(sentences: Sequence[Sentence]) -> torch.Tensor:
    index = {t: i for i, t in enumerate(UPOS_TAGS)}
    unknown = {t for s in sentences for t in s.upos} - set(index)
    if unknown:
        raise ValueError(f"tags {sorted(unknown)} are not universal POS tags {UPOS_TAGS}.")
    return torch.tensor([index[t] for s in sentences for t in s.upos])


def control_tags(fit: Sequence[Sentence], others: Sequence[Sequence[Sentence]] = (), seed: int = 0) -> dict[str, str]:
    """Hewitt & Liang's control task: every word type (its exact form) of ``fit`` and ``others`` gets
    one fixed tag, drawn at random from the tag distribution of ``fit``. The same word always gets
    the same tag, whatever its context: the task can be solved only by remembering word identities."""
    counts = tag_counts(fit)
    tags, weights = zip(*sorted(counts.items()))
    words = sorted({w for group in (fit, *others) for s in group for w in s.words})
    rng = random.Random(seed)
    return dict(zip(words, rng.choices(tags, weights=weights, k=len(words))))


def control_labels(sentences: Sequence[Sentence], tags: dict[str, str]) -> torch.Tensor:
    index = {t: i for i, t in enumerate(UPOS_TAGS)}
    missing = sorted({w for s in sentences for w in s.words if w not in tags})
    if missing:
        raise ValueError(f"{len(missing)} words have no control tag (e.g. {missing[:3]}): pass every split to "
                         "control_tags(fit, others=[...]).")
    return torch.tensor([index[tags[w]] for s in sentences for w in s.words])


# --- probes -----------------------------------------------------------------------------------------
PROBE_RECIPE = {"epochs": 20, "batch_size": 1024, "lr": 1e-2, "mlp_hidden": 256}


def make_probe(kind: str, hidden: int, n_classes: int, mlp_hidden: int = PROBE_RECIPE["mlp_hidden"]) -> nn.Module:
    """"linear": one matrix (+ bias) from a vector to tag scores; "mlp": one hidden ReLU layer."""
    if kind == "linear":
        return nn.Linear(hidden, n_classes)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(hidden, mlp_hidden), nn.ReLU(), nn.Linear(mlp_hidden, n_classes))
    raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}.")


class Standardise(nn.Module):
    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x):
        return (x - self.mean) / self.std


def fit_probe(x: torch.Tensor, y: torch.Tensor, kind: str = "linear", seed: int = 0, n_classes: int = len(UPOS_TAGS),
              epochs: int = PROBE_RECIPE["epochs"], batch_size: int = PROBE_RECIPE["batch_size"],
              lr: float = PROBE_RECIPE["lr"], mlp_hidden: int = PROBE_RECIPE["mlp_hidden"]) -> nn.Module:
    """Train a probe on features ``x [n, hidden]`` and labels ``y [n]``; returns it in eval mode."""
    if x.dim() != 2 or y.dim() != 1 or len(x) != len(y):
        raise ValueError(f"x must be [n, hidden] and y [n] with the same n; got {tuple(x.shape)} and {tuple(y.shape)}.")
    x = x.float()
    std = x.std(0).clamp_min(1e-6)
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        probe = nn.Sequential(Standardise(x.mean(0), std), make_probe(kind, x.shape[1], n_classes, mlp_hidden))
    optimiser = torch.optim.Adam(probe.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    probe.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=g).split(batch_size):
            optimiser.zero_grad()
            loss_fn(probe(x[batch]), y[batch]).backward()
            optimiser.step()
    return probe.eval()


@torch.no_grad()
def accuracy(probe: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return (probe(x.float()).argmax(-1) == y).float().mean().item()


def probe_layer(fit: WordFeatures, score: WordFeatures, layer: int, kind: str = "linear", seed: int = 0,
                control: dict[str, str] | None = None) -> dict:
    """Fit a ``kind`` probe on ``fit``'s layer ``layer``, score it on ``score``: accuracy on the POS
    task, and with ``control`` (a :func:`control_tags` dict) the control task's accuracy and the
    selectivity. Both tasks use the same features, recipe and seed."""
    x_fit, x_score = fit.layer(layer), score.layer(layer)
    record = {"model": fit.name, "layer": layer, "probe": kind, "seed": seed,
              "pos_accuracy": accuracy(fit_probe(x_fit, pos_labels(fit.sentences), kind, seed), x_score,
                                       pos_labels(score.sentences))}
    if control is not None:
        probe = fit_probe(x_fit, control_labels(fit.sentences, control), kind, seed)
        record["control_accuracy"] = accuracy(probe, x_score, control_labels(score.sentences, control))
        record["selectivity"] = record["pos_accuracy"] - record["control_accuracy"]
    return record


def control_majority_baseline(fit: Sequence[Sentence], score: Sequence[Sentence], tags: dict[str, str]) -> float:
    """The control task scored by a lookup table (each word's control tag if it was seen in ``fit``,
    else the most frequent control tag): the most any probe can get from word identity alone."""
    seen = {w for s in fit for w in s.words}
    from collections import Counter
    default = Counter(tags[w] for s in fit for w in s.words).most_common(1)[0][0]
    pairs = [(tags[w] if w in seen else default, tags[w]) for s in score for w in s.words]
    return sum(a == b for a, b in pairs) / len(pairs)


def summarise(records: Sequence[dict], key: str, by: Sequence[str] = ("model", "layer", "probe")) -> dict:
    """Mean, sample standard deviation, min, max and the values of ``key`` over the seeds, per ``by``."""
    groups: dict[tuple, list[float]] = {}
    for r in records:
        if key in r:
            groups.setdefault(tuple(r[b] for b in by), []).append(r[key])
    return {k: {"mean": statistics.fmean(v), "sd": statistics.stdev(v) if len(v) > 1 else float("nan"),
                "min": min(v), "max": max(v), "values": v, "seeds": len(v)} for k, v in sorted(groups.items())}


# --- the lesson's experiment, shared by the lesson and benchmarks/probing_sweep.py ------------------------
SENTENCES_PER_SPLIT = 500


def probing_sentences(limit: int = SENTENCES_PER_SPLIT, max_length: int = 128) -> tuple[list[Sentence], list[Sentence]]:
    """(fit, score): the first ``limit`` sentences of UD EWT dev and of UD EWT test that fit
    ``max_length`` positions under both tokenizers (MiniLM's and our 8k one)."""
    from .treebank import load_ud_ewt
    tokenizers = [load_probe_model(name)[1] for name in PROBE_MODELS]
    return tuple(usable(load_ud_ewt(split), tokenizers, max_length)[:limit] for split in ("dev", "test"))


def model_features(name: str, fit: Sequence[Sentence], score: Sequence[Sentence], random_seed: int | None = None,
                   progress: bool = False) -> tuple[WordFeatures, WordFeatures]:
    """The features of ``fit`` and ``score`` for a pretrained model (``random_seed`` None) or for its
    architecture with random weights drawn with ``random_seed``."""
    model, tokenizer = load_probe_model(name, random_seed)
    label = name if random_seed is None else f"{name} (random weights, seed {random_seed})"
    return (word_features(model, tokenizer, fit, label, progress=progress),
            word_features(model, tokenizer, score, label, progress=progress))
