"""The benchmark scripts run and print their table (on a toy model). No timing is asserted here:
benchmarks are measurements, not tests."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare_hf  # noqa: E402


def test_compare_hf_runs_and_prints_the_table():
    cmd = [sys.executable, "benchmarks/compare_hf.py", "--toy", "--threads", "1", "--batch", "2", "--seq", "16",
           "--repeats", "1", "--warmup", "0", "--cases", "train-tiny", "infer-minilm"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("case"))
    rows = {line.split()[0]: line.split() for line in lines[header + 2:header + 4]}
    assert set(rows) == {"train-tiny", "infer-minilm"}
    for cells in rows.values():
        assert cells[4].endswith("x") and float(cells[4][:-1]) > 0          # speedup column
        assert float(cells[-3]) >= 0 and float(cells[-2]) >= 0             # memory ran in subprocesses


def test_batch_has_bert_masking_rate():
    cfg = compare_hf.make_config(compare_hf.CASES[1], toy=False)
    b = compare_hf.make_batch(cfg, batch=4, seq=128, device="cpu")
    per_seq = (b["labels"] != -100).sum(1)
    assert per_seq.tolist() == [19] * 4                                       # round(0.15 * 126), under the cap of 20
    assert (b["labels"][:, [0, -1]] == -100).all()                            # never [CLS] or [SEP]
    masked = b["labels"] != -100
    assert (b["labels"][masked] == b["input_ids"][masked]).all()


def test_useful_flops_match_a_hand_count():
    from bertbook import BertConfig
    cfg = BertConfig(vocab_size=10, hidden_size=4, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8)
    # per token: qkv 3*16 + out 16 + ffn 2*32 + attention 2*T*4 (T=3) = 152 MACs; 2 sequences of 3 tokens;
    # pooler 16 per sequence; head on 2 masked positions: 16 + 40; NSP 8 per sequence
    forward_macs = 6 * 152 + 2 * 16
    assert compare_hf.useful_flops(cfg, [3, 3], "infer", 0) == 2 * forward_macs
    assert compare_hf.useful_flops(cfg, [3, 3], "train", 2) == 3 * 2 * (forward_macs + 2 * 56 + 2 * 8)
    # padded batch: only real tokens count; a 1-token sequence attends over 1 key (2*1*4 MACs)
    assert compare_hf.useful_flops(cfg, [3, 1], "infer", 0) == 2 * (3 * 152 + (128 + 8) + 2 * 16)


def test_text_batch_is_padded_real_sentences():
    cfg = compare_hf.make_config(compare_hf.CASES[4], toy=False)            # mid, vocab 30522
    b = compare_hf.text_batch(cfg, batch=32, device="cpu")
    lengths = b["attention_mask"].sum(1)
    assert b["input_ids"].shape[1] == lengths.max() and lengths.min() < lengths.max()   # padded to the longest
    assert (b["input_ids"][:, 0] == 101).all()                              # BERT's [CLS]: the real vocabulary


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_compare_hf_runs_on_cuda():
    rows = compare_hf.main(["--toy", "--device", "cuda", "--batch", "2", "--seq", "16", "--repeats", "1",
                            "--warmup", "0", "--cases", "train-tiny", "--no-memory"])
    assert math.isfinite(rows[0]["speedup"])


def test_json_puts_the_new_run_first_and_keeps_the_earlier_ones(tmp_path):
    """`--json` adds a run (rows, date, machine, command) in front of the runs already in the file:
    data/results/compare_hf.json's first run is the one the READMEs and Appendix A1 quote."""
    path = tmp_path / "compare_hf.json"
    path.write_text(json.dumps({"about": "kept", "runs": [{"date": "2026-12-02", "rows": []}]}))
    rows = [{"case": "train-tiny", "speedup": 2.0, "ours_mib": 10.0, "hf_mib": 35.0}]
    compare_hf.save_run(path, rows, ["--threads", "2", "--json", str(path)])
    data = json.loads(path.read_text())
    assert data["about"] == "kept" and [r["date"] for r in data["runs"]][1:] == ["2026-12-02"]
    new = data["runs"][0]
    assert new["command"].startswith("python benchmarks/compare_hf.py --threads 2") and new["machine"]
    assert new["rows"][0]["mem_ratio"] == 3.5                                  # HF's memory over bertbook's


def test_the_committed_results_hold_every_column_the_readmes_quote():
    data = json.loads((ROOT / "data" / "results" / "compare_hf.json").read_text())
    current = data["runs"][0]
    assert {"date", "machine", "command", "load_average"} <= set(current)
    for row in current["rows"]:
        assert {"case", "batch", "seq", "real_tokens", "ours_seq_s", "hf_seq_s", "speedup", "ours_frac", "hf_frac",
                "mem_ratio"} <= set(row), row["case"]
        assert row["real_tokens"] <= row["batch"] * row["seq"]


@pytest.mark.slow
def test_tiny_on_library_reproduces_the_shipped_runs_last_evaluation(tmp_path, monkeypatch):
    """benchmarks/tiny_on_library.py builds held-out examples as the trainer does: on the nine
    novels it must score exactly what the shipped run logged at its last step."""
    import tiny_on_library
    monkeypatch.setattr(tiny_on_library, "SHELVES", {"nine novels": tiny_on_library.SHELVES["nine novels"]})
    result = tiny_on_library.main(["--out", str(tmp_path / "t.json")])
    logged = json.loads((ROOT / "data" / "pretrained" / "bertbook-tiny" / "metrics.jsonl").read_text().splitlines()[-1])
    row = result["rows"][0]
    for key in ("mlm_accuracy", "nsp_accuracy", "mlm_loss", "nsp_loss"):
        assert row[key] == pytest.approx(logged[key], abs=5e-4), key
