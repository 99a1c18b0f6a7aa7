"""Self-checks for lesson 4 (the encoder layer).

1. ``check_feed_forward``: the position-wise FFN written with weights in ``nn.Linear``'s layout
   (``[out, in]``), which the lesson never writes out as a matrix product;
2. ``check_layer_norm_norm``: predict, then run: the norm of a LayerNorm's output for a width
   and a gain the lesson does not use;
3. ``check_gated_layer_parameters``: count the parameters of a later encoder layer (no Q/K/V
   biases, a gated FFN), a variant no bertbook function counts.

References are torch's own functions and modules built here, never the student's numbers. Every
listed wrong answer gets its own hint; ``tests/test_exercise_hints_04.py`` feeds each one in.
"""
from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from ..config import BertConfig
from . import ExerciseError, exercise_check, passed


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


# --- 1. the feed-forward network ------------------------------------------------------------------

FFN_SHAPES = dict(batch=2, T=5, H=6, I=24)


@exercise_check
def check_feed_forward(feed_forward) -> None:
    """``feed_forward(x, w1, b1, w2, b2)``: BERT's FFN, GELU(x W1^T + b1) W2^T + b2, with
    ``w1``, ``w2`` in ``nn.Linear``'s layout: w1 is [I, H], w2 is [H, I] ([out, in]); x: [batch, T, H]."""
    B, T, H, I = (FFN_SHAPES[k] for k in ("batch", "T", "H", "I"))
    g = torch.Generator().manual_seed(4)
    x = torch.randn(B, T, H, generator=g)
    w1, b1 = torch.randn(I, H, generator=g), torch.randn(I, generator=g)
    w2, b2 = torch.randn(H, I, generator=g), torch.randn(H, generator=g)
    try:
        out = feed_forward(x, w1, b1, w2, b2)
    except RuntimeError as e:
        if "shape" in str(e) or "size" in str(e):
            raise ExerciseError(
                f"a matrix product did not fit ({e}). The weights are in nn.Linear's layout, [out, in]: "
                f"w1 is [I, H] = [{I}, {H}] and w2 is [H, I] = [{H}, {I}], so a Linear computes "
                "x @ w.T + b (transpose the weight), not x @ w.") from e
        raise
    if out is None:
        raise ExerciseError("feed_forward returned None: did you forget the `return`?")
    if not isinstance(out, torch.Tensor):
        raise ExerciseError(f"feed_forward should return a torch.Tensor of shape [{B}, {T}, {H}], "
                            f"got {type(out).__name__}.")
    if tuple(out.shape) != (B, T, H):
        hint = (" That is [batch, T, I]: the second Linear (I -> H) is missing."
                if tuple(out.shape) == (B, T, I) else "")
        raise ExerciseError(f"the FFN maps each token back to H dimensions: expected shape {(B, T, H)}, "
                            f"got {tuple(out.shape)}.{hint}")
    h = x @ w1.T + b1
    if _close(out, F.gelu(h) @ w2.T + b2):
        passed("position-wise feed-forward network")
        return
    diagnoses = [
        (F.relu(h) @ w2.T + b2, "that is ReLU; BERT's activation is GELU, x Φ(x) (torch.nn.functional.gelu)."),
        (F.gelu(h, approximate="tanh") @ w2.T + b2,
         "that is the tanh approximation of GELU (HF's \"gelu_new\"); BERT's \"gelu\" here is the exact "
         "erf form: F.gelu(h) with no `approximate`."),
        (h * torch.sigmoid(1.702 * h) @ w2.T + b2,
         "that is the sigmoid approximation x·σ(1.702x) of GELU; use the exact one, F.gelu."),
        (h @ w2.T + b2, "there is no non-linearity: without the GELU the two Linears collapse into one."),
        (F.gelu((x @ w1.T + b1) @ w2.T + b2), "the GELU belongs between the two Linears, not after the second."),
        (F.gelu(F.gelu(h) @ w2.T + b2), "the GELU comes once, after the first Linear: BERT's FFN output is "
                                        "linear (W2 h + b2), with no activation after it."),
        (F.gelu(x @ w1.T) @ w2.T, "both biases b1 and b2 are missing."),
        (F.gelu(h) @ w2.T, "the output bias b2 is missing."),
        (F.gelu(x @ w1.T) @ w2.T + b2, "the inner bias b1 is missing (add it before the GELU)."),
    ]
    for wrong, message in diagnoses:
        if _close(out, wrong):
            raise ExerciseError(message)
    raise ExerciseError(f"right shape {(B, T, H)}, wrong values (largest difference "
                        f"{(out - (F.gelu(h) @ w2.T + b2)).abs().max().item():.4g}): compute "
                        "GELU(x W1^T + b1) W2^T + b2, the same for every token.")


