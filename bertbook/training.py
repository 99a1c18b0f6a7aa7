"""Pretraining BERT (masked LM + next sentence prediction): a small, complete, resumable trainer.

What a real pretraining loop needs, and nothing else:

* **AdamW** with a linear warm-up then linear decay of the learning rate (BERT's schedule: a high
  learning rate on a freshly initialised Transformer diverges, so it is ramped up first), and
  gradient clipping at norm 1.
* **Padding-aware batches**: each batch is padded to its own longest example, and an optional
  short-sequence phase (BERT trained 90% of its steps at 128 tokens, then 512; we do 64 then 128).
* **Held-out evaluation** of MLM loss/accuracy (on the masked positions only) and NSP loss/accuracy,
  on text the model never trains on (the last sentences of every document).
* **Checkpoints that survive a crash**: ``checkpoint-STEP/`` holds the model (safetensors), the
  optimizer moments (safetensors, never pickle), the RNG states and the data position, written to a
  temporary folder and renamed into place, so the latest complete checkpoint is always usable.
  Re-running the same command resumes from it and gives the same weights as an uninterrupted run.
* **DistributedDataParallel**: under ``torchrun --nproc_per_node=N`` every rank trains on its own
  shard of each global batch, gradients are averaged, rank 0 alone writes files.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from .config import BertConfig
from .corpus import CORPUS_DIR, Document, load_corpus, load_library
from .fast_pretraining import PreTrainingLoss, masked_lm_predictions
from .model import IGNORE_INDEX, BertForPreTraining
from .pretraining_data import (PretrainingExample, check_documents, collate, create_pretraining_examples,
                               examples_from_token_ids, remask, tokenize_documents)
from .weights import CheckpointError, atomic_write, from_transformers, load_state_dict_checked, read_safetensors, save_pretrained

STATE_FILE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.safetensors"


@dataclass
class TrainingArguments:
    """Everything that defines a run. The defaults give a useful ~10-minute run of the tiny preset on
    a laptop CPU with the shipped corpus."""
    out: str = "runs/pretrain"
    corpus: str = str(CORPUS_DIR)      # a folder of .txt files, or "library" (corpus + corpus_more)
    tokenizer: str = "bertbook"
    preset: str = "tiny"
    config_overrides: dict = field(default_factory=dict)      # e.g. {"hidden_dropout_prob": 0.0}
    max_steps: int = 3000               # stop after this step
    schedule_steps: int | None = None   # the learning rate reaches 0 here (default: max_steps)
    max_minutes: float | None = None    # also stop (with a checkpoint) after this much wall time
    batch_size: int = 64                # sequences per step per process
    learning_rate: float = 1e-3         # peak, after warm-up; small models like a high one
    warmup_steps: int | None = None     # default: 6% of schedule_steps
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_seq_length: int = 128
    short_seq_length: int = 64          # first phase of training at this length (0: no short phase)
    short_seq_fraction: float = 0.5     # share of schedule_steps trained at short_seq_length
    masked_lm_prob: float = 0.15
    max_predictions_per_seq: int = 20
    whole_word_masking: bool = False
    dynamic_masking: bool = True        # fresh masks every epoch (RoBERTa); False: Google's static masks
    resample_pairs: bool = False        # fresh A/B pairs (and masks) every epoch, so NSP cannot memorise pairs
    eval_fraction: float = 0.02         # the last 2% of every document is held out
    eval_examples: int = 512
    eval_every: int = 100
    save_every: int = 500
    save_total_limit: int = 2           # keep this many checkpoints (oldest deleted)
    seed: int = 42
    device: str | None = None           # default: cuda if available, else cpu
    threads: int | None = None          # torch CPU threads (default: torch's choice)
    fresh: bool = False                 # ignore existing checkpoints in out and start over
    progress: bool = True

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
    """Linear warm-up to ``peak`` over ``warmup_steps``, then linear decay to 0 at ``schedule_steps``."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    return peak * max(0.0, (schedule_steps - step) / max(1, schedule_steps - warmup_steps))


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
    """``Trainer(args).train()`` pretrains a BertForPreTraining; ``history`` holds the evaluations."""

    def __init__(self, args: TrainingArguments, callbacks: list[Callable[[dict], None]] | None = None):
        from .tokenizer import load_tokenizer
        self.args = args
        self.callbacks = list(callbacks or [])
        self.out = Path(args.out)
        # distributed set-up: torchrun sets these variables
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.distributed = self.world_size > 1
        if args.device is None:
            device = f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu"
        else:
            device = args.device
            if self.distributed and device == "cuda":
                device = f"cuda:{self.local_rank}"
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu.")
        if args.threads:
            torch.set_num_threads(args.threads)
        if self.distributed and not torch.distributed.is_initialized():
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            torch.distributed.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

        # corpus, tokenizer, config: fail early and clearly
        if args.corpus == "library":                  # both shelves: data/corpus + data/corpus_more
            documents = load_library()
        else:
            corpus = Path(args.corpus)
            if not corpus.exists():
                raise FileNotFoundError(f"No corpus at {corpus}: pass --corpus with a folder of .txt files "
                                        f"(one document each), e.g. {CORPUS_DIR}, or 'library' for all the books.")
            documents = load_corpus(corpus)
        check_documents(documents)
        self.tokenizer = load_tokenizer(args.tokenizer)
        self.config = BertConfig.preset(args.preset, **args.config_overrides)
        n_vocab = self.tokenizer.get_vocab_size()
        if n_vocab != self.config.vocab_size:
            raise ValueError(f"vocab/config mismatch: the tokenizer {args.tokenizer!r} has {n_vocab} pieces but "
                             f"the {args.preset!r} config has vocab_size={self.config.vocab_size}. Use the tokenizer "
                             f"the preset was made for, or pass --vocab-size {n_vocab}.")
        if args.max_seq_length > self.config.max_position_embeddings:
            raise ValueError(f"max_seq_length={args.max_seq_length} is longer than the model's "
                             f"max_position_embeddings={self.config.max_position_embeddings}; lower --max-seq-length.")
        self.train_docs, eval_docs = split_documents(documents, args.eval_fraction)
        if len(eval_docs) < 2:
            raise ValueError("the corpus is too small to hold out evaluation text from two documents; "
                             "add text or lower --eval-fraction.")
        self.eval_examples = create_pretraining_examples(
            eval_docs, self.tokenizer, args.max_seq_length, masked_lm_prob=args.masked_lm_prob,
            max_predictions_per_seq=args.max_predictions_per_seq, whole_word_masking=args.whole_word_masking,
            seed=args.seed + 1)[: args.eval_examples]
        self._streams: dict[int, ExampleStream] = {}
        self._train_ids = tokenize_documents(self.train_docs, self.tokenizer)      # once, for every length

        # model and optimizer (seeded identically on every rank, so the replicas start equal)
        torch.manual_seed(args.seed)
        self.model = BertForPreTraining(self.config).to(self.device)
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            (no_decay if p.ndim < 2 or "LayerNorm" in name or "norm" in name else decay).append((name, p))
        self.param_names = [n for n, _ in decay + no_decay]
        self.optimizer = torch.optim.AdamW(
            [{"params": [p for _, p in decay], "weight_decay": args.weight_decay},
             {"params": [p for _, p in no_decay], "weight_decay": 0.0}],
            lr=args.learning_rate, betas=(0.9, 0.999), eps=1e-6)
        self.step = 0
        self.history: list[dict] = []
        self.resumed_from: Path | None = None
        if not args.fresh:
            latest = latest_checkpoint(self.out)
            if latest is not None:
                self._load_checkpoint(latest)
        elif self.is_main and self.out.exists():
            for old in self.out.glob("checkpoint-*"):
                shutil.rmtree(old, ignore_errors=True)
            (self.out / "metrics.jsonl").unlink(missing_ok=True)
        # dropout randomness differs per rank (different data), and is part of the checkpoint
        if self.resumed_from is None:
            torch.manual_seed(args.seed + 1000 * (self.rank + 1))
        self.ddp = (torch.nn.parallel.DistributedDataParallel(
            PreTrainingLoss(self.model), device_ids=[self.device.index] if self.device.type == "cuda" else None)
            if self.distributed else None)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def log(self, message: str) -> None:
        if self.is_main:
            print(message, file=sys.stderr, flush=True)

    # --- data --------------------------------------------------------------------------------
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

    # --- the loop ----------------------------------------------------------------------------
    def train(self) -> list[dict]:
        a = self.args
        if self.resumed_from is not None:
            self.log(f"resuming from {self.resumed_from} (step {self.step} of {a.max_steps}); pass --fresh to start over")
        else:
            self.log(f"training from scratch: {self.model.num_parameters():,} parameters, {a.preset} preset, "
                     f"device {self.device}, {self.world_size} process(es), writing to {self.out}")
        model = self.ddp or PreTrainingLoss(self.model)     # the loss alone, fast (fast_pretraining.py)
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
        stop_requested = []
        old_handler = None
        if self.is_main or self.distributed:
            try:
                old_handler = signal.signal(signal.SIGINT, lambda *_: stop_requested.append(True))
            except ValueError:            # not the main thread (e.g. some notebook set-ups)
                old_handler = None
        from tqdm.auto import tqdm
        bar = tqdm(total=a.max_steps, initial=self.step, disable=not (a.progress and self.is_main),
                   desc="pretraining", unit="step", dynamic_ncols=True)
        start, last_saved, seen, running = time.time(), self.step, 0, []
        try:
            while self.step < a.max_steps:
                batch = self.batch_for(self.step)
                lr = lr_at(self.step, a.learning_rate, a.warmup_steps, a.schedule_steps)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                model.train()
                out = model(**batch)
                out.loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), a.max_grad_norm)
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.step += 1
                seen += batch["input_ids"].shape[0] * self.world_size
                running.append((out.mlm_loss.item(), out.nsp_loss.item()))
                bar.update(1)
                elapsed = time.time() - start
                stop = bool(stop_requested) or (a.max_minutes is not None and elapsed > a.max_minutes * 60)
                if self.distributed:            # every rank must stop at the same step
                    flag = torch.tensor([float(stop)], device=self.device)
                    torch.distributed.all_reduce(flag)
                    stop = flag.item() > 0
                done = stop or self.step >= a.max_steps
                if self.step % a.eval_every == 0 or done:
                    record = self.evaluate() if self.is_main else {}
                    if self.is_main:
                        mlm, nsp = zip(*running)
                        record.update(step=self.step, train_mlm_loss=round(sum(mlm) / len(mlm), 4),
                                      train_nsp_loss=round(sum(nsp) / len(nsp), 4), learning_rate=lr,
                                      seq_length=batch["input_ids"].shape[1], examples_seen=self.step * a.batch_size * self.world_size,
                                      seq_per_s=round(seen / max(elapsed, 1e-9), 1),
                                      elapsed_s=round(elapsed, 1))
                        running = []
                        self._record(record)
                        bar.set_postfix(mlm_acc=record["mlm_accuracy"], nsp_acc=record["nsp_accuracy"])
                if self.step % a.save_every == 0 or done:
                    self.save_checkpoint()
                    last_saved = self.step
                if stop:
                    why = "interrupted" if stop_requested else f"--max-minutes {a.max_minutes} reached"
                    self.log(f"{why}: stopped at step {self.step}; run the same command again to resume")
                    break
        finally:
            bar.close()
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
        if last_saved != self.step:
            self.save_checkpoint()
        return self.history

    def _record(self, record: dict) -> None:
        self.history.append(record)
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        for cb in self.callbacks:
            cb(record)

    @torch.no_grad()
    def evaluate(self, examples: list[PretrainingExample] | None = None, batch_size: int = 128) -> dict:
        """Held-out MLM loss/accuracy over every masked position, NSP loss/accuracy over examples."""
        examples = self.eval_examples if examples is None else examples
        return evaluate_pretraining(self.model, examples, batch_size=batch_size, device=self.device)

    # --- checkpoints -------------------------------------------------------------------------
    def save_checkpoint(self) -> Path | None:
        """Write ``checkpoint-STEP/`` atomically: build it in a temporary folder, then rename."""
        rng = {"torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        if self.distributed:            # every rank's dropout RNG, so a resumed DDP run continues exactly
            states = [None] * self.world_size
            torch.distributed.all_gather_object(states, {k: v.tolist() for k, v in rng.items()})
        else:
            states = [{k: v.tolist() for k, v in rng.items()}]
        if not self.is_main:
            return None
        self.out.mkdir(parents=True, exist_ok=True)
        final = self.out / f"checkpoint-{self.step}"
        tmp = self.out / f".tmp-checkpoint-{self.step}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        save_pretrained(self.model, tmp)
        self.tokenizer.save(str(tmp / "tokenizer.json"))
        from safetensors.torch import save_file
        tensors, groups = {}, []
        index_to_name = {}
        sd = self.optimizer.state_dict()
        flat = [i for g in sd["param_groups"] for i in g["params"]]
        for i, name in zip(flat, self.param_names):
            index_to_name[i] = name
        for i, st in sd["state"].items():
            for k, v in st.items():
                tensors[f"{index_to_name[i]}.{k}"] = v.detach().cpu().reshape(-1).contiguous() if v.ndim == 0 \
                    else v.detach().cpu().contiguous()
        for r, st in enumerate(states):
            for k, v in st.items():
                tensors[f"rng.{k}.rank{r}"] = torch.tensor(v, dtype=torch.uint8)
        save_file(tensors, str(tmp / OPTIMIZER_FILE))
        for g in sd["param_groups"]:
            groups.append({k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k != "params"}
                          | {"params": [index_to_name[i] for i in g["params"]]})
        py_state = random.getstate()
        state = {
            "step": self.step, "max_steps": self.args.max_steps, "world_size": self.world_size,
            "schedule": {"kind": "linear warm-up then linear decay", "peak_lr": self.args.learning_rate,
                         "warmup_steps": self.args.warmup_steps, "schedule_steps": self.args.schedule_steps,
                         "last_lr": self.optimizer.param_groups[0]["lr"]},
            "optimizer": {"class": "AdamW", "param_groups": groups, "tensors": OPTIMIZER_FILE},
            "rng": {"python": [py_state[0], list(py_state[1]), py_state[2]], "torch": f"{OPTIMIZER_FILE}:rng.*"},
            "data_position": self.data_position(self.step) if self.step < self.args.max_steps
            else self.data_position(self.step - 1),
            "args": dataclasses.asdict(self.args),
            "log_history": self.history,
        }
        # trainer_state.json is written last: a folder without it is not a complete checkpoint
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        kept = sorted(complete_checkpoints(self.out), key=_step_of)
        for old in kept[: max(0, len(kept) - self.args.save_total_limit)]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def _load_checkpoint(self, folder: Path) -> None:
        state = json.loads((folder / STATE_FILE).read_text())
        cfg = BertConfig.load(folder / "config.json")
        if cfg.vocab_size != self.tokenizer.get_vocab_size():
            raise ValueError(f"vocab/config mismatch: {folder} was trained with vocab_size={cfg.vocab_size} but the "
                             f"tokenizer {self.args.tokenizer!r} has {self.tokenizer.get_vocab_size()} pieces; use the "
                             f"run's own tokenizer ({folder / 'tokenizer.json'}) or --fresh.")
        for f in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"):
            if getattr(cfg, f) != getattr(self.config, f):
                raise ValueError(f"{folder} holds a model with {f}={getattr(cfg, f)}, but this run builds one with "
                                 f"{getattr(self.config, f)} (--preset {self.args.preset}); use the same preset or --fresh.")
        sd = from_transformers(read_safetensors(folder / "model.safetensors"))
        load_state_dict_checked(self.model, sd, str(folder / "model.safetensors"))
        from safetensors.torch import load_file
        tensors = load_file(str(folder / OPTIMIZER_FILE), device=str(self.device))
        name_to_index = {n: i for i, n in enumerate(self.param_names)}
        opt_state: dict = {}
        current = self.optimizer.state_dict()
        for key, t in tensors.items():
            if key.startswith("rng."):
                continue
            name, k = key.rsplit(".", 1)
            if name not in name_to_index:
                raise CheckpointError(f"{folder / OPTIMIZER_FILE} has optimizer state for {name!r}, which this model does not have.")
            opt_state.setdefault(name_to_index[name], {})[k] = t.reshape(()).cpu() if k == "step" else t
        groups = []
        for g, saved in zip(current["param_groups"], state["optimizer"]["param_groups"]):
            restored = {k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k != "params"}
            groups.append(restored | {"params": g["params"]})
        self.optimizer.load_state_dict({"state": opt_state, "param_groups": groups})
        py = state["rng"]["python"]
        random.setstate((py[0], tuple(py[1]), py[2]))
        rank = self.rank if state.get("world_size", 1) == self.world_size else 0
        torch.set_rng_state(tensors[f"rng.torch.rank{rank}"].cpu())
        if self.device.type == "cuda" and f"rng.cuda.rank{rank}" in tensors:
            torch.cuda.set_rng_state(tensors[f"rng.cuda.rank{rank}"].cpu(), self.device)
        self.step = state["step"]
        self.history = [r for r in state.get("log_history", []) if r["step"] <= self.step]
        self.resumed_from = folder
        if self.is_main:       # drop evaluations logged after this checkpoint (a run killed between saves)
            text = "".join(json.dumps(r) + "\n" for r in self.history)
            atomic_write(self.out / "metrics.jsonl", lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _step_of(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])


def complete_checkpoints(out: str | Path) -> list[Path]:
    out = Path(out)
    if not out.is_dir():
        return []
    return [p for p in out.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()
            and (p / STATE_FILE).is_file() and (p / "model.safetensors").is_file()]


def latest_checkpoint(out: str | Path) -> Path | None:
    """The newest *complete* checkpoint in ``out`` (temporary folders of a crashed save are ignored)."""
    found = complete_checkpoints(out)
    return max(found, key=_step_of) if found else None


@torch.no_grad()
def evaluate_pretraining(model: BertForPreTraining, examples: list[PretrainingExample], batch_size: int = 128,
                         device=None) -> dict:
    """MLM loss and accuracy summed over every masked position (not averaged per batch), NSP loss and
    accuracy over examples."""
    device = device or model.device
    was_training = model.training
    model.eval()
    mlm_loss = mlm_correct = n_masked = nsp_loss = nsp_correct = 0.0
    for i in range(0, len(examples), batch_size):
        batch = {k: v.to(device) for k, v in collate(examples[i:i + batch_size], model.config.pad_token_id).items()}
        out = masked_lm_predictions(model, **batch)
        targets = batch["labels"][batch["labels"] != IGNORE_INDEX]
        mlm_loss += F.cross_entropy(out.prediction_logits, targets, reduction="sum").item()
        mlm_correct += (out.prediction_logits.argmax(-1) == targets).sum().item()
        n_masked += targets.numel()
        nsp = batch["next_sentence_label"]
        nsp_loss += F.cross_entropy(out.seq_relationship_logits, nsp, reduction="sum").item()
        nsp_correct += (out.seq_relationship_logits.argmax(-1) == nsp).sum().item()
    model.train(was_training)
    n = len(examples)
    return {"mlm_loss": round(mlm_loss / n_masked, 4), "mlm_accuracy": round(mlm_correct / n_masked, 4),
            "nsp_loss": round(nsp_loss / n, 4), "nsp_accuracy": round(nsp_correct / n, 4)}


def pretrain(callbacks: list[Callable[[dict], None]] | None = None, **kwargs) -> "Trainer":
    """Pretrain with ``TrainingArguments(**kwargs)``; returns the trainer (``.model``, ``.history``)."""
    trainer = Trainer(TrainingArguments(**kwargs), callbacks=callbacks)
    try:
        trainer.train()
    finally:
        if trainer.distributed and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    return trainer
