"""The command that trains the shipped lesson-9 models (``python -m bertbook.task_training train
<task>``), resumable, through ``finetuning.train``; and ``--export-now`` for a run cut short.

It sits above the task modules (their batches and evaluations) and ``task_models`` (building,
storing, loading), so neither of those imports the other's caller.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch

from .task_models import BASE_MODEL, TASKS, Recipe, task_spec, export, new_task_model, readme, shipped_dir


# --- training ----------------------------------------------------------------------------------
def train_task(task: str, recipe: Recipe, run_dir: str | Path, seed: int = 0, max_minutes: float | None = None,
               log=print, limit: int | None = None):
    """Fine-tune one task's model with ``finetuning.train`` (resumable in ``run_dir/checkpoint``).
    Returns (model, tokenizer, history, finished)."""
    from .finetuning import train
    model, tokenizer = new_task_model(task, recipe.train_layers, seed, recipe.dropout, recipe.attention_dropout)
    if task == "snli":
        from .pair_classification import snli_batches
        make_batch, n, evaluate = snli_batches(model, tokenizer, recipe.max_length, limit)
    elif task == "wnut17":
        from .token_classification import wnut_batches
        make_batch, n, evaluate = wnut_batches(model, tokenizer, recipe.max_length, limit)
    else:
        from .question_answering import squad_batches
        make_batch, n, evaluate = squad_batches(model, tokenizer, recipe.max_length, recipe.stride, limit)
    steps_per_epoch = -(-n // recipe.batch_size)
    history = train(model, make_batch, n, epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr,
                    weight_decay=recipe.weight_decay, warmup=recipe.warmup, seed=seed, evaluate=evaluate,
                    eval_every=steps_per_epoch, progress=False, checkpoint_dir=Path(run_dir) / "checkpoint",
                    save_every=50, max_minutes=max_minutes, log=log, bf16=recipe.bf16)
    return model, tokenizer, history, len(history) == recipe.epochs * steps_per_epoch


def evaluate_task(model, tokenizer, task: str, max_length: int | None = None) -> dict:
    """The validation metrics of a task model (what the READMEs and the lesson report)."""
    if task == "snli":
        from .pair_classification import evaluate_snli
        ev = evaluate_snli(model, tokenizer)
        return {"validation_accuracy": ev.accuracy}
    if task == "wnut17":
        from .task_datasets import load_wnut17
        from .token_classification import evaluate_tagger
        scores = evaluate_tagger(model, tokenizer, load_wnut17("validation"))
        return {f"validation_{k}": v for k, v in scores.items() if k != "per_type"}
    from .question_answering import evaluate_squad
    return {f"validation_{k}": v for k, v in evaluate_squad(model, tokenizer)[0].items()}


def export_checkpoint(task: str, recipe: Recipe, run_dir: Path, out: Path, seed: int = 0) -> dict:
    """Export what a run's checkpoint holds *now*, finished or not, with its validation metrics
    (the way out when the CPU time runs short: the README then says how far training got)."""
    from .training_checkpoint import latest_checkpoint, restore
    model, tokenizer = new_task_model(task, recipe.train_layers, seed, recipe.dropout, recipe.attention_dropout)
    folder = latest_checkpoint(Path(run_dir) / "checkpoint")
    if folder is None:
        raise FileNotFoundError(f"no checkpoint in {Path(run_dir) / 'checkpoint'} to export; train first.")
    state = restore(folder, model)
    state.setdefault("history", state.get("log_history", []))       # the old format's name for it
    return evaluate_as_shipped(model, tokenizer, task), model, state


def evaluate_as_shipped(model, tokenizer, task: str) -> dict:
    """Round the trained tensors to float16, as ``export`` stores them, and evaluate: the metrics a
    README states are then the shipped model's, to the last digit the lesson prints."""
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.copy_(p.half().float())
    model.eval()
    return evaluate_task(model, tokenizer, task)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bertbook.task_training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="fine-tune and export one shipped model (resumable)")
    p.add_argument("task", choices=sorted(TASKS))
    for name in ("epochs", "batch_size", "max_length", "train_layers", "stride"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    p.add_argument("--run-dir", default=None, help="checkpoints go here (default runs/minilm-<task>)")
    p.add_argument("--out", default=None, help="where the finished model is written (default data/pretrained/...)")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    p.add_argument("--limit", type=int, default=None, help="train on the first N examples only (smoke tests)")
    p.add_argument("--export-now", action="store_true",
                   help="do not train: export the checkpoint as it is (finished or not) and evaluate it")
    r = sub.add_parser("readme", help="rewrite a shipped model's README.md from its metrics.json")
    r.add_argument("task", choices=sorted(TASKS))
    args = parser.parse_args(argv)
    if args.command == "readme":
        folder = shipped_dir(args.task)
        (folder / "README.md").write_text(readme(args.task, json.loads((folder / "metrics.json").read_text()), folder))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = task_spec(args.task)
    base = spec["recipe"]
    recipe = Recipe(**{**{k: getattr(base, k) for k in base.__dataclass_fields__},
                       **{k: getattr(args, k) for k in ("epochs", "batch_size", "max_length", "train_layers", "stride", "lr")
                          if getattr(args, k) is not None}})
    run_dir = Path(args.run_dir or f"runs/{spec['folder']}")
    if args.fresh:
        shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.export_now:
        final, model, state = export_checkpoint(args.task, recipe, run_dir, args.out, args.seed)
        steps_per_epoch = -(-state["settings"]["num_examples"] // recipe.batch_size)
        sessions = json.loads((run_dir / "seconds.json").read_text()) if (run_dir / "seconds.json").is_file() else []
        metrics = {"task": args.task, "command": "python -m bertbook.task_training " + " ".join(
                       a for a in (sys.argv[1:] if argv is None else argv) if a != "--export-now"),
                   "recipe": {k: getattr(recipe, k) for k in recipe.__dataclass_fields__}, "seed": args.seed,
                   "stopped_at_step": state["step"], "total_steps": recipe.epochs * steps_per_epoch,
                   "training_sessions": sessions, "training_seconds": sum(s["seconds"] for s in sessions),
                   "validation": final, "evaluations": [h for h in state["history"] if len(h) > 4],
                   "base_model": BASE_MODEL}
        out = export(model, args.out or shipped_dir(args.task), metrics)
        print(f"saved {out} at step {state['step']}: {json.dumps(final)}")
        return
    from .training_checkpoint import latest_checkpoint, read_state
    resume_from = latest_checkpoint(run_dir / "checkpoint")
    first_step = read_state(resume_from)["step"] if resume_from is not None else 0
    t0 = time.time()
    model, tokenizer, history, finished = train_task(args.task, recipe, run_dir, args.seed, args.max_minutes,
                                                     limit=args.limit)
    seconds = time.time() - t0
    timing_file = run_dir / "seconds.json"                 # CPU time summed over resumed sessions
    sessions = json.loads(timing_file.read_text()) if timing_file.is_file() else []
    sessions.append({"seconds": round(seconds), "cpu_seconds": round(time.process_time()),
                     "threads": torch.get_num_threads(), "steps": len(history) - first_step})
    timing_file.write_text(json.dumps(sessions) + "\n")
    if not finished:
        print(f"not finished ({len(history)} steps); run the same command again to resume", file=sys.stderr)
        return
    command = "python -m bertbook.task_training " + " ".join(sys.argv[1:] if argv is None else argv)
    final = evaluate_as_shipped(model, tokenizer, args.task)
    metrics = {"task": args.task, "command": command.strip(), "recipe": {k: getattr(recipe, k) for k in recipe.__dataclass_fields__},
               "seed": args.seed, "stopped_at_step": len(history), "total_steps": len(history),    # finished: the whole schedule
               "training_sessions": sessions,
               "training_seconds": sum(s["seconds"] for s in sessions), "validation": final,
               "evaluations": [h for h in history if len(h) > 4], "base_model": BASE_MODEL}
    out = export(model, args.out or shipped_dir(args.task), metrics)
    print(f"saved {out}: {json.dumps(final)}")


if __name__ == "__main__":
    main()
