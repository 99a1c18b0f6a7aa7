"""Command line: ``python -m bertbook <command>``.

    start [FOLDER]
                your own copy of the course (the student edition; --with-solutions for the
                lessons with their solutions) in ./bertbook-course, opened in JupyterLab; a
                notebook you changed is never overwritten
    demo        encode a sentence with the real MiniLM BERT and show its tokens and attention
    tokenizer   retrain the shipped WordPiece vocabulary from the corpus
    pretrain    pretrain a small BERT (MLM + NSP) on the corpus; resumable, works under torchrun
    student-edition OUT_DIR
                the lessons without their solutions (cells tagged 'solution' removed, the
                saved outputs from the first exercise on cleared), for handing out; a notebook
                a student changed in OUT_DIR is kept, the new version written beside it
    check NB... run submitted notebooks headless and report every exercise: passed / failed /
                not attempted, and a score; --json for a gradebook
"""
from __future__ import annotations

import argparse
import os
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
    trainer = run(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainingArguments)
                     if hasattr(args, f.name)})
    if trainer.is_main and trainer.history:
        last = trainer.history[-1]
        print(f"step {last['step']}: held-out MLM accuracy {last['mlm_accuracy']:.3f} (loss {last['mlm_loss']:.3f}), "
              f"NSP accuracy {last['nsp_accuracy']:.3f} (loss {last['nsp_loss']:.3f}); checkpoints in {args.out}")


def _field_type(annotation: str):
    """``"int | None"`` -> int: TrainingArguments' annotations are strings (postponed evaluation)."""
    kinds = {"int": int, "float": float, "str": str}
    return kinds[annotation.split("|")[0].strip()]


def add_pretrain_parser(sub) -> None:
    """``pretrain``'s options are TrainingArguments' fields (name, type, default, and the help its
    docstring gives each field), so the command line and the Python API cannot drift apart."""
    import dataclasses
    from bertbook.training import TrainingArguments
    p = sub.add_parser("pretrain", help="pretrain BERT (MLM + NSP); re-run the same command to resume",
                       description="Pretrain a BertForPreTraining on a folder of .txt documents. Writes "
                       "OUT/checkpoint-STEP/ and OUT/metrics.jsonl; re-running the same command resumes "
                       "from the latest complete checkpoint. Under torchrun it trains with DistributedDataParallel. "
                       "The defaults are the best recipe benchmarks/time_to_quality.py measured.")
    help_of = TrainingArguments.help()
    for f in dataclasses.fields(TrainingArguments):
        meta = dict(f.metadata)
        if meta.pop("cli", True) is False:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        help_text = help_of[f.name].replace("%", "%%") + (" (default: %(default)s)" if default is not None and f.type != "bool" else "")
        flag = "--" + f.name.replace("_", "-")
        if f.type == "bool":            # a switch that flips the default
            p.add_argument(meta.pop("flag", flag), dest=f.name, action="store_false" if default else "store_true",
                           help=help_text)
            if default:                 # the switch on, as commands recorded before it became the default say
                p.add_argument(flag, dest=f.name, action="store_true", help=argparse.SUPPRESS)
        else:
            p.add_argument(flag, *meta.pop("aliases", []), dest=f.name, type=_field_type(f.type), default=default,
                           help=help_text)
    p.set_defaults(func=pretrain)


def _report_written(written, out_dir) -> None:
    for w in written:
        if w.action == "kept":
            print(f"{w.kept}: you changed it, so it is kept as it is; the new version is {w.path.name}")
        else:
            print(f"{w.path} ({w.action})")
    kept = [w for w in written if w.action == "kept"]
    print(f"{len(written)} notebooks in {out_dir}" + (
        f"; {len(kept)} of yours kept, the new versions written beside them (*.new.ipynb)" if kept else ""))


def write_student_edition(args: argparse.Namespace) -> None:
    from bertbook.course.edition import student_edition
    written = student_edition(args.out_dir, notebooks_dir=args.notebooks)
    _report_written(written, args.out_dir)
    print(f"wrote the student edition of {len(written)} notebooks to {args.out_dir}")


def start(args: argparse.Namespace) -> None:
    """Write the learner's own copy of the course and open it in JupyterLab."""
    import subprocess
    from bertbook.course.edition import student_edition
    folder = Path(args.folder).expanduser()
    written = student_edition(folder, with_solutions=args.with_solutions)
    _report_written(written, folder)
    first = written[0].path.name
    edition = "with the solutions" if args.with_solutions else "the student edition"
    print(f"your copy of the course ({edition}) is in {folder.resolve()}; your changes there are never overwritten")
    command = [sys.executable, "-m", "jupyterlab", first]
    if hasattr(os, "geteuid") and os.geteuid() == 0:     # a container's root user: Jupyter refuses without it
        command.append("--allow-root")
    if args.no_browser:
        print(f"open it with: cd {folder} && jupyter lab {first}")
        return
    sys.exit(subprocess.call(command, cwd=folder))


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
                       "with the cells tagged 'solution' removed and the saved outputs of every code cell from "
                       "the first 'exercise' on cleared (a saved output below a question can answer it). A notebook "
                       "already in OUT_DIR that a student changed is kept; the new version is written beside "
                       "it as NAME.new.ipynb.")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bertbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="your own copy of the course, opened in JupyterLab",
                       description="Write the lessons into FOLDER (the student edition: exercises to fill in, "
                       "no solutions) and open JupyterLab there. Run it again at any time: a notebook you "
                       "changed is never overwritten (the new version is written beside it as NAME.new.ipynb).")
    p.add_argument("folder", nargs="?", default="bertbook-course", metavar="FOLDER",
                   help="where your copy goes (default: ./%(default)s)")
    p.add_argument("--with-solutions", action="store_true",
                   help="the lessons with their worked solutions (for learning on your own)")
    p.add_argument("--no-browser", action="store_true", help="only write the copy; do not start JupyterLab")
    p.set_defaults(func=start)
    p = sub.add_parser("demo", help="tokens and attention of the real MiniLM BERT on a sentence")
    p.add_argument("text", nargs="?", default="The whale swam under the ship and the sailors cheered.")
    p.set_defaults(func=demo)
    p = sub.add_parser("tokenizer", help="retrain the WordPiece vocabulary on data/corpus")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--out", default=None)
    p.set_defaults(func=retrain_tokenizer)
    add_pretrain_parser(sub)
    add_course_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, NotADirectoryError, FileExistsError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
