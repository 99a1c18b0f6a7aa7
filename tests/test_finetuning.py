"""Fine-tuning: the training loop learns, each initialisation loads the right encoder weights,
long texts are windowed correctly (lesson 8's self-checks: test_exercise_hints_08.py)."""
import json
import random
import warnings

import pytest
import torch

from bertbook import BertConfig, BertForPreTraining, BertForSequenceClassification
from bertbook.finetuning import (PRETRAINED_DIR, build_classifier, confusion_matrix, evaluate, fine_tune,
                                 linear_warmup_decay, parameter_groups, predict_proba)
from bertbook.long_text import classify_long_text, split_into_windows, window_spans

WORDS = "the a man woman house tree river city day night road garden window door table letter".split()


def toy_task(n, seed):
    """Label 1 iff the text contains "good" (else it contains "bad"), among random filler words."""
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        y = rng.randint(0, 1)
        words = rng.choices(WORDS, k=rng.randint(3, 10))
        words.insert(rng.randint(0, len(words)), "good" if y else "bad")
        texts.append(" ".join(words))
        labels.append(y)
    return texts, labels


def small_classifier(tokenizer, seed=0, **overrides):
    torch.manual_seed(seed)
    config = BertConfig.preset("tiny", vocab_size=tokenizer.get_vocab_size(), hidden_size=64,
                               num_hidden_layers=1, num_attention_heads=2, intermediate_size=128, **overrides)
    return BertForSequenceClassification(config)


# --- the training loop ---------------------------------------------------------------------------
def test_loop_learns_a_toy_task(tokenizer):
    train, dev = toy_task(384, seed=1), toy_task(200, seed=2)
    model = small_classifier(tokenizer)
    before = evaluate(model, tokenizer, *dev).accuracy
    history = fine_tune(model, tokenizer, *train, eval_texts=dev[0], eval_labels=dev[1], epochs=2,
                        batch_size=16, lr=3e-3, eval_every=20, progress=False)
    after = evaluate(model, tokenizer, *dev).accuracy
    assert before < 0.7 and after > 0.95, (before, after)
    assert history[-1]["dev_accuracy"] == after                 # the history's last point is the final model
    assert [h["step"] for h in history] == list(range(1, 49))
    assert history[-1]["examples"] == 2 * 384
    assert [h["step"] for h in history if "dev_accuracy" in h] == [20, 40, 48]
    assert history[-1]["loss"] < history[0]["loss"]


def test_schedule_warms_up_then_decays(tokenizer):
    texts, labels = toy_task(96, seed=3)
    history = fine_tune(small_classifier(tokenizer), tokenizer, texts, labels, epochs=4, batch_size=8,
                        lr=1e-3, warmup=0.25, progress=False)          # 48 steps, 12 of warm-up
    lrs = [h["lr"] for h in history]
    assert lrs.index(max(lrs)) == 11 and max(lrs) == pytest.approx(1e-3)
    assert all(a < b for a, b in zip(lrs[:12], lrs[1:12]))        # rising
    assert lrs[12] == lrs[11]                                      # the decay line starts at the peak
    assert all(a > b for a, b in zip(lrs[12:], lrs[13:]))         # then falling
    assert lrs[-1] == pytest.approx(1e-3 / 36)                      # one step before zero
    f = linear_warmup_decay(10, 100)
    assert f(0) == pytest.approx(0.1) and f(9) == 1.0 and f(10) == 1.0 and f(11) == pytest.approx(89 / 90)
    assert f(99) == pytest.approx(1 / 90) and f(100) == 0.0


def test_one_schedule_for_every_loop():
    """Pretraining's lr_at (lesson 6's exercise), fine-tuning and MiniLM's MLM training share one lambda."""
    from bertbook import minilm_mlm, training
    f = linear_warmup_decay(10, 100)
    assert [training.lr_at(s, 2e-3, 10, 100) for s in range(101)] == [2e-3 * f(s) for s in range(101)]
    assert minilm_mlm.linear_warmup_decay is linear_warmup_decay


