"""Fine-tuning: a new linear classifier on BERT's pooled [CLS] vector, and the whole network trained.

BERT's recipe (Devlin et al., 2019, section 4 and appendix A.3, which give the batch sizes, learning rates
and epochs; the warm-up and decay are those of Google's released ``run_classifier.py``): put a fresh
``Linear(hidden, num_labels)`` on the pooled [CLS] vector, then train *every* weight, encoder included,
with Adam and decoupled weight decay (AdamW) for a few epochs at a small learning rate (2e-5 to 5e-5
for BERT-base), warmed up linearly over the first 10% of steps and decayed linearly to zero. The only thing that changes between "from scratch"
and "pretrained" is where the encoder's weights start; the head is random in both.
"""
from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from .config import BertConfig
from .corpus import DATA_DIR
from .dropout import set_dropout
from .model import BertForSequenceClassification
from .optimizer import adamw, optimizer_step, parameter_groups  # noqa: F401  (parameter_groups: the rule, importable from here)
from .schedule import jump_to, linear_warmup_decay, warmup_steps_for, warmup_then_decay  # noqa: F401  (lesson 8 imports linear_warmup_decay from here)
from .tokenizer import encode, load_tokenizer
from .training_checkpoint import latest_checkpoint, read_state, restore, save_checkpoint
from .weights import load_pretrained

PRETRAINED_DIR = DATA_DIR / "pretrained" / "bertbook-tiny"
INITIALISATIONS = {
    "scratch": "the tiny preset with random weights and our 8k tokenizer",
    "pretrained": f"our pretrained tiny BERT ({PRETRAINED_DIR.relative_to(DATA_DIR.parent)}), our 8k tokenizer",
    "minilm": "the real all-MiniLM-L6-v2 encoder and its uncased 30k tokenizer",
}


# --- the model ---------------------------------------------------------------------------------
def build_classifier(init: str = "pretrained", num_labels: int = 2, checkpoint: str | Path = PRETRAINED_DIR,
                     dropout: float = 0.1, seed: int = 0, device=None):
    """A ``BertForSequenceClassification`` and its tokenizer, the encoder started from ``init``:
    "scratch", "pretrained" (a BertForPreTraining checkpoint: its MLM/NSP heads are dropped) or
    "minilm". The classifier head is new and random (seeded) in all three, and all three fine-tune
    with the same ``dropout`` (BERT's 0.1)."""
    if init not in INITIALISATIONS:
        raise ValueError(f"init must be one of {sorted(INITIALISATIONS)}, got {init!r}")
    torch.manual_seed(seed)
    if init == "scratch":
        tokenizer = load_tokenizer("bertbook")
        config = BertConfig.preset("tiny", vocab_size=tokenizer.get_vocab_size(), num_labels=num_labels)
        model = BertForSequenceClassification(config)
    else:
        source = "minilm" if init == "minilm" else Path(checkpoint)
        if init == "pretrained" and not (source / "model.safetensors").is_file():
            raise FileNotFoundError(f"No pretrained checkpoint at {source}: train one with "
                                    "`python -m bertbook pretrain` or pass checkpoint=<folder>.")
        with warnings.catch_warnings():        # "classifier.* initialised randomly" is the point here
            warnings.filterwarnings("ignore", message=r".*initialised randomly")
            model = load_pretrained(source, model_class=BertForSequenceClassification, strict=False)
        has_tokenizer = init == "minilm" or (source / "tokenizer.json").is_file()
        tokenizer = load_tokenizer(source if has_tokenizer else "bertbook")
        # a fresh head of the right size, drawn from the seed (same init as BERT: N(0, 0.02), bias 0)
        model.config.num_labels = num_labels
        model.classifier = nn.Linear(model.config.hidden_size, num_labels)
        torch.manual_seed(seed)
        nn.init.normal_(model.classifier.weight, std=model.config.initializer_range)
        nn.init.zeros_(model.classifier.bias)
    set_dropout(model, dropout)
    if tokenizer.get_vocab_size() != model.config.vocab_size:
        raise ValueError(f"tokenizer has {tokenizer.get_vocab_size()} pieces but the model {model.config.vocab_size}: "
                         "keep a tokenizer.json next to the checkpoint.")
    return (model.to(device) if device is not None else model), tokenizer


# --- training ----------------------------------------------------------------------------------
def _is_pair(x) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and all(isinstance(t, str) for t in x)