# --- 2. predict, then run: the norm after a LayerNorm --------------------------------------------

LN_WIDTH, LN_GAIN = 384, 0.5


def layer_norm_output_norm(width: int = LN_WIDTH, gain: float = LN_GAIN) -> float:
    """||LayerNorm(x)|| for any x (not constant) when every gain is ``gain`` and every bias 0:
    the normalised features have mean 0 and (biased) variance 1, so their squares sum to ``width``."""
    return abs(gain) * math.sqrt(width)


@exercise_check
def check_layer_norm_norm(answer) -> None:
    """``answer``: the norm of every token's vector after ``nn.LayerNorm(384)`` whose gains are all
    0.5 and biases all 0 (MiniLM's width), whatever the input (a number)."""
    if isinstance(answer, torch.Tensor):
        if answer.numel() != 1:
            raise ExerciseError(f"answer with one number (the norm of each token's vector), got a tensor of "
                                f"shape {tuple(answer.shape)}: the norm is the same for every token.")
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise ExerciseError(f"answer with a number, got {type(answer).__name__} {answer!r}.")
    answer = float(answer)
    H, gamma = LN_WIDTH, LN_GAIN
    right = layer_norm_output_norm(H, gamma)
    if abs(answer - right) < 2e-3:
        passed(f"LayerNorm output norm (= γ√H = {right:.4f})")
        return
    diagnoses = [
        (1.0, "LayerNorm does not make each vector unit-length. It makes the H features of a vector have "
              "mean 0 and variance 1, so their squares sum to H, before the gain multiplies every feature."),
        (math.sqrt(H), f"√H = {math.sqrt(H):.4f} is the norm with gain 1; here every feature is multiplied by "
                       f"γ = {gamma}."),
        (16.0, "16 = √256 is the lesson's width H = 256; this LayerNorm has H = 384 and a gain of 0.5."),
        (gamma, f"{gamma} is the gain alone: the normalised vector has H = {H} features of variance 1 before "
                "the gain scales them."),
        (gamma * math.sqrt(H - 1), "LayerNorm divides by the *biased* standard deviation (1/H, not 1/(H-1)), "
                                   "so the sum of squares is exactly H."),
        (gamma ** 2 * H, f"{gamma ** 2 * H:g} = γ²H is the *squared* norm; take its square root."),
        (float(H), f"{H} = H is the squared norm with gain 1; take the square root and apply the gain."),
        (gamma * H, f"{gamma * H:g} = γH mixes the two: the squared norm is γ²H, so the norm is γ√H."),
    ]
    for wrong, message in diagnoses:
        if abs(answer - wrong) < 2e-3:
            raise ExerciseError(f"{answer:.4f}: {message}")
    raise ExerciseError(f"{answer:.4f} is not it (off by {answer - right:+.4f}). Hint: after LayerNorm with "
                        "gain 1 the features have mean 0 and variance 1; what is the sum of their squares? "
                        "Then multiply every feature by the gain.")


# --- 3. the parameters of a later encoder layer -------------------------------------------------

