"""Self-checks for lesson 8 (fine-tuning): precision and recall from a confusion matrix,
overlapping windows for long texts, and pooling the windows' predictions."""
from __future__ import annotations

import math

import torch

from . import ExerciseError, exercise_check, passed


def _close(a, b, tol=1e-6) -> bool:
    return a is not None and b is not None and abs(float(a) - float(b)) <= tol


def _rounded(t: torch.Tensor) -> list[float]:
    return [round(x, 3) for x in t.tolist()]


@exercise_check
def check_precision_recall(fn) -> None:
    """``fn(confusion) -> (precision, recall)`` of the positive class (label 1), where
    ``confusion[true, predicted]`` holds counts."""
    cases = [torch.tensor([[50, 10], [5, 35]]), torch.tensor([[3, 7], [1, 9]]), torch.tensor([[10, 0], [20, 70]])]
    for m in cases:
        tp, fp, fn_ = m[1, 1].item(), m[0, 1].item(), m[1, 0].item()
        want = (tp / (tp + fp), tp / (tp + fn_))
        got = fn(m.clone())
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise ExerciseError(f"return a pair (precision, recall); got {got!r}")
        p, r = (float(x) for x in got)
        if _close(p, want[1]) and _close(r, want[0]) and not _close(p, r):
            raise ExerciseError(f"for {m.tolist()} you swapped them: precision divides the true positives by "
                                "everything *predicted* positive (column 1), recall by everything *truly* "
                                "positive (row 1).")
        if not (_close(p, want[0]) and _close(r, want[1])):
            raise ExerciseError(f"for confusion[true, predicted] = {m.tolist()} expected precision "
                                f"{want[0]:.4f} and recall {want[1]:.4f}, got {p:.4f} and {r:.4f}. "
                                "Rows are the true labels, columns the predictions.")
    passed("precision and recall")


@exercise_check
def check_window_spans(fn) -> None:
    """``fn(num_tokens, max_length, stride) -> [(start, end), ...]`` content-token spans: each at most
    ``max_length - 2`` tokens, together covering every token, neighbours sharing at least ``stride``
    tokens, and no more windows than needed."""
    cases = [(10, 128, 32), (126, 128, 32), (127, 128, 32), (300, 128, 32), (1000, 66, 16), (50, 12, 0), (7, 5, 2)]
    for n, max_length, stride in cases:
        size = max_length - 2
        spans = [tuple(s) for s in fn(n, max_length, stride)]
        where = f"for {n} tokens, max_length={max_length}, stride={stride}"
        if not spans:
            raise ExerciseError(f"{where} you returned no windows.")
        if spans[0][0] != 0 or spans[-1][1] != n:
            raise ExerciseError(f"{where} the windows must start at token 0 and end at token {n}; "
                                f"got {spans[0]} ... {spans[-1]}.")
        for a, b in spans:
            if not 0 <= a < b <= n:
                raise ExerciseError(f"{where} the span {(a, b)} is not a non-empty slice of 0..{n}.")
            if b - a > size:
                raise ExerciseError(f"{where} the span {(a, b)} has {b - a} tokens, but [CLS] and [SEP] leave room "
                                    f"for only max_length - 2 = {size}.")
        for (a0, b0), (a1, b1) in zip(spans, spans[1:]):
            if not a0 < a1:
                raise ExerciseError(f"{where} the windows must move forward: {(a0, b0)} then {(a1, b1)}.")
            if b0 - a1 < stride:
                raise ExerciseError(f"{where} the windows {(a0, b0)} and {(a1, b1)} share {max(0, b0 - a1)} "
                                    f"tokens, fewer than stride={stride} (a gap loses text; too little overlap "
                                    "cuts sentences at the border).")
        needed = 1 if n <= size else 1 + math.ceil((n - size) / (size - stride))
        if len(spans) > needed:
            raise ExerciseError(f"{where} {len(spans)} windows are more than the {needed} needed: each new "
                                f"window should start {size - stride} tokens after the previous one.")
    passed("overlapping windows")


@exercise_check
def check_pool(fn) -> None:
    """``fn(window_logits [n_windows, num_labels]) -> probabilities [num_labels]``: the mean of the
    windows' softmax probabilities."""
    cases = [torch.tensor([[0.0, 2.0]]),
             torch.tensor([[12.0, -12.0], [-1.0, 1.0], [-1.0, 1.0], [-1.0, 1.0]]),   # one loud window
             torch.tensor([[1.0, -1.0], [0.5, 0.0], [-0.25, 0.25]]),
             torch.tensor([[0.125, 0.25, 0.5], [3.0, 0.0, -3.0]])]
    for logits in cases:
        want = logits.softmax(-1).mean(0)
        got = torch.as_tensor(fn(logits.clone()), dtype=torch.float32).reshape(-1)
        if got.shape != want.shape:
            raise ExerciseError(f"for {logits.size(0)} windows and {logits.size(1)} labels return one probability "
                                f"per label, shape {tuple(want.shape)}; got {tuple(got.shape)}.")
        if torch.allclose(got, logits.mean(0).softmax(-1), atol=1e-5) and not torch.allclose(got, want, atol=1e-5):
            raise ExerciseError(f"for window logits {logits.tolist()} you averaged the logits, then took the "
                                f"softmax: {_rounded(got)} instead of {_rounded(want)}, and the one very confident "
                                "window outvotes the three that disagree with it. Take the softmax of each window "
                                "first, then average the probabilities.")
        if not torch.allclose(got, want, atol=1e-5):
            raise ExerciseError(f"for window logits {logits.tolist()} expected {_rounded(want)}, got "
                                f"{_rounded(got)}: softmax over the labels of each window (dim=-1), then the "
                                "mean over the windows (dim=0).")
    passed("pooling the windows")
