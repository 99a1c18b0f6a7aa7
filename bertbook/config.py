"""BertConfig: every size of BERT in one dataclass.

Field names follow transformers' ``BertConfig`` so a ``config.json`` written by either library
loads in the other, and so students' habits carry over.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

# name -> overrides of the defaults (which are BERT-base).  "tiny" and "mini" follow the shapes of
# Google's compact BERTs (Turc et al., 2019); "tiny" uses our own 8000-piece WordPiece vocabulary and
# 128 positions so that a laptop CPU can pretrain it in minutes.
PRESETS: dict[str, dict] = {
    "tiny": dict(vocab_size=8000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=512, max_position_embeddings=128),
    "mini": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024),
    "small": dict(hidden_size=512, num_hidden_layers=4, num_attention_heads=8, intermediate_size=2048),
    "minilm": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
    "base": dict(),
    # BERT-large (Devlin et al., 2019, section 3): L=24, H=1024, A=16, FFN 4H. The paper says 340M
    # parameters; counting every tensor gives 335,141,888 (BertModel with pooler). The paper's
    # figures are rounded to two significant digits (109.5M -> "110M" for base, 335.1M -> "340M").
    "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
}


@dataclass
class BertConfig:
    """Hyper-parameters of a BERT encoder. The defaults are BERT-base (110M parameters)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    num_labels: int = 2
    classifier_dropout: float | None = None
    extra: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Refuse configs that cannot build a model, naming the fix."""
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "type_vocab_size", "num_labels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"BertConfig.{name} must be a positive integer, got {value!r}.")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads}); each head gets "
                f"hidden_size / num_attention_heads dimensions. Pick e.g. num_attention_heads="
                f"{_a_divisor(self.hidden_size, self.num_attention_heads)}.")
        if self.hidden_act not in ("gelu", "gelu_new", "relu"):
            raise ValueError(f"BertConfig.hidden_act {self.hidden_act!r} is not supported; "
                             "use 'gelu' (BERT's), 'gelu_new' or 'relu'.")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"BertConfig.{name} must be in [0, 1), got {getattr(self, name)!r}.")
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(f"BertConfig.pad_token_id ({self.pad_token_id}) must be a token id "
                             f"below vocab_size ({self.vocab_size}).")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def preset(cls, name: str, **overrides) -> "BertConfig":
        """A named size: ``tiny``, ``mini``, ``small``, ``minilm``, ``base`` or ``large``; keywords override fields."""
        if name not in PRESETS:
            raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
        return cls(**{**PRESETS[name], **overrides})

    # --- JSON, in transformers' format ---------------------------------------------------------
    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {**self.extra, **d, "model_type": "bert", "architectures": self.extra.get("architectures", ["BertModel"])}

    @classmethod
    def from_dict(cls, d: dict) -> "BertConfig":
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        if d.get("model_type", "bert") != "bert":
            raise ValueError(f"config has model_type {d.get('model_type')!r}; bertbook loads BERT ('bert') only.")
        if d.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("bertbook implements absolute (learned) position embeddings only; "
                             f"this config asks for {d['position_embedding_type']!r}.")
        known = {k: v for k, v in d.items() if k in names}
        if "num_labels" not in d and isinstance(d.get("id2label"), dict):   # transformers writes only id2label
            known["num_labels"] = len(d["id2label"])
        extra = {k: v for k, v in d.items() if k not in names}
        return cls(**known, extra=extra)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "BertConfig":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No config.json at {path}: a checkpoint folder needs config.json "
                                    "next to model.safetensors (save one with model.save_pretrained(dir)).")
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON ({e}); re-save the config.") from None
        return cls.from_dict(d)


def _a_divisor(n: int, near: int) -> int:
    return min((k for k in range(1, n + 1) if n % k == 0), key=lambda k: abs(k - near))
