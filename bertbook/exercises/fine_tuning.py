"""Self-checks for lesson 8 (fine-tuning): which sentence vectors padding changes (a prediction),
max pooling over the real tokens, precision and recall, windows flush with the end of a long
text, and pooling the windows' votes so that every token counts once.

Each check validates the type and shape of what came back before using it, and names the common
wrong answers (tests/test_exercise_hints_08.py feeds each of them to its check)."""
from __future__ import annotations

import math

import torch

from . import ExerciseError, exercise_check, passed


def _rounded(t: torch.Tensor, digits: int = 4) -> list:
    return [round(x, digits) for x in t.reshape(-1).tolist()]


def _as_float_tensor(got, what: str, expected_shape: tuple) -> torch.Tensor:
    """The student's answer as a float tensor of ``expected_shape``, or an ExerciseError that says
    what was expected and what came back."""
    if got is None:
        raise ExerciseError(f"your function returned None: return {what}, a tensor of shape {expected_shape} "
                            "(did you forget `return`?).")
    if isinstance(got, tuple) and hasattr(got, "values") and hasattr(got, "indices"):
        raise ExerciseError(f"you returned torch.max's (values, indices) pair: take `.values`, {what} of shape "
                            f"{expected_shape}.")
    try:
        t = torch.as_tensor(got, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        raise ExerciseError(f"return {what}, a tensor of shape {expected_shape}; got a {type(got).__name__}.") from None
    if tuple(t.shape) != tuple(expected_shape):
        raise ExerciseError(f"return {what} of shape {expected_shape}; got shape {tuple(t.shape)}.")
    return t


# --- exercise 1: predict, then run ---------------------------------------------------------------
PADDING_CHOICES = {
    "a": "the final [CLS] vector",
    "b": "BERT's pooler output tanh(W h_[CLS] + b)",
    "c": "the mean over the real tokens (attention mask respected)",
    "d": "the plain mean over all positions, [PAD] included",
}


@exercise_check
def check_padding_prediction(answer) -> None:
    """``answer``: the letters (a set, list or string) of the sentence vectors that change when the
    same sentence is padded with [PAD] tokens in a batch (attention mask 0 on the pads)."""
    if isinstance(answer, str):
        letters = {c for c in answer.lower() if c.isalpha()}
    elif isinstance(answer, (set, frozenset, list, tuple)):
        if not all(isinstance(x, str) for x in answer):
            raise ExerciseError(f"answer with letters, e.g. {{'a', 'c'}}; got {answer!r}.")
        letters = {x.strip().lower() for x in answer}
    else:
        raise ExerciseError(f"answer with a set of letters among {sorted(PADDING_CHOICES)}, e.g. {{'a', 'c'}}, "
                            f"or set() for none; got a {type(answer).__name__}.")
    unknown = letters - set(PADDING_CHOICES)
    if unknown:
        raise ExerciseError(f"{sorted(unknown)} is not one of the choices {sorted(PADDING_CHOICES)}.")
    if letters & {"a", "b", "c"}:
        if {"a", "b"} & letters and not {"a", "b"} <= letters:
            hint = (" Also, (b) is computed from (a) alone: either both change or neither does.")
        else:
            hint = ""
        raise ExerciseError(
            f"you said {', '.join(PADDING_CHOICES[c] for c in sorted(letters & set('abc')))} would change. The "
            "attention mask gives every [PAD] an attention weight of exactly 0 (its score is set to minus a huge "
            "number before the softmax), so no real token, [CLS] included, reads anything from a pad: the real "
            "tokens' final vectors, and whatever is computed from them alone, stay the same." + hint)
    if "d" not in letters:
        raise ExerciseError(
            "nothing changes, you said; but the plain mean adds the pad positions' vectors (which are not zero: "
            "a pad still gets an embedding and goes through every layer) and divides by all positions. Only a "
            "mean that uses the mask ignores the pads.")
    passed("padding: only the unmasked mean moves")


# --- exercise 2: masked max pooling ---------------------------------------------------------------
def _max_pool_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(8)
    cases = []
    # every real value negative, pads at zero or large: the two classic traps
    hidden = -1.0 - torch.rand(2, 5, 3, generator=g)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    hidden[0, 3:] = torch.tensor([[5.0, 0.0, 7.0], [0.0, 9.0, 0.0]])
    cases.append((hidden, mask))
    hidden = torch.randn(3, 4, 6, generator=g)
    mask = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    hidden[:, -1] = 10.0                                               # pads (rows 0 and 1) hold the largest values
    cases.append((hidden, mask))
    return cases


def _masked_max(hidden, mask):
    return hidden.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values


@exercise_check
def check_masked_max_pool(fn) -> None:
    """``fn(hidden [batch, seq, hidden], attention_mask [batch, seq]) -> [batch, hidden]``: for each
    sentence and each feature, the largest value over its real tokens (mask 1), pads ignored."""
    for hidden, mask in _max_pool_cases():
        b, _, h = hidden.shape
        want = _masked_max(hidden, mask)
        got = fn(hidden.clone(), mask.clone())
        if isinstance(got, torch.Tensor) and tuple(got.shape) != (b, h):
            if tuple(got.shape) == tuple(hidden.shape[:2]):
                raise ExerciseError(f"you returned shape {tuple(got.shape)} = [batch, seq]: that is a max over the "
                                    f"features (dim=-1). Take the max over the tokens (dim=1): shape {(b, h)}.")
            if tuple(got.shape) == tuple(hidden.shape[1:]):
                raise ExerciseError(f"you returned shape {tuple(got.shape)} = [seq, hidden]: that is a max over the "
                                    f"batch (dim=0). Take the max over the tokens (dim=1): shape {(b, h)}.")
        got = _as_float_tensor(got, "one vector per sentence", (b, h))
        if torch.allclose(got, want, atol=1e-5):
            continue
        where = f"for hidden of shape {tuple(hidden.shape)} and attention_mask {mask.tolist()}"
        if torch.allclose(got, hidden.max(dim=1).values, atol=1e-5):
            raise ExerciseError(f"{where} you took the max over every position, [PAD] included: a pad's vector can "
                                "hold the largest value. Leave the positions with mask 0 out.")
        if torch.allclose(got, (hidden * mask.unsqueeze(-1)).max(dim=1).values, atol=1e-5):
            raise ExerciseError(f"{where} you multiplied the pads by 0, then took the max: where every real value of a "
                                "feature is negative, the pads' 0 wins. Set the pads to -inf "
                                "(`masked_fill(mask.unsqueeze(-1) == 0, float('-inf'))`), not to 0.")
        masked_mean = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        if torch.allclose(got, masked_mean, atol=1e-5) or torch.allclose(got, hidden.mean(1), atol=1e-5):
            raise ExerciseError(f"{where} you returned a mean; this exercise asks for the max over the real tokens.")
        raise ExerciseError(f"{where} expected the first row {_rounded(want[0])}, got {_rounded(got[0])}: for each "
                            "sentence and feature, the largest value among the tokens whose mask is 1.")
    passed("masked max pooling")


# --- exercise 3: precision and recall -------------------------------------------------------------
@exercise_check
def check_precision_recall(fn) -> None:
    """``fn(confusion) -> (precision, recall)`` of the positive class (label 1), where
    ``confusion[true, predicted]`` holds counts; precision is 0 when nothing is predicted positive."""
    cases = [torch.tensor([[50, 10], [5, 35]]), torch.tensor([[3, 7], [1, 9]]), torch.tensor([[10, 0], [20, 70]]),
             torch.tensor([[12, 0], [8, 0]])]
    for m in cases:
        tn, fp, fn_, tp = (x.item() for x in m.reshape(-1))
        want = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn_))
        where = f"for confusion[true, predicted] = {m.tolist()}"
        try:
            got = fn(m.clone())
        except ZeroDivisionError:
            raise ExerciseError(f"{where} (nothing predicted positive) your code divided by zero: when no sentence is "
                                "predicted positive, TP + FP = 0; return precision 0.0 in that case.") from None
        if got is None:
            raise ExerciseError(f"{where} your function returned None: return the pair (precision, recall).")
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise ExerciseError(f"{where} return a pair (precision, recall); got a {type(got).__name__}"
                                f"{' of length ' + str(len(got)) if hasattr(got, '__len__') else ''}.")
        try:
            p, r = (float(x) for x in got)
        except (TypeError, ValueError, RuntimeError):
            raise ExerciseError(f"{where} precision and recall must be numbers; got {got!r}.") from None
        if any(math.isnan(x) for x in (p, r)):
            raise ExerciseError(f"{where} you returned NaN (0 / 0 with tensors): when nothing is predicted positive, "
                                "return precision 0.0.")
        if math.isclose(p, want[0], abs_tol=1e-6) and math.isclose(r, want[1], abs_tol=1e-6):
            continue
        if p > 1 or r > 1:
            raise ExerciseError(f"{where} you returned ({p:.4f}, {r:.4f}): counts, not shares. Divide the true "
                                "positives by the predicted positives (precision) and by the truly positive (recall).")
        if math.isclose(p, want[1], abs_tol=1e-6) and math.isclose(r, want[0], abs_tol=1e-6):
            raise ExerciseError(f"{where} you swapped them: precision divides the true positives by everything "
                                "*predicted* positive (column 1), recall by everything *truly* positive (row 1).")
        negative = (tn / (tn + fn_) if tn + fn_ else 0.0, tn / (tn + fp))
        if math.isclose(p, negative[0], abs_tol=1e-6) and math.isclose(r, negative[1], abs_tol=1e-6):
            raise ExerciseError(f"{where} you computed them for the negative class (label 0, index [0, 0]): this "
                                "exercise asks for the positive class, label 1, whose true positives are at [1, 1].")
        accuracy = (tn + tp) / m.sum().item()
        if math.isclose(p, accuracy, abs_tol=1e-6) or math.isclose(r, accuracy, abs_tol=1e-6):
            raise ExerciseError(f"{where} {accuracy:.4f} is the accuracy (the diagonal over everything); precision "
                                "and recall look only at the positive class: TP / (TP + FP) and TP / (TP + FN).")
        raise ExerciseError(f"{where} expected precision {want[0]:.4f} and recall {want[1]:.4f}, got {p:.4f} and "
                            f"{r:.4f}. Rows are the true labels, columns the predictions.")
    passed("precision and recall")