def encode_examples(tokenizer, examples: Sequence, max_length: int = 128, device=None) -> dict:
    """Encode texts, or (sentence A, sentence B) pairs as ``[CLS] A [SEP] B [SEP]`` with segment
    ids 0 / 1 (lesson 9's premise and hypothesis), truncating the longer side to ``max_length``."""
    if examples and _is_pair(examples[0]):
        return encode(tokenizer, [a for a, _ in examples], [b for _, b in examples], max_length=max_length,
                      truncation=True, device=device)
    return encode(tokenizer, list(examples), max_length=max_length, truncation=True, device=device)


def _check_data(texts: Sequence[str], labels: Sequence[int], num_labels: int, what: str) -> None:
    if isinstance(texts, str):
        raise TypeError(f"{what} texts must be a list of strings, not one string.")
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} {what} texts but {len(labels)} labels; give one label per text.")
    if not texts:
        raise ValueError(f"no {what} examples.")
    if not all(isinstance(t, str) for t in texts) and not all(_is_pair(t) for t in texts):
        raise TypeError(f"{what} texts must all be strings, or all (sentence A, sentence B) tuples of two strings.")
    bad = [y for y in labels if not (isinstance(y, int) and 0 <= y < num_labels)]
    if bad:
        raise ValueError(f"{what} label {bad[0]!r} is not an int in 0..{num_labels - 1} "
                         f"(the model has num_labels={num_labels}).")


def train(model: nn.Module, make_batch, num_examples: int, *, epochs: int = 1, batch_size: int = 32,
          lr: float = 5e-5, weight_decay: float = 0.01, warmup: float = 0.1, seed: int = 0,
          evaluate=None, eval_every: int | None = None, progress: bool = True, desc: str | None = None,
          checkpoint_dir: str | Path | None = None, save_every: int = 200, max_minutes: float | None = None,
          log=None, bf16: bool = False) -> list[dict]:
    """The fine-tuning loop every task shares (a sentence label, a pair label, a tag per token, an
    answer span): only ``make_batch`` knows the task.

    ``make_batch(indices)`` returns the model's keyword arguments for those examples, labels
    included (``labels=``, or ``start_positions=`` / ``end_positions=``), so ``model(**batch).loss``
    is the task's loss. ``evaluate()`` returns a dict of metrics, recorded every ``eval_every``
    steps and at the end. Only parameters with ``requires_grad`` are trained (lesson 9 freezes
    MiniLM's bottom layers). AdamW, linear warm-up then decay, gradient clipping at 1.0.

    ``checkpoint_dir``: every ``save_every`` steps a ``checkpoint-STEP/`` folder is written there
    (``training_checkpoint.py``: the model, AdamW's state, the RNG states, the step and the
    history), and a new call with the same folder resumes from the newest: the data order depends
    only on ``seed`` and the random numbers are restored, so a resumed run continues as an
    uninterrupted one would. ``max_minutes`` stops early with a checkpoint (then ``len(history)``
    is less than ``epochs`` times the steps per epoch). ``bf16=True`` runs the forward pass under
    ``torch.autocast`` in bfloat16 (the weights, their gradients and AdamW stay float32): faster
    on CPUs with bfloat16 instructions (``benchmarks/README.md``).
    """
    from tqdm.auto import tqdm
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}.")
    if num_examples < 1:
        raise ValueError("no training examples.")
    torch.manual_seed(seed)                                 # dropout masks
    order_rng = torch.Generator().manual_seed(seed)        # shuffling, independent of the model
    steps_per_epoch = math.ceil(num_examples / batch_size)
    total = epochs * steps_per_epoch
    optimizer = adamw(model, lr, weight_decay)
    schedule = warmup_then_decay(optimizer, warmup_steps_for(warmup, total), total)
    history, step = [], 0
    settings = dict(num_examples=num_examples, epochs=epochs, batch_size=batch_size, lr=lr,
                    weight_decay=weight_decay, warmup=warmup, seed=seed)
    resume_from = latest_checkpoint(checkpoint_dir) if checkpoint_dir is not None else None
    if resume_from is not None:
        step, history = _resume(resume_from, model, optimizer, settings)
        jump_to(schedule, step)
        if log:
            log(f"resumed from {resume_from} at step {step}/{total}")
    t0 = time.time()
    bar = tqdm(total=total, initial=step, desc=desc, disable=not progress)
    stopped = False
    for epoch in range(epochs):
        order = torch.randperm(num_examples, generator=order_rng).tolist()
        for b, start in enumerate(range(0, num_examples, batch_size)):
            if epoch * steps_per_epoch + b < step or stopped:
                continue                                    # done before a resume (or stopping)
            idx = order[start:start + batch_size]
            lr = schedule.get_last_lr()[0]                  # this step's learning rate
            loss = training_step(model, make_batch(idx), optimizer, schedule, bf16)
            record = {"step": step + 1, "examples": epoch * num_examples + start + len(idx), "loss": loss, "lr": lr}
            step += 1
            if evaluate is not None and ((eval_every and step % eval_every == 0) or step == total):
                record.update(evaluate())
                bar.set_postfix({k: f"{v:.3f}" for k, v in record.items() if k not in ("step", "examples", "loss", "lr")})
                if log:
                    log(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}))
            history.append(record)
            bar.update()
            if log and step % 50 == 0:
                log(f"step {step}/{total}: loss {record['loss']:.4f}, {time.time() - t0:.0f} s this session")
            out_of_time = max_minutes is not None and time.time() - t0 > 60 * max_minutes
            if checkpoint_dir is not None and (step % save_every == 0 or step == total or out_of_time):
                save_checkpoint(checkpoint_dir, step, model, optimizer, {"settings": settings, "log_history": history},
                                keep=1)
            if out_of_time:
                stopped = True
                if log:
                    log(f"stopped after {max_minutes} minutes at step {step}/{total}; run again to resume")
    bar.close()
    model.eval()
    return history


