"""Self-checks for lesson 4 (the encoder layer): the feed-forward network, the post-LN residual
block, and counting one layer's parameters. References are torch's own functions and a built
``BertLayer``, never the student's numbers."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import BertConfig
from ..encoder import BertLayer
from . import ExerciseError, exercise_check, passed


def _tensor(value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ExerciseError(f"{what} should return a torch.Tensor, got {type(value).__name__}.")
    return value


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


@exercise_check
def check_feed_forward(feed_forward) -> None:
    """``feed_forward(x, w1, b1, w2, b2)`` = GELU(x @ w1 + b1) @ w2 + b2, applied to every token
    alone; x: [batch, T, H], w1: [H, I], w2: [I, H]. BERT's GELU is the exact (erf) one."""
    g = torch.Generator().manual_seed(4)
    H, I = 6, 24
    x = torch.randn(2, 5, H, generator=g)
    w1, b1 = torch.randn(H, I, generator=g), torch.randn(I, generator=g)
    w2, b2 = torch.randn(I, H, generator=g), torch.randn(H, generator=g)
    out = _tensor(feed_forward(x, w1, b1, w2, b2), "feed_forward(x, w1, b1, w2, b2)")
    if out.shape != x.shape:
        raise ExerciseError(f"the FFN maps each token back to H dimensions: expected shape {tuple(x.shape)}, "
                            f"got {tuple(out.shape)}.")
    h = x @ w1 + b1
    if _close(out, F.gelu(h) @ w2 + b2):
        passed("position-wise feed-forward network")
        return
    diagnoses = [
        (F.relu(h) @ w2 + b2, "that is ReLU; BERT uses GELU (torch.nn.functional.gelu)."),
        (F.gelu(h, approximate="tanh") @ w2 + b2,
         "that is the tanh approximation of GELU; BERT's is the exact erf one: F.gelu(h) with no 'approximate'."),
        (h @ w2 + b2, "there is no non-linearity: without GELU the two Linears collapse into one."),
        (F.gelu(x @ w1) @ w2, "the biases b1 and b2 are missing."),
        (F.gelu(h) @ w2, "the output bias b2 is missing."),
        (F.gelu(x @ w1) @ w2 + b2, "the inner bias b1 is missing (add it before the GELU)."),
    ]
    for wrong, message in diagnoses:
        if _close(out, wrong):
            raise ExerciseError(message)
    raise ExerciseError("right shape, wrong values: compute F.gelu(x @ w1 + b1) @ w2 + b2.")


@exercise_check
def check_post_ln_block(post_ln_block) -> None:
    """``post_ln_block(x, sublayer, norm)``: BERT's residual wrapper around a sub-layer (attention
    or FFN): add the sub-layer's output to its input, *then* normalise."""
    torch.manual_seed(5)
    x = torch.randn(2, 4, 8) * 3 + 1
    sublayer = nn.Linear(8, 8)
    norm = nn.LayerNorm(8)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
        out = _tensor(post_ln_block(x, sublayer, norm), "post_ln_block(x, sublayer, norm)")
        if out.shape != x.shape:
            raise ExerciseError(f"expected shape {tuple(x.shape)}, got {tuple(out.shape)}.")
        if _close(out, norm(x + sublayer(x))):
            passed("post-LN residual block")
            return
        diagnoses = [
            (x + sublayer(norm(x)), "that is the pre-LN block of later models (GPT-2 and after): BERT "
                                    "normalises after the residual sum, norm(x + sublayer(x))."),
            (norm(sublayer(x)), "the residual connection is missing: add the input x back before normalising."),
            (x + sublayer(x), "the LayerNorm is missing: normalise the sum, norm(x + sublayer(x))."),
            (x + norm(sublayer(x)), "normalise the sum x + sublayer(x), not the sub-layer output alone."),
        ]
    for wrong, message in diagnoses:
        if _close(out, wrong):
            raise ExerciseError(message)
    raise ExerciseError("right shape, wrong values: return norm(x + sublayer(x)).")


@exercise_check
def check_layer_parameters(count_layer_parameters) -> None:
    """``count_layer_parameters(config)`` -> the number of parameters in one encoder layer, by
    formula from hidden_size H and intermediate_size I (checked against a built BertLayer)."""
    # an odd shape first: in the presets I = 4H, which would make some mistakes look alike
    configs = [BertConfig(hidden_size=60, num_attention_heads=3, intermediate_size=100),
               BertConfig.preset("tiny"), BertConfig.preset("minilm")]
    for config in configs:
        H, I = config.hidden_size, config.intermediate_size
        answer = count_layer_parameters(config)
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ExerciseError(f"return an int, got {type(answer).__name__}.")
        right = sum(p.numel() for p in BertLayer(config).parameters())
        if answer == right:
            continue
        missing = right - answer
        hints = {
            4 * H: "the two LayerNorms are missing (each has H gains and H biases: 4H in all).",
            2 * H: "one LayerNorm is missing, or a LayerNorm counted with H instead of 2H parameters.",
            5 * H + I: "the biases are missing (3H for Q, K, V, H for the output, I and H in the FFN).",
            9 * H + I: "biases and LayerNorm parameters are missing.",
            H * H + H: "one H x H projection is missing: Q, K, V *and* the attention output projection.",
            I * H + H: "one FFN matrix is missing: H -> I and I -> H.",
        }
        message = hints.get(missing, f"for H={H}, I={I} a layer has {right:,} parameters, you said {answer:,} "
                                     f"(off by {missing:+,}). Count attention (Q, K, V, output), the FFN's two "
                                     "Linears, and two LayerNorms, with their biases.")
        raise ExerciseError(f"H={H}, I={I}: {message}")
    passed("parameters of one encoder layer")
