"""The shipped lesson-9 models: small files, transformers' names, the same numbers in transformers."""
import json

import pytest
import torch

from bertbook.task_models import SHIPPED_FILE, TASKS, load_task_model, new_task_model, shipped_dir, trainable_names


def test_freezing_leaves_the_top_layers_and_the_head(seed):
    model, _ = new_task_model("wnut17", train_layers=2)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == trainable_names(model, 2)
    assert all(n.startswith(("bert.encoder.layer.4.", "bert.encoder.layer.5.", "classifier.")) for n in trainable)
    assert "classifier.weight" in trainable and not any("embeddings" in n for n in trainable)
    snli, _ = new_task_model("snli", train_layers=1)
    assert "bert.pooler.dense.weight" in {n for n, p in snli.named_parameters() if p.requires_grad}
    with pytest.raises(ValueError, match="task must be one of"):
        new_task_model("sst2")


@pytest.mark.parametrize("task", ["snli", "wnut17", "squad"])
def test_shipped_model_reaches_its_target(task):
    metrics = json.loads((shipped_dir(task) / "metrics.json").read_text())
    key, target = {"snli": ("validation_accuracy", 0.75), "wnut17": ("validation_f1", 0.40),
                   "squad": ("validation_f1", 65.0)}[task]
    assert metrics["validation"][key] >= target, metrics["validation"]


@pytest.mark.parametrize("task", sorted(TASKS))
def test_shipped_model_files(task):
    folder = shipped_dir(task)
    path = folder / SHIPPED_FILE
    assert path.stat().st_size <= 16 * 2**20
    from safetensors.torch import load_file
    tensors = load_file(str(path))
    assert all(t.dtype == torch.float16 for t in tensors.values())
    head = {"snli": "classifier.weight", "wnut17": "classifier.weight", "squad": "qa_outputs.weight"}[task]
    assert head in tensors and not any("embeddings" in k for k in tensors)
    metrics = json.loads((folder / "metrics.json").read_text())
    expected = {"snli": {"validation_accuracy"}, "squad": {"validation_exact_match", "validation_f1"},
                "wnut17": {"validation_precision", "validation_recall", "validation_f1"}}[task]
    assert set(metrics["validation"]) == expected and metrics["recipe"]["train_layers"] <= 4
    scale = 100 if task == "squad" else 1                        # SQuAD's official script reports percentages
    assert all(0 < v <= scale for v in metrics["validation"].values()), metrics["validation"]
    readme = (folder / "README.md").read_text()
    assert "python -m bertbook.task_training train " + task in readme and "all-MiniLM-L6-v2" in readme


@pytest.mark.parametrize("task", sorted(TASKS))
def test_shipped_model_gives_the_same_numbers_in_transformers(task, tmp_path, minilm_tokenizer):
    """MiniLM + the shipped tensors, saved as one transformers checkpoint, loads strictly into
    transformers' class of the same name and gives the same logits (1e-5)."""
    import transformers
    ours = load_task_model(task)
    ours.save_pretrained(tmp_path)
    cls = getattr(transformers, TASKS[task]["model_class"])
    ref, info = cls.from_pretrained(str(tmp_path), output_loading_info=True, attn_implementation="eager")
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    ref.eval()
    from bertbook import encode
    batch = encode(minilm_tokenizer, ["Who built the bridge in Paris?", "A man plays."],
                   ["Maria Kowalski built it in 1931.", "Someone makes music."])
    real = batch["attention_mask"].bool()
    with torch.no_grad():
        a, b = ours(**batch), ref(**batch)
    if task == "squad":
        assert (a.start_logits - b.start_logits)[real].abs().max() <= 1e-5
        assert (a.end_logits - b.end_logits)[real].abs().max() <= 1e-5
    elif task == "snli":
        assert (a.logits - b.logits).abs().max() <= 1e-5
        assert ref.config.id2label[0] == "entailment"
    else:
        assert (a.logits - b.logits)[real].abs().max() <= 1e-5
        assert ref.config.id2label[1] == "B-corporation"


