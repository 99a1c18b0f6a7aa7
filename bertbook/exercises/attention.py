"""Self-checks for lesson 3 (attention).

Each check runs the student's function on fresh inputs, validates the type and shape of what came
back before using it, compares with an independent computation (torch's own kernel, or indexing
written out here), and names the usual mistakes when it differs. None of them accepts a wrapper
around a function the lesson already shows: ``check_attention`` refuses torch's softmax and
attention kernels (the exercise is to write the softmax), and the other exercises ask for things
no bertbook function computes (a causal mask, one head's rows of the fused projection, an
additive mask, a count).
"""
from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from . import ExerciseError, exercise_check, passed


def _tensor(value, what: str, expected: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        got = "None (did you forget `return`?)" if value is None else type(value).__name__
        raise ExerciseError(f"{what} should return a torch.Tensor {expected}, got {got}.")
    return value


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=1e-5, rtol=1e-4)


# --- exercise 1: attention with a softmax written out ---------------------------------------------

_LIBRARY_SOFTMAX = {"softmax", "log_softmax", "_softmax", "special_softmax", "special_log_softmax",
                    "scaled_dot_product_attention", "multi_head_attention_forward"}


class _LibraryWatch(TorchFunctionMode):
    """Records which of torch's softmax / attention functions the student's code calls (under any
    alias: ``torch.softmax``, ``F.softmax``, ``x.softmax``, ``nn.Softmax``, bertbook's functions)."""

    def __init__(self):
        super().__init__()
        self.used: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in _LIBRARY_SOFTMAX:
            self.used.add(name)
        return func(*args, **(kwargs or {}))


def _call_attention(attention, q, k, v):
    watch = _LibraryWatch()
    with watch, warnings.catch_warnings():
        warnings.simplefilter("ignore")            # torch's deprecation warning for x.T on 4-D: we explain it
        result = attention(q, k, v)
    if isinstance(result, tuple) and len(result) == 2:          # (output, weights) is fine too
        result = result[0]
    return result, watch.used


def _runs_on(attention, shape) -> bool:
    try:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
        return isinstance(_call_attention(attention, x, x, x)[0], torch.Tensor)
    except Exception:
        return False


def _diagnose_crash(attention, q, error: Exception) -> None:
    """The student's attention raised on batched inputs: say what the check passes, and find out
    which usual mistake it is by trying other shapes. ``k.T`` works on 2-D inputs only (on a 4-D
    tensor it reverses *all* axes); a max or sum without ``keepdim=True`` works on 2-D inputs and on
    inputs whose axes all have the same size, where it broadcasts silently against the wrong axis."""
    shape = tuple(q.shape)
    said = (f"your attention raised {type(error).__name__} on the batched inputs the check passes, q, k, v of "
            f"shape {shape} = [batch, heads, T, d_k] ({error}).")
    if _runs_on(attention, (5, 4)) and _runs_on(attention, (5, 5, 5, 4)):
        raise ExerciseError(
            f"{said} It works on 2-D inputs and when batch = heads = T: a row max or row sum without "
            "keepdim=True has shape [..., T] and broadcasts against the wrong axis (silently when the sizes "
            "agree). Use s.amax(dim=-1, keepdim=True) and e.sum(dim=-1, keepdim=True).") from error
    if _runs_on(attention, (5, 4)):
        raise ExerciseError(
            f"{said} It works on 2-D inputs [T, d_k], as in the lesson's small example, but on a 4-D tensor "
            f"k.T reverses *all* axes (shape {tuple(reversed(shape))}); transpose only the last two: "
            "k.transpose(-2, -1).") from error
    raise ExerciseError(
        f"{said} Write it for any number of leading axes: k.transpose(-2, -1), reductions over dim=-1 "
        "with keepdim=True; the output has q's shape.") from error


def _large_inputs(second_sentence_large: bool):
    """Scores near 500 (q and k close to one long vector), where exp overflows float32; with
    ``second_sentence_large=False`` the second sentence keeps ordinary scores near 0."""
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(2, 2, 5, 4, generator=g) for _ in range(3))
    big = torch.full((4,), 15.8)
    scale = torch.tensor([1.0, 1.0 if second_sentence_large else 0.0]).view(2, 1, 1, 1)
    return q * 0.3 + big * scale + q * (1 - scale), k * 0.3 + big * scale + k * (1 - scale), v


