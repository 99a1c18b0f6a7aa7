"""Checkpoints of a training run, one format for every loop: pretraining, fine-tuning, MiniLM's MLM.

A run folder holds ``checkpoint-STEP/`` folders in the layout of transformers' Trainer:

    config.json, model.safetensors   the model (``save_pretrained``: loads with ``load_pretrained``)
    tokenizer.json                   when the run has its own tokenizer
    optimizer.safetensors            AdamW's moments, keyed by parameter name, and the RNG states
    trainer_state.json               step, log history, the run's settings, AdamW's hyperparameters

Why this shape: a checkpoint is also a model you can load and look at; safetensors never runs
code (a pickle can); optimizer state by parameter *name* survives a change in the order of the
parameters; and the RNG states make a resumed run continue with the very random numbers
(dropout, masking) an uninterrupted run would have drawn. Each checkpoint is written into a
temporary folder and renamed into place, and ``trainer_state.json`` is written last, so a crash
mid-save never leaves a folder that looks complete.

Fine-tuning and MiniLM's MLM training once wrote ``checkpoint/`` with ``trainable.safetensors``
(``param.NAME``, ``adam.NAME.KEY``) and ``state.json``; :func:`restore` still reads those, so
runs started before the change resume.
"""
from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import torch

from .weights import CheckpointError, from_transformers, load_state_dict_checked, match_prefix, read_safetensors, save_pretrained

STATE_FILE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.safetensors"
LEGACY_STATE_FILE, LEGACY_TENSORS_FILE = "state.json", "trainable.safetensors"


# --- finding checkpoints -----------------------------------------------------------------------
def step_of(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])


