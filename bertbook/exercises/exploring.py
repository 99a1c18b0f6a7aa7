"""Self-checks for lesson 7 (exploring what BERT learned). Each check runs the student's answer on
fresh inputs, compares it with an independent computation, and names the usual mistakes.

How a wrong answer is recognised: each check knows the common wrong rules for its exercise (the
labels on the neighbours of the mask, the gradient without the input, the diagonal on the wrong
side ...) and computes what each would return on the same inputs; an answer that matches one of
them on every input gets that mistake's hint. Anything else gets the expected and the returned
values side by side.
"""
from __future__ import annotations

import numpy as np
import torch

from ..model import IGNORE_INDEX
from . import ExerciseError, exercise_check, passed


def _call(fn, *args, what: str):
    """Call the student's function; an exception in it becomes a clear ExerciseError (a stub's
    NotImplementedError passes through, so the wrapper reports "not attempted yet")."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as e:
        raise ExerciseError(f"{what} raised {type(e).__name__}: {e}") from e


# --- exercise: predict the layer-0 readout ---------------------------------------------------------
LAYER0_OPTIONS = {
    "a": "the same word for both sentences, whatever the other words are",
    "b": "the final answer of each sentence, because BERT is bidirectional",
    "c": "a word suggested by the neighbours of the gap (lit, opened, the)",
    "d": "no word in particular: a uniform distribution over the vocabulary",
}
LAYER0_HINTS = {
    "b": "BERT is bidirectional *through its attention layers*: reading 0 is taken before the first one. "
         "There the [MASK]'s vector is its own embedding + its position + its segment, LayerNorm'd: nothing "
         "of the other words has reached it yet, so it cannot know either sentence's answer.",
    "c": "being next to the gap means nothing before attention: the embedding layer looks up each token on its "
         "own, so no information moves between positions until layer 1. 'lit' cannot reach the [MASK] at reading 0.",
    "d": "the head is a fixed function (dense, GELU, LayerNorm, then scores against the word embeddings plus a "
         "bias per word): any vector in gives a peaked distribution out, and the same vector gives the same one.",
}


@exercise_check
def check_layer0_prediction(answer) -> None:
    """``answer``: the letter of the option you predict (a, b, c or d) for what the MLM head reads at
    the [MASK] from the embedding layer's output, in two sentences with the [MASK] at the same position."""
    options = "; ".join(f"{k}) {v}" for k, v in LAYER0_OPTIONS.items())
    if not isinstance(answer, str):
        raise ExerciseError(f"answer with one letter as a string, e.g. answer = \"a\"; got {answer!r} "
                            f"({type(answer).__name__}). The options: {options}.")
    letter = answer.strip().strip("()").strip().lower()
    if letter not in LAYER0_OPTIONS:
        raise ExerciseError(f"answer with one of the letters a, b, c, d; got {answer!r}. The options: {options}.")
    if letter in LAYER0_HINTS:
        raise ExerciseError(f"not {letter}): {LAYER0_HINTS[letter]}")
    passed("the layer-0 readout")


# --- exercise: MLM labels after BERT's 80/10/10 corruption -----------------------------------------
_ORIGINAL = [2, 17, 23, 4, 31, 8, 42, 3]       # [CLS] ... [SEP] in a toy vocabulary; [MASK] has id 1
_MASK_ID = 1
# (selected positions, the input the model sees): [MASK], a random token, or the token kept
_CASES = [([3], [2, 17, 23, 1, 31, 8, 42, 3]),
          ([1, 5], [2, 1, 23, 4, 31, 50, 42, 3]),                  # 5: a random token (50)
          ([2, 3, 6], [2, 17, 1, 4, 31, 8, 19, 3])]                # 3: kept as it was; 6: random (19)


def _labels(rule):
    return [rule(list(_ORIGINAL), list(inp), list(sel)) for sel, inp in _CASES]


def _right(orig, inp, sel):
    return [t if i in sel else IGNORE_INDEX for i, t in enumerate(orig)]