# --- exercise 4: windows flush with the end ------------------------------------------------------
def _flush_window_spans(num_tokens: int, max_length: int, stride: int) -> list[tuple[int, int]]:
    """The reference: full windows of ``max_length - 2`` tokens, each ``size - stride`` after the
    previous one, the last moved back to end exactly at ``num_tokens``."""
    size = max_length - 2
    if num_tokens <= size:
        return [(0, num_tokens)]
    starts = list(range(0, num_tokens - size, size - stride)) + [num_tokens - size]
    return [(a, a + size) for a in starts]


WINDOW_CASES = [(10, 128, 32), (126, 128, 32), (127, 128, 32), (300, 128, 32), (1000, 66, 16), (50, 12, 0),
                (7, 5, 2)]


@exercise_check
def check_flush_windows(fn) -> None:
    """``fn(num_tokens, max_length, stride) -> [(start, end), ...]``: every window holds exactly
    ``max_length - 2`` content tokens (a text that fits gets the one window ``(0, num_tokens)``), each
    starts ``max_length - 2 - stride`` tokens after the previous one, and the last ends exactly at
    ``num_tokens`` (moved back, so it overlaps its neighbour by more than ``stride``)."""
    for n, max_length, stride in WINDOW_CASES:
        size = max_length - 2
        where = f"for {n} tokens, max_length={max_length}, stride={stride}"
        got = fn(n, max_length, stride)
        if got is None:
            raise ExerciseError(f"{where} your function returned None: return a list of (start, end) pairs.")
        try:
            spans = [tuple(int(x) for x in s) for s in got]
        except (TypeError, ValueError):
            raise ExerciseError(f"{where} return a list of (start, end) pairs of ints; got {got!r}.") from None
        if not spans or any(len(s) != 2 for s in spans):
            raise ExerciseError(f"{where} return a non-empty list of (start, end) pairs; got {spans!r}.")
        want = _flush_window_spans(n, max_length, stride)
        if spans == want:
            continue
        if n <= size and spans != want:
            raise ExerciseError(f"{where} the whole text fits in one window: return [(0, {n})]; got {spans}.")
        if any(b - a > size for a, b in spans):
            raise ExerciseError(f"{where} a window of {max(b - a for a, b in spans)} tokens is too long: [CLS] and "
                                f"[SEP] take two of the max_length positions, so a window holds max_length - 2 = {size}.")
        if spans[-1][1] > n or any(a < 0 for a, _ in spans):
            raise ExerciseError(f"{where} the span {spans[-1] if spans[-1][1] > n else spans[0]} reaches outside the "
                                f"text's tokens 0..{n}: the last window should end exactly at {n}.")
        if spans[-1][1] == n and spans[-1][1] - spans[-1][0] < size:
            raise ExerciseError(f"{where} your last window {spans[-1]} holds only {spans[-1][1] - spans[-1][0]} tokens: "
                                f"move its start back to {n - size} so it is a full window of {size} ending at {n}.")
        if len(spans) > 1 and spans[1][0] - spans[0][0] == stride and stride != size - stride:
            raise ExerciseError(f"{where} your windows start {stride} tokens apart: stride is the *overlap* between "
                                f"neighbours, so each window starts size - stride = {size - stride} after the previous one.")
        if len(spans) > len(want):
            raise ExerciseError(f"{where} {len(spans)} windows are more than the {len(want)} needed (an extra window at "
                                f"the end?); expected {want}.")
        raise ExerciseError(f"{where} expected {want}, got {spans}.")
    passed("windows flush with the end")