def test_weight_decay_skips_biases_and_layernorm(tokenizer):
    m = small_classifier(tokenizer)
    decay, no_decay = parameter_groups(m, 0.01)
    ids = lambda group: {id(p) for p in group["params"]}                 # noqa: E731
    assert id(m.bert.encoder.layer[0].attention_norm.weight) in ids(no_decay) and id(m.classifier.bias) in ids(no_decay)
    assert id(m.classifier.weight) in ids(decay) and id(m.bert.encoder.layer[0].attention.qkv.weight) in ids(decay)
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    assert len(ids(decay) | ids(no_decay)) == len(list(m.parameters())) and not ids(decay) & ids(no_decay)


def test_training_is_seeded(tokenizer):
    texts, labels = toy_task(64, seed=4)
    runs = [fine_tune(small_classifier(tokenizer), tokenizer, texts, labels, batch_size=16, seed=s, progress=False)
            for s in (7, 7, 8)]
    losses = [[h["loss"] for h in r] for r in runs]
    assert losses[0] == losses[1] and losses[0] != losses[2]


def test_batches_are_padded_to_their_longest_example(tokenizer):
    texts = ["one", "one two three four five six seven eight", "one two", "one two three"]
    widths = []
    model = small_classifier(tokenizer)
    model.bert.register_forward_pre_hook(lambda m, args, kwargs: widths.append(args[0].shape[1]), with_kwargs=True)
    fine_tune(model, tokenizer, texts, [0, 1, 0, 1], batch_size=2, seed=0, progress=False)
    lengths = [len(tokenizer.encode(t).ids) for t in texts]
    order = torch.randperm(4, generator=torch.Generator().manual_seed(0)).tolist()
    assert widths == [max(lengths[i] for i in order[:2]), max(lengths[i] for i in order[2:])]
    assert max(widths) < 128


def test_bad_training_data_is_refused(tokenizer):
    model = small_classifier(tokenizer)
    with pytest.raises(ValueError, match="one label per text"):
        fine_tune(model, tokenizer, ["a", "b"], [0], progress=False)
    with pytest.raises(ValueError, match="label 2 is not an int in 0..1"):
        fine_tune(model, tokenizer, ["a", "b"], [0, 2], progress=False)


# --- evaluation ----------------------------------------------------------------------------------
def test_evaluation_matches_sklearn(tokenizer):
    from sklearn.metrics import accuracy_score
    from sklearn.metrics import confusion_matrix as sk_confusion
    texts, labels = toy_task(60, seed=5)
    ev = evaluate(small_classifier(tokenizer, seed=3), tokenizer, texts, labels, batch_size=7)
    assert ev.predictions == ev.probabilities.argmax(-1).tolist()
    assert ev.accuracy == pytest.approx(accuracy_score(labels, ev.predictions))
    assert ev.confusion.tolist() == sk_confusion(labels, ev.predictions, labels=[0, 1]).tolist()
    assert confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3).tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    wrong = ev.misclassified(k=100)
    assert len(wrong) == sum(p != y for p, y in zip(ev.predictions, labels))
    confidences = [c for *_, c in wrong]
    assert confidences == sorted(confidences, reverse=True) and all(c >= 0.5 for c in confidences)
    assert all(ev.labels[ev.texts.index(t)] == y != p for t, y, p, _ in wrong)


def test_predict_proba_keeps_the_order_of_the_texts(tokenizer):
    model = small_classifier(tokenizer, seed=4).eval()
    texts = ["a long text with many many words in it", "short", "middle sized one"]
    together = predict_proba(model, tokenizer, texts, batch_size=2)       # batched by length
    alone = torch.cat([predict_proba(model, tokenizer, [t]) for t in texts])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(together[0], together[1])