@exercise_check
def check_attention(attention) -> None:
    """``attention(q, k, v)`` -> softmax(q k^T / sqrt(d_k)) v for q, k, v of shape [..., T, d_k],
    with the softmax written out (exp, max, sum): no torch softmax, no library attention. It must
    stay finite for scores of several hundred."""
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 3, 5, 4, generator=g) for _ in range(3))   # batch 2, 3 heads, 5 tokens, d_k 4
    try:
        result, used = _call_attention(attention, q, k, v)
    except NotImplementedError:
        raise
    except Exception as error:
        _diagnose_crash(attention, q, error)
    if used:
        raise ExerciseError(f"your function calls torch's {', '.join(sorted(used))}. This exercise is to write "
                            "the softmax yourself: exp of the scores minus each row's max, divided by the row's "
                            "sum (torch.exp, .amax, .sum are fine).")
    expected = F.scaled_dot_product_attention(q, k, v)
    out = _tensor(result, "attention(q, k, v)", f"of shape {tuple(expected.shape)} ([..., T, d_v])")
    if out.shape == (2, 3, 5, 5):
        raise ExerciseError("the result has shape [..., T, T] = (2, 3, 5, 5): those are the attention weights. "
                            "Multiply them by v to get one d_v-dimensional output per token: (2, 3, 5, 4).")
    if out.shape != expected.shape:
        raise ExerciseError(f"the output should have shape {tuple(expected.shape)} ([batch, heads, T, d_v]) for "
                            f"inputs of shape {tuple(q.shape)}; got {tuple(out.shape)}. Use k.transpose(-2, -1) "
                            "(not .T) so the batch and head axes stay put.")
    if not torch.isfinite(out).all():
        raise ExerciseError("your output contains NaN or inf on ordinary inputs (scores near ±3): check the "
                            "normalisation (divide exp by its sum over the keys, dim=-1, keepdim=True).")
    if not _close(out, expected):
        scores = q @ k.transpose(-2, -1)
        scaled = scores / math.sqrt(k.size(-1))
        diagnoses = [
            (torch.softmax(scores, -1) @ v, "you forgot to divide the scores by sqrt(d_k) = 2."),
            (torch.softmax(scores / k.size(-1), -1) @ v, "divide by sqrt(d_k) = 2, not by d_k = 4."),
            (torch.softmax(scaled, -2) @ v,
             "the weights are normalised over the wrong axis: each query's weights over the *keys* must sum "
             "to 1, so sum over dim=-1 (the last axis), not dim=-2."),
        ]
        for wrong, message in diagnoses:
            if _close(out, wrong):
                raise ExerciseError(message)
        worst = (out - expected).abs().max().item()
        raise ExerciseError(f"the output has the right shape {tuple(out.shape)} but wrong values (largest "
                            f"difference {worst:.6f}): compute exp(s - max) / sum(exp(s - max)) over the keys "
                            "(dim=-1) of s = q @ k.transpose(-2, -1) / sqrt(d_k), then multiply by v.")
    # Large scores: exp overflows unless each row's max is subtracted first.
    for both_large, message in [
        (True, "with large scores (here near 500) your output is NaN or inf: exp(s) overflows "
                     "float32 above s = 88.7. Softmax does not change when a constant is subtracted from a "
                     "row, so subtract each row's max first: s - s.amax(dim=-1, keepdim=True)."),
        (False, "one max for the whole tensor is not enough: when one sentence's scores are near 500 "
                "and another's near 0, exp(s - global max) underflows to 0 for the second "
                     "and 0 / 0 = NaN. Subtract each row's own max: s.amax(dim=-1, keepdim=True).")]:
        q2, k2, v2 = _large_inputs(both_large)
        result, _ = _call_attention(attention, q2, k2, v2)
        out = _tensor(result, "attention(q, k, v)", f"of shape {tuple(q2.shape)}")
        if out.shape != q2.shape:
            raise ExerciseError(f"for inputs of shape {tuple(q2.shape)} the output should have that shape too; "
                                f"got {tuple(out.shape)}.")
        if not torch.isfinite(out).all():
            raise ExerciseError(message)
        if not _close(out, F.scaled_dot_product_attention(q2, k2, v2)):
            raise ExerciseError("right on ordinary inputs but wrong when the scores are large (near 500): "
                                "subtract each row's max (keepdim=True) before exp, then divide by the row's sum.")
    passed("scaled dot-product attention")


