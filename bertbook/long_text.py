"""Texts longer than the model's positions: classify overlapping windows, then pool.

BERT has one learned position embedding per position (512 in BERT-base, 128 in our tiny model),
so it cannot read a longer text in one go. The usual way round: cut the token sequence into
windows of ``max_length`` tokens ([CLS] + content + [SEP]), each starting ``max_length - 2 - stride``
tokens after the previous one, so neighbours share ``stride`` tokens and a sentence of up to ``stride``
tokens that a border cuts is seen whole in the next window (a longer one can be cut in both). Each window is classified on its own and the class probabilities are
averaged.

Why the mean of probabilities: every window is an independent, bounded vote (each sums to 1), so
one window with extreme logits cannot outvote the rest the way it could in a mean of logits; for
a label that describes the whole text (the overall sentiment of a review) the average is the
natural summary. (A "does any part mention X" task would take the max over windows instead.)
What windows do *not* do: a token in one window never attends to a token in another, so anything
that needs both ends of the text at once is lost; windows are a workaround, not a longer context.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .batching import pad_batch

def window_spans(num_tokens: int, max_length: int = 128, stride: int = 32) -> list[tuple[int, int]]:
    """(start, end) content-token spans of the windows: at most ``max_length - 2`` tokens each
    (room for [CLS] and [SEP]), consecutive windows sharing exactly ``stride`` tokens, the last
    one ending at ``num_tokens``."""
    size = max_length - 2
    if size < 1:
        raise ValueError(f"max_length={max_length} leaves no room for text between [CLS] and [SEP]; use >= 3.")
    if not 0 <= stride < size:
        raise ValueError(f"stride={stride} must be >= 0 and smaller than the window's {size} content tokens "
                         f"(max_length - 2), or the windows would never move forward.")
    if num_tokens < 1:
        raise ValueError("the text has no tokens; a window needs at least one.")
    spans = [(0, min(size, num_tokens))]
    while spans[-1][1] < num_tokens:
        start = spans[-1][0] + size - stride
        spans.append((start, min(start + size, num_tokens)))
    return spans


@dataclass
class Windows:
    input_ids: torch.Tensor          # [n_windows, width], [CLS] ... [SEP] then [PAD]
    token_type_ids: torch.Tensor
    attention_mask: torch.Tensor     # 1 = real token, 0 = padding
    spans: list[tuple[int, int]]     # content-token span of each window in the whole text
    tokens: list[str]                # the whole text's tokens (no [CLS]/[SEP])

    def batch(self, device=None) -> dict:
        keys = ("input_ids", "token_type_ids", "attention_mask")
        return {k: getattr(self, k).to(device) if device is not None else getattr(self, k) for k in keys}


def split_into_windows(tokenizer, text: str, max_length: int = 128, stride: int = 32) -> Windows:
    """Tokenise ``text`` once, cut the tokens into overlapping windows, wrap each in [CLS] ... [SEP]."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    enc = tokenizer.encode(text, add_special_tokens=False)
    if not enc.ids:
        raise ValueError(f"{text!r} has no tokens after normalisation; give a non-empty text.")
    spans = window_spans(len(enc.ids), max_length, stride)
    cls_id, sep_id, pad_id = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    batch = pad_batch([[cls_id, *enc.ids[a:b], sep_id] for a, b in spans], pad_id)
    return Windows(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"], spans, list(enc.tokens))


@dataclass
class LongTextPrediction:
    probabilities: torch.Tensor          # [num_labels], the pooled answer
    window_probabilities: torch.Tensor   # [n_windows, num_labels]
    windows: Windows

    @property
    def label(self) -> int:
        return int(self.probabilities.argmax())


@torch.no_grad()
def classify_long_text(model, tokenizer, text: str, max_length: int | None = None, stride: int = 32,
                       device=None) -> LongTextPrediction:
    """Classify a text of any length: windows of ``max_length`` tokens (default: the model's
    ``max_position_embeddings``) overlapping by ``stride``, pooled by the mean of the windows'
    probabilities. A text that fits in one window gets exactly the one-window answer."""
    max_length = max_length or model.config.max_position_embeddings
    if max_length > model.config.max_position_embeddings:
        raise ValueError(f"max_length={max_length} is more than the model's {model.config.max_position_embeddings} "
                         "positions; use max_length <= max_position_embeddings.")
    device = torch.device(device) if device is not None else model.device
    windows = split_into_windows(tokenizer, text, max_length, stride)
    model.eval()
    probs = model(**windows.batch(device)).logits.float().softmax(-1).cpu()
    return LongTextPrediction(probs.mean(0), probs, windows)
