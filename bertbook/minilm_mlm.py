"""MiniLM, taught to fill in blanks: continued masked-LM training of the real encoder.

all-MiniLM-L6-v2 ships without an MLM head, and it was never trained to predict a hidden word:
it was distilled from a larger model's attention (MiniLM) and then trained to make sentence
embeddings. A head trained on top of the *frozen* encoder learns almost nothing (0 of 28 on the
cloze test: it predicts ", . the and" whatever the sentence), because the encoder's states at a
[MASK] keep little about the missing word. So we do what BERT's own pretraining does, on our
books: MLM with BERT's masking rule (15% of tokens; 80% [MASK], 10% random, 10% kept), training
the top ``train_layers`` encoder layers (all 6 for the shipped weights) and an MLM head, while the
embeddings (which are also the head's tied decoder) stay MiniLM's. Continuing pretraining on the
text of the target domain is a standard recipe ("domain-adaptive pretraining", Gururangan et al., 2020).

Two runs made the shipped weights: the first trained the top 4 layers and a new head on the nine
novels; the second (``--library --init ...``) continued from them on the whole library (52 books,
held out per book), all 6 layers, with whole-word masking (a [MASK] then stands for a whole word, as
when a student types one). ``data/pretrained/minilm-mlm/README.md`` has both commands and curves.

Only what changed is shipped (``data/pretrained/minilm-mlm/mlm.safetensors``: the trained layers
and head, in float16 to halve the file, transformers' key names); ``load_minilm_mlm()`` puts them
on the installed MiniLM. Training checkpoints every ``--save-every`` steps (safetensors, no
pickle) and re-running the same command resumes from the last one; the weights of the best held-out
evaluation so far are kept in ``RUN_DIR/best`` and are the ones written to ``--out`` at the end.

    python -m bertbook.minilm_mlm --threads 2     # the first run: top 4 layers, the nine novels
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

from .corpus import DATA_DIR
from .fast_pretraining import masked_lm_predictions, pretraining_loss

HEAD_DIR = DATA_DIR / "pretrained" / "minilm-mlm"
MLM_FILE = "mlm.safetensors"
HEAD_PARAMS = ("mlm.dense.weight", "mlm.dense.bias", "mlm.LayerNorm.weight", "mlm.LayerNorm.bias", "mlm.decoder.bias")


def corpus_sentences(tokenizer, min_tokens: int = 8, max_tokens: int = 64, seed: int = 0) -> list[list[int]]:
    """Every sentence of the nine novels of ``min_tokens``..``max_tokens`` tokens (with [CLS]/[SEP]),
    as token ids, shuffled with ``seed``: the data of the first shipped run (see ``library_sentences``)."""
    from .corpus import load_corpus
    sentences = [s for doc in load_corpus() for s in doc.sentences]
    ids = [e.ids for e in tokenizer.encode_batch(sentences) if min_tokens <= len(e.ids) <= max_tokens]
    random.Random(seed).shuffle(ids)
    return ids


def library_sentences(tokenizer, held_out: int = 1500, eval_fraction: float = 0.02, min_tokens: int = 8,
                      max_tokens: int = 64, seed: int = 0) -> tuple[list[list[int]], list[list[int]]]:
    """``(train, held_out)`` token ids from the whole library (``corpus.load_library``).

    Held out per book, as for ``bertbook-tiny``: the last ``eval_fraction`` of every book's sentences
    (``training.split_documents``) is never trained on. The evaluation sentences are ``held_out`` of
    them drawn (with ``seed``) from the books of ``data/corpus_more`` only, because the first shipped
    run, which a run may continue from (``--init``), trained on random sentences of the nine novels,
    their endings included. Training sentences are shuffled with ``seed``."""
    from .corpus import CORPUS_MORE_DIR, load_corpus, load_library
    from .training import split_documents
    train_docs, eval_docs = split_documents(load_library(), eval_fraction)
    new_books = {d.name for d in load_corpus(CORPUS_MORE_DIR)}

    def ids(sentences):
        return [e.ids for e in tokenizer.encode_batch(sentences) if min_tokens <= len(e.ids) <= max_tokens]
    train = ids([s for d in train_docs for s in d.sentences])
    evaluation = ids([s for d in eval_docs if d.name in new_books for s in d.sentences])
    random.Random(seed).shuffle(train)
    random.Random(seed + 1).shuffle(evaluation)
    return train, evaluation[:held_out]


def masked_batch(sentences: Sequence[Sequence[int]], info, rng: random.Random,
                 masked_lm_prob: float = 0.15, whole_word_masking: bool = False) -> dict:
    """Mask each sentence with BERT's rule (``info``: the tokenizer's ``pretraining_data.VocabInfo``)
    and pad them into one batch with MLM labels (-100 = not masked) and ``kinds`` ("mask", "random", "keep") of the masked positions, in row-major order.
    ``whole_word_masking``: a word's pieces are masked together (a [MASK] then stands for a whole word
    or a piece of one that is also masked, as when a student types one [MASK] for one word)."""
    from .pretraining_data import mask_tokens
    input_ids = torch.zeros(len(sentences), max(map(len, sentences)), dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    labels = torch.full_like(input_ids, -100)
    kinds = []
    for r, ids in enumerate(sentences):
        masked, positions, original, why = mask_tokens(ids, rng, info, masked_lm_prob,
                                                       whole_word_masking=whole_word_masking)
        input_ids[r, :len(ids)] = torch.tensor(masked)
        attention_mask[r, :len(ids)] = 1
        labels[r, positions] = torch.tensor(original, dtype=torch.long)
        kinds += [w for _, w in sorted(zip(positions, why))]
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels, "kinds": kinds}


def new_model(train_layers: int = 4, seed: int = 0):
    """MiniLM's encoder + a fresh MLM head (BERT's initialisation), as a ``BertForPreTraining``.
    Only the top ``train_layers`` layers and the head (not its tied decoder) have requires_grad.

    The random numbers come from a local ``torch.Generator`` seeded with ``seed``: building the model
    leaves the global RNG as it was, so a notebook that seeds torch and then loads the model (or
    loads it twice) draws the same numbers afterwards as one that does not."""
    from .config import BertConfig
    from .model import BertForPreTraining
    from .weights import match_prefix, from_transformers, load_state_dict_checked, read_safetensors, resolve_checkpoint_dir
    base = resolve_checkpoint_dir("minilm")
    with torch.random.fork_rng(devices=[]):    # the throw-away init of weights MiniLM overwrites
        model = BertForPreTraining(BertConfig.load(base / "config.json"))
    sd = match_prefix(model, from_transformers(read_safetensors(base / "model.safetensors")))
    load_state_dict_checked(model, sd, str(base / "model.safetensors"), strict=False)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.mlm.dense.weight.normal_(0.0, model.config.initializer_range, generator=g)
        model.mlm.dense.bias.zero_()
        model.mlm.LayerNorm.weight.fill_(1.0)
        model.mlm.LayerNorm.bias.zero_()
        model.mlm.decoder.bias.zero_()
        model.nsp.seq_relationship.weight.zero_()      # MiniLM has no NSP head: logits (0, 0), no opinion
        model.nsp.seq_relationship.bias.zero_()
    trainable = trainable_names(model, train_layers)
    for name, p in model.named_parameters():
        p.requires_grad_(name in trainable)
    return model


def trainable_names(model, train_layers: int) -> set[str]:
    """The top ``train_layers`` encoder layers and the MLM head, but not the tied decoder weight."""
    n = model.config.num_hidden_layers
    if not 0 <= train_layers <= n:
        raise ValueError(f"train_layers must be between 0 and {n} (MiniLM has {n} layers), got {train_layers}.")
    top = tuple(f"bert.encoder.layer.{i}." for i in range(n - train_layers, n))
    return {name for name, _ in model.named_parameters() if name.startswith(top) or name in HEAD_PARAMS}


@torch.no_grad()
def evaluate(model, batches: Sequence[dict]) -> dict:
    """MLM loss and top-1 / top-5 accuracy on all masked positions and on the [MASK] ones alone
    (the 10% kept tokens can simply be copied: [MASK] positions are the honest figure)."""
    was_training = model.training
    model.eval()
    losses, top1, top5, kinds = [], [], [], []
    device = model.device
    for b in batches:
        out = masked_lm_predictions(model, b["input_ids"].to(device), b["attention_mask"].to(device),
                                    labels=b["labels"].to(device), skip_padding=True)
        y = b["labels"][b["labels"] != -100].to(device)
        losses.append(F.cross_entropy(out.prediction_logits, y, reduction="none").cpu())
        best = out.prediction_logits.topk(5).indices
        top1.append((best[:, 0] == y).cpu())
        top5.append((best == y[:, None]).any(-1).cpu())
        kinds += b["kinds"]
    model.train(was_training)
    loss, top1, top5 = torch.cat(losses), torch.cat(top1).float(), torch.cat(top5).float()
    m = torch.tensor([k == "mask" for k in kinds])
    return {"mlm_loss": loss.mean().item(), "mlm_accuracy": top1.mean().item(), "mlm_top5": top5.mean().item(),
            "mask_accuracy": top1[m].mean().item(), "mask_top5": top5[m].mean().item(), "n": len(kinds)}


def trained_state_dict(model, train_layers: int, dtype=torch.float16) -> dict[str, torch.Tensor]:
    """The trained tensors under transformers' names, in ``dtype`` (float16 halves the file)."""
    from .weights import to_transformers
    names = trainable_names(model, train_layers)
    sd = {k: v for k, v in model.state_dict().items() if k in names}
    return {k: v.detach().to("cpu", dtype).contiguous() for k, v in to_transformers(sd).items()}


