"""Command line: ``python -m bertbook <command>``.

    demo        encode a sentence with the real MiniLM BERT and show its tokens and attention
    tokenizer   retrain the shipped WordPiece vocabulary from the corpus
    pretrain    pretrain a small BERT (MLM + NSP) on the corpus; resumable, works under torchrun
"""
from __future__ import annotations

import argparse
import sys


def demo(args: argparse.Namespace) -> None:
    import torch
    from bertbook import encode, load_pretrained, load_tokenizer
    tok, model = load_tokenizer("minilm"), load_pretrained("minilm")
    batch = encode(tok, args.text, truncation=True)
    with torch.no_grad():
        out = model(**batch, output_attentions=True)
    tokens = tok.encode(args.text).tokens[: batch["input_ids"].shape[1]]
    print(f"{len(tokens)} WordPiece tokens: {' '.join(tokens)}")
    probs = out.attentions[-1][0].mean(0)          # last layer, averaged over heads
    print("last layer, mean over heads: each token attends most to")
    for i, t in enumerate(tokens):
        j = int(probs[i].argmax())
        print(f"  {t:>15} -> {tokens[j]:<15} ({probs[i, j]:.2f})")


def retrain_tokenizer(args: argparse.Namespace) -> None:
    from bertbook.tokenizer import SHIPPED_TOKENIZER, train_wordpiece
    out = args.out or SHIPPED_TOKENIZER
    tok = train_wordpiece(vocab_size=args.vocab_size)
    tok.save(str(out))
    print(f"saved a {tok.get_vocab_size()}-piece WordPiece tokenizer to {out}")


def pretrain(args: argparse.Namespace) -> None:
    import dataclasses
    from bertbook.training import TrainingArguments, pretrain as run
    overrides = {}
    if args.vocab_size is not None:
        overrides["vocab_size"] = args.vocab_size
    if args.dropout is not None:
        overrides["hidden_dropout_prob"] = overrides["attention_probs_dropout_prob"] = args.dropout
    kwargs = {k: v for k, v in vars(args).items()
              if k in {f.name for f in dataclasses.fields(TrainingArguments)} and v is not None}
    kwargs["config_overrides"] = overrides
    trainer = run(**kwargs)
    if trainer.is_main and trainer.history:
        last = trainer.history[-1]
        print(f"step {last['step']}: held-out MLM accuracy {last['mlm_accuracy']:.3f} (loss {last['mlm_loss']:.3f}), "
              f"NSP accuracy {last['nsp_accuracy']:.3f} (loss {last['nsp_loss']:.3f}); checkpoints in {args.out}")


def add_pretrain_parser(sub) -> None:
    from bertbook.training import TrainingArguments as T
    p = sub.add_parser("pretrain", help="pretrain BERT (MLM + NSP); re-run the same command to resume",
                       description="Pretrain a BertForPreTraining on a folder of .txt documents. Writes "
                       "OUT/checkpoint-STEP/ and OUT/metrics.jsonl; re-running the same command resumes "
                       "from the latest complete checkpoint. Under torchrun it trains with DistributedDataParallel.")
    p.add_argument("--preset", default=T.preset, help="model size (default: %(default)s)")
    p.add_argument("--corpus", default=T.corpus, help="folder of .txt files, one document each (default: the shipped novels)")
    p.add_argument("--tokenizer", default=T.tokenizer, help="'bertbook', 'minilm' or a tokenizer.json (default: %(default)s)")
    p.add_argument("--out", default=T.out, help="run folder (default: %(default)s)")
    p.add_argument("--max-steps", type=int, default=T.max_steps, help="stop after this step (default: %(default)s)")
    p.add_argument("--schedule-steps", type=int, default=None, help="the learning rate decays to 0 at this step (default: --max-steps)")
    p.add_argument("--max-minutes", type=float, default=None, help="also stop, with a checkpoint, after this many minutes")
    p.add_argument("--save-every", type=int, default=T.save_every, help="checkpoint every N steps (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=T.eval_every, help="held-out evaluation every N steps (default: %(default)s)")
    p.add_argument("--seed", type=int, default=T.seed)
    p.add_argument("--batch-size", type=int, default=T.batch_size, help="sequences per step per process (default: %(default)s)")
    p.add_argument("--learning-rate", "--lr", type=float, default=T.learning_rate, help="peak learning rate (default: %(default)s)")
    p.add_argument("--warmup-steps", type=int, default=None, help="default: 6%% of the schedule")
    p.add_argument("--max-seq-length", type=int, default=T.max_seq_length)
    p.add_argument("--short-seq-length", type=int, default=T.short_seq_length, help="first phase length, 0 = none (default: %(default)s)")
    p.add_argument("--short-seq-fraction", type=float, default=T.short_seq_fraction,
                   help="share of the schedule at the short length (default: %(default)s)")
    p.add_argument("--whole-word-masking", action="store_true")
    p.add_argument("--static-masking", dest="dynamic_masking", action="store_false", help="mask once (Google) instead of every epoch")
    p.add_argument("--resample-pairs", action="store_true", help="new A/B pairs every epoch (not only new masks)")
    p.add_argument("--dropout", type=float, default=None, help="override the preset's dropout")
    p.add_argument("--vocab-size", type=int, default=None, help="override the preset's vocab_size")
    p.add_argument("--eval-examples", type=int, default=T.eval_examples, help="held-out examples per evaluation (default: %(default)s)")
    p.add_argument("--eval-fraction", type=float, default=T.eval_fraction,
                   help="share of every document held out for evaluation (default: %(default)s)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--fresh", action="store_true", help="delete this run's checkpoints and start over")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(func=pretrain)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bertbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="tokens and attention of the real MiniLM BERT on a sentence")
    p.add_argument("text", nargs="?", default="The whale swam under the ship and the sailors cheered.")
    p.set_defaults(func=demo)
    p = sub.add_parser("tokenizer", help="retrain the WordPiece vocabulary on data/corpus")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--out", default=None)
    p.set_defaults(func=retrain_tokenizer)
    add_pretrain_parser(sub)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
