"""Self-checks for lesson 2 (embeddings and positional encoding).

The sinusoidal reference here is written with Python's ``math`` module, element by element, so it
does not share code (or mistakes) with ``bertbook.sinusoidal_positional_encoding``.
"""
from __future__ import annotations

import math

from . import ExerciseError, exercise_check, passed


def reference_pe(max_len: int, d_model: int) -> list[list[float]]:
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), one by one."""
    return [[(math.sin if j % 2 == 0 else math.cos)(pos / 10000 ** (2 * (j // 2) / d_model)) for j in range(d_model)]
            for pos in range(max_len)]


def _as_tensor(x, what: str):
    import torch
    try:
        return torch.as_tensor(x, dtype=torch.float64)
    except Exception as e:
        raise ExerciseError(f"{what} must be a tensor, a NumPy array or nested lists of numbers; got {type(x).__name__} ({e}).") from None


def _pe_mistake(got, max_len: int, d_model: int) -> str:
    """Name the usual slip if the answer matches one of them."""
    import torch
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    j = torch.arange(d_model, dtype=torch.float64)[None, :]
    pair = torch.div(j, 2, rounding_mode="floor")
    even = (j % 2 == 0)
    variants = {
        "sin and cos are swapped: even dimensions 2i use sin, odd dimensions 2i+1 use cos":
            torch.where(even, torch.cos(pos / 10000 ** (2 * pair / d_model)), torch.sin(pos / 10000 ** (2 * pair / d_model))),
        "the exponent uses the dimension j itself (j/d); it must be 2i/d, where i = j // 2 is the index of the "
        "sin/cos PAIR, so dimensions 2i and 2i+1 share one frequency":
            torch.where(even, torch.sin(pos / 10000 ** (j / d_model)), torch.cos(pos / 10000 ** (j / d_model))),
        "the exponent is 2j/d; with i = j // 2 (the pair index) it is 2i/d":
            torch.where(even, torch.sin(pos / 10000 ** (2 * j / d_model)), torch.cos(pos / 10000 ** (2 * j / d_model))),
        "positions start at 1; they start at 0 (row 0 is [0, 1, 0, 1, ...])":
            torch.where(even, torch.sin((pos + 1) / 10000 ** (2 * pair / d_model)), torch.cos((pos + 1) / 10000 ** (2 * pair / d_model))),
        "you multiply by 10000^(2i/d) instead of dividing":
            torch.where(even, torch.sin(pos * 10000 ** (2 * pair / d_model)), torch.cos(pos * 10000 ** (2 * pair / d_model))),
    }
    for message, variant in variants.items():
        if torch.allclose(got, variant, atol=1e-4):
            return " It looks like " + message + "."
    return ""


@exercise_check
def check_positional_encoding(fn) -> None:
    """``fn(max_len, d_model) -> [max_len, d_model]`` sinusoidal positional encoding."""
    import torch
    for max_len, d_model in [(6, 4), (50, 16), (128, 128)]:
        got = _as_tensor(fn(max_len, d_model), f"pe({max_len}, {d_model})")
        if tuple(got.shape) != (max_len, d_model):
            raise ExerciseError(f"pe({max_len}, {d_model}) has shape {tuple(got.shape)}; it must be "
                                f"[max_len, d_model] = [{max_len}, {d_model}] (one row per position).")
        want = torch.tensor(reference_pe(max_len, d_model), dtype=torch.float64)
        if not torch.allclose(got, want, atol=1e-4):
            pos, j = divmod(int((got - want).abs().argmax()), d_model)
            raise ExerciseError(f"pe({max_len}, {d_model})[{pos}, {j}] is {float(got[pos, j]):.4f}, should be "
                                f"{float(want[pos, j]):.4f}.{_pe_mistake(got, max_len, d_model)}")
    passed("sinusoidal positional encoding")


@exercise_check
def check_offset_matrix(fn) -> None:
    """``fn(k, d_model) -> [d_model, d_model]`` matrix M with PE[pos + k] = M @ PE[pos] for EVERY pos:
    moving k positions is one fixed linear map (a rotation of each sin/cos pair)."""
    import torch
    d_model, max_len = 16, 80
    pe = torch.tensor(reference_pe(max_len, d_model), dtype=torch.float64)
    for k in (1, 3, 10, -2):
        m = _as_tensor(fn(k, d_model), f"M({k}, {d_model})")
        if tuple(m.shape) != (d_model, d_model):
            raise ExerciseError(f"M({k}, {d_model}) has shape {tuple(m.shape)}; it must be [{d_model}, {d_model}].")
        for pos in range(max(0, -k), max_len - max(k, 0)):
            moved = m @ pe[pos]
            if not torch.allclose(moved, pe[pos + k], atol=1e-6):
                j = int((moved - pe[pos + k]).abs().argmax())
                hint = ""
                off_block = m.clone()
                for i in range(0, d_model, 2):
                    off_block[i:i + 2, i:i + 2] = 0
                if off_block.abs().max() > 1e-9:
                    hint = " Only dimensions 2i and 2i+1 mix (they share a frequency): M is block-diagonal with 2x2 blocks."
                else:
                    hint = (" For the pair (sin wp, cos wp), use sin(w(p+k)) = sin wp cos wk + cos wp sin wk and "
                            "cos(w(p+k)) = cos wp cos wk - sin wp sin wk, with w = 1/10000^(2i/d).")
                raise ExerciseError(f"with k={k}: (M @ PE[{pos}])[{j}] = {float(moved[j]):.4f} but PE[{pos + k}][{j}] = "
                                    f"{float(pe[pos + k][j]):.4f}.{hint}")
    passed("the offset matrix: PE[pos + k] = M_k @ PE[pos]")


@exercise_check
def check_input_embeddings(fn, embeddings=None) -> None:
    """``fn(embeddings, input_ids, token_type_ids) -> [batch, seq, hidden]``: BERT's input vectors by
    hand from the module's three tables and its LayerNorm (in eval mode, so no dropout)."""
    import torch
    from ..config import BertConfig
    from ..embeddings import BertEmbeddings
    if embeddings is None:
        torch.manual_seed(0)
        embeddings = BertEmbeddings(BertConfig.preset("tiny"))
        for table in (embeddings.position_embeddings, embeddings.token_type_embeddings):
            torch.nn.init.normal_(table.weight, std=0.5)          # big enough that forgetting one shows
        torch.nn.init.normal_(embeddings.LayerNorm.weight, mean=1.0, std=0.2)
        torch.nn.init.normal_(embeddings.LayerNorm.bias, std=0.2)
    embeddings.eval()
    device = embeddings.word_embeddings.weight.device
    input_ids = torch.tensor([[2, 50, 60, 3, 70, 80, 3], [2, 90, 3, 100, 3, 0, 0]], device=device)
    token_type_ids = torch.tensor([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0]], device=device)
    with torch.no_grad():
        want = embeddings(input_ids, token_type_ids)
        got = fn(embeddings, input_ids, token_type_ids)
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"return a torch.Tensor, got {type(got).__name__}.")
    if got.shape != want.shape:
        raise ExerciseError(f"your result has shape {tuple(got.shape)}; it must be [batch, seq, hidden] = {tuple(want.shape)}.")
    if torch.allclose(got, want, atol=1e-5):
        passed("BERT's input embeddings")
        return
    e = embeddings
    pos = e.position_embeddings.weight[: input_ids.shape[1]]
    parts = {"word": e.word_embeddings(input_ids), "position": pos.expand_as(want),
             "segment": e.token_type_embeddings(token_type_ids)}
    ln = lambda x: torch.nn.functional.layer_norm(x, (x.shape[-1],), e.LayerNorm.weight, e.LayerNorm.bias, e.LayerNorm.eps)
    with torch.no_grad():
        if torch.allclose(got, sum(parts.values()), atol=1e-5):
            raise ExerciseError("the sum of the three embeddings is right, but BERT then applies LayerNorm "
                                "(embeddings.LayerNorm) to it.")
        for missing in parts:
            if torch.allclose(got, ln(sum(v for k, v in parts.items() if k != missing)), atol=1e-5):
                raise ExerciseError(f"the {missing} embedding is missing: BERT adds word + position + segment embeddings.")
        if torch.allclose(got, torch.nn.functional.layer_norm(sum(parts.values()), (want.shape[-1],)), atol=1e-5):
            raise ExerciseError("LayerNorm without its learned scale and shift: use embeddings.LayerNorm "
                                "(weight and bias), not a bare normalisation.")
    raise ExerciseError(f"your vectors differ from BERT's by up to {float((got - want).abs().max()):.4f}. "
                        "Look up each table: word_embeddings[input_ids] + position_embeddings[0..seq-1] + "
                        "token_type_embeddings[token_type_ids], then embeddings.LayerNorm.")
