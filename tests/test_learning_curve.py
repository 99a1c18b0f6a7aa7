"""bertbook.learning_curve: fixed nested subsets per seed, each encoder's recipe, the summary the
lesson prints and plots, and the resumable script that fills the JSON."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bertbook.learning_curve import RECIPES, epochs_for, fine_tune_point, plot_learning_curve, summarise, training_order

ROOT = Path(__file__).resolve().parents[1]


def test_training_order_is_fixed_per_seed_and_a_permutation():
    assert training_order(50, 0) == training_order(50, 0)
    assert training_order(50, 0) != training_order(50, 1)
    assert sorted(training_order(50, 3)) == list(range(50))


def test_small_sets_get_more_epochs():
    assert epochs_for("pretrained", 125) == 8 and epochs_for("pretrained", 2000) == 2
    assert epochs_for("minilm", 125) == 4 and epochs_for("minilm", 500) == 1
    for model in RECIPES:
        for n in (10, 125, 500, 2000, 8000):
            assert epochs_for(model, n) * n >= RECIPES[model]["min_examples"]
            assert epochs_for(model, n) >= RECIPES[model]["min_epochs"]


def test_summary_mean_sd_and_range():
    records = [{"model": "m", "pooling": "pooler", "n_train": 10, "seed": s, "dev_accuracy": a}
               for s, a in enumerate([0.5, 0.6, 0.7])]
    records.append({"model": "m", "pooling": "mean", "n_train": 10, "seed": 0, "dev_accuracy": 0.9})
    s = summarise(records)[("m", 10)]
    assert math.isclose(s["mean"], 0.6) and math.isclose(s["sd"], 0.1) and (s["min"], s["max"]) == (0.5, 0.7)
    assert s["seeds"] == 3
    assert summarise(records, pooling=None)[("m", "mean", 10)]["values"] == [0.9]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="model_name must be one of"):
        fine_tune_point("bert-large", 10, 0, ["a"], [0], ["a"], [0])
    with pytest.raises(ValueError, match="n_train must be between"):
        fine_tune_point("scratch", 5, 0, ["a"], [0], ["a"], [0])


def test_committed_results_cover_the_grid_the_lesson_plots():
    records = json.loads((ROOT / "data" / "results" / "learning_curve.json").read_text())["records"]
    keys = {(r["model"], r["pooling"], r["n_train"], r["seed"]) for r in records}
    assert len(keys) == len(records), "a run is recorded twice"
    grid = ([(m, "pooler", n) for m in ("scratch", "pretrained") for n in (125, 500, 2000, 8000)]
            + [("minilm", "pooler", n) for n in (125, 500)] + [("minilm", "mean", n) for n in (125, 500, 2000)]
            + [(m, p, n) for m in ("pretrained", "minilm") for p in ("pooler", "mean", "cls") for n in (500, 2000)])
    for model, pooling, n in grid:
        for seed in (0, 1, 2):
            assert (model, pooling, n, seed) in keys, (model, pooling, n, seed)
    for r in records:
        assert 0.0 < r["dev_accuracy"] <= 1.0 and r["epochs"] == epochs_for(r["model"], r["n_train"])
        assert r["examples_seen"] == r["epochs"] * r["n_train"]


@pytest.mark.slow
def test_script_records_a_run_and_skips_it_when_resumed(tmp_path):
    out = tmp_path / "curve.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "learning_curve.py"), "--models", "scratch",
               "--sizes", "8", "--seeds", "0", "--out", str(out)]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
    first = json.loads(out.read_text())
    assert [(r["model"], r["n_train"], r["seed"]) for r in first["records"]] == [("scratch", 8, 0)]
    second = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    assert second.stdout == "" and json.loads(out.read_text())["records"] == first["records"]


def test_plot_draws_one_line_per_curve_with_its_seeds():
    import matplotlib
    matplotlib.use("Agg")
    records = [{"model": m, "pooling": p, "n_train": n, "seed": s, "dev_accuracy": 0.5 + 0.01 * s + n / 1e4}
               for m, p in (("scratch", "pooler"), ("minilm", "mean")) for n in (125, 500) for s in range(3)]
    ax = plot_learning_curve(records, curves=[("scratch", "pooler"), ("minilm", "mean"), ("minilm", "pooler")])
    assert [line.get_label() for line in ax.get_lines()] == ["scratch, pooler pooling (3 seeds)",
                                                            "minilm, mean pooling (3 seeds)"]
    assert list(ax.get_lines()[1].get_xdata()) == [125, 500]
    assert len(ax.collections) == 2 + 4          # a band per line, a dot cloud per point
