"""Self-checks for lesson 2 (embeddings and positional encoding).

The sinusoidal reference here is written with Python's ``math`` module, element by element, so it
does not share code (or mistakes) with ``bertbook.sinusoidal_positional_encoding``. The exercises
ask for variations of what the lesson shows (a ``base`` other than 10000; explicit ``position_ids``),
so a thin wrapper around the package's own functions does not pass.
"""
from __future__ import annotations

import copy
import math
import numbers

from . import ExerciseError, exercise_check, passed

# --------------------------------------------------------------------------------------------
# predict, then run: which output vectors change when two words swap places

ORDER_SENTENCES = ("the dog bit the man", "the man bit the dog")   # [CLS] + 5 words + [SEP] = 7 positions
ORDER_POSITIONS = 7
ORDER_SWAPPED = 2          # positions 2 and 5 (dog <-> man) hold different tokens


def _count(answer, name: str) -> int:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        if isinstance(answer, float) and answer.is_integer():
            return int(answer)
        raise ExerciseError(f"{name} must be a count of positions (an int from 0 to {ORDER_POSITIONS}); "
                            f"got {type(answer).__name__}: {answer!r}.")
    if not 0 <= answer <= ORDER_POSITIONS:
        raise ExerciseError(f"{name} = {answer}: the input has only {ORDER_POSITIONS} positions "
                            f"([CLS], five words, [SEP]), so the count is between 0 and {ORDER_POSITIONS}.")
    return int(answer)


@exercise_check
def check_order_prediction(changed_without_positions, changed_with_positions) -> None:
    """Prediction: feed "[CLS] the dog bit the man [SEP]" and "[CLS] the man bit the dog [SEP]" to a
    BERT; at how many of the 7 positions does the final output vector differ, (a) when its position
    table is all zeros, (b) with position embeddings?"""
    without = _count(changed_without_positions, "changed_without_positions")
    with_ = _count(changed_with_positions, "changed_with_positions")
    if without != ORDER_SWAPPED:
        if without == 0:
            raise ExerciseError(
                "changed_without_positions = 0: without positions the model is permutation-EQUIVARIANT, not "
                "invariant. Each word's output vector is the same in both sentences, but it moves with its "
                "word: position 2 holds dog's vector in one sentence and man's in the other, so the vectors at "
                "positions 2 and 5 differ.")
        if without > ORDER_SWAPPED:
            raise ExerciseError(
                f"changed_without_positions = {without}: without positions, a token that stays in place "
                "([CLS], the, bit, the, [SEP]) attends to the same SET of tokens in both sentences, and "
                "attention cannot see where they sit, so its output vector is unchanged. Only the positions "
                "whose word changed differ.")
        raise ExerciseError(f"changed_without_positions = {without}: count the positions whose TOKEN differs "
                            "between the two sentences: dog and man swap places.")
    if with_ != ORDER_POSITIONS:
        raise ExerciseError(
            f"changed_with_positions = {with_}: with position embeddings dog and man get different position "
            "vectors after the swap, and every token attends to every other one, so even the tokens that stay "
            "in place ([CLS], the, bit, [SEP]) see a different context: how many positions is that?"
            if with_ <= ORDER_SWAPPED + 3 else
            f"changed_with_positions = {with_}: count again; a BERT input here has {ORDER_POSITIONS} positions.")
    passed("word order with and without positions")


# --------------------------------------------------------------------------------------------
# the sinusoidal table, for any base