def training_step(model: nn.Module, batch: dict, optimizer: torch.optim.Optimizer, schedule, bf16: bool = False) -> float:
    """One optimizer step on one batch; returns the batch's loss. The learning rate it used is the
    schedule's for this step: read it before, with ``schedule.get_last_lr()``."""
    model.train()
    with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=bf16):
        loss = model(**batch).loss.float()
    optimizer_step(loss, optimizer, schedule, max_grad_norm=1.0)
    return loss.item()


def _resume(folder: Path, model, optimizer, settings: dict) -> tuple[int, list[dict]]:
    """Step and history of a checkpoint written by :func:`train` with the same ``settings``."""
    state = read_state(folder)
    if state["settings"] != settings:
        raise ValueError(f"{folder} holds a run with other settings ({state['settings']}, now {settings}); "
                         "use the same settings to resume, or delete the folder to start over.")
    restore(folder, model, optimizer)
    if "log_history" not in state:            # the old format saved no RNG state: dropout differs from here
        torch.manual_seed(settings["seed"] + state["step"])
    return state["step"], state.get("log_history", state.get("history"))


def fine_tune(model: BertForSequenceClassification, tokenizer, texts: Sequence, labels: Sequence[int], *,
              eval_texts: Sequence | None = None, eval_labels: Sequence[int] | None = None,
              epochs: int = 1, batch_size: int = 32, lr: float = 5e-5, weight_decay: float = 0.01,
              warmup: float = 0.1, max_length: int = 128, eval_every: int | None = None, seed: int = 0,
              device=None, progress: bool = True, desc: str | None = None, **train_options) -> list[dict]:
    """Train ``model`` in place. Returns the history: one dict per step (step, examples seen,
    loss, lr), with ``dev_accuracy`` every ``eval_every`` steps and at the end when eval data is given.

    ``texts`` are strings, or (sentence A, sentence B) tuples for a pair task such as NLI.
    Each batch is padded to its own longest example (not to ``max_length``): the attention mask
    hides the padding, so shorter batches give the same answer for less work. ``train_options``
    go to :func:`train` (``checkpoint_dir``, ``max_minutes``, ``log``).
    """
    _check_data(texts, labels, model.config.num_labels, "training")
    if (eval_texts is None) != (eval_labels is None):
        raise ValueError("pass both eval_texts and eval_labels, or neither.")
    if eval_texts is not None:
        _check_data(eval_texts, eval_labels, model.config.num_labels, "eval")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}.")
    device = torch.device(device) if device is not None else model.device
    model.to(device)

    def make_batch(idx):
        batch = encode_examples(tokenizer, [texts[i] for i in idx], max_length=max_length, device=device)
        return {**batch, "labels": torch.tensor([labels[i] for i in idx], device=device)}

    def dev_accuracy() -> dict:
        return {"dev_accuracy": evaluate(model, tokenizer, eval_texts, eval_labels, max_length=max_length,
                                         device=device).accuracy}

    return train(model, make_batch, len(texts), epochs=epochs, batch_size=batch_size, lr=lr,
                 weight_decay=weight_decay, warmup=warmup, seed=seed,
                 evaluate=dev_accuracy if eval_texts is not None else None, eval_every=eval_every,
                 progress=progress, desc=desc, **train_options)


