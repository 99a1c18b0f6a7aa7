"""Pretrained weights in transformers' format: ``config.json`` + ``model.safetensors``.

bertbook's module names are its own (one fused ``qkv`` projection, ``attention_norm``, ``ffn``);
the table below maps them to and from transformers' names, so a checkpoint saved by either library
loads in the other. Weights are read with safetensors only: a pickle checkpoint can run code.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import torch

from .checkpoints import CHECKPOINTS, resolve_checkpoint_dir  # noqa: F401  (importable from here too)
from .config import BertConfig

# bertbook suffix (inside encoder.layer.N.) -> transformers suffix
LAYER_KEYS = {
    "attention.output.weight": "attention.output.dense.weight",
    "attention.output.bias": "attention.output.dense.bias",
    "attention_norm.weight": "attention.output.LayerNorm.weight",
    "attention_norm.bias": "attention.output.LayerNorm.bias",
    "ffn.intermediate.weight": "intermediate.dense.weight",
    "ffn.intermediate.bias": "intermediate.dense.bias",
    "ffn.output.weight": "output.dense.weight",
    "ffn.output.bias": "output.dense.bias",
    "output_norm.weight": "output.LayerNorm.weight",
    "output_norm.bias": "output.LayerNorm.bias",
}
QKV = ("query", "key", "value")            # stacked in this order in bertbook's fused qkv
# bertbook head key -> transformers key (for the models with heads)
HEAD_KEYS = {
    "mlm.dense.weight": "cls.predictions.transform.dense.weight",
    "mlm.dense.bias": "cls.predictions.transform.dense.bias",
    "mlm.LayerNorm.weight": "cls.predictions.transform.LayerNorm.weight",
    "mlm.LayerNorm.bias": "cls.predictions.transform.LayerNorm.bias",
    "mlm.decoder.bias": "cls.predictions.bias",
    "nsp.seq_relationship.weight": "cls.seq_relationship.weight",
    "nsp.seq_relationship.bias": "cls.seq_relationship.bias",
    "classifier.weight": "classifier.weight",
    "classifier.bias": "classifier.bias",
}
# transformers keys that are tied copies or buffers, never weights of their own
REDUNDANT_HF_KEYS = re.compile(r"(^|\.)embeddings\.position_ids$|^cls\.predictions\.decoder\.(weight|bias)$")


_LAYER = re.compile(r"^(.*?)encoder\.layer\.(\d+)\.(.+)$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the model; the message names the key or file."""


