"""The pretraining loop: exact resume (also after SIGKILL), torchrun DDP, clear errors, MLM loss.

Every run here is tiny (a few hundred sentences, batch 8, a handful of steps) so each test takes
seconds; the tiny preset keeps the real 8000-piece vocabulary so the shipped tokenizer fits."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from bertbook.corpus import REPO_DIR, load_corpus
from bertbook.fast_pretraining import masked_lm_predictions, pretraining_loss
from bertbook.model import BertForPreTraining, load_pretrained
from bertbook.pretraining_data import collate
from bertbook.training import (Trainer, TrainingArguments, evaluate_pretraining, latest_checkpoint, lr_at,
                               pretrain)

SMALL = dict(batch_size=8, max_seq_length=64, short_seq_length=32, short_seq_fraction=0.5, eval_every=2,
             eval_examples=32, eval_fraction=0.1, save_every=3, threads=1, progress=False, device="cpu",
             preset="tiny")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three short documents cut from the shipped books."""
    folder = tmp_path_factory.mktemp("corpus")
    for doc in load_corpus()[:3]:
        (folder / f"{doc.name}.txt").write_text("\n\n".join(doc.sentences[100:260]), encoding="utf-8")
    return folder


def params(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def test_learning_rate_warms_up_then_decays_to_zero():
    lrs = [lr_at(s, 1e-3, 10, 100) for s in range(100)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a < b for a, b in zip(lrs[:10], lrs[1:10]))
    assert all(a > b for a, b in zip(lrs[10:], lrs[11:]))
    assert lr_at(100, 1e-3, 10, 100) == 0.0


def test_resume_gives_the_same_parameters(corpus, tmp_path):
    common = dict(SMALL, corpus=str(corpus), schedule_steps=8, seed=3)
    straight = pretrain(out=str(tmp_path / "a"), max_steps=8, **common)
    first = pretrain(out=str(tmp_path / "b"), max_steps=5, **common)           # "interrupted" after step 5
    assert latest_checkpoint(tmp_path / "b").name == "checkpoint-5"
    resumed = pretrain(out=str(tmp_path / "b"), max_steps=8, **common)
    assert resumed.resumed_from.name == "checkpoint-5"
    assert max_diff(params(straight.model), params(resumed.model)) <= 1e-6
    assert max_diff(params(first.model), params(resumed.model)) > 1e-4       # it really trained on
    # the history continues (with the extra evaluation made when the first run stopped at step 5)
    assert [r["step"] for r in straight.history] == [2, 4, 6, 8]
    assert [r["step"] for r in resumed.history] == [2, 4, 5, 6, 8]
    same_steps = [r for r in resumed.history if r["step"] != 5]
    for x, y in zip(same_steps, straight.history):
        assert x["mlm_loss"] == y["mlm_loss"] and x["nsp_accuracy"] == y["nsp_accuracy"]
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(l)["step"] for l in lines] == [2, 4, 5, 6, 8]
    # --fresh starts over
    again = pretrain(out=str(tmp_path / "b"), max_steps=2, fresh=True, **common)
    assert again.resumed_from is None and latest_checkpoint(tmp_path / "b").name == "checkpoint-2"


def test_checkpoint_layout_and_safe_formats(corpus, tmp_path):
    pretrain(out=str(tmp_path), max_steps=3, corpus=str(corpus), **{**SMALL, "save_every": 3})
    ck = tmp_path / "checkpoint-3"
    assert sorted(p.name for p in ck.iterdir()) == ["config.json", "model.safetensors", "optimizer.safetensors",
                                                    "tokenizer.json", "trainer_state.json"]
    state = json.loads((ck / "trainer_state.json").read_text())
    assert state["step"] == 3 and "data_position" in state and "schedule" in state
    from safetensors.torch import load_file
    opt = load_file(str(ck / "optimizer.safetensors"))
    assert any(k.endswith(".exp_avg_sq") for k in opt) and "rng.torch.rank0" in opt
    assert not list(tmp_path.rglob("*.pt")) and not list(tmp_path.rglob("*.bin")) and not list(tmp_path.rglob("*.pkl"))
    model = load_pretrained(ck, model_class=BertForPreTraining)       # a normal HF-format checkpoint
    assert model.config.vocab_size == 8000
    # a crashed save (temporary folder) and a folder without trainer_state.json are not "complete"
    (tmp_path / ".tmp-checkpoint-9-123").mkdir()
    shutil.copytree(ck, tmp_path / "checkpoint-7")
    (tmp_path / "checkpoint-7" / "trainer_state.json").unlink()
    assert latest_checkpoint(tmp_path).name == "checkpoint-3"


def _cli(corpus, out, *extra):
    return [sys.executable, "-m", "bertbook", "pretrain", "--corpus", str(corpus), "--out", str(out),
            "--batch-size", "8", "--max-seq-length", "64", "--short-seq-length", "32", "--eval-every", "2",
            "--eval-examples", "32", "--eval-fraction", "0.1", "--save-every", "2", "--threads", "1", "--device", "cpu", "--seed", "5",
            "--schedule-steps", "400", "--no-progress", *extra]


