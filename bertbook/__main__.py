"""Command line: ``python -m bertbook <command>``.

    demo        encode a sentence with the real MiniLM BERT and show its tokens and attention
    tokenizer   retrain the shipped WordPiece vocabulary from the corpus
    pretrain    pretrain a small BERT (MLM + NSP) on the corpus; resumable, works under torchrun
    student-edition OUT_DIR
                the lessons without their solutions (cells tagged 'solution' removed, the
                outputs of the 'exercise' cells cleared), for handing out
    check NB... run submitted notebooks headless and report every exercise: passed / failed /
                not attempted, and a score; --json for a gradebook
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


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


def write_student_edition(args: argparse.Namespace) -> None:
    from bertbook.course.edition import student_edition
    written = student_edition(args.out_dir, notebooks_dir=args.notebooks)
    for path in written:
        print(path)
    print(f"wrote the student edition of {len(written)} notebooks to {args.out_dir}")


def check(args: argparse.Namespace) -> None:
    import json
    from bertbook.course.checking import check_notebooks, format_report
    missing = [p for p in args.notebooks if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"no such notebook: {', '.join(missing)}")
    show = None if args.json else (lambda report: print(format_report(report), flush=True))
    reports = check_notebooks(args.notebooks, timeout=args.timeout, kernel_name=args.kernel, progress=show)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        passed, total = sum(r.passed for r in reports), sum(r.total for r in reports)
        print(f"{len(reports)} notebooks, {passed}/{total} exercises passed")


def add_course_parsers(sub) -> None:
    p = sub.add_parser("student-edition", help="write the lessons without their solutions into OUT_DIR",
                       description="Write every lesson (notebooks/NN_*.ipynb and A*_*.ipynb) into OUT_DIR "
                       "with the cells tagged 'solution' removed and the outputs of the cells tagged "
                       "'exercise' cleared; every other output stays.")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--notebooks", default=None, help="folder of the instructor's lessons (default: the repo's notebooks/)")
    p.set_defaults(func=write_student_edition)
    p = sub.add_parser("check", help="run notebooks headless and report their exercises",
                       description="Execute each notebook in a fresh kernel (errors allowed, no network, one "
                       "time limit per notebook) and print each exercise as passed / failed (with the "
                       "check's message) / not attempted, and score: X/N, N being the number of cells "
                       "tagged 'exercise'.")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument("--json", action="store_true", help="print one JSON list for a gradebook")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per notebook, kernel start included "
                   "(default: %(default)s; the lessons take 0.5-2 min each on 2 quiet cores)")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default: %(default)s)")
    p.set_defaults(func=check)


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
    add_course_parsers(sub)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, NotADirectoryError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