# --- name mapping ----------------------------------------------------------------------------
def to_transformers(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """bertbook state dict -> transformers names (fused qkv split into query/key/value)."""
    out = {}
    for key, t in state_dict.items():
        if key.endswith("mlm.decoder.weight"):
            continue                                   # tied to the word embeddings
        m = _LAYER.match(key)
        if m and m.group(3) in ("attention.qkv.weight", "attention.qkv.bias"):
            kind = m.group(3).rsplit(".", 1)[1]
            for name, part in zip(QKV, t.chunk(3, dim=0)):
                out[f"{m.group(1)}encoder.layer.{m.group(2)}.attention.self.{name}.{kind}"] = part
        elif m:
            out[f"{m.group(1)}encoder.layer.{m.group(2)}.{LAYER_KEYS[m.group(3)]}"] = t
        else:
            out[HEAD_KEYS.get(key, key)] = t
    return out


def from_transformers(hf: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """transformers names -> bertbook names. Unknown keys pass through unchanged (and are then
    reported as unexpected by ``load_state_dict_checked``)."""
    inverse_layer = {v: k for k, v in LAYER_KEYS.items()}
    inverse_head = {v: k for k, v in HEAD_KEYS.items()}
    out, qkv = {}, {}
    for key, t in hf.items():
        if REDUNDANT_HF_KEYS.search(key):
            continue
        m = _LAYER.match(key)
        if m and m.group(3).startswith("attention.self."):
            _, _, name, kind = m.group(3).split(".")
            qkv.setdefault((m.group(1), m.group(2), kind), {})[name] = t
        elif m and m.group(3) in inverse_layer:
            out[f"{m.group(1)}encoder.layer.{m.group(2)}.{inverse_layer[m.group(3)]}"] = t
        else:
            out[inverse_head.get(key, key)] = t
    for (prefix, i, kind), parts in qkv.items():
        missing = [n for n in QKV if n not in parts]
        if missing:
            raise CheckpointError(f"checkpoint has attention weights for layer {i} but is missing "
                                  f"{', '.join(f'{prefix}encoder.layer.{i}.attention.self.{n}.{kind}' for n in missing)}")
        out[f"{prefix}encoder.layer.{i}.attention.qkv.{kind}"] = torch.cat([parts[n] for n in QKV], dim=0)
    return out


def match_prefix(model: torch.nn.Module, sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """BertModel checkpoints have no prefix, task models put the encoder under ``bert.``."""
    wants_prefix = hasattr(model, "bert")
    has_prefix = any(k.startswith("bert.") for k in sd)
    if wants_prefix and not has_prefix:
        return {(k if k in HEAD_KEYS else f"bert.{k}"): v for k, v in sd.items()}
    if not wants_prefix and has_prefix:        # an encoder out of a task checkpoint: drop the heads
        return {k[len("bert."):]: v for k, v in sd.items() if k.startswith("bert.")}
    return sd


def load_state_dict_checked(model: torch.nn.Module, sd: dict[str, torch.Tensor], source: str,
                            strict: bool = True) -> list[str]:
    """Copy ``sd`` into ``model``; every mismatch raises a CheckpointError naming the key.
    Returns the model keys that were left as initialised (only possible with strict=False)."""
    own = model.state_dict()
    own.pop("mlm.decoder.weight", None)        # tied to bert.embeddings.word_embeddings.weight
    unexpected = sorted(set(sd) - set(own))
    missing = sorted(set(own) - set(sd))
    if unexpected:
        raise CheckpointError(f"{source} has {len(unexpected)} weight(s) this {type(model).__name__} does not "
                              f"have: {', '.join(unexpected[:8])}{' ...' if len(unexpected) > 8 else ''}. "
                              "Is it a BERT checkpoint, and is model_class right?")
    if missing and strict:
        raise CheckpointError(f"{source} is missing {len(missing)} weight(s) the model needs: "
                              f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}. Pass strict=False "
                              "to start those randomly initialised (e.g. a new task head).")
    for key, t in sd.items():
        if t.shape != own[key].shape:
            raise CheckpointError(f"weight {key} has shape {tuple(t.shape)} in {source} but "
                                  f"{tuple(own[key].shape)} in the model built from its config: the config "
                                  "and the weights disagree (check vocab_size, hidden_size, "
                                  "max_position_embeddings in config.json).")
    model.load_state_dict(sd, strict=False)
    return missing


# --- files -----------------------------------------------------------------------------------
def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    if not path.is_file():
        pickles = [p.name for p in path.parent.glob("*.bin")] + [p.name for p in path.parent.glob("*.pt")]
        hint = (f" There is {pickles[0]}, a pickle file: bertbook never unpickles weights (it can run code); "
                "convert it once with safetensors.torch.save_file.") if pickles else ""
        raise FileNotFoundError(f"No model.safetensors at {path}.{hint}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({e}); it is probably truncated "
                              "or corrupt: save it again with save_pretrained.") from None


def load_checkpoint(name_or_path: str | Path, model_class, device=None, strict: bool = True):
    """Build ``model_class`` from a transformers-format checkpoint folder, or a name from
    ``checkpoints.py``, and load its weights. ``bertbook.load_pretrained`` picks the class for you."""
    entry = CHECKPOINTS.get(str(name_or_path))
    if entry is not None and entry.base is not None:       # trained tensors on top of another checkpoint
        if model_class is not None and model_class.__name__ != entry.model_class:
            raise CheckpointError(f"{str(name_or_path)!r} is a {entry.model_class} (trained on {entry.base!r}); "
                                  f"load {entry.base!r} for any other model class.")
        if model_class is None:
            raise TypeError(f"load_checkpoint needs model_class ({entry.model_class} for {str(name_or_path)!r}); "
                            "bertbook.load_pretrained picks it for you.")
        return load_on_base(entry.folder(), model_class, entry.base, entry.weights_file, entry.zero_missing,
                            device=device, retrain=f"the registry entry {str(name_or_path)!r} (checkpoints.py) says how")
    if model_class is None:
        raise TypeError("load_checkpoint needs model_class (e.g. BertModel); bertbook.load_pretrained "
                        "picks one for you.")
    folder = resolve_checkpoint_dir(name_or_path)
    config = BertConfig.load(folder / "config.json")
    sd = from_transformers(read_safetensors(folder / "model.safetensors"))
    model = model_class(config)
    sd = match_prefix(model, sd)
    # another task's head (e.g. MLM/NSP of a pretraining checkpoint loaded into a classifier) is
    # not used, as in transformers: the encoder transfers, the new head starts random
    own = model.state_dict()
    unused = sorted(k for k in sd if k in HEAD_KEYS and k not in own)
    sd = {k: v for k, v in sd.items() if k not in unused}
    missing = load_state_dict_checked(model, sd, str(folder / "model.safetensors"), strict)
    if missing or unused:
        import warnings
        warnings.warn(f"{len(missing)} weight(s) not in the checkpoint were initialised randomly: "
                      f"{', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}"
                      + (f"; {len(unused)} weight(s) of the checkpoint's other heads were not used: "
                         f"{', '.join(unused[:4])}{' ...' if len(unused) > 4 else ''}" if unused else ""),
                      stacklevel=2)
    model.eval()                                    # like transformers: dropout off until .train()
    return model.to(device) if device is not None else model


def load_on_base(folder: str | Path, model_class, base: str | Path, weights_file: str,
                 zero_missing: tuple[str, ...] = (), device=None, retrain: str = "retrain them"):
    """A model made of a base checkpoint (e.g. "minilm") and, on top, the tensors a training run
    changed, stored alone in ``folder/weights_file`` (transformers' names, any float dtype).

    Why: lessons 7 and 9 train MiniLM's top layers and a new head; storing only those keeps each
    shipped model a few MB. The config is ``folder/config.json`` when there is one (a task model's
    labels), else the base's. Weights neither file has raise an error, except those starting with
    one of ``zero_missing``, which start at zero (e.g. MiniLM has no NSP head: logits 0, 0, no
    opinion). Building the model draws no random numbers from the global RNG (everything is loaded
    over the throw-away initialisation). Returns the model in eval mode."""
    folder, base_dir = Path(folder), resolve_checkpoint_dir(base)
    path = folder / weights_file
    if not path.is_file():
        raise FileNotFoundError(f"No trained weights at {path}; {retrain}.")
    config = BertConfig.load(folder / "config.json" if (folder / "config.json").is_file() else base_dir / "config.json")
    with torch.random.fork_rng(devices=[]):
        model = model_class(config)
    own = model.state_dict()
    base_sd = match_prefix(model, from_transformers(read_safetensors(base_dir / "model.safetensors")))
    base_sd = {k: v for k, v in base_sd.items() if k in own}       # e.g. a token tagger has no pooler
    load_state_dict_checked(model, base_sd, str(base_dir / "model.safetensors"), strict=False)
    try:
        trained = read_safetensors(path)
    except CheckpointError:
        raise CheckpointError(f"{path} is not a readable safetensors file (truncated or corrupt); {retrain}.") from None
    trained = match_prefix(model, from_transformers({k: v.float() for k, v in trained.items()}))
    load_state_dict_checked(model, trained, str(path), strict=False)
    missing = sorted(k for k in own if k not in base_sd and k not in trained and k != "mlm.decoder.weight")
    lacking = [k for k in missing if not k.startswith(zero_missing)] if zero_missing else missing
    if lacking:
        raise CheckpointError(f"{path} lacks {', '.join(lacking[:6])}{' ...' if len(lacking) > 6 else ''} "
                              f"(neither it nor {base!r} has them); {retrain}.")
    with torch.no_grad():
        for k in missing:
            own[k].zero_()
    model.eval()
    return model.to(device) if device is not None else model


def save_on_base(model, names: set[str], path: str | Path, dtype=torch.float16) -> Path:
    """Write the tensors ``names`` of ``model`` alone (transformers' names, ``dtype``: float16 halves
    the file) to ``path``: what :func:`load_on_base` puts back on top of the base checkpoint."""
    from safetensors.torch import save_file
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sd = to_transformers({k: v for k, v in model.state_dict().items() if k in names})
    sd = {k: v.detach().to("cpu", dtype).contiguous() for k, v in sd.items()}
    atomic_write(path, lambda tmp: save_file(sd, tmp, metadata={"format": "pt"}))
    return path


load_pretrained = load_checkpoint    # the old name, still imported by fill_mask.py and finetuning.py


def atomic_write(path: Path, write) -> None:
    """write(tmp_path) then rename over ``path``: a crash never leaves half a file behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_pretrained(model, directory: str | Path) -> Path:
    from safetensors.torch import save_file
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    hf = {k: v.detach().cpu().contiguous() for k, v in to_transformers(model.state_dict()).items()}
    atomic_write(directory / "model.safetensors", lambda tmp: save_file(hf, tmp, metadata={"format": "pt"}))
    config = model.config.to_dict()
    config["architectures"] = [type(model).__name__]
    atomic_write(directory / "config.json",
                 lambda tmp: Path(tmp).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n"))
    return directory