MLM_LABEL_MISTAKES = [
    (lambda o, x, s: [IGNORE_INDEX if i in s else t for i, t in enumerate(o)],
     "your labels are inverted: the original token everywhere *except* at the chosen positions, and "
     "IGNORE_INDEX (-100) exactly where the loss should be. The loss belongs at the chosen positions only: "
     "the original id there, -100 everywhere else."),
    (lambda o, x, s: [t if (i - 1 in s or i + 1 in s) else IGNORE_INDEX for i, t in enumerate(o)],
     "your labels sit on the words *around* the chosen positions. 'MLM uses the masked word to predict its "
     "neighbours' is a common misconception in popular write-ups: BERT predicts the masked token itself, so "
     "the label at a chosen position is the token that was there before masking."),
    (lambda o, x, s: [t if x[i] == _MASK_ID else IGNORE_INDEX for i, t in enumerate(o)],
     "you put labels only where the input shows [MASK]. BERT chooses 15% of the positions, then shows [MASK] "
     "at 80% of them, a random token at 10% and the original at 10%: all chosen positions are predicted, the "
     "random and the kept ones too (otherwise the model learns that a visible word is never a question)."),
    (lambda o, x, s: [t if x[i] != t else IGNORE_INDEX for i, t in enumerate(o)],
     "you put labels where the input differs from the original. The 10% of chosen positions whose token is "
     "kept look unchanged but are predicted too: use the list of chosen positions, not a comparison."),
    (lambda o, x, s: [x[i] if i in s else IGNORE_INDEX for i, t in enumerate(o)],
     "at the chosen positions your label is the *corrupted* input (the [MASK] id or the random token). The "
     "label is what the model should recover: the original token before masking."),
    (lambda o, x, s: list(o),
     "every token has a label: the loss would then also reward copying the visible words. Put IGNORE_INDEX "
     "(-100) on the positions that were not chosen."),
    (lambda o, x, s: [t if i in s else 0 for i, t in enumerate(o)],
     "use IGNORE_INDEX (-100), not 0, for 'no label': 0 is a real token id ([PAD]), and "
     "cross_entropy(..., ignore_index=-100) skips only -100."),
    (lambda o, x, s: [1 if i in s else 0 for i in range(len(o))],
     "that is a 0/1 mask of the chosen positions. The labels are token ids: the original id at a chosen "
     "position, IGNORE_INDEX (-100) elsewhere."),
]


def _as_label_list(got, n: int, case: str) -> list:
    if isinstance(got, (torch.Tensor, np.ndarray)):
        if got.ndim != 1:
            raise ExerciseError(f"{case}: return one label per token, a list (or 1-D tensor) of {n} ints; "
                                f"got a {type(got).__name__} of shape {tuple(got.shape)}.")
        got = got.tolist()
    if not isinstance(got, (list, tuple)):
        raise ExerciseError(f"{case}: return a list of {n} labels (one per token); got {type(got).__name__}: {got!r}.")
    if len(got) != n:
        raise ExerciseError(f"{case}: return one label per token ({n} here); got {len(got)}: {list(got)!r}.")
    if not all(isinstance(g, (int, np.integer)) and not isinstance(g, bool) for g in got):
        raise ExerciseError(f"{case}: every label must be an int (a token id or IGNORE_INDEX); got {list(got)!r}.")
    return [int(g) for g in got]


@exercise_check
def check_mlm_labels(mlm_labels) -> None:
    """``mlm_labels(original_ids, input_ids, selected)`` -> one label per token: the original id at each
    position in ``selected`` (the 15% chosen for prediction, whatever the input shows there: [MASK],
    a random token or the kept token) and IGNORE_INDEX (-100) everywhere else."""
    got = []
    for selected, inputs in _CASES:
        case = f"for selected={selected}"
        value = _call(mlm_labels, list(_ORIGINAL), list(inputs), list(selected), what="mlm_labels")
        got.append(_as_label_list(value, len(_ORIGINAL), case))
    right = _labels(_right)
    if got == right:
        passed("MLM labels")
        return
    for rule, hint in MLM_LABEL_MISTAKES:
        if got == _labels(rule):
            raise ExerciseError(hint)
    for (selected, inputs), g, r in zip(_CASES, got, right):
        if g != r:
            raise ExerciseError(f"original ids {_ORIGINAL}, input {inputs} ([MASK] = {_MASK_ID}), selected "
                                f"{selected}: expected {r}, got {g}.")


