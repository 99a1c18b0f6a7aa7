"""The structural probe (Hewitt & Manning 2019, "A Structural Probe for Finding Syntax in Word
Representations"): is a parse tree written, linearly, in a model's vectors?

A dependency tree defines a distance between any two words of a sentence: the number of edges on
the path between them. The probe is one matrix B ([rank, hidden]); it is trained so that the squared
distance between two words' vectors *after* B,

    d_B(h_i, h_j)^2 = ||B (h_i - h_j)||^2,

matches the tree distance, for all pairs at once (loss: mean |d_B^2 - d_tree| over the pairs of a
sentence, i.e. the L1 difference divided by the squared sentence length, averaged over sentences, as
in the paper). If such a B exists, the tree is a linear image of the vectors: nobody taught the model
what a tree is, yet it is there.

Evaluation, as Hewitt & Manning do: the minimum spanning tree of the predicted distances is a parse
(undirected, no labels); UUAS is the fraction of gold edges it finds, counted over all sentences.
DSpr is the Spearman correlation between predicted and gold distances, per word, averaged per
sentence length and then over lengths 5 to 50. Both ignore punctuation words (as the paper does):
they are dropped from both trees before scoring. Baseline: the linear chain (every word attached to
the next; distance |i - j|), which already gets many English edges right.
"""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .probing import WordFeatures
from .treebank import Sentence, tree_distances

STRUCTURAL_RECIPE = {"rank": 64, "epochs": 10, "batch_size": 16, "lr": 3e-3}   # Adam, lr decayed linearly to 0


class StructuralProbe(nn.Module):
    """||B (h_i - h_j)||^2 for every pair of words of each sentence in a padded batch."""

    def __init__(self, hidden: int, rank: int = STRUCTURAL_RECIPE["rank"]):
        super().__init__()
        self.proj = nn.Parameter(torch.empty(rank, hidden))
        nn.init.uniform_(self.proj, -0.01, 0.01)

    def forward(self, h: torch.Tensor) -> torch.Tensor:      # [batch, n, hidden] -> [batch, n, n]
        t = h @ self.proj.T                                  # [batch, n, rank]
        norms = (t * t).sum(-1)                              # ||B h_i||^2
        # ||B h_i - B h_j||^2 = ||B h_i||^2 + ||B h_j||^2 - 2 (B h_i).(B h_j): no [n, n, rank] tensor
        return (norms.unsqueeze(2) + norms.unsqueeze(1) - 2 * t @ t.transpose(1, 2)).clamp_min(0)


@functools.lru_cache(maxsize=None)
def _tree_distances(heads: tuple) -> np.ndarray:
    return tree_distances(heads)


def _padded(features: WordFeatures, layer: int, indices: Sequence[int]):
    x = features.layer(layer)
    n = max(len(features.sentences[i]) for i in indices)
    h = torch.zeros(len(indices), n, x.shape[1])
    gold = torch.zeros(len(indices), n, n)
    mask = torch.zeros(len(indices), n, n)
    lengths = torch.zeros(len(indices))
    for row, i in enumerate(indices):
        s = features.sentences[i]
        k = len(s)
        h[row, :k] = x[features.sentence_rows(i)]
        gold[row, :k, :k] = torch.from_numpy(_tree_distances(tuple(s.heads))).float()
        mask[row, :k, :k] = 1
        lengths[row] = k
    return h, gold, mask, lengths


