"""Attention vs gradients vs occlusion on the cloze set (lesson 7, "Attention is not explanation").

For each cloze sentence (data/cloze/cloze_sentences.tsv: 28 novel-style, 47 everyday) and the model's final answer at
its [MASK], compute the four attributions of ``bertbook.saliency`` (last-layer attention, attention
rollout, gradient x input, integrated gradients) and the occlusion drop of every word, and write
them to JSON; lesson 7 reads the file and plots ``saliency.faithfulness`` of it. Deterministic (no
random numbers; eval mode). About a minute on two threads.

    python benchmarks/explanation_agreement.py --threads 2            # writes data/results/lesson7_explanations.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bertbook.cloze import load_cloze  # noqa: E402
from bertbook.fill_mask import resolve_model  # noqa: E402
from bertbook.saliency import METHODS, explanations, faithfulness, occlusion  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "data" / "results" / "lesson7_explanations.json"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default="minilm-mlm")
    parser.add_argument("--steps", type=int, default=128,
                        help="integrated-gradients steps (128: the sums are within a few % of f(x) - f(baseline))")
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences (a quick try)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, tokenizer = resolve_model(args.model)
    start = time.time()
    records = []
    for item in load_cloze()[:args.limit]:
        views = explanations(model, tokenizer, item.sentence, steps=args.steps)
        answer_id = tokenizer.token_to_id(views["answer"])
        record = {"sentence": item.sentence, "set": item.set, "answer": views["answer"], "tokens": views["tokens"],
                  "position": views["position"], "occlusion": occlusion(model, tokenizer, item.sentence, answer_id).tolist()}
        record.update({name: views[name].tolist() for name in METHODS})
        records.append(record)
    summary = faithfulness(records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "command": "python benchmarks/explanation_agreement.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": args.model, "ig_steps": args.steps, "seconds": round(time.time() - start, 1),
        "torch_threads": args.threads, "summary": summary, "records": records}, indent=1) + "\n")
    for name, row in summary.items():
        print(f"{name:<40} drop {row['drop_mean']:.3f} +- {row['drop_sd']:.3f}   top = occlusion's top "
              f"{row['top_word_is_occlusion_top']:.2f}   spearman {row['spearman_with_occlusion']:.2f}")
    print(f"wrote {args.out} ({len(records)} sentences, {time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