# --- exercise: gradient x input --------------------------------------------------------------------
def _toy_function(seed: int, d: int):
    g = torch.Generator().manual_seed(seed)
    w, v = torch.randn(d, 8, generator=g), torch.randn(8, generator=g)
    return lambda x: (torch.tanh(x @ w) @ v).sum() + 0.3 * (x[0] * x[-1]).sum()      # a scalar; tokens interact


def _reference_gxi(f, x):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    return grad.detach(), x.detach()


GXI_MISTAKES = [
    (lambda g, x: g.sum(-1),
     "that is the gradient alone, summed over the hidden dimension: multiply it by the input first, "
     "(grad * x).sum(-1). The gradient says how sensitive f is to a token, gradient x input how much of f "
     "that token's actual vector accounts for (to first order)."),
    (lambda g, x: g.norm(dim=-1),
     "that is the size of the gradient per token (plain 'saliency'), not gradient x input: take the dot "
     "product of each token's gradient with its own vector, (grad * x).sum(-1)."),
    (lambda g, x: (g * x).abs().sum(-1),
     "you took absolute values before summing. Gradient x input is the signed dot product grad . x: a negative "
     "score means the token pushes f down. Take abs() only afterwards, to rank, if you need to."),
    (lambda g, x: (g * x).sum(-1).abs(),
     "you returned |grad . x|. Keep the sign: a negative score means the token pushes f down."),
    (lambda g, x: (g * x).norm(dim=-1),
     "that is the length of the vector grad * x, which has no sign and is not the first-order estimate. "
     "Sum the products over the hidden dimension: (grad * x).sum(-1)."),
    (lambda g, x: x.sum(-1),
     "there is no gradient in your answer: it is the input summed per token. Compute d f / d x with autograd."),
]


def _as_scores(got, T: int, d: int) -> torch.Tensor:
    if got is None:
        raise ExerciseError(f"your function returned None: return the {T} scores (a tensor of shape [{T}]).")
    if isinstance(got, (list, tuple)):
        try:
            got = torch.tensor([float(v) for v in got])
        except (TypeError, ValueError):
            raise ExerciseError(f"return one number per token, a tensor of shape [{T}]; got {got!r}.") from None
    if isinstance(got, np.ndarray):
        got = torch.from_numpy(got)
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"return a tensor of shape [{T}] (one score per token); got {type(got).__name__}: {got!r}.")
    got = got.detach().double()
    shape = tuple(got.shape)
    if shape == (T,):
        return got
    if shape == (T, d):
        raise ExerciseError(f"expected shape [{T}] (one score per token), got [{T}, {d}]: that is grad * x per "
                            "hidden dimension. Sum over the hidden dimension, .sum(-1).")
    if shape == (d,):
        raise ExerciseError(f"expected shape [{T}] (one score per token), got [{d}]: you summed over the tokens "
                            "(dim 0). Sum over the hidden dimension instead, .sum(-1).")
    if shape in ((), (1,)):
        raise ExerciseError(f"expected shape [{T}] (one score per token), got one number: keep one score per "
                            "token, summing over the hidden dimension only.")
    raise ExerciseError(f"expected shape [{T}] (one score per token of x, which is [{T}, {d}]), got {list(shape)}.")