# --- the three initialisations -------------------------------------------------------------------
@pytest.fixture(scope="module")
def standin_checkpoint(tmp_path_factory, tokenizer):
    """A BertForPreTraining checkpoint like the shipped one (tiny preset, pretrained without
    dropout, our tokenizer)."""
    path = tmp_path_factory.mktemp("bertbook-tiny")
    torch.manual_seed(123)
    config = BertConfig.preset("tiny", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    BertForPreTraining(config).save_pretrained(path)
    tokenizer.save(str(path / "tokenizer.json"))
    return path


def hf_tensors(path):
    """The checkpoint file itself, read with safetensors (not with bertbook's loader)."""
    from safetensors.torch import load_file
    return load_file(str(path / "model.safetensors"))


def assert_encoder_is(model, hf, prefix):
    """Every encoder tensor of the model equals the file's, fused qkv split by hand."""
    enc = model.bert
    assert torch.equal(enc.embeddings.word_embeddings.weight, hf[f"{prefix}embeddings.word_embeddings.weight"])
    assert torch.equal(enc.embeddings.position_embeddings.weight, hf[f"{prefix}embeddings.position_embeddings.weight"])
    for i, layer in enumerate(enc.encoder.layer):
        q, k, v = layer.attention.qkv.weight.chunk(3)
        for name, t in zip(("query", "key", "value"), (q, k, v)):
            assert torch.equal(t, hf[f"{prefix}encoder.layer.{i}.attention.self.{name}.weight"])
        assert torch.equal(layer.ffn.output.weight, hf[f"{prefix}encoder.layer.{i}.output.dense.weight"])
        assert torch.equal(layer.output_norm.bias, hf[f"{prefix}encoder.layer.{i}.output.LayerNorm.bias"])
    assert torch.equal(enc.pooler.dense.weight, hf[f"{prefix}pooler.dense.weight"])


def assert_fresh_head(model, num_labels=2):
    w = model.classifier.weight
    assert w.shape == (num_labels, model.config.hidden_size)
    assert 0.01 < w.std().item() < 0.03 and torch.equal(model.classifier.bias, torch.zeros(num_labels))


def test_pretrained_initialisation_loads_the_checkpoint_encoder(standin_checkpoint):
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # the expected "new head" warning is handled
        model, tok = build_classifier("pretrained", checkpoint=standin_checkpoint)
    hf = hf_tensors(standin_checkpoint)
    assert_encoder_is(model, hf, "bert.")
    assert_fresh_head(model)
    assert not torch.equal(model.classifier.weight, hf["cls.seq_relationship.weight"])   # NSP head not reused
    assert tok.get_vocab_size() == 8000
    # fine-tuning dropout is 0.1 although the checkpoint was pretrained without
    dropouts = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 2 + 2 and set(dropouts) == {0.1}            # one per layer, embeddings, head
    assert [layer.attention.dropout_p for layer in model.bert.encoder.layer] == [0.1, 0.1]
    assert build_classifier("pretrained", checkpoint=standin_checkpoint, dropout=0.0)[0].classifier.weight.shape == (2, 128)


def test_shipped_checkpoint_loads_into_a_classifier():
    if not (PRETRAINED_DIR / "model.safetensors").is_file():
        pytest.skip(f"no shipped checkpoint at {PRETRAINED_DIR} yet")
    model, _ = build_classifier("pretrained")
    assert_encoder_is(model, hf_tensors(PRETRAINED_DIR), "bert.")
    assert_fresh_head(model)


def test_minilm_initialisation_loads_the_real_encoder(minilm_dir):
    from pathlib import Path
    model, tok = build_classifier("minilm", num_labels=3)
    assert_encoder_is(model, hf_tensors(Path(minilm_dir)), "")
    assert_fresh_head(model, num_labels=3)
    assert tok.get_vocab_size() == 30522 and model.config.num_labels == 3


def test_scratch_initialisation_is_random_and_seeded(standin_checkpoint):
    a, tok = build_classifier("scratch", seed=0)
    b, _ = build_classifier("scratch", seed=0)
    c, _ = build_classifier("scratch", seed=1)
    assert a.config.num_hidden_layers == 2 and a.config.hidden_size == 128 and tok.get_vocab_size() == 8000
    w = a.bert.encoder.layer[0].attention.qkv.weight
    assert torch.equal(w, b.bert.encoder.layer[0].attention.qkv.weight)
    assert not torch.equal(w, c.bert.encoder.layer[0].attention.qkv.weight)
    query = hf_tensors(standin_checkpoint)["bert.encoder.layer.0.attention.self.query.weight"]
    assert not torch.equal(w.chunk(3)[0], query)
    with pytest.raises(ValueError, match="init must be one of"):
        build_classifier("bert-base")
    with pytest.raises(FileNotFoundError, match="No pretrained checkpoint"):
        build_classifier("pretrained", checkpoint=standin_checkpoint / "nowhere")


# --- long texts ----------------------------------------------------------------------------------
def test_window_spans_overlap_by_the_stride():
    spans = window_spans(300, max_length=128, stride=32)
    assert spans == [(0, 126), (94, 220), (188, 300)]
    for n, m, s in [(1, 128, 32), (126, 128, 32), (127, 128, 32), (1000, 20, 5), (33, 6, 0)]:
        spans = window_spans(n, m, s)
        assert spans[0][0] == 0 and spans[-1][1] == n and all(b - a <= m - 2 for a, b in spans)
        assert all(b0 - a1 == s for (_, b0), (a1, _) in zip(spans, spans[1:]))
    assert window_spans(126, 128, 32) == [(0, 126)]
    with pytest.raises(ValueError, match="stride=126 must be"):
        window_spans(300, 128, 126)


def test_long_text_is_classified_in_overlapping_windows(tokenizer):
    model = small_classifier(tokenizer, seed=5, max_position_embeddings=64).eval()
    text = " ".join(random.Random(6).choices(WORDS, k=400))
    n = len(tokenizer.encode(text, add_special_tokens=False).ids)
    assert n + 2 > 3 * 64                                               # far more than the 64 positions
    pred = classify_long_text(model, tokenizer, text, stride=16)
    w = pred.windows
    assert w.input_ids.shape[1] <= 64 and len(w.spans) == pred.window_probabilities.shape[0] > 1
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    for row, (a, b) in enumerate(w.spans):
        k = b - a
        assert w.input_ids[row, :k + 2].tolist() == [2, *ids[a:b], 3] and w.attention_mask[row].sum() == k + 2
    for row in range(len(w.spans) - 1):                                    # consecutive windows share 16 tokens
        k = w.spans[row][1] - w.spans[row][0]
        assert w.input_ids[row, k + 1 - 16:k + 1].tolist() == w.input_ids[row + 1, 1:17].tolist()
    torch.testing.assert_close(pred.probabilities, pred.window_probabilities.mean(0))
    for row, (a, b) in enumerate(w.spans):                                   # each window alone, unpadded
        alone = model(torch.tensor([[2, *ids[a:b], 3]])).logits.softmax(-1)[0]
        torch.testing.assert_close(pred.window_probabilities[row], alone, rtol=0, atol=1e-5)
    assert pred.probabilities.sum().item() == pytest.approx(1.0)


def test_short_text_gives_the_single_window_answer(tokenizer):
    model = small_classifier(tokenizer, seed=6).eval()
    text = "the garden door was open at night"
    pred = classify_long_text(model, tokenizer, text, max_length=32, stride=8)
    assert len(pred.windows.spans) == 1
    assert torch.equal(pred.windows.input_ids, torch.tensor([tokenizer.encode(text).ids]))
    torch.testing.assert_close(pred.probabilities, predict_proba(model, tokenizer, [text])[0], rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="more than the model's 128 positions"):
        classify_long_text(model, tokenizer, text, max_length=256)


def test_split_into_windows_refuses_an_empty_text(tokenizer):
    with pytest.raises(ValueError, match="no tokens"):
        split_into_windows(tokenizer, "   ")


def _resume_runs(tokenizer, tmp_path, name, **overrides):
    """An uninterrupted run, and one stopped after its first step (a checkpoint) then resumed."""
    texts, labels = toy_task(64, seed=9)
    kw = dict(epochs=2, batch_size=16, lr=1e-3, seed=3, progress=False)
    straight = small_classifier(tokenizer, **overrides)
    whole = fine_tune(straight, tokenizer, texts, labels, checkpoint_dir=tmp_path / f"{name}-straight", **kw)
    first = fine_tune(small_classifier(tokenizer, **overrides), tokenizer, texts, labels,
                      checkpoint_dir=tmp_path / name, max_minutes=0, **kw)
    assert len(first) == 1 and (tmp_path / name / "checkpoint-1" / "trainer_state.json").is_file()
    return straight, whole, (texts, labels, kw)


def test_an_interrupted_run_resumes_exactly(tokenizer, tmp_path):
    """Data order from the seed, AdamW's moments, the schedule and the RNG (dropout) from the
    checkpoint: the resumed run ends with the uninterrupted run's weights and history."""
    straight, whole, (texts, labels, kw) = _resume_runs(tokenizer, tmp_path, "run")
    resumed = small_classifier(tokenizer, seed=1)            # other initial weights: the checkpoint's win
    history = fine_tune(resumed, tokenizer, texts, labels, checkpoint_dir=tmp_path / "run", **kw)
    assert [h["loss"] for h in history] == [h["loss"] for h in whole] and len(history) == 8
    for (n, a), b in zip(straight.named_parameters(), resumed.parameters()):
        assert torch.equal(a, b), n
    with pytest.raises(ValueError, match="other settings"):
        fine_tune(small_classifier(tokenizer), tokenizer, texts, labels, checkpoint_dir=tmp_path / "run",
                  **{**kw, "lr": 2e-3})


def test_a_checkpoint_in_the_old_format_still_resumes(tokenizer, tmp_path):
    """Runs started before the one checkpoint format (``trainable.safetensors`` + ``state.json``,
    e.g. lesson 9's SQuAD model) resume: the same weights as an uninterrupted run when no dropout
    draws random numbers (the old format kept no RNG state)."""
    from safetensors.torch import load_file, save_file

    from bertbook.training_checkpoint import read_state
    no_dropout = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    straight, whole, (texts, labels, kw) = _resume_runs(tokenizer, tmp_path, "new", **no_dropout)
    new = tmp_path / "new" / "checkpoint-1"                 # rewritten as the old writer wrote it
    state, moments = read_state(new), load_file(str(new / "optimizer.safetensors"))
    model = small_classifier(tokenizer, **no_dropout)
    from bertbook.training_checkpoint import restore
    restore(new, model)
    tensors = {f"param.{n}": p.detach().clone() for n, p in model.named_parameters()}
    tensors |= {f"adam.{k}": v for k, v in moments.items() if not k.startswith("rng.")}
    old = tmp_path / "old" / "checkpoint"
    old.mkdir(parents=True)
    save_file(tensors, str(old / "trainable.safetensors"))
    (old / "state.json").write_text(json.dumps({"step": 1, "settings": state["settings"],
                                                "history": state["log_history"]}))
    resumed = small_classifier(tokenizer, **no_dropout)
    history = fine_tune(resumed, tokenizer, texts, labels, checkpoint_dir=old, **kw)
    assert [h["loss"] for h in history] == pytest.approx([h["loss"] for h in whole]) and len(history) == 8
    for (n, a), b in zip(straight.named_parameters(), resumed.parameters()):
        torch.testing.assert_close(a, b, msg=n)
    assert (old / "checkpoint-8" / "trainer_state.json").is_file()      # and it goes on in the new format
