"""Where BERT's parameters live: a count per part, from the config alone, by formula.

BERT-base has 109,482,240 parameters (the "110M" of the paper): about a fifth in the word
embeddings, the rest in 12 identical layers of ~7.1M each, two thirds of every layer in the
feed-forward network. ``count_by_part`` counts a built model the same way, to check the formulas.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import BertConfig


@dataclass(frozen=True)
class ParameterRow:
    part: str
    formula: str          # in terms of V (vocab), P (positions), S (segments), H (hidden), I (FFN), L (layers)
    each: int             # parameters in one copy
    copies: int           # 1, or L for the per-layer parts

    @property
    def total(self) -> int:
        return self.each * self.copies


def parameter_rows(config: BertConfig, pooler: bool = True) -> list[ParameterRow]:
    """One row per part of ``BertModel(config)``; a Linear(n -> m) has n*m weights + m biases,
    a LayerNorm over H has H gains + H biases."""
    V, P, S = config.vocab_size, config.max_position_embeddings, config.type_vocab_size
    H, I, L = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    rows = [
        ParameterRow("word embeddings", "V*H", V * H, 1),
        ParameterRow("position embeddings", "P*H", P * H, 1),
        ParameterRow("segment embeddings", "S*H", S * H, 1),
        ParameterRow("embedding LayerNorm", "2H", 2 * H, 1),
        ParameterRow("attention Q, K, V", "3(H*H + H)", 3 * (H * H + H), L),
        ParameterRow("attention output", "H*H + H", H * H + H, L),
        ParameterRow("attention LayerNorm", "2H", 2 * H, L),
        ParameterRow("FFN in (H -> I)", "H*I + I", H * I + I, L),
        ParameterRow("FFN out (I -> H)", "I*H + H", I * H + H, L),
        ParameterRow("FFN LayerNorm", "2H", 2 * H, L),
    ]
    if pooler:
        rows.append(ParameterRow("pooler", "H*H + H", H * H + H, 1))
    return rows


def parameter_count(config: BertConfig, pooler: bool = True) -> int:
    return sum(row.total for row in parameter_rows(config, pooler))


def parameter_table(config: BertConfig, pooler: bool = True) -> str:
    """The rows as a text table with a total line and each part's share."""
    rows = parameter_rows(config, pooler)
    total = sum(r.total for r in rows)
    lines = [f"{'part':<22}{'formula':<13}{'each':>12}{'x':>4}{'total':>14}{'share':>8}"]
    for r in rows:
        lines.append(f"{r.part:<22}{r.formula:<13}{r.each:>12,}{r.copies:>4}{r.total:>14,}{r.total / total:>8.1%}")
    lines.append(f"{'total':<51}{total:>14,}{1:>8.0%}")
    return "\n".join(lines)


# parameter name (after any "bert." prefix) -> part, for count_by_part
_PARTS = {
    "embeddings.word_embeddings": "word embeddings",
    "embeddings.position_embeddings": "position embeddings",
    "embeddings.token_type_embeddings": "segment embeddings",
    "embeddings.LayerNorm": "embedding LayerNorm",
    "attention.qkv": "attention Q, K, V",
    "attention.output": "attention output",
    "attention_norm": "attention LayerNorm",
    "ffn.intermediate": "FFN in (H -> I)",
    "ffn.output": "FFN out (I -> H)",
    "output_norm": "FFN LayerNorm",
    "pooler": "pooler",
}


def count_by_part(model) -> dict[str, int]:
    """Count a built bertbook model's parameters under ``parameter_rows``' part names (a tied
    tensor once); anything else (task heads) under its own module name."""
    counts: dict[str, int] = {}
    for name, p in model.named_parameters():
        name = name.removeprefix("bert.")
        if name.startswith("encoder.layer."):
            name = name.split(".", 3)[3]                    # drop "encoder.layer.N."
        part = next((v for k, v in _PARTS.items() if name.startswith(k + ".")), name.split(".")[0])
        counts[part] = counts.get(part, 0) + p.numel()
    return counts
