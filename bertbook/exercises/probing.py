"""Self-checks for lesson 10 (what BERT knows): a prediction about an MLP probe on the control task,
the tree distance matrix behind the structural probe, and Hewitt & Liang's control-task tags.

Each check validates the type and shape of what came back before using it, and names the common
wrong answers (tests/test_exercise_hints_10.py feeds each of them to its check)."""
from __future__ import annotations

import random
from collections import Counter

import numpy as np

from . import ExerciseError, exercise_check, passed

# --- exercise 1: predict, then run ----------------------------------------------------------------
MLP_CHOICES = {
    "a": "the POS accuracy rises much more than the control accuracy, so selectivity goes up",
    "b": "the control accuracy rises more than the POS accuracy, so selectivity goes down",
    "c": "both rise by about the same, so selectivity stays where it was",
    "d": "both fall: a bigger probe overfits the 500 fitting sentences",
}


@exercise_check
def check_mlp_prediction(answer) -> None:
    """``answer``: one letter of ``MLP_CHOICES``: what replacing the linear probe by an MLP probe
    (one hidden layer of 256 ReLUs) does, at most layers, to POS accuracy, control accuracy and
    selectivity."""
    if not isinstance(answer, str) or answer.strip().lower() not in MLP_CHOICES:
        raise ExerciseError(f"answer with one letter among {sorted(MLP_CHOICES)}, e.g. \"a\"; got {answer!r}.")
    letter = answer.strip().lower()
    if letter == "a":
        raise ExerciseError(
            "the POS accuracy of a linear probe is already high (most tags are readable along a few directions), so "
            "there is little left for the MLP to add there. The control task is different: every word type has an "
            "arbitrary tag, and a lookup table of word identities is exactly what extra capacity can store.")
    if letter == "c":
        raise ExerciseError(
            "the two tasks do not have the same room to grow: POS is close to its ceiling with a linear probe, while "
            "the control task rewards memorising word identities, which a hidden layer does much better.")
    if letter == "d":
        raise ExerciseError(
            "with some 7,000 fitting words and 20 epochs the MLP does not overfit POS badly, and memorising is "
            "precisely what the control task rewards: its accuracy on the test words it has seen goes *up*.")
    passed("an MLP probe memorises: control accuracy up, selectivity down")


# --- exercise 2: tree distances -------------------------------------------------------------------
def _reference_distances(heads):
    n = len(heads)
    adjacent = [[] for _ in range(n)]
    for child, head in enumerate(heads):
        if head:
            adjacent[child].append(head - 1)
            adjacent[head - 1].append(child)
    d = np.full((n, n), -1)
    for s in range(n):
        d[s, s], frontier = 0, [s]
        while frontier:
            nxt = []
            for u in frontier:
                for v in adjacent[u]:
                    if d[s, v] < 0:
                        d[s, v] = d[s, u] + 1
                        nxt.append(v)
            frontier = nxt
    return d


TREE_CASES = ([2, 0, 2], [3, 3, 0, 3, 4, 5], [0, 1, 2, 3], [2, 4, 4, 0, 4, 7, 5, 7])


def _as_matrix(got, n: int) -> np.ndarray:
    if got is None:
        raise ExerciseError("your function returned None: return the [n, n] matrix of distances "
                            "(did you forget `return`?).")
    try:
        m = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got, dtype=float)
    except (TypeError, ValueError):
        raise ExerciseError(f"return an [n, n] matrix (a numpy array, a tensor or a list of lists); "
                            f"got a {type(got).__name__}.") from None
    if m.shape != (n, n):
        raise ExerciseError(f"for {n} words return an [{n}, {n}] matrix; got shape {m.shape}.")
    return m