def test_metrics_are_measured_on_the_float16_tensors_that_ship(monkeypatch):
    """A README's numbers are the shipped model's: the trained tensors are rounded to float16 (as
    ``export`` stores them) before the evaluation; the frozen ones are left alone."""
    import bertbook.task_training as task_training
    model, tokenizer = new_task_model("snli", train_layers=1)
    trained = model.classifier.weight
    frozen = next(p for p in model.parameters() if not p.requires_grad and p.ndim == 2)
    with torch.no_grad():
        trained.fill_(1 + 2 ** -20)                          # not a float16 number
        frozen_before = frozen.clone()
    seen = {}
    monkeypatch.setattr(task_training, "evaluate_task",
                        lambda m, t, task: seen.update(w=m.classifier.weight[0, 0].item(), training=m.training) or {"ok": 1})
    assert task_training.evaluate_as_shipped(model.train(), tokenizer, "snli") == {"ok": 1}
    assert seen == {"w": 1.0, "training": False}
    assert torch.equal(frozen, frozen_before)


def test_the_training_command_resumes_and_records_each_session(tmp_path, monkeypatch):
    """`python -m bertbook.task_training train wnut17`, cut short and run again: it resumes, each
    session records only its own steps, and the export says the whole schedule ran."""
    import bertbook.task_datasets as task_datasets
    from bertbook.task_training import main
    real = task_datasets.load_wnut17
    monkeypatch.setattr(task_datasets, "load_wnut17", lambda split: real(split)[:8])     # a CI-sized run
    args = ["train", "wnut17", "--epochs", "1", "--batch-size", "4", "--train-layers", "1",
            "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "out")]
    main(args + ["--max-minutes", "0"])                       # stops (with a checkpoint) after one step
    assert not (tmp_path / "out" / "metrics.json").exists()
    main(args)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert [s["steps"] for s in metrics["training_sessions"]] == [1, 1]
    assert metrics["stopped_at_step"] == metrics["total_steps"] == 2
    assert set(metrics["validation"]) == {"validation_precision", "validation_recall", "validation_f1"}
    assert "Stopped early" not in (tmp_path / "out" / "README.md").read_text()
    assert (tmp_path / "out" / SHIPPED_FILE).is_file()


@pytest.mark.slow
def test_shipped_squad_record_matches_a_fresh_evaluation():
    """Lesson 9 scores one validation article live and quotes the shipped model's metrics.json for all eight
    (a minute of CPU for 1,390 questions); this re-scores all eight, so the record cannot drift from the weights."""
    from bertbook.question_answering import evaluate_squad
    from bertbook.tokenizer import load_tokenizer
    recorded = json.loads((shipped_dir("squad") / "metrics.json").read_text())["validation"]
    fresh, answers = evaluate_squad(load_task_model("squad"), load_tokenizer("minilm"))
    assert len(answers) == 1390
    assert fresh["exact_match"] == pytest.approx(recorded["validation_exact_match"], abs=0.05), (fresh, recorded)
    assert fresh["f1"] == pytest.approx(recorded["validation_f1"], abs=0.05), (fresh, recorded)


@pytest.mark.slow
@pytest.mark.parametrize("task, tolerance", [("snli", 1.2e-3), ("wnut17", 3.5e-3)])
def test_shipped_snli_and_wnut_records_match_a_fresh_evaluation(task, tolerance):
    """Lesson 9 and the model READMEs quote the shipped metrics.json; this scores the shipped weights again on
    the validation split the record was measured on (SNLI: the shipped 1,777 pairs, accuracy; WNUT-17: 1,009
    sentences, seqeval's entity scores), so a retrained model cannot leave its record behind. The tolerance lets
    about two SNLI pairs, or an entity or two, change with a machine's float rounding."""
    from bertbook.task_training import evaluate_task
    from bertbook.tokenizer import load_tokenizer
    recorded = json.loads((shipped_dir(task) / "metrics.json").read_text())["validation"]
    fresh = evaluate_task(load_task_model(task), load_tokenizer("minilm"), task)
    assert set(recorded) <= set(fresh), (recorded, fresh)
    for key, value in recorded.items():
        assert fresh[key] == pytest.approx(value, abs=tolerance), (key, fresh, recorded)