# --- exercise 2: the causal mask ---------------------------------------------------------------------

@exercise_check
def check_causal_mask(causal_mask) -> None:
    """``causal_mask(T)`` -> boolean [T, T], True where query i may attend to key j (j <= i).
    BERT itself uses no causal mask (it is bidirectional); GPT-style decoders do."""
    for t in (4, 7, 1):
        mask = _tensor(causal_mask(t), f"causal_mask({t})", f"of shape ({t}, {t})")
        if mask.shape != (t, t):
            raise ExerciseError(f"causal_mask({t}) should have shape ({t}, {t}), got {tuple(mask.shape)}.")
        if mask.dtype != torch.bool:
            raise ExerciseError(f"return a boolean mask (True = may attend), got dtype {mask.dtype}: a 1/0 "
                                "integer or float mask means something else to torch (a float mask is *added* "
                                "to the scores).")
        right = torch.ones(t, t, dtype=torch.bool).tril()
        if torch.equal(mask, right):
            continue
        if t > 1 and mask.all():
            raise ExerciseError("every query may attend to every key: that is BERT's bidirectional attention, "
                                "no mask at all. A decoder must hide the future: key j > i is False for query i.")
        if torch.equal(mask, right.T):
            raise ExerciseError("the mask is transposed: row i (the query) must allow keys j <= i, i.e. the "
                                "lower triangle. Yours lets every token see the future and not the past.")
        if torch.equal(mask, right.tril(-1)):
            raise ExerciseError("a token must be allowed to attend to itself (keep the diagonal): the first "
                                "token would otherwise have nothing to attend to, and softmax over all -inf is NaN.")
        if torch.equal(mask, ~right):
            raise ExerciseError("True and False are swapped: True must mean *may attend* (torch's and bertbook's "
                                "convention), so the allowed past j <= i is True.")
        i, j = (mask != right).nonzero()[0].tolist()
        raise ExerciseError(f"causal_mask({t})[{i}, {j}] is {bool(mask[i, j])}; query {i} "
                            f"{'may' if j <= i else 'must not'} attend to key {j}.")
    passed("causal mask")


# --- exercise 3 (predict, then run): how many attention weights ----------------------------------

def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not (
            isinstance(value, torch.Tensor) and value.numel() == 1):
        raise ExerciseError(f"{what} should be a number (e.g. 1234 or 2 ** 10), got {type(value).__name__} "
                            f"{value!r}.")
    return float(value)


@exercise_check
def check_attention_weight_count(weights_in_one_layer, growth_factor) -> None:
    """BERT-base (12 heads, d_k = 64, hidden 768), one layer, a batch of 8 sentences of 128 tokens:
    how many attention weights does the layer compute, and by what factor does that number grow
    when the sentences have 512 tokens instead?"""
    batch, heads, T, d_k = 8, 12, 128, 64
    n = _number(weights_in_one_layer, "weights_in_one_layer")
    right = batch * heads * T * T
    wrong = {
        batch * T * T: f"{batch * T * T:,} = 8 x 128 x 128 is one map per sentence; every head computes its "
                       "own map (12 heads).",
        heads * T * T: f"{heads * T * T:,} = 12 x 128 x 128 is one sentence; the batch has 8.",
        T * T: f"{T * T:,} = 128 x 128 is one head of one sentence; count all heads and sentences.",
        batch * heads * T * d_k: f"{batch * heads * T * d_k:,} = 8 x 12 x 128 x 64 is the size of Q (or K, "
                                 "V): [batch, heads, T, d_k]. The weights are [batch, heads, T, T]: one per "
                                 "query-key pair.",
        batch * heads * T: f"{batch * heads * T:,} = 8 x 12 x 128 is one number per token and head; each "
                           "query has a weight for *every* key.",
        12 * right: f"{12 * right:,} counts all 12 layers; the question asks for one.",
    }
    if n != right:
        hint = wrong.get(int(n)) if n == int(n) else None
        raise ExerciseError(hint or f"{n:,.0f} is not the number of attention weights of one layer. The weights "
                                    "have shape [batch, heads, T_q, T_k]: multiply them out.")
    g = _number(growth_factor, "growth_factor")
    if abs(g - 16) > 1e-9:
        hints = {4: "4 is how much T grows; the weights are T x T, so they grow by 4 x 4.",
                 4 * 4 * 4: "64 = 4^3: T appears twice in [batch, heads, T, T], not three times.",
                 2: "T grows from 128 to 512, a factor 4, and the weights are T x T."}
        raise ExerciseError(hints.get(g, f"{g:g} is not the growth factor: T goes from 128 to 512 and the weight "
                                         "tensor is [batch, heads, T, T]."))
    passed("attention weights: 8 x 12 x 128 x 128, quadratic in T")