def test_sigkill_between_saves_then_resume_matches_uninterrupted(corpus, tmp_path):
    out = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_cli(corpus, out, "--max-steps", "400"), cwd=REPO_DIR, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and (latest_checkpoint(out) is None or latest_checkpoint(out).name == "checkpoint-2"):
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)                  # no chance to clean up
    proc.wait()
    killed_at = int(latest_checkpoint(out).name.split("-")[1])
    target = killed_at + 3                            # resume goes past the kill point
    done = subprocess.run(_cli(corpus, out, "--max-steps", str(target)), cwd=REPO_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"resuming from {out / f'checkpoint-{killed_at}'}" in done.stderr
    reference = pretrain(out=str(tmp_path / "straight"), max_steps=target, corpus=str(corpus),
                         **{**SMALL, "save_every": 2, "seed": 5, "schedule_steps": 400})
    resumed = load_pretrained(out / f"checkpoint-{target}", model_class=BertForPreTraining)
    assert max_diff(params(reference.model), params(resumed)) <= 1e-6
    steps = [json.loads(l)["step"] for l in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == target       # nothing logged twice after the kill


DDP_SCRIPT = """
import sys, torch, torch.distributed as dist
from safetensors.torch import save_file
from bertbook.training import Trainer, TrainingArguments
corpus, out = sys.argv[1], sys.argv[2]
t = Trainer(TrainingArguments(corpus=corpus, out=out, max_steps=3, batch_size=4, max_seq_length=64,
            short_seq_length=0, eval_every=3, save_every=3, eval_examples=16, eval_fraction=0.1,
            threads=1, progress=False, device="cpu", seed=9))
assert dist.is_initialized() and dist.get_backend() == "gloo" and t.world_size == 2
first = t.batch_for(0)["input_ids"]
t.train()
save_file({k: v.contiguous() for k, v in t.model.state_dict().items() if k != "mlm.decoder.weight"},
          f"{out}/rank{t.rank}.safetensors")
save_file({"batch0": first}, f"{out}/batch0-rank{t.rank}.safetensors")
dist.destroy_process_group()
"""


def test_torchrun_two_processes_on_cpu(corpus, tmp_path):
    torchrun = shutil.which("torchrun") or pytest.skip("torchrun not on PATH")
    script = tmp_path / "ddp_run.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "ddp"
    out.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_DIR)}
    done = subprocess.run([torchrun, "--nproc_per_node=2", "--standalone",
                           str(script), str(corpus), str(out)], cwd=REPO_DIR, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    from safetensors.torch import load_file
    w0, w1 = load_file(str(out / "rank0.safetensors")), load_file(str(out / "rank1.safetensors"))
    assert max_diff(w0, w1) == 0.0                                    # replicas stay identical
    b0, b1 = load_file(str(out / "batch0-rank0.safetensors")), load_file(str(out / "batch0-rank1.safetensors"))
    assert not torch.equal(b0["batch0"][:, :8], b1["batch0"][:, :8])  # each rank trains on its own shard
    assert latest_checkpoint(out).name == "checkpoint-3"              # written once, by rank 0
    trained = load_pretrained(out / "checkpoint-3", model_class=BertForPreTraining)
    assert max_diff(params(trained), {k: v for k, v in w0.items()} | {"mlm.decoder.weight": w0[
        "bert.embeddings.word_embeddings.weight"]}) == 0.0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1


def test_bad_inputs_give_clear_errors(corpus, tmp_path):
    with pytest.raises(FileNotFoundError, match="No corpus at"):
        Trainer(TrainingArguments(corpus=str(tmp_path / "nowhere"), out=str(tmp_path / "o")))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("   \n\n")
    with pytest.raises(ValueError, match="empty"):
        Trainer(TrainingArguments(corpus=str(empty), out=str(tmp_path / "o")))
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(next(corpus.glob("*.txt")), one / "book.txt")
    with pytest.raises(ValueError, match="only one document"):
        Trainer(TrainingArguments(corpus=str(one), out=str(tmp_path / "o")))
    with pytest.raises(ValueError, match="vocab/config mismatch.*--vocab-size 30522"):
        Trainer(TrainingArguments(corpus=str(corpus), tokenizer="minilm", out=str(tmp_path / "o")))
    # the command line turns them into one-line errors
    done = subprocess.run([sys.executable, "-m", "bertbook", "pretrain", "--corpus", str(one), "--out",
                           str(tmp_path / "o")], cwd=REPO_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "error: " in done.stderr and "only one document" in done.stderr
    assert "Traceback" not in done.stderr


def test_resuming_with_another_vocabulary_is_refused(corpus, tmp_path):
    pretrain(out=str(tmp_path), max_steps=1, corpus=str(corpus), **SMALL)
    with pytest.raises(ValueError, match="vocab/config mismatch"):
        Trainer(TrainingArguments(corpus=str(corpus), out=str(tmp_path), tokenizer="minilm",
                                  config_overrides={"vocab_size": 30522}))


def test_mlm_loss_counts_masked_positions_only(corpus):
    t = Trainer(TrainingArguments(corpus=str(corpus), out="/nonexistent-unused", **{**SMALL, "fresh": False}))
    batch = t.batch_for(0)
    model = t.model.eval()
    with torch.no_grad():
        full = model(**batch)
        fast = masked_lm_predictions(model, **batch)
        loss_only = pretraining_loss(model, **batch)
    labels = batch["labels"]
    masked = labels != -100
    assert 0.05 < masked.sum() / batch["attention_mask"].sum() < 0.25
    # independent reference: log-softmax over the vocabulary, picked at masked positions, averaged over them
    logp = torch.log_softmax(full.prediction_logits, -1)
    ref = -(logp[masked].gather(1, labels[masked][:, None])).mean()
    assert fast.mlm_loss.item() == pytest.approx(ref.item(), abs=1e-5)
    assert full.mlm_loss.item() == pytest.approx(ref.item(), abs=1e-5)
    assert loss_only.mlm_loss.item() == pytest.approx(ref.item(), abs=1e-5)
    # averaging over every position (the textbook bug) gives a different number
    all_pos = F.cross_entropy(full.prediction_logits.flatten(0, 1), torch.where(masked, labels, batch["input_ids"]).flatten())
    assert abs(all_pos.item() - ref.item()) > 0.01
    # the held-out evaluation (masked positions only, uneven batches) gives the textbook forward's
    # numbers on all the examples at once: sums over every masked position, not means of batch means
    ev = evaluate_pretraining(model, t.eval_examples, batch_size=7)
    whole = collate(t.eval_examples, model.config.pad_token_id)
    with torch.no_grad():
        out = model(**whole)
    masked, nsp = whole["labels"] != -100, whole["next_sentence_label"]
    logits, targets = out.prediction_logits[masked], whole["labels"][masked]
    one_flip = 1 / len(targets) + 1e-4                   # float noise may flip at most a near-tie
    assert ev["mlm_loss"] == pytest.approx(F.cross_entropy(logits, targets).item(), abs=1e-3)
    assert ev["mlm_accuracy"] == pytest.approx((logits.argmax(-1) == targets).float().mean().item(), abs=one_flip)
    assert ev["nsp_loss"] == pytest.approx(F.cross_entropy(out.seq_relationship_logits, nsp).item(), abs=1e-3)
    assert ev["nsp_accuracy"] == pytest.approx((out.seq_relationship_logits.argmax(-1) == nsp).float().mean().item(),
                                               abs=1 / len(nsp) + 1e-4)


def test_resampled_pairs_are_new_each_epoch_and_deterministic(corpus, tmp_path):
    def stream():
        t = Trainer(TrainingArguments(corpus=str(corpus), out=str(tmp_path), resample_pairs=True, **SMALL))
        return t.stream(64)
    s = stream()
    n = len(s.base)
    epoch0 = {tuple(e.original_ids()) for e in s.take(0, n)}
    epoch1 = s.take(n, n)
    assert len(epoch1) == n
    assert len({tuple(e.original_ids()) for e in epoch1} & epoch0) < 0.5 * n      # mostly new A/B pairs
    assert stream().take(n, n) == epoch1                                         # same seed, same stream


def test_the_pretrain_command_is_built_from_the_fields():
    """One option per TrainingArguments field (config_overrides is Python only), with the field's
    default and the help its docstring gives: the command line cannot drift from the dataclass."""
    import argparse
    import dataclasses

    from bertbook.__main__ import add_pretrain_parser
    parser = argparse.ArgumentParser()
    add_pretrain_parser(parser.add_subparsers())
    fields = {f.name: f for f in dataclasses.fields(TrainingArguments)}
    parsed = vars(parser.parse_args(["pretrain"]))
    assert set(parsed) - {"func"} == set(fields) - {"config_overrides"}
    defaults = TrainingArguments()
    for name in set(parsed) - {"func", "schedule_steps", "warmup_steps"}:      # those two are derived after init
        assert parsed[name] == getattr(defaults, name), name
    assert TrainingArguments.help().keys() == fields.keys()
    flipped = vars(parser.parse_args(["pretrain", "--fixed-pairs", "--static-masking", "--lr", "1e-3", "--dropout", "0.1"]))
    assert (flipped["resample_pairs"], flipped["dynamic_masking"], flipped["learning_rate"], flipped["dropout"]) == \
        (False, False, 1e-3, 0.1)
    assert vars(parser.parse_args(["pretrain", "--resample-pairs"]))["resample_pairs"] is True    # old commands


def test_the_defaults_are_the_measured_recipe():
    """benchmarks/time_to_quality.py's best recipe: peak lr 2e-3, no dropout, new pairs every epoch,
    no short-sequence phase."""
    from bertbook import BertConfig
    args = TrainingArguments()
    config = args.model_config()
    assert (args.learning_rate, args.resample_pairs, args.short_phase_steps) == (2e-3, True, 0)
    assert config.hidden_dropout_prob == config.attention_probs_dropout_prob == 0.0
    assert TrainingArguments(dropout=None).model_config().hidden_dropout_prob == BertConfig.preset("tiny").hidden_dropout_prob