@exercise_check
def check_tree_distances(fn) -> None:
    """``fn(heads) -> [n, n]``: ``heads[i]`` is the 1-based head of word i (0 = the root, CoNLL-U's
    HEAD column); entry [i, j] is the number of edges between words i and j in the undirected tree."""
    for heads in TREE_CASES:
        want = _reference_distances(heads)
        got = _as_matrix(fn(list(heads)), len(heads))
        if np.array_equal(got, want):
            continue
        where = f"for heads {heads}"
        adjacency = np.isin(want, [1]).astype(float)
        if np.array_equal(got, adjacency) or np.array_equal(got, adjacency + np.eye(len(heads))):
            raise ExerciseError(f"{where} you returned which words are *joined by an edge* (1 or 0). The probe needs "
                                "the path length: 2 for a word and its grandparent, 3 one step further... a "
                                "breadth-first search from every word gives it.")
        if np.any(np.diag(got) != 0):
            raise ExerciseError(f"{where} the diagonal is not 0: a word is 0 edges away from itself.")
        if not np.array_equal(got, got.T):
            raise ExerciseError(f"{where} your matrix is not symmetric ([0, 1] = {got[0, 1]:g}, [1, 0] = {got[1, 0]:g}): "
                                "the distance ignores the direction of the edges, so walk from child to head *and* "
                                "from head to child.")
        shifted = [h + 1 if h else 0 for h in heads]
        if max(shifted) <= len(heads):
            try:
                if np.array_equal(got, _reference_distances(shifted)):
                    raise ExerciseError(f"{where} your edges are shifted by one word: CoNLL-U heads are 1-based "
                                        "(word 1 is the first word, 0 the root), so word i's head is "
                                        "index heads[i] - 1 in 0-based Python.")
            except IndexError:
                pass
        bad = np.argwhere(got != want)[0]
        raise ExerciseError(f"{where} the distance between words {bad[0]} and {bad[1]} should be "
                            f"{want[bad[0], bad[1]]}, you gave {got[bad[0], bad[1]]:g}. Count the edges on the "
                            "path between them through their common ancestor.")
    passed("tree distances")


# --- exercise 3: the control task -----------------------------------------------------------------
CONTROL_COUNTS = {"NOUN": 70, "PUNCT": 20, "X": 10}


def _control_words(n: int = 3000) -> list[str]:
    rng = random.Random(10)
    types = [f"w{i}" for i in range(n)]
    return types + rng.choices(types, k=n)          # every type at least once, many twice or more


@exercise_check
def check_control_tags(fn) -> None:
    """``fn(words, tag_counts, seed) -> dict``: one tag per word *type* of ``words``, drawn at random
    from the tags in proportion to ``tag_counts`` (a dict tag -> count), the same every time for the
    same seed."""
    words = _control_words()
    got = fn(list(words), dict(CONTROL_COUNTS), 0)
    if isinstance(got, (list, tuple)):
        raise ExerciseError("you returned a sequence, one tag per token. The control task gives each word *type* one "
                            "tag: return a dict word -> tag, so that 'the' has the same tag wherever it occurs.")
    if not isinstance(got, dict):
        raise ExerciseError(f"return a dict from each word to its tag; got a {type(got).__name__}.")
    missing = sorted(set(words) - set(got))
    if missing:
        raise ExerciseError(f"{len(missing)} word types have no tag (e.g. {missing[:3]}): give every word of `words` one.")
    unknown = sorted({str(t) for t in got.values()} - set(CONTROL_COUNTS))
    if unknown:
        raise ExerciseError(f"tags {unknown[:5]} are not among the tags of tag_counts {sorted(CONTROL_COUNTS)}.")
    share = Counter(got[w] for w in set(words))
    n = len(set(words))
    noun = share["NOUN"] / n
    if noun > 0.97:
        raise ExerciseError("every word got the most frequent tag: that is a majority baseline, not a random task. "
                            "Draw each type's tag at random, weighted by the counts.")
    if abs(noun - 1 / 3) < 0.05:
        raise ExerciseError(f"about a third of the types got NOUN ({noun:.2f}): you drew the tags uniformly. Hewitt & "
                            "Liang draw from the empirical distribution: weights equal to the counts, e.g. "
                            "random.choices(tags, weights=counts).")
    if abs(noun - 0.7) > 0.05 or abs(share["PUNCT"] / n - 0.2) > 0.05:
        raise ExerciseError(f"the tags' shares over word types are NOUN {noun:.2f}, PUNCT {share['PUNCT'] / n:.2f}, "
                            f"X {share['X'] / n:.2f}; drawn in proportion to the counts they should be near 0.70, "
                            "0.20 and 0.10.")
    again, other = fn(list(words), dict(CONTROL_COUNTS), 0), fn(list(words), dict(CONTROL_COUNTS), 1)
    if again != got:
        raise ExerciseError("two calls with the same seed gave different tags: draw with a generator made from the seed "
                            "(random.Random(seed)), not the global random state, and go through the types in a fixed "
                            "order (sorted), not a set's order.")
    if other == got:
        raise ExerciseError("seeds 0 and 1 gave the same tags: use the seed to make the random generator.")
    passed("control tags")