def fit_structural_probe(features: WordFeatures, layer: int, seed: int = 0, rank: int = STRUCTURAL_RECIPE["rank"],
                         epochs: int = STRUCTURAL_RECIPE["epochs"], batch_size: int = STRUCTURAL_RECIPE["batch_size"],
                         lr: float = STRUCTURAL_RECIPE["lr"]) -> StructuralProbe:
    """Train B on ``features``' layer ``layer`` against the gold tree distances of its sentences.
    Each feature is standardised with the fitting split's mean and standard deviation (kept in the
    probe; a linear change of coordinates that B could absorb, but it lets Adam start on equal terms
    at every layer)."""
    features.check_layer(layer)
    x = features.layer(layer)
    mean, scale = x.mean(0), x.std(0).clamp_min(1e-6)
    centred = WordFeatures(features.name, ((features.layers[layer] - mean) / scale).unsqueeze(0),
                           features.sentences, features.offsets)
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        probe = StructuralProbe(x.shape[1], rank)
    probe.register_buffer("mean", mean)
    probe.register_buffer("scale", scale)
    optimiser = torch.optim.Adam(probe.parameters(), lr=lr)
    usable = [i for i, s in enumerate(features.sentences) if len(s) > 1]
    steps = epochs * -(-len(usable) // batch_size)
    # the L1 loss's gradient does not shrink near the optimum: without a decaying step the loss
    # wanders back up after a few epochs (Hewitt & Manning divide the rate by 10 on plateaus)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 1 - step / steps)
    for _ in range(epochs):
        order = torch.tensor(usable)[torch.randperm(len(usable), generator=g)]
        for batch in order.split(batch_size):
            h, gold, mask, lengths = _padded(centred, 0, batch.tolist())
            optimiser.zero_grad()
            per_sentence = ((probe(h) - gold).abs() * mask).sum((1, 2)) / lengths ** 2
            per_sentence.mean().backward()
            optimiser.step()
            schedule.step()
    return probe.eval()


@torch.no_grad()
def predicted_distances(probe: StructuralProbe, features: WordFeatures, layer: int) -> list[np.ndarray]:
    """The probe's squared distances for every sentence of ``features`` (a list of [n, n] arrays)."""
    x = (features.layer(layer) - probe.mean) / probe.scale
    return [probe(x[features.sentence_rows(i)].unsqueeze(0))[0].numpy() for i in range(len(features.sentences))]


def minimum_spanning_tree(distances: np.ndarray) -> set[frozenset]:
    """Prim's algorithm on a full [n, n] distance matrix: the n - 1 undirected edges of the tree
    of smallest total distance (ties go to the lower index, so the result is deterministic)."""
    d = np.asarray(distances, dtype=np.float64)
    n = len(d)
    if d.ndim != 2 or d.shape != (n, n):
        raise ValueError(f"distances must be a square matrix, got shape {d.shape}.")
    if n < 2:
        return set()
    in_tree = np.zeros(n, bool)
    in_tree[0] = True
    best, parent = d[0].copy(), np.zeros(n, int)
    edges = set()
    for _ in range(n - 1):
        candidates = np.where(in_tree, np.inf, best)
        j = int(np.argmin(candidates))
        edges.add(frozenset((int(parent[j]), j)))
        in_tree[j] = True
        closer = d[j] < best
        best = np.where(closer, d[j], best)
        parent = np.where(closer, j, parent)
    return edges


def _kept(sentence: Sentence, ignore_punctuation: bool) -> np.ndarray:
    keep = np.array([not p for p in sentence.is_punctuation()]) if ignore_punctuation else np.ones(len(sentence), bool)
    return np.flatnonzero(keep)


def uuas(distances: Sequence[np.ndarray], sentences: Sequence[Sentence], ignore_punctuation: bool = True) -> float:
    """Unlabelled undirected attachment score of the predicted distances' minimum spanning trees
    against the gold trees, all edges of all sentences counted together. With punctuation ignored,
    both trees are spanning trees of the non-punctuation words (the gold one: the minimum spanning
    tree of the gold distances among them, which is the gold tree's edges when punctuation hangs
    from other words as leaves, as in UD)."""
    if len(distances) != len(sentences):
        raise ValueError(f"{len(distances)} distance matrices for {len(sentences)} sentences.")
    right = total = 0
    for d, s in zip(distances, sentences):
        keep = _kept(s, ignore_punctuation)
        if len(keep) < 2:
            continue
        gold = minimum_spanning_tree(_tree_distances(tuple(s.heads))[np.ix_(keep, keep)])
        guess = minimum_spanning_tree(np.asarray(d)[np.ix_(keep, keep)])
        right += len(gold & guess)
        total += len(gold)
    return right / total


def distance_spearman(distances: Sequence[np.ndarray], sentences: Sequence[Sentence], ignore_punctuation: bool = True,
                      lengths: tuple[int, int] = (5, 50)) -> float:
    """Hewitt & Manning's DSpr: for every word, the Spearman correlation between its predicted and
    its gold distances to the other words; averaged over the words of all sentences of one length,
    then over the lengths from ``lengths[0]`` to ``lengths[1]`` (counted without punctuation)."""
    from scipy.stats import rankdata
    by_length: dict[int, list[float]] = {}
    for d, s in zip(distances, sentences):
        keep = _kept(s, ignore_punctuation)
        n = len(keep)
        if not lengths[0] <= n <= lengths[1]:
            continue
        gold = _tree_distances(tuple(s.heads))[np.ix_(keep, keep)]
        pred = np.asarray(d, dtype=np.float64)[np.ix_(keep, keep)]
        off = ~np.eye(n, dtype=bool)                                   # each word against the others
        ranks = [rankdata(m[off].reshape(n, n - 1), axis=1) for m in (pred, gold)]
        a, b = (r - r.mean(1, keepdims=True) for r in ranks)
        denominator = np.sqrt((a * a).sum(1) * (b * b).sum(1))
        rho = (a * b).sum(1)[denominator > 0] / denominator[denominator > 0]   # Pearson of the ranks = Spearman
        if len(rho):
            by_length.setdefault(n, []).extend(rho.tolist())
    if not by_length:
        raise ValueError(f"no sentence has between {lengths[0]} and {lengths[1]} words to score.")
    return float(np.mean([np.mean(v) for v in by_length.values()]))


def linear_chain_distances(sentences: Sequence[Sentence]) -> list[np.ndarray]:
    """The baseline's 'prediction': distance |i - j|, a chain from the first word to the last."""
    return [np.abs(np.subtract.outer(np.arange(len(s)), np.arange(len(s)))).astype(float) for s in sentences]


def structural_record(fit: WordFeatures, score: WordFeatures, layer: int, seed: int = 0) -> dict:
    """Fit on ``fit``, score UUAS and DSpr on ``score``: the record the sweep stores."""
    probe = fit_structural_probe(fit, layer, seed)
    d = predicted_distances(probe, score, layer)
    return {"model": fit.name, "layer": layer, "seed": seed, "uuas": uuas(d, score.sentences),
            "spearman": distance_spearman(d, score.sentences)}


def sentence_trees(distances: np.ndarray, sentence: Sentence, ignore_punctuation: bool = True):
    """``(words, gold_edges, predicted_edges)`` for one sentence, as ``uuas`` scores it: punctuation
    left out, edges between 0-based indices into ``words`` (what ``probing_figures.draw_trees`` draws)."""
    keep = _kept(sentence, ignore_punctuation)
    gold = minimum_spanning_tree(_tree_distances(tuple(sentence.heads))[np.ix_(keep, keep)])
    guess = minimum_spanning_tree(np.asarray(distances)[np.ix_(keep, keep)])
    return [sentence.words[i] for i in keep], gold, guess
