"""Self-checks for lesson 3 (attention). Each check runs the student's function on fresh random
inputs, compares with torch's own implementation, and names the usual mistakes when it differs."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import ExerciseError, exercise_check, passed


def _tensor(value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ExerciseError(f"{what} should return a torch.Tensor, got {type(value).__name__}.")
    return value


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=1e-5, rtol=1e-4)


@exercise_check
def check_attention(attention) -> None:
    """``attention(q, k, v)`` -> softmax(q k^T / sqrt(d_k)) v, for q/k/v of shape [..., T, d_k].
    Returning ``(output, probs)`` is fine too."""
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 3, 5, 4, generator=g) for _ in range(3))   # batch 2, 3 heads, 5 tokens, d_k 4
    result = attention(q, k, v)
    out = _tensor(result[0] if isinstance(result, tuple) else result, "attention(q, k, v)")
    expected = F.scaled_dot_product_attention(q, k, v)
    if out.shape == (2, 3, 5, 5):
        raise ExerciseError("the result has shape [..., T, T]: those are the attention weights. Multiply them "
                            "by v to get one d_v-dimensional output per token: [..., T, d_v].")
    if out.shape != expected.shape:
        raise ExerciseError(f"the output should have q's shape {tuple(expected.shape)}, got {tuple(out.shape)}. "
                            "Use k.transpose(-2, -1) (not .T) so the batch and head dimensions stay put.")
    if _close(out, expected):
        passed("scaled dot-product attention")
        return
    scores = q @ k.transpose(-2, -1)
    diagnoses = [
        (torch.softmax(scores, -1) @ v, "you forgot to divide the scores by sqrt(d_k)."),
        (torch.softmax(scores / k.size(-1), -1) @ v, "divide by sqrt(d_k), not by d_k."),
        (torch.softmax(scores / math.sqrt(k.size(-1)), -2) @ v,
         "the softmax runs over the wrong axis: each query's weights over the keys must sum to 1, "
         "so use softmax(..., dim=-1)."),
    ]
    for wrong, message in diagnoses:
        if _close(out, wrong):
            raise ExerciseError(message)
    raise ExerciseError("the output has the right shape but the wrong values: compute "
                        "softmax(q @ k.transpose(-2, -1) / sqrt(d_k), dim=-1) @ v.")


@exercise_check
def check_causal_mask(causal_mask) -> None:
    """``causal_mask(T)`` -> boolean [T, T], True where query i may attend to key j (j <= i).
    BERT itself uses no causal mask (it is bidirectional); GPT-style decoders do."""
    for t in (1, 4, 7):
        mask = _tensor(causal_mask(t), f"causal_mask({t})")
        if mask.shape != (t, t):
            raise ExerciseError(f"causal_mask({t}) should have shape ({t}, {t}), got {tuple(mask.shape)}.")
        if mask.dtype != torch.bool:
            raise ExerciseError(f"return a boolean mask (True = may attend), got dtype {mask.dtype}; "
                                "e.g. torch.ones(T, T, dtype=torch.bool).tril().")
        right = torch.ones(t, t, dtype=torch.bool).tril()
        if torch.equal(mask, right):
            continue
        if torch.equal(mask, right.T):
            raise ExerciseError("the mask is transposed: row i (the query) must allow keys j <= i, i.e. the "
                                "lower triangle. Yours lets every token see the future and not the past.")
        if torch.equal(mask, right.tril(-1)):
            raise ExerciseError("a token must be allowed to attend to itself (keep the diagonal): the first "
                                "token would otherwise have nothing to attend to, and softmax over all -inf is NaN.")
        i, j = (mask != right).nonzero()[0].tolist()
        raise ExerciseError(f"causal_mask({t})[{i}, {j}] is {bool(mask[i, j])}; query {i} "
                            f"{'may' if j <= i else 'must not'} attend to key {j}.")
    passed("causal mask")


@exercise_check
def check_split_heads(split_heads) -> None:
    """``split_heads(x, num_heads)``: [batch, T, hidden] -> [batch, heads, T, hidden // heads],
    head h owning hidden dimensions h*d .. (h+1)*d - 1 of every token."""
    b, t, heads, d = 2, 5, 3, 4
    x = torch.arange(b * t * heads * d, dtype=torch.float32).reshape(b, t, heads * d)
    out = _tensor(split_heads(x, heads), "split_heads(x, num_heads)")
    expected = x.view(b, t, heads, d).transpose(1, 2)
    if out.shape == (b, t, heads, d):
        raise ExerciseError(f"shape {tuple(out.shape)} is [batch, T, heads, d]: now swap the T and heads "
                            "axes (.transpose(1, 2)) so each head is a separate [T, d] attention problem.")
    if out.shape != expected.shape:
        raise ExerciseError(f"expected shape [batch, heads, T, d] = {tuple(expected.shape)}, got {tuple(out.shape)}.")
    if torch.equal(out, expected):
        passed("split heads")
        return
    if torch.equal(out, x.reshape(b, heads, t, d)):
        raise ExerciseError("right shape, scrambled content: reshaping straight to [batch, heads, T, d] mixes "
                            "different tokens into one row. First view as [batch, T, heads, d] (split the "
                            "hidden dimension), then transpose(1, 2).")
    raise ExerciseError("right shape, wrong content: out[b, h, t] must be x[b, t, h*d:(h+1)*d].")


@exercise_check
def check_key_padding_mask(to_key_padding_mask) -> None:
    """``to_key_padding_mask(attention_mask)``: BERT's [batch, T] mask (1 = real token, 0 = padding)
    -> the boolean mask that torch.nn.TransformerEncoder's ``src_key_padding_mask`` wants, where
    True means *padding: ignore this key*."""
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    out = _tensor(to_key_padding_mask(attention_mask.clone()), "to_key_padding_mask(attention_mask)")
    expected = attention_mask == 0
    if out.shape != expected.shape:
        raise ExerciseError(f"keep the [batch, T] shape {tuple(expected.shape)}, got {tuple(out.shape)}: "
                            "torch broadcasts a key padding mask itself.")
    if out.dtype != torch.bool:
        raise ExerciseError(f"torch refuses a {out.dtype} key padding mask (and a 1/0 integer mask is the "
                            "opposite convention anyway): return a boolean tensor.")
    if torch.equal(out, ~expected):
        raise ExerciseError("backwards: this is BERT's attention_mask as booleans, True on the *real* tokens. "
                            "In src_key_padding_mask True means 'ignore', so your real tokens would be hidden and "
                            "only the padding attended to (the seed blog's mistake). Use attention_mask == 0.")
    if not torch.equal(out, expected):
        raise ExerciseError("True must mark exactly the padding positions (where attention_mask is 0).")
    passed("key padding mask")
