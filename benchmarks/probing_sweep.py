"""Lesson 10's sweeps: POS probes (linear and MLP, with Hewitt & Liang's control task), the structural
probe and contextuality, for every layer of MiniLM and of our bertbook-tiny, pretrained and with
random weights, over 3 seeds. The lesson plots what this writes and recomputes one point live.

Data: the first 500 sentences of UD EWT dev (probes are fitted there) and of UD EWT test (scored
there) that fit both models' positions (``bertbook.probing.probing_sentences``). Seeds: a probe's seed
draws its initial weights, its mini-batch order and the control task's random tags; for random-weight
models the same seed also draws the model's weights (so the spread includes the model's draw).

Run with one thread per process; two processes (one per model) can run side by side and be merged:

    python benchmarks/probing_sweep.py --models minilm --weights pretrained --out /tmp/a.json &
    python benchmarks/probing_sweep.py --models minilm --weights random --out /tmp/b.json &
    python benchmarks/probing_sweep.py --models bertbook-tiny --out /tmp/c.json
    python benchmarks/probing_sweep.py --merge /tmp/a.json /tmp/b.json /tmp/c.json --out data/results/lesson10_probes.json
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "data" / "results" / "lesson10_probes.json"


def write(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["minilm", "bertbook-tiny"])
    p.add_argument("--weights", nargs="+", default=["pretrained", "random"], choices=["pretrained", "random"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--sentences", type=int, default=None, help="per split (default: the lesson's 500)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--merge", nargs="+", type=Path, help="merge these result files into --out and stop")
    args = p.parse_args(argv)
    if args.merge:
        parts = [json.loads(f.read_text()) for f in args.merge]
        merged = dict(parts[0])
        for key in ("records", "commands"):
            merged[key] = [x for part in parts for x in part[key]]
        merged["baselines"] = {k: v for part in parts for k, v in part["baselines"].items()}
        merged["seconds_per_process"] = [part["seconds"] for part in parts]
        merged["seconds"] = sum(part["seconds"] for part in parts)
        write(args.out, merged)
        print(f"merged {len(merged['records'])} records into {args.out}")
        return

    import torch
    torch.set_num_threads(args.threads)
    from bertbook import probing as pr
    from bertbook import structural_probe as sp
    from bertbook.contextuality import contextuality
    from bertbook.treebank import majority_tag_baseline
    start = time.time()
    fit, score = pr.probing_sentences(args.sentences or pr.SENTENCES_PER_SPLIT)
    data = {"what": "lesson 10: probes per layer (fit on UD EWT dev, scored on UD EWT test)",
            "script": "benchmarks/probing_sweep.py",
            "commands": [" ".join(["python", "benchmarks/probing_sweep.py", *(argv or sys.argv[1:])])],
            "sentences": {"fit": len(fit), "score": len(score)},
            "words": {"fit": sum(map(len, fit)), "score": sum(map(len, score))},
            "probe_recipe": pr.PROBE_RECIPE, "structural_recipe": sp.STRUCTURAL_RECIPE,
            "machine": {"cpus": os.cpu_count(), "threads": args.threads, "python": platform.python_version(),
                        "torch": torch.__version__},
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "baselines": {}, "records": []}
    chain = sp.linear_chain_distances(score)
    data["baselines"]["majority_tag"] = majority_tag_baseline(fit, score)
    data["baselines"]["control_majority"] = [pr.control_majority_baseline(fit, score, pr.control_tags(fit, [score], s))
                                             for s in args.seeds]
    data["baselines"]["linear_chain"] = {"uuas": sp.uuas(chain, score), "spearman": sp.distance_spearman(chain, score)}
    for name in args.models:
        for weights in args.weights:
            cached = None
            for seed in args.seeds:
                if weights == "random" or cached is None:
                    cached = pr.model_features(name, fit, score, seed if weights == "random" else None)
                f_fit, f_score = cached
                control = pr.control_tags(fit, [score], seed)
                for layer in range(f_fit.n_layers + 1):
                    base = {"model": name, "weights": weights, "layer": layer, "seed": seed}
                    for kind in ("linear", "mlp"):
                        r = pr.probe_layer(f_fit, f_score, layer, kind, seed, control)
                        data["records"].append({**base, "task": "pos", "probe": kind,
                                                **{k: r[k] for k in ("pos_accuracy", "control_accuracy", "selectivity")}})
                    r = sp.structural_record(f_fit, f_score, layer, seed)
                    data["records"].append({**base, "task": "structural", "uuas": r["uuas"], "spearman": r["spearman"]})
                for r in contextuality(f_score, seed=seed):
                    data["records"].append({"model": name, "weights": weights, "layer": r.pop("layer"), "seed": seed,
                                            "task": "contextuality", **r})
                data["seconds"] = round(time.time() - start, 1)
                write(args.out, data)
                print(f"{name} {weights} seed {seed}: {data['seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
