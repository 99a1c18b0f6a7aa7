"""benchmarks/nli_baselines.py: what all-MiniLM-L6-v2 brings to SNLI before fine-tuning (lesson 9).

The script runs here on a tiny subset (a few dozen pairs, one epoch), so the test checks its
bookkeeping, not its numbers; the committed results file is checked to be a full run, since the
lesson quotes it."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "results" / "nli_baselines.json"


def _script():
    spec = importlib.util.spec_from_file_location("nli_baselines", ROOT / "benchmarks" / "nli_baselines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("nli") / "nli.json"
    script = _script()
    script.main(["--limit-train", "40", "--limit-val", "20", "--epochs", "1", "--seeds", "0", "1",
                 "--settings", "probe-uv", "scratch", "--out", str(out)])
    return script, out


def test_small_run_records_every_seed_of_every_setting(small_run):
    _, out = small_run
    results = json.loads(out.read_text())
    assert results["data"] == {"train_pairs": 40, "validation_pairs": 20, "limited": True,
                               "split": results["data"]["split"]}
    assert set(results["summary"]) == {"probe-uv", "scratch"}
    for setting, runs in results["runs"].items():
        assert [r["seed"] for r in runs] == [0, 1]
        for r in runs:
            correct = r["accuracy"] * 20                    # a share of the 20 validation pairs
            assert abs(correct - round(correct)) < 1e-6 and 0 <= correct <= 20
        accs = [r["accuracy"] for r in runs]
        assert results["summary"][setting]["mean"] == pytest.approx(sum(accs) / 2)
    # the probe is a convex fit on fixed features: its seeds only reorder the rows
    probe = [r["accuracy"] for r in results["runs"]["probe-uv"]]
    assert max(probe) - min(probe) <= 1 / 20 + 1e-9
    assert results["summary"]["probe-uv"]["features"] == 3 * 384        # (u, v, |u - v|)
    assert results["runs"]["scratch"][0]["steps"] == 2                  # 40 pairs, batch 32, 1 epoch
    assert results["machine"]["threads"] >= 1 and "load_average_at_start" in results["machine"]


def test_resume_keeps_what_was_measured_and_adds_the_rest(small_run):
    script, out = small_run
    before = json.loads(out.read_text())
    script.main(["--limit-train", "40", "--limit-val", "20", "--epochs", "1", "--seeds", "0", "1",
                 "--settings", "probe-uv", "pretrained-tiny", "--resume", "--out", str(out)])
    after = json.loads(out.read_text())
    assert after["runs"]["probe-uv"] == before["runs"]["probe-uv"]
    assert after["runs"]["scratch"] == before["runs"]["scratch"]
    assert [r["seed"] for r in after["runs"]["pretrained-tiny"]] == [0, 1]
    assert len(after["sessions"]) == 2


def test_merge_adds_another_files_settings_and_refuses_other_data(small_run, tmp_path):
    script, out = small_run
    mine = json.loads(out.read_text())
    other = {**mine, "runs": {"probe-pair": mine["runs"]["probe-uv"]}, "summary": {"probe-pair": mine["summary"]["probe-uv"]},
             "sessions": [{"command": "another process"}]}
    (tmp_path / "other.json").write_text(json.dumps(other))
    target = tmp_path / "target.json"
    target.write_text(out.read_text())
    merged = script.main(["--out", str(target), "--merge-from", str(tmp_path / "other.json")])
    assert set(merged["runs"]) == set(mine["runs"]) | {"probe-pair"}
    assert merged["sessions"][-1] == {"command": "another process"}
    assert json.loads(target.read_text()) == merged
    other["data"] = {**other["data"], "validation_pairs": 21}
    (tmp_path / "other.json").write_text(json.dumps(other))
    target.write_text(out.read_text())
    with pytest.raises(SystemExit, match="other data or seeds"):
        script.main(["--out", str(target), "--merge-from", str(tmp_path / "other.json")])
    assert json.loads(target.read_text()) == mine              # nothing written


def test_the_committed_results_are_a_full_run():
    """Lesson 9 quotes this file: every setting on the whole split, three seeds (or two, flagged, where
    the run's third seed did not finish)."""
    from bertbook.task_datasets import load_snli
    results = json.loads(RESULTS.read_text())
    assert results["data"]["limited"] is False
    assert results["data"]["train_pairs"] == len(load_snli("train"))
    assert results["data"]["validation_pairs"] == len(load_snli("validation"))
    assert set(results["summary"]) == {"probe-uv", "scratch", "pretrained-tiny"}
    for setting, runs in results["runs"].items():
        seeds = sorted(r["seed"] for r in runs)
        assert seeds == list(range(len(seeds))) and len(seeds) >= 2, setting
        assert all(0 < r["accuracy"] < 1 for r in runs)
        if len(seeds) < 3:          # a run stopped for CPU time: its seeds come from its printed log, and say so
            assert all("from_log" in r for r in runs), setting
        assert results["summary"][setting]["seeds"] == len(seeds)
    for setting in ("scratch", "pretrained-tiny"):
        assert all(r["epochs"] == 3 and r["steps"] == 3 * -(-results["data"]["train_pairs"] // 32)
                   for r in results["runs"][setting])