# --- exercise 4: one head's rows of the fused projection -----------------------------------------

@exercise_check
def check_head_weights(head_weights) -> None:
    """``head_weights(qkv_weight, head, num_heads)`` -> ``(W_q, W_k, W_v)``, each ``[head_dim, hidden]``:
    the rows of the fused ``qkv`` Linear's weight ([3 * hidden, hidden]) that make head ``head``'s
    queries, keys and values, so that ``x @ W_k.T`` is that head's keys."""
    hidden, heads = 12, 3
    d = hidden // heads
    layer = torch.nn.Linear(hidden, 3 * hidden, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(3 * hidden, hidden, generator=torch.Generator().manual_seed(7)))
    weight = layer.weight.detach()
    x = torch.randn(1, 5, hidden, generator=torch.Generator().manual_seed(8))
    per_part = [p.view(1, 5, heads, d).transpose(1, 2) for p in layer(x).detach().chunk(3, dim=-1)]
    names = ("W_q", "W_k", "W_v")
    for head in (1, 2):
        got = head_weights(weight.clone(), head, heads)
        if not (isinstance(got, (tuple, list)) and len(got) == 3):
            raise ExerciseError(f"head_weights should return three tensors (W_q, W_k, W_v), got "
                                f"{'None (did you forget `return`?)' if got is None else type(got).__name__}"
                                f"{f' of length {len(got)}' if isinstance(got, (tuple, list)) else ''}.")
        for part, (name, w) in enumerate(zip(names, got)):
            w = _tensor(w, f"{name} of head_weights", f"of shape ({d}, {hidden})")
            want = weight[part * hidden + head * d: part * hidden + (head + 1) * d]
            if w.shape != want.shape:
                hint = (" torch's Linear stores its weight as [out_features, in_features]: a head owns some "
                        "*output* features, i.e. rows, not columns." if w.shape[-1] != hidden or w.shape == (hidden, d)
                        else "")
                raise ExerciseError(f"with hidden = {hidden} and {heads} heads, {name} should have shape "
                                    f"({d}, {hidden}) = [head_dim, hidden]; got {tuple(w.shape)}.{hint}")
            if torch.equal(w, want):
                assert torch.allclose(x @ w.T, per_part[part][:, head])
                continue
            block = weight[part * hidden:(part + 1) * hidden]
            if any(torch.equal(w, weight[p * hidden + head * d: p * hidden + (head + 1) * d]) for p in range(3)):
                p = next(p for p in range(3) if torch.equal(w, weight[p * hidden + head * d: p * hidden + (head + 1) * d]))
                raise ExerciseError(f"your {name} holds the rows of {names[p]}: the fused layer's output is "
                                    f"[q | k | v] (qkv.chunk(3, dim=-1)), so {name}'s rows start at "
                                    f"{part} x hidden = {part * hidden}, then head {head} takes its block of "
                                    f"head_dim = {d} rows.")
            if torch.equal(w, block[head::heads]):
                raise ExerciseError("interleaved rows (every num_heads-th row): split_heads views the features "
                                    "as [heads, head_dim], so head h owns a *contiguous* block, rows "
                                    "h*head_dim .. (h+1)*head_dim - 1 of q's (or k's, v's) part.")
            if torch.equal(w, weight.view(heads, 3, d, hidden)[head, part]):
                raise ExerciseError("that is a per-head [q k v] layout (some codebases store the fused weight "
                                    "that way). Here the output is all of q, then all of k, then all of v "
                                    "(qkv.chunk(3)), each then split into heads.")
            if torch.equal(w, weight[part * hidden + head * d - d: part * hidden + head * d]):
                raise ExerciseError(f"off by one head: that is head {head - 1}'s block. Head h's rows start at "
                                    "h * head_dim (heads count from 0).")
            raise ExerciseError(f"{name} for head {head} has the right shape but wrong rows: it should be rows "
                                f"{part * hidden + head * d}..{part * hidden + (head + 1) * d - 1} of qkv.weight "
                                f"(hidden = {hidden}, head_dim = {d}).")
    passed("one head's query, key and value rows")