def read_trained(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of an ``mlm.safetensors`` file (transformers' names), as float32."""
    from safetensors.torch import load_file

    from .weights import CheckpointError
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No MiniLM MLM weights at {path}; train them with `python -m bertbook.minilm_mlm`.")
    try:
        return {k: v.float() for k, v in load_file(str(path)).items()}
    except Exception as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({e}); retrain with "
                              "`python -m bertbook.minilm_mlm`.") from None


def apply_trained(model, path: str | Path) -> None:
    """Put the tensors of an ``mlm.safetensors`` file (trained layers + MLM head) on a MiniLM model."""
    from .weights import CheckpointError, match_prefix, from_transformers, load_state_dict_checked
    sd = match_prefix(model, from_transformers(read_trained(path)))
    missing = [k for k in HEAD_PARAMS if k not in sd]
    if missing:
        raise CheckpointError(f"{path} lacks the MLM head ({', '.join(missing)}); retrain with `python -m bertbook.minilm_mlm`.")
    load_state_dict_checked(model, sd, f"MiniLM + {path}", strict=False)     # the rest stays MiniLM's


def load_minilm_mlm(device=None, directory: str | Path = HEAD_DIR):
    """MiniLM + what ``Run`` trained (its layers and MLM head), as a ``BertForPreTraining`` in eval
    mode. MiniLM has no next-sentence head: its NSP weights are zeros (logits 0, 0: no opinion)."""
    model = new_model(train_layers=0)
    apply_trained(model, Path(directory) / MLM_FILE)
    model.requires_grad_(True)                      # an ordinary model again, e.g. to fine-tune
    model.eval()
    return model.to(device) if device is not None else model


class Run:
    """The training loop, with a resumable checkpoint: the data order and the masks depend only on
    the step number, so a resumed run sees exactly the batches an uninterrupted one would.

    ``init``: an ``mlm.safetensors`` to start from (e.g. the previously shipped one) instead of a
    fresh head. After every evaluation the weights with the best held-out top-1 at [MASK] so far are
    exported to ``out/best`` (chosen on held-out corpus text, never on the cloze test)."""

    def __init__(self, out: str | Path, steps: int = 5000, batch_size: int = 32, lr: float = 1.5e-4,
                 head_lr: float = 1e-3, train_layers: int = 4, warmup_steps: int = 100, held_out: int = 1000,
                 seed: int = 0, save_every: int = 250, eval_every: int = 500, device=None, log=print,
                 library: bool = False, whole_word_masking: bool = False, init: str | None = None):
        from .pretraining_data import VocabInfo
        from .tokenizer import load_tokenizer
        self.out, self.log = Path(out), log
        self.hp = dict(steps=steps, batch_size=batch_size, lr=lr, head_lr=head_lr, train_layers=train_layers,
                       warmup_steps=warmup_steps, held_out=held_out, seed=seed)
        if library or whole_word_masking or init:       # (the first shipped run's settings stay comparable)
            self.hp.update(library=library, whole_word_masking=whole_word_masking, init=init)
        self.tokenizer = load_tokenizer("minilm")
        self.model = new_model(train_layers, seed).to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if init:
            apply_trained(self.model, init)
        self.model.train()
        for m in self.model.modules():         # no dropout: this is a short run on plenty of data
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
            if hasattr(m, "dropout_p"):
                m.dropout_p = 0.0
        if library:
            self.train_sentences, self.held_out_sentences = library_sentences(self.tokenizer, held_out, seed=seed)
        else:
            sentences = corpus_sentences(self.tokenizer, seed=seed)
            self.held_out_sentences, self.train_sentences = sentences[:held_out], sentences[held_out:]
        self.log(f"{len(self.train_sentences)} training sentences, {len(self.held_out_sentences)} held out")
        rng = random.Random(seed + 1)
        self.vocab = VocabInfo.from_tokenizer(self.tokenizer)          # special ids, for the masking rule
        self.eval_batches = [masked_batch(self.held_out_sentences[i:i + 64], self.vocab, rng)
                             for i in range(0, len(self.held_out_sentences), 64)]
        named = dict(self.model.named_parameters())
        head = [p for n, p in named.items() if p.requires_grad and n in HEAD_PARAMS]
        body = [p for n, p in named.items() if p.requires_grad and n not in HEAD_PARAMS]
        self.param_names = [n for n, p in named.items() if p.requires_grad]
        self.optimizer = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": head_lr}],
                                           weight_decay=0.01)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self.lr_scale)
        self.save_every, self.eval_every = save_every, eval_every
        self.step, self.history, self.best, self.elapsed = 0, [], None, 0.0
        if (self.out / "checkpoint" / "state.json").is_file():
            self.load_checkpoint(self.out / "checkpoint")

    def batch_for(self, step: int) -> dict:
        bs, n = self.hp["batch_size"], len(self.train_sentences)
        start = (step * bs) % (n - n % bs)
        return masked_batch(self.train_sentences[start:start + bs], self.vocab,
                            random.Random(self.hp["seed"] * 1_000_003 + step),
                            whole_word_masking=self.hp.get("whole_word_masking", False))

    def lr_scale(self, step: int) -> float:
        """Linear warm-up, then linear decay to 0 at the last step (a ``LambdaLR`` factor)."""
        w, total = self.hp["warmup_steps"], self.hp["steps"]
        return (step + 1) / w if step < w else max(0.0, (total - step) / max(1, total - w))

    def train(self, max_minutes: float | None = None) -> list[dict]:
        t0, device = time.time(), self.model.device
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.step == 0 and not self.history and self.hp.get("init"):
            # where the run starts: the weights it continues from are a candidate too, so a run that
            # only makes them worse on held-out text ships them unchanged
            record = {"step": 0, "train_loss": None, **evaluate(self.model, self.eval_batches), "seconds": 0}
            self.history.append(record)
            self.log(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}))
            self.best = record
            self.export(self.out / "best", best_step=0)
        while self.step < self.hp["steps"]:
            b = self.batch_for(self.step)
            out = pretraining_loss(self.model, b["input_ids"].to(device), b["attention_mask"].to(device),
                                   labels=b["labels"].to(device), skip_padding=True)
            self.optimizer.zero_grad(set_to_none=True)
            out.mlm_loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            self.optimizer.step()
            self.scheduler.step()
            self.step += 1
            if self.step % 50 == 0:
                self.log(f"step {self.step}/{self.hp['steps']}: loss {out.mlm_loss.item():.3f}, "
                         f"lr {self.optimizer.param_groups[0]['lr']:.2e}, {time.time() - t0:.0f} s")
            if self.step % self.eval_every == 0 or self.step == self.hp["steps"]:
                record = {"step": self.step, "train_loss": out.mlm_loss.item(), **evaluate(self.model, self.eval_batches),
                          "seconds": round(self.elapsed + time.time() - t0)}
                self.history.append(record)
                self.log(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}))
                if self.best is None or record["mask_accuracy"] > self.best["mask_accuracy"]:
                    self.best = record
                    self.export(self.out / "best", best_step=self.step)
            if self.step % self.save_every == 0 or self.step == self.hp["steps"]:
                self.save_checkpoint(self.elapsed + time.time() - t0)
            if max_minutes is not None and time.time() - t0 > 60 * max_minutes:
                self.save_checkpoint(self.elapsed + time.time() - t0)
                self.log(f"stopped after {max_minutes} minutes at step {self.step}; run again to resume")
                break
        return self.history

    def save_checkpoint(self, elapsed: float | None = None) -> None:
        """``checkpoint/``: trainable weights and AdamW state (safetensors), step and history (JSON);
        written into a temporary folder and renamed, so a crash never leaves half a checkpoint."""
        from safetensors.torch import save_file
        tmp, final = self.out / ".checkpoint-tmp", self.out / "checkpoint"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        named = dict(self.model.named_parameters())
        tensors = {f"param.{n}": named[n].detach().cpu().contiguous() for n in self.param_names}
        for i, st in self.optimizer.state_dict()["state"].items():
            for k, v in st.items():
                tensors[f"adam.{self.param_names[i]}.{k}"] = v.detach().cpu().reshape(-1).contiguous()
        save_file(tensors, str(tmp / "trainable.safetensors"))
        (tmp / "state.json").write_text(json.dumps({"step": self.step, "hyperparameters": self.hp, "best": self.best,
                                                    "elapsed_s": round(elapsed or self.elapsed, 1),
                                                    "scheduler": self.scheduler.state_dict(),
                                                    "history": self.history}, indent=1) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)

    def load_checkpoint(self, folder: Path) -> None:
        from safetensors.torch import load_file

        from .weights import CheckpointError
        state = json.loads((folder / "state.json").read_text())
        saved = state["hyperparameters"]
        if {k: v for k, v in saved.items() if k != "steps"} != {k: v for k, v in self.hp.items() if k != "steps"}:
            raise CheckpointError(f"{folder} was written by a run with other settings ({state['hyperparameters']}); "
                                  f"use the same arguments to resume, or --fresh to start over.")
        if saved["steps"] != self.hp["steps"]:     # a shorter (or longer) run: the decay is re-sized from here
            if self.hp["steps"] <= state["step"]:
                raise CheckpointError(f"{folder} is at step {state['step']}; --steps must be larger to go on.")
            self.log(f"the schedule now ends at step {self.hp['steps']} (was {saved['steps']}); from step "
                     f"{state['step']} the learning rate decays linearly to 0 there")
        tensors = load_file(str(folder / "trainable.safetensors"))
        named = dict(self.model.named_parameters())
        with torch.no_grad():
            for n in self.param_names:
                named[n].copy_(tensors[f"param.{n}"])
        opt = self.optimizer.state_dict()
        opt["state"] = {}
        for i, n in enumerate(self.param_names):
            if f"adam.{n}.step" in tensors:
                opt["state"][i] = {"step": tensors[f"adam.{n}.step"].reshape(()),
                                   "exp_avg": tensors[f"adam.{n}.exp_avg"].view_as(named[n]),
                                   "exp_avg_sq": tensors[f"adam.{n}.exp_avg_sq"].view_as(named[n])}
        self.optimizer.load_state_dict(opt)
        self.step, self.history, self.best = state["step"], state["history"], state.get("best")
        self.elapsed = state.get("elapsed_s", 0.0)
        if "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        for group, base in zip(self.optimizer.param_groups, self.scheduler.base_lrs):
            group["lr"] = base * self.lr_scale(self.step)
        self.log(f"resumed from {folder} at step {self.step}")

    def export(self, directory: str | Path, **extra) -> Path:
        """Write ``mlm.safetensors`` (the trained tensors, float16) and ``metrics.json``."""
        from safetensors.torch import save_file

        from .weights import atomic_write
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        sd = trained_state_dict(self.model, self.hp["train_layers"])
        atomic_write(directory / MLM_FILE, lambda tmp: save_file(sd, tmp, metadata={"format": "pt"}))
        report = {**self.hp, **extra, "history": self.history}
        atomic_write(directory / "metrics.json", lambda tmp: Path(tmp).write_text(json.dumps(report, indent=1) + "\n"))
        return directory / MLM_FILE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bertbook.minilm_mlm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1.5e-4, help="peak learning rate of the encoder layers")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="peak learning rate of the new head")
    parser.add_argument("--train-layers", type=int, default=4, help="how many of MiniLM's top layers learn")
    parser.add_argument("--held-out", type=int, default=1000, help="corpus sentences kept aside for the accuracy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--run-dir", default="runs/minilm-mlm", help="checkpoints go here (resumable)")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    parser.add_argument("--out", default=str(HEAD_DIR), help="where the finished weights are written")
    parser.add_argument("--library", action="store_true",
                        help="train on the whole library (corpus + corpus_more), held out per book")
    parser.add_argument("--whole-word-masking", action="store_true", help="mask all pieces of a word together")
    parser.add_argument("--init", default=None, help="an mlm.safetensors to continue from (default: a fresh head)")
    parser.add_argument("--warmup-steps", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--save-every", type=int, default=250)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.fresh:
        shutil.rmtree(Path(args.run_dir) / "checkpoint", ignore_errors=True)
    run = Run(args.run_dir, steps=args.steps, batch_size=args.batch_size, lr=args.lr, head_lr=args.head_lr,
              train_layers=args.train_layers, held_out=args.held_out, seed=args.seed, device=args.device,
              warmup_steps=args.warmup_steps, eval_every=args.eval_every, save_every=args.save_every,
              library=args.library, whole_word_masking=args.whole_word_masking, init=args.init)
    t0 = time.time()
    run.train(args.max_minutes)
    if run.step >= args.steps:
        command = "python -m bertbook.minilm_mlm " + " ".join(sys.argv[1:] if argv is None else argv)
        best = run.out / "best"
        Path(args.out).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(best / MLM_FILE, Path(args.out) / MLM_FILE)     # the best held-out evaluation, not the last
        report = {**run.hp, "command": command.strip(), "torch_threads": torch.get_num_threads(),
                  "best_step": run.best["step"], "history": run.history}
        (Path(args.out) / "metrics.json").write_text(json.dumps(report, indent=1) + "\n")
        print(f"saved {Path(args.out) / MLM_FILE} (step {run.best['step']}) and metrics.json")
    else:
        print(f"not finished ({run.step}/{args.steps} steps); run the same command again to resume", file=sys.stderr)


if __name__ == "__main__":
    main()
