"""Pretraining BERT (masked LM + next sentence prediction): a small, complete, resumable trainer.

What a real pretraining loop needs, and nothing else:

* **AdamW** with a linear warm-up then linear decay of the learning rate (BERT's schedule: a high
  learning rate on a freshly initialised Transformer diverges, so it is ramped up first), and
  gradient clipping at norm 1: the parts every bertbook loop shares (``optimizer.py``,
  ``schedule.py``).
* **Padding-aware batches**: each batch is padded to its own longest example, and an optional
  short-sequence phase (BERT trained 90% of its steps at 128 tokens, then 512; ``short_seq_length``
  does the same at a smaller scale, off by default: for the tiny model it did not pay, see
  ``benchmarks/time_to_quality.py``).
* **Held-out evaluation** of MLM loss/accuracy (on the masked positions only) and NSP loss/accuracy,
  on text the model never trains on (the last sentences of every document).
* **Checkpoints that survive a crash**: ``checkpoint-STEP/`` holds the model (safetensors), the
  optimizer moments (safetensors, never pickle), the RNG states and the data position, written to a
  temporary folder and renamed into place (``training_checkpoint.py``), so the latest complete
  checkpoint is always usable.
  Re-running the same command resumes from it and gives the same weights as an uninterrupted run.
* **DistributedDataParallel**: under ``torchrun --nproc_per_node=N`` every rank trains on its own
  shard of each global batch, gradients are averaged, rank 0 alone writes files.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from .config import BertConfig
from .corpus import CORPUS_DIR, Document, load_corpus, load_library
from .fast_pretraining import PreTrainingLoss
from .mlm_evaluation import evaluate_masked_lm
from .model import BertForPreTraining, BertForPreTrainingOutput
from .optimizer import adamw, optimizer_step
from .pretraining_data import (PretrainingExample, check_documents, collate, create_pretraining_examples,
                               examples_from_token_ids, remask, tokenize_documents)
from .schedule import jump_to, linear_warmup_decay, warmup_then_decay
from .training_checkpoint import (OPTIMIZER_FILE, STATE_FILE, complete_checkpoints, latest_checkpoint,  # noqa: F401
                                  read_state, restore, rng_state, save_checkpoint)
from .weights import atomic_write

@dataclass
class TrainingArguments:
    """Everything that defines a run. The defaults are the recipe ``benchmarks/time_to_quality.py``
    found best for the tiny preset on a laptop CPU with the shipped corpus: a high peak learning
    rate, no dropout (a small model trained briefly underfits, it does not overfit), new sentence
    pairs every epoch (fixed pairs let NSP memorise them) and every step at full length.
    ``python -m bertbook pretrain`` has one option per field, with the help below.

    Fields:
        out: run folder: checkpoint-STEP/ and metrics.jsonl
        corpus: folder of .txt files, one document each, or 'library' (every book)
        tokenizer: 'bertbook', 'minilm' or a tokenizer.json
        preset: model size (BertConfig.preset)
        dropout: dropout everywhere (in Python, None keeps the preset's)
        vocab_size: override the preset's vocab_size (it must match the tokenizer)
        config_overrides: other BertConfig fields, e.g. {"num_hidden_layers": 4} (Python only)
        max_steps: stop after this step
        schedule_steps: the learning rate decays to 0 at this step (default: max_steps)
        max_minutes: also stop, with a checkpoint, after this many minutes
        batch_size: sequences per step per process
        learning_rate: peak learning rate, after warm-up (small models like a high one)
        warmup_steps: warm-up steps (default: 6% of the schedule)
        weight_decay: AdamW weight decay (not on biases and LayerNorm: optimizer.py)
        max_grad_norm: clip the gradient to this norm
        max_seq_length: tokens per example
        short_seq_length: first train at this length, as BERT did (0: no short phase)
        short_seq_fraction: share of the schedule trained at short_seq_length
        masked_lm_prob: share of the tokens masked
        max_predictions_per_seq: at most this many masked tokens per example
        whole_word_masking: mask all pieces of a word together
        dynamic_masking: off: mask once and reuse the masks every epoch (static, like Google's, which
            made ``dupe_factor`` = 10 static copies with different masks) instead of afresh every epoch (RoBERTa)
        resample_pairs: off: keep the A/B sentence pairs of epoch 0 instead of building new ones (and
            their masks) every epoch
        eval_fraction: share of every document held out for evaluation (its last sentences)
        eval_examples: held-out examples per evaluation
        eval_every: held-out evaluation every N steps
        save_every: checkpoint every N steps
        save_total_limit: keep this many checkpoints (the oldest are deleted)
        seed: random seed (model, data order, masks, dropout)
        device: cpu, cuda, cuda:1 ... (default: cuda if available)
        threads: torch CPU threads (default: torch's choice)
        fresh: delete this run's checkpoints and start over
        progress: off: no progress bar
    """
    out: str = "runs/pretrain"
    corpus: str = str(CORPUS_DIR)
    tokenizer: str = "bertbook"
    preset: str = "tiny"
    dropout: float | None = 0.0
    vocab_size: int | None = None
    config_overrides: dict = field(default_factory=dict, metadata={"cli": False})
    max_steps: int = 3000
    schedule_steps: int | None = None
    max_minutes: float | None = None
    batch_size: int = 64                   # per process: torchrun's N processes train on N x 64
    learning_rate: float = field(default=2e-3, metadata={"aliases": ["--lr"]})
    warmup_steps: int | None = None
    weight_decay: float = 0.01             # BERT's
    max_grad_norm: float = 1.0
    max_seq_length: int = 128
    short_seq_length: int = 0
    short_seq_fraction: float = 0.5
    masked_lm_prob: float = 0.15           # BERT's 15%
    max_predictions_per_seq: int = 20      # BERT's 20 at 128 tokens
    whole_word_masking: bool = False
    dynamic_masking: bool = field(default=True, metadata={"flag": "--static-masking"})
    resample_pairs: bool = field(default=True, metadata={"flag": "--fixed-pairs"})
    eval_fraction: float = 0.02
    eval_examples: int = 512
    eval_every: int = 100
    save_every: int = 500
    save_total_limit: int = 2              # a checkpoint of the tiny preset is ~10 MB
    seed: int = 42
    device: str | None = None
    threads: int | None = None
    fresh: bool = False
    progress: bool = field(default=True, metadata={"flag": "--no-progress"})

    @classmethod
    def help(cls) -> dict[str, str]:
        """Each field's line in the docstring above: the command line's help text."""
        lines = cls.__doc__.split("Fields:", 1)[1].splitlines()
        found: dict[str, str] = {}
        for line in lines:
            name, sep, text = line.strip().partition(": ")
            if sep and name.isidentifier() and line.startswith(" " * 8) and not line.startswith(" " * 9):
                found[name], last = text, name
            elif line.strip():
                found[last] += " " + line.strip()
        return found

    def __post_init__(self):
        if self.schedule_steps is None:
            self.schedule_steps = self.max_steps
        if self.warmup_steps is None:
            self.warmup_steps = max(1, int(0.06 * self.schedule_steps))
        for name in ("max_steps", "schedule_steps", "batch_size", "eval_every", "save_every", "eval_examples"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}.")
        if not 0 < self.eval_fraction < 0.5:
            raise ValueError(f"eval_fraction must be in (0, 0.5), got {self.eval_fraction}.")

    def model_config(self) -> BertConfig:
        """The preset, with this run's dropout, vocab_size and config_overrides."""
        overrides = {}
        if self.dropout is not None:
            overrides["hidden_dropout_prob"] = overrides["attention_probs_dropout_prob"] = self.dropout
        if self.vocab_size is not None:
            overrides["vocab_size"] = self.vocab_size
        return BertConfig.preset(self.preset, **(overrides | self.config_overrides))

    @property
    def short_phase_steps(self) -> int:
        """Steps trained at ``short_seq_length`` before switching to ``max_seq_length``."""
        if not self.short_seq_length or self.short_seq_length >= self.max_seq_length:
            return 0
        return int(self.short_seq_fraction * self.schedule_steps)

    def seq_length_at(self, step: int) -> int:
        """Sequence length of the examples of optimizer step ``step`` (0-based)."""
        return self.short_seq_length if step < self.short_phase_steps else self.max_seq_length

    def phase_start(self, step: int) -> int:
        return 0 if step < self.short_phase_steps else self.short_phase_steps


def lr_at(step: int, peak: float, warmup_steps: int, schedule_steps: int) -> float:
    """The learning rate of optimizer step ``step``: ``peak`` times the one schedule
    (``schedule.linear_warmup_decay``: linear warm-up, then linear decay to 0 at ``schedule_steps``)."""
    return peak * linear_warmup_decay(warmup_steps, schedule_steps)(step)


# --- data ------------------------------------------------------------------------------------
def split_documents(documents: list[Document], eval_fraction: float) -> tuple[list[Document], list[Document]]:
    """Hold out the *last* sentences of every document: evaluation text the model never trains on,
    still from every book (and contiguous, so NSP pairs there are genuine)."""
    train, held_out = [], []
    for d in documents:
        n_eval = max(2, int(len(d.sentences) * eval_fraction))
        if len(d.sentences) > 2 * n_eval:
            train.append(Document(d.name, d.sentences[:-n_eval]))
            held_out.append(Document(d.name, d.sentences[-n_eval:]))
        else:
            train.append(d)
    return train, held_out


class ExampleStream:
    """The training examples of one sequence length as an endless, seeded stream: epoch ``e`` is a
    fixed permutation of the examples (re-masked for ``e`` when masking is dynamic, or rebuilt from
    the corpus with new A/B pairs when ``resample_pairs``), so the batch of any step is a pure
    function of the step: what makes resuming exact."""

    def __init__(self, examples: list[PretrainingExample], tokenizer, args: TrainingArguments, seq_length: int,
                 build: Callable[[int], list[PretrainingExample]] | None = None):
        self.base, self.tokenizer, self.args, self.seq_length = examples, tokenizer, args, seq_length
        self.build = build                  # seed -> a fresh set of examples (for resample_pairs)
        self._epoch, self._examples, self._order = None, None, None

    def epoch(self, e: int):
        if e != self._epoch:
            seed = (self.args.seed * 1_000_003 + self.seq_length * 1009 + e) % 2**31
            if e == 0:
                examples = self.base
            elif self.args.resample_pairs and self.build is not None:
                examples = self.build(seed)
            elif self.args.dynamic_masking:
                examples = remask(self.base, self.tokenizer, seed, self.args.masked_lm_prob,
                                  self.args.max_predictions_per_seq, self.args.whole_word_masking)
            else:
                examples = self.base
            g = torch.Generator().manual_seed(seed)
            order = torch.randperm(len(examples), generator=g).tolist()
            n = len(self.base)             # every epoch has the same length, so step -> example is fixed
            self._order = (order * (n // len(order) + 1))[:n]
            self._examples, self._epoch = examples, e
        return self._examples, self._order

    def take(self, start: int, n: int) -> list[PretrainingExample]:
        out = []
        for j in range(start, start + n):
            examples, order = self.epoch(j // len(self.base))
            out.append(examples[order[j % len(self.base)]])
        return out


# --- the trainer -----------------------------------------------------------------------------
class Trainer:
    """``Trainer(args).train()`` pretrains a BertForPreTraining; ``history`` holds the evaluations.

    The shape of minGPT's trainer: ``__init__`` gathers the parts (processes, data, model,
    optimizer, schedule; a checkpoint to resume from), ``train`` repeats :meth:`training_step` and
    does the bookkeeping around it (evaluate, log, save, stop)."""

    def __init__(self, args: TrainingArguments, callbacks: list[Callable[[dict], None]] | None = None):
        self.args = args
        self.callbacks = list(callbacks or [])
        self.out = Path(args.out)
        self._set_up_processes()
        self._load_data()
        # model and optimizer, seeded identically on every rank so the replicas start equal
        torch.manual_seed(args.seed)
        self.model = BertForPreTraining(self.config).to(self.device)
        self.optimizer = adamw(self.model, args.learning_rate, args.weight_decay, eps=1e-6)
        self.schedule = warmup_then_decay(self.optimizer, args.warmup_steps, args.schedule_steps)
        self.step, self.history, self.resumed_from = 0, [], None
        if args.fresh:
            self._delete_old_run()
        elif latest_checkpoint(self.out) is not None:
            self._resume(latest_checkpoint(self.out))
        if self.resumed_from is None:       # dropout differs per rank (different data); resumed: restored
            torch.manual_seed(args.seed + 1000 * (self.rank + 1))
        self.loss = PreTrainingLoss(self.model)     # the loss alone, for less work (fast_pretraining.py)
        if self.distributed:                # gradients are averaged over the processes in backward()
            self.loss = torch.nn.parallel.DistributedDataParallel(
                self.loss, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    # --- the step --------------------------------------------------------------------------------
    def training_step(self, batch: dict) -> BertForPreTrainingOutput:
        """One optimizer step: the loss on one batch, its gradient, clipping, AdamW, the schedule."""
        self.model.train()
        out = self.loss(**batch)
        optimizer_step(out.loss, self.optimizer, self.schedule, self.args.max_grad_norm)
        return out

    def train(self) -> list[dict]:
        """Steps until ``max_steps`` (or ``max_minutes``, or Ctrl-C), a held-out evaluation every
        ``eval_every`` steps and a checkpoint every ``save_every``, both also at the end; returns
        ``history``. Every process stops at the same step (under torchrun)."""
        a = self.args
        self._announce()
        running: list[tuple[float, float]] = []      # training losses since the last evaluation
        with _stop_on_interrupt(self.is_main or self.distributed) as interrupted, self._progress_bar() as bar:
            start, seen = time.time(), 0
            while self.step < a.max_steps:
                batch = self.batch_for(self.step)
                lr = self.schedule.get_last_lr()[0]
                out = self.training_step(batch)
                self.step += 1
                seen += batch["input_ids"].shape[0] * self.world_size
                running.append((out.mlm_loss.item(), out.nsp_loss.item()))
                bar.update(1)
                elapsed = time.time() - start
                stop = self._agree(bool(interrupted) or (a.max_minutes is not None and elapsed > a.max_minutes * 60))
                done = stop or self.step >= a.max_steps
                if self.step % a.eval_every == 0 or done:
                    self._evaluate_and_log(running, lr=lr, seq_length=batch["input_ids"].shape[1],
                                           seq_per_s=round(seen / max(elapsed, 1e-9), 1), elapsed_s=round(elapsed, 1))
                    running = []
                    if self.history:
                        bar.set_postfix(mlm_acc=self.history[-1]["mlm_accuracy"], nsp_acc=self.history[-1]["nsp_accuracy"])
                if self.step % a.save_every == 0 or done:
                    self.save_checkpoint()
                if stop:
                    reason = "interrupted" if interrupted else f"--max-minutes {a.max_minutes} reached"
                    self.log(f"{reason}: stopped at step {self.step}; run the same command again to resume")
                    break
        return self.history

    # --- processes -----------------------------------------------------------------------------
    def _set_up_processes(self) -> None:
        """Device, threads and, under ``torchrun``, the process group (torchrun sets the variables)."""
        a = self.args
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.distributed = self.world_size > 1
        device = a.device or (f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu")
        if self.distributed and device == "cuda":
            device = f"cuda:{self.local_rank}"
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu.")
        if a.threads:
            torch.set_num_threads(a.threads)
        if self.distributed and not torch.distributed.is_initialized():
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            torch.distributed.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def _agree(self, stop: bool) -> bool:
        """Every rank must stop at the same step: stop if any of them wants to."""
        if not self.distributed:
            return stop
        flag = torch.tensor([float(stop)], device=self.device)
        torch.distributed.all_reduce(flag)
        return flag.item() > 0

    def log(self, message: str) -> None:
        if self.is_main:
            print(message, file=sys.stderr, flush=True)

    def _announce(self) -> None:
        a = self.args
        if self.resumed_from is not None:
            self.log(f"resuming from {self.resumed_from} (step {self.step} of {a.max_steps}); pass --fresh to start over")
        else:
            self.log(f"training from scratch: {self.model.num_parameters():,} parameters, {a.preset} preset, "
                     f"device {self.device}, {self.world_size} process(es), writing to {self.out}")
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)

    def _progress_bar(self):
        from tqdm.auto import tqdm
        return tqdm(total=self.args.max_steps, initial=self.step, disable=not (self.args.progress and self.is_main),
                    desc="pretraining", unit="step", dynamic_ncols=True)

    # --- data ----------------------------------------------------------------------------------
    def _load_data(self) -> None:
        """Corpus, tokenizer and config, checked against each other (failing early and clearly);
        the held-out evaluation examples; the training text, tokenised once for every length."""
        from .tokenizer import load_tokenizer
        a = self.args
        if a.corpus == "library":                  # both shelves: data/corpus + data/corpus_more
            documents = load_library()
        else:
            corpus = Path(a.corpus)
            if not corpus.exists():
                raise FileNotFoundError(f"No corpus at {corpus}: pass --corpus with a folder of .txt files "
                                        f"(one document each), e.g. {CORPUS_DIR}, or 'library' for all the books.")
            documents = load_corpus(corpus)
        check_documents(documents)
        self.tokenizer = load_tokenizer(a.tokenizer)
        self.config = a.model_config()
        n_vocab = self.tokenizer.get_vocab_size()
        if n_vocab != self.config.vocab_size:
            raise ValueError(f"vocab/config mismatch: the tokenizer {a.tokenizer!r} has {n_vocab} pieces but "
                             f"the {a.preset!r} config has vocab_size={self.config.vocab_size}. Use the tokenizer "
                             f"the preset was made for, or pass --vocab-size {n_vocab}.")
        if a.max_seq_length > self.config.max_position_embeddings:
            raise ValueError(f"max_seq_length={a.max_seq_length} is longer than the model's "
                             f"max_position_embeddings={self.config.max_position_embeddings}; lower --max-seq-length.")
        self.train_docs, eval_docs = split_documents(documents, a.eval_fraction)
        if len(eval_docs) < 2:
            raise ValueError("the corpus is too small to hold out evaluation text from two documents; "
                             "add text or lower --eval-fraction.")
        self.eval_examples = create_pretraining_examples(
            eval_docs, self.tokenizer, a.max_seq_length, masked_lm_prob=a.masked_lm_prob,
            max_predictions_per_seq=a.max_predictions_per_seq, whole_word_masking=a.whole_word_masking,
            seed=a.seed + 1)[: a.eval_examples]
        self._streams: dict[int, ExampleStream] = {}
        self._train_ids = tokenize_documents(self.train_docs, self.tokenizer)

    def stream(self, seq_length: int) -> ExampleStream:
        if seq_length not in self._streams:
            a = self.args

            def build(seed: int) -> list[PretrainingExample]:
                return examples_from_token_ids(
                    self._train_ids, self.tokenizer, seq_length, masked_lm_prob=a.masked_lm_prob,
                    max_predictions_per_seq=a.max_predictions_per_seq, whole_word_masking=a.whole_word_masking,
                    seed=seed)

            self._streams = {seq_length: ExampleStream(build(a.seed), self.tokenizer, a, seq_length, build)}   # keep one
        return self._streams[seq_length]

    def data_position(self, step: int) -> dict:
        """Where in the example stream the batch of ``step`` starts (every rank takes its own slice)."""
        seq = self.args.seq_length_at(step)
        first = (step - self.args.phase_start(step)) * self.args.batch_size * self.world_size
        n = len(self.stream(seq).base)
        return {"seq_length": seq, "example_index": first, "epoch": first // n, "index_in_epoch": first % n}

    def batch_for(self, step: int) -> dict:
        pos = self.data_position(step)
        b = self.args.batch_size
        examples = self.stream(pos["seq_length"]).take(pos["example_index"] + self.rank * b, b)
        return {k: v.to(self.device) for k, v in collate(examples, self.config.pad_token_id).items()}

    # --- evaluation ----------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, examples: list[PretrainingExample] | None = None, batch_size: int = 128) -> dict:
        """Held-out MLM loss/accuracy over every masked position, NSP loss/accuracy over examples."""
        examples = self.eval_examples if examples is None else examples
        return evaluate_pretraining(self.model, examples, batch_size=batch_size, device=self.device)

    def _evaluate_and_log(self, running: list[tuple[float, float]], **measured) -> None:
        """Evaluate on held-out text (main process only), with the mean training losses since the
        last evaluation; append to ``history`` and ``metrics.jsonl``; call the callbacks."""
        if not self.is_main:
            return
        mlm, nsp = zip(*running)
        a = self.args
        record = self.evaluate()
        record.update(step=self.step, train_mlm_loss=round(sum(mlm) / len(mlm), 4),
                      train_nsp_loss=round(sum(nsp) / len(nsp), 4), learning_rate=measured.pop("lr"),
                      seq_length=measured.pop("seq_length"), examples_seen=self.step * a.batch_size * self.world_size,
                      **measured)
        self.history.append(record)
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        for callback in self.callbacks:
            callback(record)

    # --- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self) -> Path | None:
        """``checkpoint-STEP/`` in the one format (``training_checkpoint.py``), with every rank's RNG."""
        states = [rng_state(self.device)]
        if self.distributed:            # every rank's dropout RNG, so a resumed DDP run continues exactly
            gathered = [None] * self.world_size
            torch.distributed.all_gather_object(gathered, {k: v.tolist() for k, v in states[0].items()})
            states = gathered
        if not self.is_main:
            return None
        last = self.step if self.step < self.args.max_steps else self.step - 1
        state = {"max_steps": self.args.max_steps, "world_size": self.world_size,
                 "schedule": {"kind": "linear warm-up then linear decay (schedule.py)", "peak_lr": self.args.learning_rate,
                              "warmup_steps": self.args.warmup_steps, "schedule_steps": self.args.schedule_steps,
                              "last_lr": self.schedule.get_last_lr()[0]},
                 "data_position": self.data_position(last), "args": dataclasses.asdict(self.args),
                 "log_history": self.history}
        return save_checkpoint(self.out, self.step, self.model, self.optimizer, state, tokenizer=self.tokenizer,
                               rng_states=states, keep=self.args.save_total_limit)

    def _resume(self, folder: Path) -> None:
        """Model, AdamW, RNG, schedule, step and history from ``folder``, after checking that it
        holds the model this run builds."""
        cfg = BertConfig.load(folder / "config.json")
        if cfg.vocab_size != self.tokenizer.get_vocab_size():
            raise ValueError(f"vocab/config mismatch: {folder} was trained with vocab_size={cfg.vocab_size} but the "
                             f"tokenizer {self.args.tokenizer!r} has {self.tokenizer.get_vocab_size()} pieces; use the "
                             f"run's own tokenizer ({folder / 'tokenizer.json'}) or --fresh.")
        for f in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"):
            if getattr(cfg, f) != getattr(self.config, f):
                raise ValueError(f"{folder} holds a model with {f}={getattr(cfg, f)}, but this run builds one with "
                                 f"{getattr(self.config, f)} (--preset {self.args.preset}); use the same preset or --fresh.")
        saved_world = read_state(folder).get("world_size", 1)
        state = restore(folder, self.model, self.optimizer, rank=self.rank if saved_world == self.world_size else 0)
        self.step = state["step"]
        jump_to(self.schedule, self.step)
        self.history = [r for r in state.get("log_history", []) if r["step"] <= self.step]
        self.resumed_from = folder
        if self.is_main:       # drop evaluations logged after this checkpoint (a run killed between saves)
            text = "".join(json.dumps(r) + "\n" for r in self.history)
            atomic_write(self.out / "metrics.jsonl", lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

    def _delete_old_run(self) -> None:
        if self.is_main and self.out.exists():
            for old in self.out.glob("checkpoint-*"):
                shutil.rmtree(old, ignore_errors=True)
            (self.out / "metrics.jsonl").unlink(missing_ok=True)


@contextlib.contextmanager
def _stop_on_interrupt(enabled: bool):
    """Ctrl-C asks the loop to stop at the end of the step (with a checkpoint) instead of killing it
    mid-save; yields a list that becomes non-empty when asked."""
    asked: list[bool] = []
    old = None
    if enabled:
        try:
            old = signal.signal(signal.SIGINT, lambda *_: asked.append(True))
        except ValueError:            # not the main thread (e.g. some notebook set-ups)
            old = None
    try:
        yield asked
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


def evaluate_pretraining(model: BertForPreTraining, examples: list[PretrainingExample], batch_size: int = 128,
                         device=None) -> dict:
    """Held-out MLM loss and accuracy over every masked position, NSP loss and accuracy over
    examples (``mlm_evaluation.evaluate_masked_lm``, on the model's device), rounded to 4 decimals
    for the logs."""
    batches = (collate(examples[i:i + batch_size], model.config.pad_token_id) for i in range(0, len(examples), batch_size))
    scores = evaluate_masked_lm(model, batches, skip_padding=False)
    return {k: round(scores[k], 4) for k in ("mlm_loss", "mlm_accuracy", "nsp_loss", "nsp_accuracy")}


def pretrain(callbacks: list[Callable[[dict], None]] | None = None, **kwargs) -> "Trainer":
    """Pretrain with ``TrainingArguments(**kwargs)``; returns the trainer (``.model``, ``.history``)."""
    trainer = Trainer(TrainingArguments(**kwargs), callbacks=callbacks)
    try:
        trainer.train()
    finally:
        if trainer.distributed and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    return trainer