# --- exercise 5: every token votes once ----------------------------------------------------------
POOL_CASES = [
    (torch.tensor([[0.0, 2.0]]), [(0, 5)]),
    (torch.tensor([[1.0, -1.0], [0.5, 0.0], [-3.0, 3.0]]), [(0, 126), (94, 220), (188, 230)]),   # short last one
    (torch.tensor([[2.0, -2.0], [-1.0, 1.0], [-1.0, 1.0]]), [(0, 10), (6, 16), (12, 22)]),     # full windows
    (torch.tensor([[0.125, 0.25, 0.5], [3.0, 0.0, -3.0]]), [(0, 8), (2, 10)]),                  # three labels
]


def _new_token_weights(spans) -> torch.Tensor:
    """The reference weights: each window's tokens that no earlier window covered, as shares."""
    new = [spans[0][1] - spans[0][0]] + [b1 - b0 for (_, b0), (_, b1) in zip(spans, spans[1:])]
    w = torch.tensor(new, dtype=torch.float32)
    return w / w.sum()


@exercise_check
def check_pool_by_new_tokens(fn) -> None:
    """``fn(window_logits [n_windows, num_labels], spans) -> probabilities [num_labels]``: the
    windows' softmax probabilities averaged with weights proportional to the number of tokens each
    window is the first to cover, so every token of the text counts once."""
    for logits, spans in POOL_CASES:
        want = (_new_token_weights(spans).unsqueeze(1) * logits.softmax(-1)).sum(0)
        got = _as_float_tensor(fn(logits.clone(), list(spans)), "one probability per label", (logits.size(1),))
        if torch.allclose(got, want, atol=1e-5):
            continue
        where = f"for window logits {logits.tolist()} and spans {spans}"
        probs = logits.softmax(-1)
        lengths = torch.tensor([b - a for a, b in spans], dtype=torch.float32)
        if torch.allclose(got, probs.mean(0), atol=1e-5):
            raise ExerciseError(f"{where} you took the plain mean of the windows' probabilities "
                                f"({_rounded(got)} instead of {_rounded(want)}): a window that adds only a few new "
                                "tokens (the short last one here) then counts as much as a full one. Weigh each "
                                "window by the tokens it is the first to cover.")
        if torch.allclose(got, (lengths / lengths.sum()).unsqueeze(1).mul(probs).sum(0), atol=1e-5):
            raise ExerciseError(f"{where} you weighed each window by its length: the tokens two windows share are then "
                                "counted twice. Count only the tokens a window adds after the previous one's end.")
        for w in (_new_token_weights(spans), torch.ones(len(spans)) / len(spans), lengths / lengths.sum()):
            if torch.allclose(got, (w.unsqueeze(1) * logits).sum(0).softmax(-1), atol=1e-5):
                raise ExerciseError(f"{where} you averaged the logits, then took the softmax ({_rounded(got)} instead "
                                    f"of {_rounded(want)}): one very confident window then outvotes the others. Take "
                                    "each window's softmax first, then average the probabilities.")
        if torch.allclose(got, logits.softmax(0).mean(0), atol=1e-5):
            raise ExerciseError(f"{where} you took the softmax over the windows (dim=0); each window's softmax runs over "
                                "its labels (dim=-1).")
        if not math.isclose(got.sum().item(), 1.0, abs_tol=1e-4):
            raise ExerciseError(f"{where} your probabilities sum to {got.sum().item():.4f}, not 1: divide the weights "
                                "by their total (the number of tokens in the text).")
        raise ExerciseError(f"{where} expected {_rounded(want)}, got {_rounded(got)}: softmax over the labels of each "
                            "window, weights = new tokens per window / all tokens, then the weighted sum.")
    passed("every token votes once")
