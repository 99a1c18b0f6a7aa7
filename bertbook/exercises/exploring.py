"""Self-checks for lesson 7 (exploring what BERT learned). Each check runs the student's function
on fresh inputs, compares with an independent computation, and names the usual mistakes."""
from __future__ import annotations

import numpy as np
import torch

from . import ExerciseError, exercise_check, passed

IGNORE = -100


@exercise_check
def check_mlm_labels(mlm_labels) -> None:
    """``mlm_labels(original_ids, masked_positions)`` -> list of labels, one per token: the original
    id at each masked position, -100 (no loss) everywhere else. The model predicts the masked word
    itself, not the words around it."""
    original = [2, 17, 23, 4, 31, 8, 42, 3]
    for positions in ([3], [1, 5], [2, 3, 6]):
        got = mlm_labels(list(original), list(positions))
        if isinstance(got, torch.Tensor):
            got = got.tolist()
        if not isinstance(got, (list, tuple)) or len(got) != len(original):
            raise ExerciseError(f"return one label per token ({len(original)} here), got {got!r}.")
        right = [t if i in positions else IGNORE for i, t in enumerate(original)]
        if list(got) == right:
            continue
        neighbours = [t if (i - 1 in positions or i + 1 in positions) else IGNORE for i, t in enumerate(original)]
        if list(got) == neighbours or all(got[p] == IGNORE for p in positions):
            raise ExerciseError("your labels sit on the words *around* the mask. That is the seed post's "
                                "misconception: BERT's MLM predicts the masked token itself, so the label at a "
                                "masked position is the token that was there before masking.")
        if all(g == t for g, t in zip(got, original)):
            raise ExerciseError("every token has a label: the loss would then also reward copying the visible "
                                "words. Put -100 on the positions that were not masked.")
        if any(g == 0 for i, g in enumerate(got) if i not in positions):
            raise ExerciseError("use -100 (not 0) for 'no label': 0 is a real token id ([PAD]), and "
                                "cross_entropy(..., ignore_index=-100) skips only -100.")
        raise ExerciseError(f"for masked positions {positions} expected {right}, got {list(got)}.")
    passed("MLM labels")


@exercise_check
def check_top_k(top_k) -> None:
    """``top_k(probs, k)`` -> the k (token_id, probability) pairs with the highest probability,
    best first, for a 1-D tensor of probabilities over the vocabulary."""
    g = torch.Generator().manual_seed(7)
    probs = torch.softmax(torch.randn(50, generator=g) * 3, -1)
    for k in (1, 3, 5):
        got = list(top_k(probs.clone(), k))
        values, ids = probs.topk(k)
        right = [(int(i), float(v)) for v, i in zip(values, ids)]
        if len(got) != k:
            raise ExerciseError(f"top_k(probs, {k}) should return {k} pairs, got {len(got)}.")
        try:
            pairs = [(int(i), float(p)) for i, p in got]
        except (TypeError, ValueError):
            raise ExerciseError(f"return (token_id, probability) pairs, got {got[:2]!r} ...") from None
        if [i for i, _ in pairs] == [int(i) for i in probs.topk(k, largest=False).indices]:
            raise ExerciseError("these are the *least* likely tokens: sort by probability, largest first.")
        if sorted(pairs, key=lambda x: -x[1]) != pairs:
            raise ExerciseError("put the best prediction first (descending probability).")
        if [i for i, _ in pairs] != [i for i, _ in right]:
            if [p for _, p in pairs] == [i for i, _ in right] or any(i < 1 and i != 0 for i, _ in pairs):
                raise ExerciseError("the pairs look swapped: return (token_id, probability).")
            raise ExerciseError(f"for k={k} the most likely ids are {[i for i, _ in right]}, got {[i for i, _ in pairs]}.")
        if not np.allclose([p for _, p in pairs], [p for _, p in right], atol=1e-6):
            raise ExerciseError("the ids are right but the probabilities are not the ones in probs.")
    passed("top-k predictions")


@exercise_check
def check_previous_token_score(previous_token_score) -> None:
    """``previous_token_score(attention)`` -> for one ``[T, T]`` attention map (rows = queries), the
    mean over tokens i = 1..T-1 of the weight token i puts on token i-1."""
    rng = np.random.default_rng(5)
    for T in (4, 9):
        a = rng.random((T, T)).astype(np.float32)
        a /= a.sum(1, keepdims=True)
        right = float(np.mean([a[i, i - 1] for i in range(1, T)]))
        got = float(previous_token_score(a.copy()))
        if np.isclose(got, right, atol=1e-5):
            continue
        if np.isclose(got, float(np.mean([a[i, i + 1] for i in range(T - 1)])), atol=1e-5):
            raise ExerciseError("that is the *next*-token score: row i is the query, so token i looking at "
                                "i-1 is a[i, i-1] (the diagonal just below the main one).")
        if np.isclose(got, float(np.mean([a[i - 1, i] for i in range(1, T)])), atol=1e-5):
            raise ExerciseError("rows and columns are swapped: a[i, j] is how much query i attends to key j, "
                                "so the previous-token weight of token i is a[i, i-1].")
        if np.isclose(got, float(np.diagonal(a, -1).sum()), atol=1e-5):
            raise ExerciseError("take the mean over the T-1 tokens that have a previous token, not the sum.")
        raise ExerciseError(f"for this {T}x{T} map expected {right:.4f}, got {got:.4f}.")
    passed("previous-token score")