# --- evaluation --------------------------------------------------------------------------------
@torch.no_grad()
def predict_proba(model: BertForSequenceClassification, tokenizer, texts: Sequence[str], batch_size: int = 64,
                  max_length: int = 128, device=None) -> torch.Tensor:
    """Class probabilities [len(texts), num_labels] (on the CPU), texts longer than ``max_length``
    tokens truncated (see ``long_text`` for windows). Texts are batched shortest-first so little
    padding is computed; the order of the answer is the order of ``texts``."""
    if isinstance(texts, str):
        raise TypeError("predict_proba takes a list of texts; wrap a single text in a list.")
    device = torch.device(device) if device is not None else model.device
    model.eval()
    lengths = [len(e.ids) for e in tokenizer.encode_batch(list(texts))]     # (A, B) tuples encode as pairs
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    probs = torch.empty(len(texts), model.config.num_labels)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = encode_examples(tokenizer, [texts[i] for i in idx], max_length=max_length, device=device)
        probs[idx] = model(**batch).logits.float().softmax(-1).cpu()
    return probs


def confusion_matrix(labels: Sequence[int], predictions: Sequence[int], num_labels: int = 2) -> torch.Tensor:
    """counts[true, predicted]: the diagonal is right, row t off the diagonal is class t missed."""
    counts = torch.zeros(num_labels, num_labels, dtype=torch.long)
    for t, p in zip(labels, predictions):
        counts[t, p] += 1
    return counts


@dataclass
class Evaluation:
    texts: list[str]
    labels: list[int]
    probabilities: torch.Tensor                     # [N, num_labels]
    predictions: list[int] = field(init=False)
    accuracy: float = field(init=False)
    confusion: torch.Tensor = field(init=False)     # [true, predicted] counts

    def __post_init__(self):
        self.predictions = self.probabilities.argmax(-1).tolist()
        self.accuracy = sum(p == y for p, y in zip(self.predictions, self.labels)) / len(self.labels)
        self.confusion = confusion_matrix(self.labels, self.predictions, self.probabilities.size(1))

    def misclassified(self, k: int = 5) -> list[tuple[str, int, int, float]]:
        """The ``k`` most confident mistakes: (text, true label, predicted, probability of the prediction)."""
        wrong = [(self.probabilities[i, p].item(), i) for i, (p, y) in enumerate(zip(self.predictions, self.labels)) if p != y]
        return [(self.texts[i], self.labels[i], self.predictions[i], prob) for prob, i in sorted(wrong, reverse=True)[:k]]


def evaluate(model: BertForSequenceClassification, tokenizer, texts: Sequence[str], labels: Sequence[int],
             batch_size: int = 64, max_length: int = 128, device=None) -> Evaluation:
    """Accuracy, confusion matrix and the mistakes of ``model`` on a labelled set."""
    _check_data(texts, labels, model.config.num_labels, "eval")
    probs = predict_proba(model, tokenizer, texts, batch_size=batch_size, max_length=max_length, device=device)
    return Evaluation(list(texts), list(labels), probs)


# --- pictures ----------------------------------------------------------------------------------
def plot_dev_curves(histories: dict[str, list[dict]], ax=None):
    """Dev accuracy against training examples seen, one line per run (e.g. per initialisation)."""
    import matplotlib.pyplot as plt
    ax = ax or plt.subplots(figsize=(6.5, 3.8))[1]
    for name, history in histories.items():
        points = [(h["examples"], h["dev_accuracy"]) for h in history if "dev_accuracy" in h]
        ax.plot(*zip(*points), marker="o", label=name)
    ax.axhline(0.5, color="grey", linestyle=":", label="chance")
    ax.set(xlabel="training examples seen", ylabel="dev accuracy", ylim=(0.4, 1.0))
    ax.legend()
    return ax


def plot_confusion_matrix(evaluation: Evaluation, class_names: Sequence[str] = ("negative", "positive"), ax=None):
    import matplotlib.pyplot as plt
    ax = ax or plt.subplots(figsize=(3.6, 3.2))[1]
    m = evaluation.confusion
    ax.imshow(m, cmap="Blues")
    for (t, p), n in zip(((t, p) for t in range(m.size(0)) for p in range(m.size(1))), m.flatten().tolist()):
        ax.text(p, t, n, ha="center", va="center", color="white" if n > m.max() / 2 else "black")
    ax.set(xticks=range(len(class_names)), yticks=range(len(class_names)), xticklabels=class_names,
           yticklabels=class_names, xlabel="predicted", ylabel="true")
    return ax