# --- exercise 5: the additive mask of Google's BERT and transformers -----------------------------

@exercise_check
def check_additive_mask(to_additive_mask) -> None:
    """``to_additive_mask(attention_mask)``: BERT's [batch, T] mask (1 = real, 0 = padding) -> a float
    [batch, 1, 1, T] mask to *add* to the scores: 0 on real tokens, a large negative number (-10000 in
    Google's BERT, the dtype's minimum in transformers, or -inf) on padding."""
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    out = _tensor(to_additive_mask(attention_mask.clone()), "to_additive_mask(attention_mask)",
                  "of shape (2, 1, 1, 5) and a float dtype")
    if out.dtype == torch.bool:
        raise ExerciseError("that is a boolean mask. An additive mask is a float tensor *added* to the scores: "
                            "0.0 where the key is real, a large negative number where it is padding.")
    if not out.is_floating_point():
        raise ExerciseError(f"return a float tensor (got {out.dtype}): it is added to float scores, and its "
                            "padding entries must be a large negative number such as -10000.0.")
    if out.shape in ((2, 5), (2, 1, 5)):
        raise ExerciseError(f"shape {tuple(out.shape)} does not broadcast the right way against the scores "
                            "[batch, heads, T_q, T_k]: broadcasting lines up the *last* axes, so a [batch, T] "
                            "mask would meet [T_q, T_k] (and its batch axis T_q). Make it [batch, 1, 1, T]: "
                            "attention_mask[:, None, None, :].")
    if out.shape != (2, 1, 1, 5):
        raise ExerciseError(f"expected shape (2, 1, 1, 5) = [batch, 1, 1, T], got {tuple(out.shape)}.")
    flat = out[:, 0, 0].double()
    real, pad = flat[attention_mask == 1], flat[attention_mask == 0]
    if torch.all(real < -1) and torch.all(pad == 0):
        raise ExerciseError("backwards: your mask pushes the *real* tokens down and leaves the padding at 0, so "
                            "every query would attend only to padding. 0 on real tokens, negative on padding: "
                            "(1.0 - attention_mask) * -10000.0.")
    if torch.all(real == 1) and torch.all(pad == 0):
        raise ExerciseError("that is the 1/0 mask as floats. Added to the scores it only raises the real ones by "
                            "1: padding keeps e^score of weight. Padding needs a large negative number, real "
                            "tokens 0: (1.0 - attention_mask) * -10000.0.")
    if not torch.all(real == 0):
        raise ExerciseError(f"real tokens must get exactly 0.0 (their scores stay as they are); got "
                            f"{real.tolist()}.")
    if torch.any(pad > -1e4):
        worst = pad.max().item()
        raise ExerciseError(f"padding gets {worst:.6g}: not negative enough. After the softmax a padding key keeps "
                            f"a weight of about e^({worst:.6g}) relative to a real key with the same score; use "
                            "-10000.0 (Google's BERT), torch.finfo(dtype).min (transformers) or -inf.")
    scores = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(9))
    weights = torch.softmax(scores + out.to(scores.dtype), dim=-1)
    assert weights[1, :, :, 3:].max() < 1e-6
    passed("additive padding mask")
