"""Lesson 10's self-checks: every listed wrong answer gets its own hint, a malformed answer gets a clear
ExerciseError (never a raw exception), the right answer passes and an untouched stub is "not attempted"."""
import random

import numpy as np
import pytest
import torch

from bertbook.exercises import ExerciseError, results
from bertbook.exercises import probing as ex
from bertbook.treebank import tree_distances


def fails_with(check, answer, *words):
    with pytest.raises(ExerciseError) as info:
        check(answer)
    message = str(info.value)
    for w in words:
        assert w in message, f"{w!r} not in {message!r}"
    return message


def stub(*args):
    raise NotImplementedError


def test_stubs_are_not_attempted(capsys):
    for check in (ex.check_tree_distances, ex.check_control_tags):
        check(stub)
        assert results()[check.__name__]["status"] == "not attempted"
    ex.check_mlp_prediction(...)
    assert results()["check_mlp_prediction"]["status"] == "not attempted"
    assert capsys.readouterr().out.count("not attempted yet") == 3


# --- exercise 1 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["b", "B", " b "])
def test_mlp_prediction_right(answer):
    ex.check_mlp_prediction(answer)


@pytest.mark.parametrize("answer, words", [
    ("a", ("already high", "lookup table")),
    ("c", ("same room to grow",)),
    ("d", ("does not overfit", "goes *up*")),
    ("e", ("one letter",)),
    ({"b"}, ("one letter",)),
    (2, ("one letter",)),
])
def test_mlp_prediction_wrong(answer, words):
    fails_with(ex.check_mlp_prediction, answer, *words)


# --- exercise 2 -------------------------------------------------------------------------------------
def test_tree_distances_right():
    ex.check_tree_distances(lambda heads: tree_distances(heads))
    ex.check_tree_distances(lambda heads: torch.tensor(tree_distances(heads)))          # a tensor is fine
    ex.check_tree_distances(lambda heads: tree_distances(heads).tolist())                # and a list of lists


def adjacency(heads):
    n = len(heads)
    a = np.zeros((n, n))
    for c, h in enumerate(heads):
        if h:
            a[c, h - 1] = a[h - 1, c] = 1
    return a


def directed(heads):
    d = tree_distances(heads).astype(float)
    return np.triu(d) * 2                       # not symmetric


def zero_based(heads):                         # reads heads as 0-based: the edges move by one word
    n = len(heads)
    shifted = [0 if h == 0 else min(h + 1, n) for h in heads]
    try:
        return tree_distances(shifted)
    except ValueError:
        return np.zeros((n, n)) + 5


def ones_on_diagonal(heads):
    return tree_distances(heads) + np.eye(len(heads))


def off_by_one_pair(heads):
    d = tree_distances(heads).copy()
    if len(heads) > 3:
        d[0, 3] += 1
        d[3, 0] += 1
    return d


@pytest.mark.parametrize("fn, words", [
    (adjacency, ("joined by an edge", "breadth-first")),
    (ones_on_diagonal, ("diagonal is not 0",)),
    (directed, ("not symmetric",)),
    (off_by_one_pair, ("should be", "common ancestor")),
    (lambda heads: None, ("returned None",)),
    (lambda heads: np.zeros((2, 2)), ("got shape (2, 2)",)),
    (lambda heads: "distances", ("got a str",)),
])
def test_tree_distances_wrong(fn, words):
    fails_with(ex.check_tree_distances, fn, *words)


def test_tree_distances_with_one_based_heads_misread():
    def misread(heads):                          # treats heads[i] as a 0-based index (root at -1 skipped)
        n = len(heads)
        d = np.full((n, n), 99.0)
        adj = [[] for _ in range(n)]
        for c, h in enumerate(heads):
            if h and h < n and h != c:
                adj[c].append(h)
                adj[h].append(c)
        for s in range(n):
            d[s, s] = 0
            frontier = [s]
            while frontier:
                nxt = []
                for u in frontier:
                    for v in adj[u]:
                        if d[s, v] == 99.0:
                            d[s, v] = d[s, u] + 1
                            nxt.append(v)
                frontier = nxt
        return d
    message = fails_with(ex.check_tree_distances, misread)
    assert "should be" in message or "1-based" in message


def test_a_crash_in_the_students_code_becomes_a_clear_failure():
    def crashes(heads):
        return heads[100]
    fails_with(ex.check_tree_distances, crashes, "IndexError")


# --- exercise 3 -------------------------------------------------------------------------------------
def control_right(words, tag_counts, seed):
    rng = random.Random(seed)
    tags, counts = zip(*sorted(tag_counts.items()))
    types = sorted(set(words))
    return dict(zip(types, rng.choices(tags, weights=counts, k=len(types))))


def test_control_tags_right():
    ex.check_control_tags(control_right)


def per_token(words, tag_counts, seed):
    rng = random.Random(seed)
    return [rng.choices(list(tag_counts), weights=list(tag_counts.values()))[0] for _ in words]


def uniform(words, tag_counts, seed):
    rng = random.Random(seed)
    return {w: rng.choice(sorted(tag_counts)) for w in sorted(set(words))}


def majority(words, tag_counts, seed):
    return {w: max(tag_counts, key=tag_counts.get) for w in words}


def global_random(words, tag_counts, seed):
    tags, counts = zip(*sorted(tag_counts.items()))
    return {w: random.choices(tags, weights=counts)[0] for w in sorted(set(words))}


def ignores_seed(words, tag_counts, seed):
    return control_right(words, tag_counts, 0)


def inverse_weights(words, tag_counts, seed):
    rng = random.Random(seed)
    tags = sorted(tag_counts)
    return {w: rng.choices(tags, weights=[1 / tag_counts[t] for t in tags])[0] for w in sorted(set(words))}


@pytest.mark.parametrize("fn, words", [
    (per_token, ("one tag per token", "return a dict")),
    (uniform, ("uniformly", "random.choices")),
    (majority, ("majority baseline",)),
    (global_random, ("same seed gave different tags", "random.Random(seed)")),
    (ignores_seed, ("seeds 0 and 1 gave the same tags",)),
    (inverse_weights, ("should be near 0.70",)),
    (lambda w, c, s: {x: "NOUN" for x in w[:10]}, ("have no tag",)),
    (lambda w, c, s: {x: "VERB" for x in w}, ("not among the tags",)),
    (lambda w, c, s: "NOUN", ("return a dict",)),
])
def test_control_tags_wrong(fn, words):
    fails_with(ex.check_control_tags, fn, *words)
