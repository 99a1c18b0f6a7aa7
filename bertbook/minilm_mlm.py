"""MiniLM, taught to fill in blanks: continued masked-LM training of the real encoder.

all-MiniLM-L6-v2 ships without an MLM head, and it was never trained to predict a hidden word:
it was distilled from a larger model's attention (MiniLM) and then trained to make sentence
embeddings. A head trained on top of the *frozen* encoder learns almost nothing (0 of 28 on the
cloze test: it predicts ", . the and" whatever the sentence), because the encoder's states at a
[MASK] keep little about the missing word. So we do what BERT's own pretraining does, on our
corpus: MLM with BERT's masking rule (15% of tokens; 80% [MASK], 10% random, 10% kept), training
the top ``train_layers`` encoder layers and a new MLM head, while the embeddings (which are also
the head's tied decoder) and the lower layers stay MiniLM's. Continuing pretraining on the text of
the target domain is a standard recipe ("domain-adaptive pretraining", Gururangan et al., 2020).

Only what changed is shipped (``data/pretrained/minilm-mlm/mlm.safetensors``: the trained layers
and head, in float16 to halve the file, transformers' key names); ``load_minilm_mlm()`` puts them
on the installed MiniLM. Training checkpoints every ``--save-every`` steps (safetensors, no
pickle) and re-running the same command resumes from the last one.

    python -m bertbook.minilm_mlm --threads 2     # rewrites data/pretrained/minilm-mlm
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
    """Every corpus sentence of ``min_tokens``..``max_tokens`` tokens (with [CLS]/[SEP]), as token
    ids, shuffled with ``seed`` (so a held-out slice is a random sample of the books)."""
    from .corpus import load_corpus
    sentences = [s for doc in load_corpus() for s in doc.sentences]
    ids = [e.ids for e in tokenizer.encode_batch(sentences) if min_tokens <= len(e.ids) <= max_tokens]
    random.Random(seed).shuffle(ids)
    return ids


def masked_batch(sentences: Sequence[Sequence[int]], info, rng: random.Random,
                 masked_lm_prob: float = 0.15) -> dict:
    """Mask each sentence with BERT's rule (``info``: the tokenizer's ``pretraining_data.VocabInfo``)
    and pad them into one batch with MLM labels (-100 = not masked) and ``kinds`` ("mask", "random", "keep") of the masked positions, in row-major order."""
    from .pretraining_data import mask_tokens
    input_ids = torch.zeros(len(sentences), max(map(len, sentences)), dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    labels = torch.full_like(input_ids, -100)
    kinds = []
    for r, ids in enumerate(sentences):
        masked, positions, original, why = mask_tokens(ids, rng, info, masked_lm_prob)
        input_ids[r, :len(ids)] = torch.tensor(masked)
        attention_mask[r, :len(ids)] = 1
        labels[r, positions] = torch.tensor(original, dtype=torch.long)
        kinds += [w for _, w in sorted(zip(positions, why))]
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels, "kinds": kinds}


def new_model(train_layers: int = 4, seed: int = 0):
    """MiniLM's encoder + a fresh MLM head (BERT's initialisation), as a ``BertForPreTraining``.
    Only the top ``train_layers`` layers and the head (not its tied decoder) have requires_grad."""
    from .config import BertConfig
    from .model import BertForPreTraining
    from .weights import match_prefix, from_transformers, load_state_dict_checked, read_safetensors, resolve_checkpoint_dir
    base = resolve_checkpoint_dir("minilm")
    torch.manual_seed(seed)
    model = BertForPreTraining(BertConfig.load(base / "config.json"))
    sd = match_prefix(model, from_transformers(read_safetensors(base / "model.safetensors")))
    load_state_dict_checked(model, sd, str(base / "model.safetensors"), strict=False)
    with torch.no_grad():
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


def load_minilm_mlm(device=None, directory: str | Path = HEAD_DIR):
    """MiniLM + what ``Run`` trained (top layers and MLM head), as a ``BertForPreTraining`` in eval
    mode. MiniLM has no next-sentence head: its NSP weights are zeros (logits 0, 0: no opinion)."""
    from safetensors.torch import load_file

    from .weights import CheckpointError, match_prefix, from_transformers, load_state_dict_checked
    path = Path(directory) / MLM_FILE
    if not path.is_file():
        raise FileNotFoundError(f"No MiniLM MLM weights at {path}; train them with `python -m bertbook.minilm_mlm`.")
    try:
        trained = load_file(str(path))
    except Exception as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({e}); retrain with "
                              "`python -m bertbook.minilm_mlm`.") from None
    model = new_model(train_layers=0)
    sd = match_prefix(model, from_transformers({k: v.float() for k, v in trained.items()}))
    missing = [k for k in HEAD_PARAMS if k not in sd]
    if missing:
        raise CheckpointError(f"{path} lacks the MLM head ({', '.join(missing)}); retrain with `python -m bertbook.minilm_mlm`.")
    load_state_dict_checked(model, sd, f"MiniLM + {path}", strict=False)     # the rest stays MiniLM's
    model.requires_grad_(True)                      # an ordinary model again, e.g. to fine-tune
    model.eval()
    return model.to(device) if device is not None else model


class Run:
    """The training loop, with a resumable checkpoint: the data order and the masks depend only on
    the step number, so a resumed run sees exactly the batches an uninterrupted one would."""

    def __init__(self, out: str | Path, steps: int = 5000, batch_size: int = 32, lr: float = 1.5e-4,
                 head_lr: float = 1e-3, train_layers: int = 4, warmup_steps: int = 100, held_out: int = 1000,
                 seed: int = 0, save_every: int = 250, eval_every: int = 500, device=None, log=print):
        from .pretraining_data import VocabInfo
        from .tokenizer import load_tokenizer
        self.out, self.log = Path(out), log
        self.hp = dict(steps=steps, batch_size=batch_size, lr=lr, head_lr=head_lr, train_layers=train_layers,
                       warmup_steps=warmup_steps, held_out=held_out, seed=seed)
        self.tokenizer = load_tokenizer("minilm")
        self.model = new_model(train_layers, seed).to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model.train()
        for m in self.model.modules():         # no dropout: this is a short run on plenty of data
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
            if hasattr(m, "dropout_p"):
                m.dropout_p = 0.0
        sentences = corpus_sentences(self.tokenizer, seed=seed)
        self.held_out_sentences, self.train_sentences = sentences[:held_out], sentences[held_out:]
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
        self.peaks = [lr, head_lr]
        self.save_every, self.eval_every = save_every, eval_every
        self.step, self.history = 0, []
        if (self.out / "checkpoint" / "state.json").is_file():
            self.load_checkpoint(self.out / "checkpoint")

    def batch_for(self, step: int) -> dict:
        bs, n = self.hp["batch_size"], len(self.train_sentences)
        start = (step * bs) % (n - n % bs)
        return masked_batch(self.train_sentences[start:start + bs], self.vocab,
                            random.Random(self.hp["seed"] * 1_000_003 + step))

    def lr_scale(self, step: int) -> float:
        """Linear warm-up, then linear decay to 0 at the last step."""
        w, total = self.hp["warmup_steps"], self.hp["steps"]
        return (step + 1) / w if step < w else max(0.0, (total - step) / max(1, total - w))

    def train(self, max_minutes: float | None = None) -> list[dict]:
        t0, device = time.time(), self.model.device
        params = [p for p in self.model.parameters() if p.requires_grad]
        while self.step < self.hp["steps"]:
            for group, peak in zip(self.optimizer.param_groups, self.peaks):
                group["lr"] = peak * self.lr_scale(self.step)
            b = self.batch_for(self.step)
            out = pretraining_loss(self.model, b["input_ids"].to(device), b["attention_mask"].to(device),
                                   labels=b["labels"].to(device), skip_padding=True)
            self.optimizer.zero_grad(set_to_none=True)
            out.mlm_loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            self.optimizer.step()
            self.step += 1
            if self.step % 50 == 0:
                self.log(f"step {self.step}/{self.hp['steps']}: loss {out.mlm_loss.item():.3f}, "
                         f"{time.time() - t0:.0f} s")
            if self.step % self.eval_every == 0 or self.step == self.hp["steps"]:
                record = {"step": self.step, "train_loss": out.mlm_loss.item(), **evaluate(self.model, self.eval_batches)}
                self.history.append(record)
                self.log(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}))
            if self.step % self.save_every == 0 or self.step == self.hp["steps"]:
                self.save_checkpoint()
            if max_minutes is not None and time.time() - t0 > 60 * max_minutes:
                self.save_checkpoint()
                self.log(f"stopped after {max_minutes} minutes at step {self.step}; run again to resume")
                break
        return self.history

    def save_checkpoint(self) -> None:
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
        (tmp / "state.json").write_text(json.dumps({"step": self.step, "hyperparameters": self.hp,
                                                    "history": self.history}, indent=1) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)

    def load_checkpoint(self, folder: Path) -> None:
        from safetensors.torch import load_file

        from .weights import CheckpointError
        state = json.loads((folder / "state.json").read_text())
        if state["hyperparameters"] != self.hp:
            raise CheckpointError(f"{folder} was written by a run with other settings ({state['hyperparameters']}); "
                                  f"use the same arguments to resume, or --fresh to start over.")
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
        self.step, self.history = state["step"], state["history"]
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
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.fresh:
        shutil.rmtree(Path(args.run_dir) / "checkpoint", ignore_errors=True)
    run = Run(args.run_dir, steps=args.steps, batch_size=args.batch_size, lr=args.lr, head_lr=args.head_lr,
              train_layers=args.train_layers, held_out=args.held_out, seed=args.seed, device=args.device)
    t0 = time.time()
    run.train(args.max_minutes)
    if run.step >= args.steps:
        command = "python -m bertbook.minilm_mlm " + " ".join(sys.argv[1:] if argv is None else argv)
        path = run.export(args.out, command=command.strip(), torch_threads=torch.get_num_threads(),
                          seconds_last_session=round(time.time() - t0))
        print(f"saved {path} and metrics.json")
    else:
        print(f"not finished ({run.step}/{args.steps} steps); run the same command again to resume", file=sys.stderr)


if __name__ == "__main__":
    main()