@exercise_check
def check_gradient_x_input(gradient_x_input) -> None:
    """``gradient_x_input(f, x)`` -> ``[T]`` tensor: for ``x`` of shape ``[T, d]`` (one vector per token)
    and ``f`` mapping it to a scalar, score_i = (d f / d x_i) . x_i, signed."""
    for seed, (T, d) in enumerate([(5, 4), (3, 6), (7, 3)]):
        f = _toy_function(seed, d)
        x = torch.randn(T, d, generator=torch.Generator().manual_seed(100 + seed))
        try:
            got = gradient_x_input(f, x.clone())
        except NotImplementedError:
            raise
        except RuntimeError as e:
            if "does not require grad" in str(e):
                raise ExerciseError("autograd has nothing to differentiate: x does not require a gradient. "
                                    "Make a copy that does, x = x.clone().requires_grad_(True), before calling f(x).") from e
            raise ExerciseError(f"gradient_x_input raised RuntimeError: {e}") from e
        except Exception as e:
            raise ExerciseError(f"gradient_x_input raised {type(e).__name__}: {e}") from e
        got = _as_scores(got, T, d)
        grad, x0 = _reference_gxi(f, x)
        right = (grad * x0).sum(-1).double()
        if torch.allclose(got, right, atol=1e-5, rtol=1e-4):
            continue
        for rule, hint in GXI_MISTAKES:
            if torch.allclose(got, rule(grad, x0).double(), atol=1e-5, rtol=1e-4):
                raise ExerciseError(hint)
        raise ExerciseError(f"for x of shape [{T}, {d}] expected {np.round(right.numpy(), 5).tolist()}, "
                            f"got {np.round(got.numpy(), 5).tolist()}.")
    passed("gradient x input")


# --- exercise: a head that looks `offset` tokens away ----------------------------------------------
OFFSET_MISTAKES = [
    (lambda a, k: float(np.diagonal(a, -k).mean()),
     "you read the diagonal on the wrong side (or swapped rows and columns). Row i is the query: token i "
     "looking `offset` tokens away is a[i, i + offset], so offset -1 (previous token) is the diagonal just "
     "*below* the main one, np.diagonal(a, -1)."),
    (lambda a, k: float(np.diagonal(a, k).sum()),
     "that is the sum over the tokens; take the mean over the T - |offset| tokens that have a token at that offset."),
    (lambda a, k: float(np.diagonal(a, k).sum() / len(a)),
     "you divided by T. Only T - |offset| tokens have a token `offset` away (the first |offset| have no "
     "previous one, say): average over those."),
    (lambda a, k: float(np.mean([a[i, (i + k) % len(a)] for i in range(len(a))])),
     "your indices wrap around: the first token has no previous token, it does not look at the last one. "
     "Average only over the tokens i for which i + offset is inside the sentence."),
    (lambda a, k: float(np.diagonal(a, -1).mean()),
     "that is always the previous-token score: use `offset` (it is -2 or +3 in some of the checks)."),
]


@exercise_check
def check_offset_score(offset_score) -> None:
    """``offset_score(attention, offset)`` -> for one ``[T, T]`` attention map (rows = queries), the mean
    over the tokens i that have a token at i + offset of a[i, i + offset]: -1 is the previous-token
    score, +1 the next-token score, -2 "two tokens back"."""
    rng = np.random.default_rng(5)
    for T, offset in ((6, -1), (9, 2), (7, -2), (8, 3)):
        a = rng.random((T, T))
        a /= a.sum(1, keepdims=True)
        got = _call(offset_score, a.copy(), offset, what="offset_score")
        if got is None:
            raise ExerciseError("your function returned None: return one number (a float).")
        if isinstance(got, (np.ndarray, torch.Tensor)) and np.size(got) != 1:
            raise ExerciseError(f"return one number (the mean), got an array of shape {tuple(np.shape(got))}: "
                                "average it.")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise ExerciseError(f"return one number (a float), got {type(got).__name__}: {got!r}.") from None
        right = float(np.diagonal(a, offset).mean())
        if np.isclose(got, right, atol=1e-6):
            continue
        for rule, hint in OFFSET_MISTAKES:
            if np.isclose(got, rule(a, offset), atol=1e-6):
                raise ExerciseError(hint)
        raise ExerciseError(f"for a {T}x{T} map and offset {offset:+d} expected {right:.6f}, got {got:.6f}.")
    passed("offset score")