def complete_checkpoints(out: str | Path) -> list[Path]:
    """The complete ``checkpoint-STEP`` folders in ``out`` (a crashed save's temporary folder is not one)."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted((p for p in out.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()
                   and (p / STATE_FILE).is_file() and (p / "model.safetensors").is_file()), key=step_of)


def latest_checkpoint(out: str | Path) -> Path | None:
    """The newest checkpoint to resume from: the newest complete ``checkpoint-STEP``, or ``out``
    itself when it is a checkpoint in the old fine-tuning format."""
    found = complete_checkpoints(out)
    if found:
        return found[-1]
    return Path(out) if (Path(out) / LEGACY_STATE_FILE).is_file() else None


# --- writing -----------------------------------------------------------------------------------
def rng_state(device: torch.device | None = None) -> dict[str, torch.Tensor]:
    """This process's torch RNG state (and its GPU's), what dropout and masking draw from."""
    state = {"torch": torch.get_rng_state()}
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def save_checkpoint(out: str | Path, step: int, model, optimizer: torch.optim.Optimizer, state: dict,
                    tokenizer=None, rng_states: list[dict] | None = None, keep: int = 2) -> Path:
    """Write ``out/checkpoint-{step}/`` and keep the newest ``keep`` checkpoints.

    ``state`` (JSON) is the loop's own: its settings, history, anything it needs to resume.
    ``rng_states``: one ``rng_state()`` per process (default: this one's); every AdamW group must
    carry ``param_names`` (``optimizer.parameter_groups`` does)."""
    from safetensors.torch import save_file
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    final = out / f"checkpoint-{step}"
    tmp = out / f".tmp-checkpoint-{step}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    save_pretrained(model, tmp)
    if tokenizer is not None:
        tokenizer.save(str(tmp / "tokenizer.json"))
    saved = optimizer.state_dict()
    names = {i: n for g in saved["param_groups"] for i, n in zip(g["params"], g["param_names"])}
    tensors = {f"{names[i]}.{k}": torch.as_tensor(v).detach().cpu().reshape(-1 if v.ndim == 0 else v.shape).contiguous()
               for i, st in saved["state"].items() for k, v in st.items()}
    for rank, states in enumerate(rng_states or [rng_state()]):
        for kind, t in states.items():
            tensors[f"rng.{kind}.rank{rank}"] = torch.as_tensor(t, dtype=torch.uint8)
    save_file(tensors, str(tmp / OPTIMIZER_FILE))
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k != "params"}
              for g in saved["param_groups"]]
    py = random.getstate()
    meta = {"step": step, "optimizer": {"class": type(optimizer).__name__, "param_groups": groups,
                                        "tensors": OPTIMIZER_FILE},
            "rng": {"python": [py[0], list(py[1]), py[2]], "torch": f"{OPTIMIZER_FILE}:rng.*"}}
    (tmp / STATE_FILE).write_text(json.dumps(meta | state, indent=1) + "\n")       # last: marks it complete
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for old in complete_checkpoints(out)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


# --- reading -----------------------------------------------------------------------------------
def read_state(folder: str | Path) -> dict:
    """The JSON side of a checkpoint (either format): ``step`` plus what the loop saved."""
    folder = Path(folder)
    path = folder / STATE_FILE if (folder / STATE_FILE).is_file() else folder / LEGACY_STATE_FILE
    return json.loads(path.read_text())


def restore(folder: str | Path, model, optimizer: torch.optim.Optimizer | None = None, rank: int = 0) -> dict:
    """Load a checkpoint's weights into ``model`` (and, given ``optimizer``, AdamW's state and the
    RNG states of process ``rank``); returns :func:`read_state`. Reads both formats."""
    folder = Path(folder)
    if not (folder / STATE_FILE).is_file():
        return _restore_legacy(folder, model, optimizer)
    from safetensors.torch import load_file
    state = read_state(folder)
    sd = match_prefix(model, from_transformers(read_safetensors(folder / "model.safetensors")))
    load_state_dict_checked(model, sd, str(folder / "model.safetensors"))
    if optimizer is None:
        return state
    tensors = load_file(str(folder / OPTIMIZER_FILE), device=str(model.device))
    current = optimizer.state_dict()
    index = {n: i for g in current["param_groups"] for i, n in zip(g["params"], g["param_names"])}
    moments: dict = {}
    for key, t in tensors.items():
        if key.startswith("rng."):
            continue
        name, k = key.rsplit(".", 1)
        if name not in index:
            raise CheckpointError(f"{folder / OPTIMIZER_FILE} has optimizer state for {name!r}, which this model "
                                  "does not train; resume with the same model and settings, or start over.")
        moments.setdefault(index[name], {})[k] = t.reshape(()).cpu() if k == "step" else t
    groups = []
    for g, saved in zip(current["param_groups"], state["optimizer"]["param_groups"]):
        hyper = {k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k not in ("params", "param_names")}
        groups.append(g | hyper)
    optimizer.load_state_dict({"state": moments, "param_groups": groups})
    py = state["rng"]["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if f"rng.torch.rank{rank}" not in tensors:
        rank = 0                    # resumed on fewer processes than it was saved from
    torch.set_rng_state(tensors[f"rng.torch.rank{rank}"].cpu())
    if model.device.type == "cuda" and f"rng.cuda.rank{rank}" in tensors:
        torch.cuda.set_rng_state(tensors[f"rng.cuda.rank{rank}"].cpu(), model.device)
    return state


def _restore_legacy(folder: Path, model, optimizer) -> dict:
    """The old fine-tuning / MiniLM format: the trained tensors and AdamW's state in
    ``trainable.safetensors``, the rest in ``state.json``; no RNG state."""
    from safetensors.torch import load_file
    state = json.loads((folder / LEGACY_STATE_FILE).read_text())
    tensors = load_file(str(folder / LEGACY_TENSORS_FILE))
    named = dict(model.named_parameters())
    trained = [n for n in named if f"param.{n}" in tensors]
    with torch.no_grad():
        for n in trained:
            named[n].copy_(tensors[f"param.{n}"])
    if optimizer is not None:
        current = optimizer.state_dict()
        index = {n: i for g in current["param_groups"] for i, n in zip(g["params"], g["param_names"])}
        moments = {index[n]: {"step": tensors[f"adam.{n}.step"].reshape(()),
                              "exp_avg": tensors[f"adam.{n}.exp_avg"].view_as(named[n]),
                              "exp_avg_sq": tensors[f"adam.{n}.exp_avg_sq"].view_as(named[n])}
                   for n in index if f"adam.{n}.step" in tensors}
        optimizer.load_state_dict({"state": moments, "param_groups": current["param_groups"]})
    return state