def reference_pe(max_len: int, d_model: int, base: float = 10000.0) -> list[list[float]]:
    """PE(pos, 2i) = sin(pos / base^(2i/d)), PE(pos, 2i+1) = cos(pos / base^(2i/d)), one by one."""
    return [[(math.sin if j % 2 == 0 else math.cos)(pos / base ** (2 * (j // 2) / d_model)) for j in range(d_model)]
            for pos in range(max_len)]


def _as_tensor(x, what: str, expected: str):
    import torch
    if x is None:
        raise ExerciseError(f"{what} returned None; return the {expected} (did you forget `return`?).")
    try:
        return torch.as_tensor(x, dtype=torch.float64)
    except Exception as e:
        raise ExerciseError(f"{what} must return the {expected} as a tensor, a NumPy array or nested lists of "
                            f"numbers; got {type(x).__name__} ({e}).") from None


def _pe_variant(pos, j, d_model: int, base: float, *, swap=False, exponent="pair", shift=0, multiply=False):
    import torch
    pair = torch.div(j, 2, rounding_mode="floor")
    power = {"pair": 2 * pair, "j": j, "2j": 2 * j, "i": pair}[exponent] / d_model
    scale = base ** power
    angle = (pos + shift) * scale if multiply else (pos + shift) / scale
    even = (j % 2 == 0) != swap
    return torch.where(even, torch.sin(angle), torch.cos(angle))


def _pe_mistake(got, max_len: int, d_model: int, base: float) -> str:
    """Name the usual slip if the answer matches one of them."""
    import torch
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    j = torch.arange(d_model, dtype=torch.float64)[None, :]
    v = lambda **kw: _pe_variant(pos, j, d_model, base, **kw)
    half = torch.arange(d_model // 2, dtype=torch.float64)[None, :]
    angle = pos / base ** (2 * half / d_model)
    variants = {
        "sin and cos are swapped: even dimensions 2i use sin, odd dimensions 2i+1 use cos": v(swap=True),
        "the exponent uses the dimension j itself (j/d); it must be 2i/d, where i = j // 2 is the index of the "
        "sin/cos PAIR, so dimensions 2i and 2i+1 share one frequency": v(exponent="j"),
        "the exponent is 2j/d; with i = j // 2 (the pair index) it is 2i/d": v(exponent="2j"),
        "the exponent is i/d; it is 2i/d (the 2 matters: the wavelengths then run from 2π to 2π·base)": v(exponent="i"),
        "positions start at 1; they start at 0 (row 0 is [0, 1, 0, 1, ...])": v(shift=1),
        "you multiply by base^(2i/d) instead of dividing": v(multiply=True),
        "all the sines come first and then all the cosines (the layout of some implementations, e.g. "
        "tensor2tensor); here they are interleaved: dimension 2i is a sine and 2i+1 its cosine":
            torch.cat([torch.sin(angle), torch.cos(angle)], dim=1),
    }
    if base != 10000:
        variants[f"you used 10000 where the base goes: this call has base = {base:g}"] = \
            _pe_variant(pos, j, d_model, 10000.0)
    for message, variant in variants.items():
        if variant.shape == got.shape and torch.allclose(got, variant, atol=1e-4):
            return " It looks like " + message + "."
    return ""


PE_CASES = [(6, 4, 10000), (50, 16, 10000), (128, 128, 10000), (40, 8, 100), (30, 6, 10)]


@exercise_check
def check_positional_encoding(fn) -> None:
    """``fn(max_len, d_model, base) -> [max_len, d_model]`` sinusoidal positional encoding with
    frequencies base^(-2i/d) (the Transformer used base = 10000)."""
    import torch
    for max_len, d_model, base in PE_CASES:
        call = f"pe_table({max_len}, {d_model}, base={base})"
        expected = f"[max_len, d_model] = [{max_len}, {d_model}] table"
        got = _as_tensor(fn(max_len, d_model, base), call, expected)
        if tuple(got.shape) != (max_len, d_model):
            hint = " (that is transposed: one ROW per position)" if tuple(got.shape) == (d_model, max_len) else ""
            raise ExerciseError(f"{call} has shape {tuple(got.shape)}; it must be [max_len, d_model] = "
                                f"[{max_len}, {d_model}], one row per position{hint}.")
        want = torch.tensor(reference_pe(max_len, d_model, base), dtype=torch.float64)
        if not torch.allclose(got, want, atol=1e-4):
            pos, j = divmod(int((got - want).abs().argmax()), d_model)
            raise ExerciseError(f"{call}[{pos}, {j}] is {float(got[pos, j]):.6f}, should be "
                                f"{float(want[pos, j]):.6f}.{_pe_mistake(got, max_len, d_model, base)}")
    passed("sinusoidal positional encoding")


# --------------------------------------------------------------------------------------------
# the offset matrix

def _rotation_blocks(k: float, d_model: int, *, two: bool = True, transpose: bool = False):
    import torch
    m = torch.zeros(d_model, d_model, dtype=torch.float64)
    for i in range(d_model // 2):
        w = 10000 ** (-(2 * i if two else i) / d_model)
        c, s = math.cos(w * k), math.sin(w * k)
        block = torch.tensor([[c, s], [-s, c]], dtype=torch.float64)
        m[2 * i:2 * i + 2, 2 * i:2 * i + 2] = block.T if transpose else block
    return m


@exercise_check
def check_offset_matrix(fn) -> None:
    """``fn(k, d_model) -> [d_model, d_model]`` matrix M with PE[pos + k] = M @ PE[pos] for EVERY pos:
    moving k positions is one fixed linear map (a rotation of each sin/cos pair)."""
    import torch
    d_model, max_len = 16, 80
    pe = torch.tensor(reference_pe(max_len, d_model), dtype=torch.float64)
    for k in (1, 3, 10, -2):
        call = f"offset_matrix({k}, {d_model})"
        m = _as_tensor(fn(k, d_model), call, f"[{d_model}, {d_model}] matrix")
        if tuple(m.shape) != (d_model, d_model):
            hint = (" That is one 2x2 block; M_k holds one such block per (sin, cos) pair, on the diagonal."
                    if tuple(m.shape) == (2, 2) else "")
            raise ExerciseError(f"{call} has shape {tuple(m.shape)}; it must be [d_model, d_model] = "
                                f"[{d_model}, {d_model}].{hint}")
        for pos in range(max(0, -k), max_len - max(k, 0)):
            moved = m @ pe[pos]
            if torch.allclose(moved, pe[pos + k], atol=1e-6):
                continue
            j = int((moved - pe[pos + k]).abs().argmax())
            off_block = m.clone()
            for i in range(0, d_model, 2):
                off_block[i:i + 2, i:i + 2] = 0
            close = lambda other: torch.allclose(m, other, atol=1e-6)
            if close(torch.eye(d_model, dtype=torch.float64)):
                hint = " That is the identity: it moves every position by 0, not by k."
            elif k < 0 and close(_rotation_blocks(-k, d_model)):
                hint = " For negative k the angle w k is negative too (you used |k|): M_{-k} undoes M_k."
            elif close(_rotation_blocks(k, d_model, transpose=True)):
                hint = (" Your M rotates the wrong way: it maps PE[p] to PE[p - k]. In each block the sin(w k) "
                        "terms have the opposite signs: sin(w(p+k)) = sin wp cos wk + cos wp sin wk.")
            elif close(_rotation_blocks(k, d_model, two=False)):
                hint = " The frequency of pair i is w_i = 1/10000^(2i/d): you left out the 2."
            elif off_block.abs().max() > 1e-9:
                hint = (" Only dimensions 2i and 2i+1 mix (they share a frequency): M is block-diagonal with "
                        "2x2 blocks, zero everywhere else.")
            else:
                hint = (" For the pair (sin wp, cos wp), use sin(w(p+k)) = sin wp cos wk + cos wp sin wk and "
                        "cos(w(p+k)) = cos wp cos wk - sin wp sin wk, with w = 1/10000^(2i/d).")
            raise ExerciseError(f"with k={k}: (M @ PE[{pos}])[{j}] = {float(moved[j]):.6f} but PE[{pos + k}][{j}] = "
                                f"{float(pe[pos + k][j]):.6f}.{hint}")
    passed("the offset matrix: PE[pos + k] = M_k @ PE[pos]")


# --------------------------------------------------------------------------------------------
# the input embeddings, with explicit position ids

class _ModuleCalled(Exception):
    """Raised when the student's function calls the embedding module instead of its tables."""


def _no_forward(*args, **kwargs):
    raise _ModuleCalled


def default_embeddings():
    """A small embedding layer whose parts are all big enough that forgetting one shows."""
    import torch
    from ..config import BertConfig
    from ..embeddings import BertEmbeddings
    torch.manual_seed(0)
    embeddings = BertEmbeddings(BertConfig.preset("tiny"))
    for table in (embeddings.position_embeddings, embeddings.token_type_embeddings):
        torch.nn.init.normal_(table.weight, std=0.5)
    torch.nn.init.normal_(embeddings.LayerNorm.weight, mean=1.0, std=0.2)
    torch.nn.init.normal_(embeddings.LayerNorm.bias, std=0.2)
    return embeddings


@exercise_check
def check_input_embeddings(fn, embeddings=None) -> None:
    """``fn(emb, input_ids, token_type_ids, position_ids) -> [batch, seq, hidden]``: BERT's input
    vectors by hand from the module's three tables and its LayerNorm (in eval mode, so no dropout),
    with the positions given explicitly: here the first row packs two sequences, so its positions
    restart at 0."""
    import torch
    import torch.nn.functional as F
    source = embeddings if embeddings is not None else default_embeddings()
    emb = copy.deepcopy(source).eval()
    emb.forward = _no_forward                      # the module itself would use positions 0, 1, 2, ...
    device = emb.word_embeddings.weight.device
    input_ids = torch.tensor([[2, 50, 60, 3, 70, 80, 3], [2, 90, 3, 100, 110, 3, 0]], device=device)
    token_type_ids = torch.tensor([[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 0]], device=device)
    position_ids = torch.tensor([[0, 1, 2, 3, 0, 1, 2], [0, 1, 2, 3, 4, 5, 6]], device=device)
    shape = (2, 7, emb.word_embeddings.embedding_dim)
    try:
        with torch.no_grad():
            got = fn(emb, input_ids.clone(), token_type_ids.clone(), position_ids.clone())
    except _ModuleCalled:
        raise ExerciseError("your function calls the embedding module itself (emb(...)), which always uses "
                            "positions 0, 1, 2, ... and ignores position_ids. Build the sum from its three tables "
                            "(emb.word_embeddings, emb.position_embeddings, emb.token_type_embeddings) and "
                            "emb.LayerNorm.") from None
    except IndexError as e:
        raise ExerciseError(f"your function raised IndexError: {e}. Index each table with its own ids: "
                            "input_ids -> word_embeddings, position_ids -> position_embeddings, "
                            "token_type_ids (0 or 1) -> token_type_embeddings.") from e
    if got is None:
        raise ExerciseError(f"your function returned None; return the [batch, seq, hidden] = {list(shape)} tensor.")
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"return a torch.Tensor of shape [batch, seq, hidden] = {list(shape)}, "
                            f"got {type(got).__name__}.")
    if tuple(got.shape) != shape:
        raise ExerciseError(f"your result has shape {list(got.shape)}; it must be [batch, seq, hidden] = {list(shape)}.")
    got = got.detach().to(torch.float64)
    with torch.no_grad():
        w = emb.word_embeddings.weight.double()
        parts = {"word": F.embedding(input_ids, w), "position": F.embedding(position_ids, emb.position_embeddings.weight.double()),
                 "segment": F.embedding(token_type_ids, emb.token_type_embeddings.weight.double())}
        ln = emb.LayerNorm
        norm = lambda x: F.layer_norm(x, (x.shape[-1],), ln.weight.double(), ln.bias.double(), ln.eps)
        want = norm(sum(parts.values()))
        if torch.allclose(got, want, atol=1e-4):
            passed("BERT's input embeddings")
            return
        arange = F.embedding(torch.arange(input_ids.shape[1], device=device), emb.position_embeddings.weight.double())
        close = lambda x: torch.allclose(got, x, atol=1e-4)
        if close(norm(parts["word"] + arange + parts["segment"])):
            raise ExerciseError("you used positions 0, 1, 2, ... for every row; take the positions from "
                                "position_ids (in the first row they restart at 0 where the second sequence begins).")
        if close(sum(parts.values())):
            raise ExerciseError("the sum of the three embeddings is right, but BERT then applies LayerNorm "
                                "(emb.LayerNorm) to it.")
        if close(F.layer_norm(sum(parts.values()), (shape[-1],), eps=ln.eps)):
            raise ExerciseError("you normalised without LayerNorm's learned scale and shift: use emb.LayerNorm "
                                "(or pass ln.weight and ln.bias).")
        for missing in parts:
            if close(norm(sum(v for name, v in parts.items() if name != missing))):
                raise ExerciseError(f"the {missing} embedding is missing: BERT adds word + position + segment "
                                    f"embeddings, then applies LayerNorm.")
        b, t = divmod(int((got - want).abs().amax(-1).argmax()), shape[1])
    raise ExerciseError(f"your vectors differ from BERT's (first at batch {b}, position {t}: max difference "
                        f"{float((got - want)[b, t].abs().max()):.6f}). Compute "
                        "LayerNorm(word + position + segment) with each table indexed by its own ids.")