class GatedEncoderLayer(nn.Module):
    """The layer of exercise 3, built only to be counted: Q, K, V without biases, an output
    projection with its bias, a GEGLU feed-forward network (Shazeer 2020, "GLU Variants Improve
    Transformer"): W2 (GELU(W1 h + b1) * (W3 h + b3)) + b2, and two LayerNorms."""

    def __init__(self, config: BertConfig):
        super().__init__()
        H, I = config.hidden_size, config.intermediate_size
        self.query, self.key, self.value = (nn.Linear(H, H, bias=False) for _ in range(3))
        self.attention_output = nn.Linear(H, H)
        self.attention_norm = nn.LayerNorm(H)
        self.w1, self.w3 = nn.Linear(H, I), nn.Linear(H, I)
        self.w2 = nn.Linear(I, H)
        self.output_norm = nn.LayerNorm(H)


def _names_used(fn) -> set[str]:
    """Global and enclosing names a function (and anything defined inside it) refers to."""
    names, todo = set(), [getattr(fn, "__code__", None)]
    while todo:
        code = todo.pop()
        if code is None:
            continue
        names.update(code.co_names, code.co_freevars)
        todo.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    return names


@exercise_check
def check_gated_layer_parameters(count_gated_layer_parameters) -> None:
    """``count_gated_layer_parameters(config)`` -> the number of parameters of one
    ``GatedEncoderLayer`` from ``config.hidden_size`` (H) and ``config.intermediate_size`` (I)."""
    # an odd shape first: with I = 4H some mistakes would give the same number
    configs = [BertConfig(hidden_size=60, num_attention_heads=3, intermediate_size=100),
               BertConfig.preset("tiny"), BertConfig.preset("minilm")]
    if "GatedEncoderLayer" in _names_used(count_gated_layer_parameters):
        raise ExerciseError("that counts the checker's own reference layer: write the count from H and I "
                            "yourself, part by part.")
    for config in configs:
        H, I = config.hidden_size, config.intermediate_size
        answer = count_gated_layer_parameters(config)
        if answer is None:
            raise ExerciseError("count_gated_layer_parameters returned None: did you forget the `return`?")
        if isinstance(answer, torch.Tensor) and answer.numel() == 1 and not answer.is_floating_point():
            answer = int(answer.item())
        if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
            raise ExerciseError(f"return a whole number of parameters (an int), got {type(answer).__name__} "
                                f"{answer!r} for H={H}, I={I}.")
        answer = int(answer)
        right = sum(p.numel() for p in GatedEncoderLayer(config).parameters())
        if answer == right:
            continue
        missing = right - answer
        bert_layer = 4 * H * H + 4 * H + 2 * H * I + I + H + 4 * H
        hints = {
            4 * H: "the two LayerNorms are missing (each has H gains and H biases: 4H in all).",
            2 * H: "one LayerNorm is missing, or a LayerNorm counted with H parameters instead of 2H.",
            -3 * H: "Q, K and V have no biases in this layer (only the attention output projection keeps one).",
            H * I + I: "the gate is missing: a gated FFN has *two* input matrices, W1 and W3 (H -> I, each "
                       "with a bias), and one output matrix W2.",
            H * H + H: "the attention output projection (H -> H, with bias) is missing.",
            H * H: "one of the Q, K, V matrices is missing (three H x H matrices).",
            2 * I + 2 * H: "the biases are missing: b1 and b3 (I each), b2 and the output projection's (H each).",
            2 * I + 6 * H: "all biases and LayerNorm parameters are missing: count b1, b3, b2, the output "
                           "projection's bias, and two LayerNorms of 2H.",
            right - bert_layer: "that is an ordinary BERT layer; this one drops the 3H biases of Q, K, V and "
                                "adds the gate W3 (H·I + I).",
        }
        message = hints.get(missing, f"for H={H}, I={I} this layer has {right:,} parameters, you said {answer:,} "
                                     f"(off by {-missing:+,}). Count Q, K, V (no biases), the output projection, "
                                     "W1, W3 and W2 with their biases, and two LayerNorms.")
        raise ExerciseError(f"H={H}, I={I}: {message}")
    passed("parameters of a gated encoder layer")
