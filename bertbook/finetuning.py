"""Fine-tuning: a new linear classifier on BERT's pooled [CLS] vector, and the whole network trained.

BERT's recipe (Devlin et al., 2019, section 4 and appendix A.3): put a fresh ``Linear(hidden,
num_labels)`` on the pooled [CLS] vector, then train *every* weight, encoder included, with AdamW
for a few epochs at a small learning rate (2e-5 to 5e-5 for BERT-base), warmed up linearly over
the first steps and decayed linearly to zero. The only thing that changes between "from scratch"
and "pretrained" is where the encoder's weights start; the head is random in both.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from .config import BertConfig
from .corpus import DATA_DIR
from .model import BertForSequenceClassification
from .tokenizer import encode, load_tokenizer
from .weights import load_pretrained

PRETRAINED_DIR = DATA_DIR / "pretrained" / "bertbook-tiny"
INITIALISATIONS = {
    "scratch": "the tiny preset with random weights and our 8k tokenizer",
    "pretrained": f"our pretrained tiny BERT ({PRETRAINED_DIR.relative_to(DATA_DIR.parent)}), our 8k tokenizer",
    "minilm": "the real all-MiniLM-L6-v2 encoder and its uncased 30k tokenizer",
}


# --- the model ---------------------------------------------------------------------------------
def set_dropout(model: nn.Module, p: float) -> nn.Module:
    """Use dropout ``p`` everywhere (hidden states, attention probabilities, the classifier input),
    whatever the checkpoint was pretrained with."""
    model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = p
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = p
        elif hasattr(m, "dropout_p"):                       # MultiHeadSelfAttention
            m.dropout_p = p
    return model


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
def linear_warmup_decay(warmup_steps: int, total_steps: int):
    """Learning-rate multiplier of optimizer step ``step`` (from 0): up linearly to 1 over the first
    ``warmup_steps`` (Adam's early steps are noisy and the new head's gradients are large), then down
    linearly to reach 0 at ``total_steps``. No step trains with a learning rate of exactly 0."""
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / (total_steps - warmup_steps + 1))
    return factor


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on weight matrices only, not on biases and LayerNorm (BERT's choice)."""
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim == 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _check_data(texts: Sequence[str], labels: Sequence[int], num_labels: int, what: str) -> None:
    if isinstance(texts, str):
        raise TypeError(f"{what} texts must be a list of strings, not one string.")
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} {what} texts but {len(labels)} labels; give one label per text.")
    if not texts:
        raise ValueError(f"no {what} examples.")
    bad = [y for y in labels if not (isinstance(y, int) and 0 <= y < num_labels)]
    if bad:
        raise ValueError(f"{what} label {bad[0]!r} is not an int in 0..{num_labels - 1} "
                         f"(the model has num_labels={num_labels}).")


def fine_tune(model: BertForSequenceClassification, tokenizer, texts: Sequence[str], labels: Sequence[int], *,
              eval_texts: Sequence[str] | None = None, eval_labels: Sequence[int] | None = None,
              epochs: int = 1, batch_size: int = 32, lr: float = 5e-5, weight_decay: float = 0.01,
              warmup: float = 0.1, max_length: int = 128, eval_every: int | None = None, seed: int = 0,
              device=None, progress: bool = True, desc: str | None = None) -> list[dict]:
    """Train ``model`` in place. Returns the history: one dict per step (step, examples seen,
    loss, lr), with ``dev_accuracy`` every ``eval_every`` steps and at the end when eval data is given.

    Each batch is padded to its own longest example (not to ``max_length``): the attention mask
    hides the padding, so shorter batches give the same answer for less work.
    """
    from tqdm.auto import tqdm
    _check_data(texts, labels, model.config.num_labels, "training")
    if (eval_texts is None) != (eval_labels is None):
        raise ValueError("pass both eval_texts and eval_labels, or neither.")
    if eval_texts is not None:
        _check_data(eval_texts, eval_labels, model.config.num_labels, "eval")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}.")
    device = torch.device(device) if device is not None else model.device
    model.to(device)

    torch.manual_seed(seed)                                 # dropout masks
    order_rng = torch.Generator().manual_seed(seed)        # shuffling, independent of the model
    steps_per_epoch = math.ceil(len(texts) / batch_size)
    total = epochs * steps_per_epoch
    optimizer = torch.optim.AdamW(parameter_groups(model, weight_decay), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_warmup_decay(max(1, round(warmup * total)), total))

    def dev_accuracy() -> float:
        return evaluate(model, tokenizer, eval_texts, eval_labels, max_length=max_length, device=device).accuracy

    history = []
    bar = tqdm(total=total, desc=desc, disable=not progress)
    step = 0
    for epoch in range(epochs):
        order = torch.randperm(len(texts), generator=order_rng).tolist()
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            batch = encode(tokenizer, [texts[i] for i in idx], max_length=max_length, truncation=True, device=device)
            y = torch.tensor([labels[i] for i in idx], device=device)
            model.train()
            loss = model(**batch, labels=y).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            record = {"step": step + 1, "examples": epoch * len(texts) + start + len(idx),
                      "loss": loss.item(), "lr": optimizer.param_groups[0]["lr"]}
            optimizer.step()
            schedule.step()
            step += 1
            if eval_texts is not None and ((eval_every and step % eval_every == 0) or step == total):
                record["dev_accuracy"] = dev_accuracy()
                bar.set_postfix(dev_acc=f"{record['dev_accuracy']:.3f}")
            history.append(record)
            bar.update()
    bar.close()
    model.eval()
    return history


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
    lengths = [len(e.ids) for e in tokenizer.encode_batch(list(texts))]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    probs = torch.empty(len(texts), model.config.num_labels)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = encode(tokenizer, [texts[i] for i in idx], max_length=max_length, truncation=True, device=device)
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
