"""fill_mask, MiniLM taught to fill in blanks (minilm-mlm) and the cloze test.

minilm-mlm is checked against transformers' BertForMaskedLM holding the same weights (MiniLM's
checkpoint + our trained tensors under transformers' names); the cloze figure against a
frequent-words baseline that must score 0, which shows the threshold can fail."""
import json
import os
import re
from collections import Counter

import pytest
import torch

from bertbook import BertConfig, BertForPreTraining, BertModel, load_corpus, load_library, load_tokenizer
from bertbook.cloze import (CLOZE_FILE, FOURTH_SET_FILE, SECOND_SET_FILE, THIRD_SET_FILE, ClozeItem, ClozeResult,
                            cloze_score, load_cloze)
from bertbook.fill_mask import fill_mask, mask_probabilities
from bertbook.minilm_mlm import HEAD_DIR, MLM_FILE, load_minilm_mlm
from bertbook.model_cards import cloze_by_register


@pytest.fixture(scope="module")
def mlm():
    return load_minilm_mlm()


def _flat(documents):
    """Every sentence, lower-case, one space between words: what a copied sentence would match."""
    return "\n".join(" ".join(s.lower().split()) for d in documents for s in d.sentences)


@pytest.fixture(scope="module")
def corpus_text():
    return _flat(load_corpus())


@pytest.fixture(scope="module")
def library_text():
    return _flat(load_library())


@pytest.fixture(scope="module")
def novels_tokenized_once():
    """The training tests below build ContinuedPretraining several times on the nine novels."""
    import bertbook.minilm_mlm as minilm_mlm
    from tests.conftest import minilm_token_ids_once
    with minilm_token_ids_once(minilm_mlm, ["corpus_sentences"]) as memo:
        yield memo


# --- the cloze set ---------------------------------------------------------------------------
def test_cloze_set_is_large_enough_and_well_formed():
    items = load_cloze()
    assert len(items) >= 40
    sizes = {name: sum(item.set == name for item in items) for name in ("novels", "everyday")}
    assert sizes == {"novels": 28, "everyday": 47} and len(items) == 75, "bertbook/cloze.py's docstring gives these sizes"
    assert all(item.sentence.count("[MASK]") == 1 and item.acceptable for item in items)
    assert len({item.sentence for item in items}) == len(items)


@pytest.mark.parametrize("cloze_file, sizes, earlier", [
    (SECOND_SET_FILE, {"novels": 27, "everyday": 49}, [CLOZE_FILE]),
    (THIRD_SET_FILE, {"novels": 25, "everyday": 50}, [CLOZE_FILE, SECOND_SET_FILE]),
    (FOURTH_SET_FILE, {"novels": 25, "everyday": 50}, [CLOZE_FILE, SECOND_SET_FILE, THIRD_SET_FILE])],
    ids=["second_set", "third_set", "fourth_set"])
def test_later_cloze_sets_are_well_formed_and_new(cloze_file, sizes, earlier):
    """The second, third and fourth sets: their sizes as bertbook/cloze.py says, one [MASK] each, and no sentence of an
    earlier set."""
    items = load_cloze(cloze_file)
    assert {name: sum(item.set == name for item in items) for name in sizes} == sizes
    assert len(items) == sum(sizes.values())
    assert all(item.sentence.count("[MASK]") == 1 and item.acceptable for item in items)
    assert len({item.sentence for item in items}) == len(items)
    assert not {item.sentence for item in items} & {item.sentence for f in earlier for item in load_cloze(f)}


ALL_SETS = pytest.mark.parametrize("cloze_file", [CLOZE_FILE, SECOND_SET_FILE, THIRD_SET_FILE, FOURTH_SET_FILE],
                                    ids=["first_set", "second_set", "third_set", "fourth_set"])


def _found(needles, text):
    """The ``needles`` (one cloze sentence filled with each acceptable word) that occur in ``text``, as ``n in text``
    would say. They share the context before the gap (a common prefix) and after it (a common suffix), so the text
    is searched once for the longer of the two, and each needle is compared only where that stands."""
    prefix = os.path.commonprefix(list(needles))
    suffix = os.path.commonprefix([n[::-1] for n in needles])[::-1]
    if len(needles) < 2 or max(len(prefix), len(suffix)) < 12:
        return [n for n in needles if n in text]
    anchor, at_start = (prefix, True) if len(prefix) >= len(suffix) else (suffix, False)
    places, i = [], text.find(anchor)
    while i != -1:
        places.append(i)
        i = text.find(anchor, i + 1)
    shift = (lambda n: 0) if at_start else (lambda n: len(n) - len(anchor))
    return [n for n in needles if any(p >= shift(n) and text.startswith(n, p - shift(n)) for p in places)]


def test_the_anchored_search_finds_what_in_finds():
    text = "she lit the lamp and sat down.\nhe lit the fire and sat down to read.\nit lit the fire and"
    for needles in (["he lit the fire and sat down", "he lit the lamp and sat down"],       # a shared prefix
                    ["she lit the fire and sat down to read", "he lit the fire and sat down to read"],  # a shared suffix
                    ["lit the lamp and sat down.", "lit the candle and sat down."], ["sat", "down"]):
        assert _found(needles, text) == [n for n in needles if n in text]
    assert _found(["the fire and sat down to read", "the lamp and sat down to read"], text) == ["the fire and sat down to read"]
    assert _found(["he lit the fire and sat", "he lit the firewood and sat"], text) == ["he lit the fire and sat"]


@ALL_SETS
def test_cloze_sentences_are_not_from_the_library(corpus_text, library_text, cloze_file):
    """No cloze sentence, with any of its answers, is in any of the 52 books the models trained on;
    no 5-word stretch of context is in the nine novels, no 7-word one in the whole library (ordinary
    6-word phrases such as "he put on his hat and" do occur in 5.6M words of books)."""
    for item in load_cloze(cloze_file):
        left, right = (" ".join(part.lower().split()) for part in item.sentence.split("[MASK]"))
        copied = _found([f"{left} {word} {right}".strip().rstrip(".") for word in sorted(item.acceptable)], library_text)
        assert not copied, f"copied from the library: {copied}"
        for side in (left, right.rstrip(".")):
            if len(side.split()) >= 7:
                assert side not in library_text, f"context copied from the library: {side!r}"
    for item in load_cloze(cloze_file):
        left, right = (" ".join(part.lower().split()) for part in item.sentence.split("[MASK]"))
        for word in item.acceptable:
            sentence = f"{left} {word} {right}".strip().rstrip(".")
            assert sentence not in corpus_text, f"copied from the corpus: {sentence!r}"
        # not even a long stretch of one: 5+ words of context on either side
        for side in (left, right.rstrip(".")):
            if len(side.split()) >= 5:
                assert side not in corpus_text, f"context copied from the corpus: {side!r}"


def _answers(items) -> dict:
    """The shipped weights' counts on a cloze set, as the records store them."""
    return cloze_by_register("minilm-mlm", items)


def _sums(record, *runs) -> dict:
    return {run: {r: record[run][r]["top1"] + record[run][r]["top5"] for r in ("everyday", "novels")} for run in runs}


def test_shipped_model_is_the_one_the_third_cloze_set_chose():
    """The third set decided once between run 10 and run 11 (data/cloze/README.md): the shipped weights answer
    it as the record says run 11 did, and the recorded counts meet the rule that was written before."""
    record = json.loads((HEAD_DIR / "metrics.json").read_text())["third_cloze_set"]
    assert _answers(load_cloze(THIRD_SET_FILE)) == record["run11"]
    both = _sums(record, "run10", "run11")
    assert both["run11"]["everyday"] >= both["run10"]["everyday"] + 2
    assert both["run11"]["novels"] >= both["run10"]["novels"] - 1


def test_the_second_cloze_set_record_holds():
    """The second set decided between run 6 and run 10 by its rule; the shipped weights (run 11, which answered
    it after the third set's decision) answer it as the record says."""
    record = json.loads((HEAD_DIR / "metrics.json").read_text())["second_cloze_set"]
    shipped = {k: v for k, v in record["run11"].items() if k != "answered"}
    assert _answers(load_cloze(SECOND_SET_FILE)) == shipped
    both = _sums(record, "run6", "run10")
    assert both["run10"]["everyday"] > both["run6"]["everyday"]
    assert both["run10"]["novels"] >= both["run6"]["novels"] - 1


def test_every_run_record_names_the_run_it_continued():
    """The records' ``continues`` fields (which the prose registry follows to count the runs behind the shipped
    weights) lead from every run back to the novels-only run without a missing file or a circle, and the shipped
    weights' line is the one the model's README tells: runs 2 to 6, then 9 and 10 (not 7 or 8), then the later runs."""
    records = {p.name: json.loads(p.read_text()) for p in HEAD_DIR.glob("*.json")}
    runs = {name: r for name, r in records.items() if isinstance(r, dict) and "history" in r and "init" in r}
    assert len(runs) >= 10, sorted(runs)
    chains = {}
    for name, record in runs.items():
        assert record.get("continues") in records, (name, record.get("continues"))
        seen, at = [], name
        while at != "novels_run.json":
            assert at not in seen, f"'continues' goes round in a circle: {seen + [at]}"
            seen.append(at)
            at = records[at]["continues"]
        chains[name] = seen
    line = chains["metrics.json"][::-1]
    assert "run7_not_shipped.json" not in line and "run8_not_shipped.json" not in line
    assert line[:5] == ["everyday_run.json", "content_run.json", "more_steps_run.json", "half_lr_run.json",
                        "everyday_80_run.json"], line
    assert line[5:7] == ["run9_not_shipped.json", "more_books_run.json"], line


def _normalised(text):
    """Lower case, punctuation to spaces, one space between words (so "bus." matches "bus ?")."""
    return " ".join(re.sub(r"[^\w']+", " ", text.lower()).split())


@pytest.fixture(scope="module")
def everyday_text():
    from bertbook.corpus import load_everyday
    from bertbook.minilm_mlm import task_texts
    text = "\n".join(_normalised(s) for d in load_everyday() for s in d.sentences)
    return text + "\n" + "\n".join(_normalised(s) for s in task_texts())


@ALL_SETS
def test_cloze_sentences_are_not_in_the_everyday_training_text(everyday_text, cloze_file):
    """The mixed library's modern half (data/everyday and the task sets' training text, what the
    retrained minilm-mlm read): no cloze sentence with any acceptable word filled in, and no stretch of
    6 or more words of context, occurs in it; and the check finds a sentence that is there."""
    text = everyday_text
    for item in load_cloze(cloze_file):
        left, right = (_normalised(part) for part in item.sentence.split("[MASK]"))
        found = _found([f"{left} {word} {right}".strip() for word in sorted(item.acceptable)], text)
        assert not found, f"in the everyday text: {item.sentence} ({found})"
        for side in (left, right):
            assert len(side.split()) < 6 or side not in text, f"context in the everyday text: {side!r}"
    assert _normalised("Can you show me my alarms?") in text          # the search does find what is there


def _report(name, result):
    print(f"{name}: {result}")
    for sentence, words, hit in result.rows:
        print(f"{'+' if hit else '-'} {sentence}  ->  {', '.join(words)}")


def test_default_model_gets_half_of_the_novel_style_cloze_sentences():
    """Issue 7's target, on the 28 sentences in the novels' style it was set for: an acceptable word
    in the top 5 for at least half of them, with fill_mask's default model (minilm-mlm); and its
    answers depend on the sentence."""
    result = cloze_score(k=5)
    _report("default (minilm-mlm)", result)
    hits, total = result.by_set()["novels"]
    assert total == 28 and hits * 2 >= total, result.by_set()
    assert len({w for _, words, _ in result.rows for w in words[:1]}) >= result.total // 2   # not one stock answer


@pytest.mark.xfail(strict=True, reason="issue 17's target is not reached by the shipped minilm-mlm "
                   "(see data/pretrained/minilm-mlm/README.md for its scores); strict: passing means update this")
def test_default_model_reaches_issue_17_target():
    """Issue 17: the right word first for >= 75% of the 40 sentences, in the top 5 for >= 90%."""
    top5 = cloze_score(k=5)
    top1 = top5.within(1)
    assert top1.hits >= 0.75 * top1.total and top5.hits >= 0.9 * top5.total, (str(top1), str(top5))


def test_within_scores_the_first_k_answers_as_a_fresh_pass_would():
    """``within(1)`` on a top-5 result gives what scoring at k=1 gives (the records' right-first counts come from
    it), and it rescores the kept words: an acceptable word at rank 3 is a top-5 hit, not a top-1 one."""
    items = load_cloze()[:6] + load_cloze()[-6:]
    five, one = cloze_score(k=5, items=items), cloze_score(k=1, items=items)
    assert five.within(1).rows == one.rows and five.within(1).by_set() == one.by_set()
    item = ClozeItem("She lit the [MASK].", frozenset({"fire"}), "novels")
    ranked = cloze_score(lambda sentence, k: [("lamp", .3), ("candle", .2), ("fire", .1)][:k], k=5, items=[item])
    assert (ranked.hits, ranked.within(3).hits, ranked.within(2).hits, ranked.within(1).hits) == (1, 1, 0, 0)
    with pytest.raises(ValueError, match="score it again"):
        ClozeResult(1, 1, ranked.rows, ranked.sets).within(1)
    with pytest.raises(ValueError, match="1 <= k <= 5"):
        ranked.within(6)                       # more answers than were kept: it cannot know the sixth


def test_frequent_words_baseline_scores_zero():
    """Predict the corpus' five most frequent tokens whatever the context: the test must fail it."""
    tok = load_tokenizer("minilm")
    sentences = [s for d in load_corpus() for s in d.sentences[:1500]]
    counts = Counter(t for e in tok.encode_batch(sentences) for t in e.tokens if not re.fullmatch(r"\[\w+\]", t))
    top = [(w, n / sum(counts.values())) for w, n in counts.most_common(5)]
    assert {w for w, _ in top} & {"the", ",", ".", "and", "of"}, top
    result = cloze_score(lambda sentence, k: top[:k], k=5)
    assert result.hits == 0
    assert not result.hits * 2 >= result.total          # the threshold of the test above fails it


def test_students_tiny_model_uses_the_context():
    """Our tiny BERT, pretrained with MLM, beats the frequent-words baseline (which scores 0)."""
    result = cloze_score(k=5, model="bertbook-tiny")                # shipped in the repository: never skipped
    _report("bertbook-tiny", result)
    assert result.hits >= 4, str(result)


# --- fill_mask -------------------------------------------------------------------------------
def test_matches_transformers_masked_lm(mlm, minilm_dir):
    """Same weights in transformers' BertForMaskedLM: same probabilities at the [MASK]s."""
    from safetensors.torch import load_file
    from transformers import BertForMaskedLM
    hf = BertForMaskedLM.from_pretrained(str(minilm_dir)).eval()     # warns: no MLM head in MiniLM
    trained = {k: v.float() for k, v in load_file(str(HEAD_DIR / MLM_FILE)).items()}
    missing, unexpected = hf.load_state_dict(trained, strict=False)
    assert not unexpected and "cls.predictions.transform.dense.weight" in trained
    assert hf.cls.predictions.decoder.weight.data_ptr() == hf.bert.embeddings.word_embeddings.weight.data_ptr()
    text = "The [MASK] barked at the postman, and the [MASK] ran away."
    tok = load_tokenizer("minilm")
    ids = torch.tensor([tok.encode(text).ids])
    with torch.no_grad():
        ref = hf(input_ids=ids).logits.softmax(-1)[0]
    tokens, positions, probs = mask_probabilities(text, mlm, tok)
    assert positions == [i for i, t in enumerate(tokens) if t == "[MASK]"] and len(positions) == 2
    assert (probs - ref[positions]).abs().max() < 1e-5
    top = fill_mask(text, k=5, model=mlm)
    for preds, row in zip(top, ref[positions]):
        expected = [tok.id_to_token(int(i)) for i in row.topk(12).indices if not tok.id_to_token(int(i)).startswith("[")][:5]
        assert [w for w, _ in preds] == expected


def test_one_mask_gives_pairs_several_give_lists(mlm):
    one = fill_mask("It was a dark and stormy [MASK].", k=3, model=mlm)
    assert len(one) == 3 and all(isinstance(w, str) and 0 < p <= 1 for w, p in one)
    assert [p for _, p in one] == sorted((p for _, p in one), reverse=True)
    several = fill_mask("[MASK] lit the [MASK].", k=4, model=mlm)
    assert len(several) == 2 and all(len(p) == 4 for p in several)
    assert all(not w.startswith("[") for preds in several for w, _ in preds)   # no [CLS], [unused0] ...


def test_default_model_is_the_best_on_the_cloze_test(mlm):
    text = "She lit the [MASK] and sat down to read."
    assert fill_mask(text) == fill_mask(text, model=mlm, tokenizer=load_tokenizer("minilm"))
    assert cloze_score(model="minilm-mlm").hits > cloze_score(model="bertbook-tiny").hits


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("She lit the candle.", "no \\[MASK\\]"),
    ("She lit the [mask].", "upper-case"),
    ("word " * 600 + "[MASK].", "600|602|positions"),
])
def test_bad_text_gets_a_clear_error(mlm, text, message):
    with pytest.raises(ValueError, match=message):
        fill_mask(text, model=mlm)


def test_too_long_for_a_small_model():
    torch.manual_seed(0)
    model = BertForPreTraining(BertConfig.preset("tiny", max_position_embeddings=16)).eval()
    with pytest.raises(ValueError, match="16 positions"):
        fill_mask("one two three four five six seven eight nine ten eleven twelve thirteen [MASK] fifteen.", model=model)
    assert len(fill_mask("one two [MASK].", k=2, model=model)) == 2     # our 8k tokenizer, found by vocab size


def test_bad_arguments():
    with pytest.raises(ValueError, match="k must be"):
        fill_mask("a [MASK].", k=0, model=BertForPreTraining(BertConfig.preset("tiny")))
    with pytest.raises(TypeError, match="masked-LM head"):
        fill_mask("a [MASK].", model=BertModel(BertConfig.preset("tiny")))
    with pytest.raises(TypeError, match="string"):
        fill_mask(["a [MASK]."], model=BertForPreTraining(BertConfig.preset("tiny")))
    with pytest.raises(ValueError, match="tokenizer"):
        fill_mask("a [MASK].", model=BertForPreTraining(BertConfig.preset("tiny", vocab_size=500)))


# --- the shipped weights and their training --------------------------------------------------------
def test_weights_file_holds_only_what_training_changed():
    """The top layers and the head, float16; not the embeddings (= the tied decoder) nor the
    lower layers, which stay the installed MiniLM's."""
    import json

    from safetensors.torch import load_file
    sd = load_file(str(HEAD_DIR / MLM_FILE))
    layers = json.loads((HEAD_DIR / "metrics.json").read_text())["train_layers"]
    heads = {"cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
             "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
             "cls.predictions.bias"}
    assert heads <= set(sd) and sd["cls.predictions.bias"].shape == (30522,)
    trained_layers = {int(k.split(".")[3]) for k in sd if k.startswith("bert.encoder.layer.")}
    assert trained_layers == set(range(6 - layers, 6))
    assert not [k for k in sd if "embeddings" in k or "decoder" in k]
    assert len(sd) == len(heads) + 16 * layers and all(v.dtype == torch.float16 for v in sd.values())


def test_load_pretrained_by_name(mlm, minilm):
    from bertbook import CheckpointError, load_pretrained
    model = load_pretrained("minilm-mlm", model_class=BertForPreTraining)
    assert torch.equal(model.mlm.dense.weight, mlm.mlm.dense.weight)
    assert model.mlm.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, minilm.embeddings.word_embeddings.weight)
    import json
    trained = json.loads((HEAD_DIR / "metrics.json").read_text())["train_layers"]
    for i in range(6):             # the trained layers differ from MiniLM's, the others are MiniLM's
        same = torch.equal(model.bert.encoder.layer[i].attention.qkv.weight, minilm.encoder.layer[i].attention.qkv.weight)
        assert same == (i < 6 - trained), i
    assert not model.training
    with pytest.raises(CheckpointError, match="minilm"):
        load_pretrained("minilm-mlm", model_class=BertModel)


def test_missing_or_corrupt_weights_get_a_clear_error(tmp_path):
    from bertbook import CheckpointError
    with pytest.raises(FileNotFoundError, match="python -m bertbook.minilm_mlm"):
        load_minilm_mlm(directory=tmp_path)
    (tmp_path / MLM_FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="retrain"):
        load_minilm_mlm(directory=tmp_path)


def _run(tmp_path, name, **kw):
    from bertbook.minilm_mlm import ContinuedPretraining
    settings = dict(steps=3, batch_size=4, held_out=16, warmup_steps=1, save_every=2, eval_every=3, log=lambda *_: None)
    return ContinuedPretraining(tmp_path / name, **{**settings, **kw})


def test_training_moves_only_the_top_layers_and_the_head(tmp_path, minilm, novels_tokenized_once):
    run = _run(tmp_path, "a", train_layers=2)
    before = {n: p.detach().clone() for n, p in run.model.named_parameters()}
    history = run.train()
    after = dict(run.model.named_parameters())
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert changed and all(n.startswith(("bert.encoder.layer.4.", "bert.encoder.layer.5.", "mlm.")) for n in changed)
    assert "mlm.dense.weight" in changed and "bert.encoder.layer.5.ffn.output.weight" in changed
    assert torch.equal(after["bert.embeddings.word_embeddings.weight"], minilm.embeddings.word_embeddings.weight)
    masked = sum(int((b["labels"] != -100).sum()) for b in run.eval_batches)
    assert history[-1]["step"] == 3 and history[-1]["n"] == masked           # every held-out masked position
    assert history[-1]["mask_accuracy"] <= history[-1]["mask_top5"]
    path = run.export(tmp_path / "out")
    loaded = load_minilm_mlm(directory=path.parent)
    for n in changed:         # float16 on disk: equal to about 3 significant digits
        torch.testing.assert_close(dict(loaded.named_parameters())[n], after[n], rtol=2e-3, atol=1e-3)


def test_interrupted_training_resumes_exactly(tmp_path, novels_tokenized_once):
    straight = _run(tmp_path, "straight")
    straight.train()
    interrupted = _run(tmp_path, "interrupted")
    interrupted.train(max_minutes=0)              # stops (with a checkpoint) after its first step
    assert interrupted.step == 1
    resumed = _run(tmp_path, "interrupted")
    assert resumed.step == 1
    resumed.train()
    for (n, a), b in zip(straight.model.named_parameters(), resumed.model.parameters()):
        assert torch.equal(a, b), n
    from bertbook import CheckpointError
    with pytest.raises(CheckpointError, match="same arguments"):
        _run(tmp_path, "interrupted", lr=1e-3)


def test_building_the_model_leaves_the_global_rng_alone():
    """A notebook that seeds torch and then loads minilm-mlm draws the same numbers as one that does
    not load it: the head's initialisation uses a local torch.Generator."""
    from bertbook.minilm_mlm import minilm_with_mlm_head as new_model
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = new_model(train_layers=0, seed=7)
    load_minilm_mlm()
    assert torch.equal(torch.rand(3), expected)
    b = new_model(train_layers=0, seed=7)           # the seed still decides the fresh head
    assert torch.equal(a.mlm.dense.weight, b.mlm.dense.weight)
    assert not torch.equal(a.mlm.dense.weight, new_model(train_layers=0, seed=8).mlm.dense.weight)


def test_whole_word_masking_masks_every_piece_of_a_word():
    import random

    from bertbook.minilm_mlm import masked_batch
    from bertbook.pretraining_data import VocabInfo
    tok = load_tokenizer("minilm")
    info = VocabInfo.from_tokenizer(tok)
    ids = tok.encode("The unbelievably disorganised shopkeepers reorganised everything extraordinarily quickly.").ids
    pieces = tok.encode("The unbelievably disorganised shopkeepers reorganised everything extraordinarily quickly.").tokens
    assert sum(p.startswith("##") for p in pieces) >= 4          # the sentence needs split words to test anything
    split_seen = 0
    for seed in range(40):
        for whole in (True, False):
            b = masked_batch([ids], info, random.Random(seed), masked_lm_prob=0.3, whole_word_masking=whole)
            masked = set((b["labels"][0] != -100).nonzero().flatten().tolist())
            # a word's pieces: a piece and the ## pieces after it
            words, start = [], None
            for i, p in enumerate(pieces):
                if p.startswith("##"):
                    continue
                if start is not None:
                    words.append(range(start, i))
                start = i
            words.append(range(start, len(pieces)))
            partial = sum(0 < len(masked & set(w)) < len(w) for w in words)
            if whole:
                assert partial == 0, (seed, sorted(masked))
            else:
                split_seen += partial
    assert split_seen > 0            # without it, words are split: the test can fail


def test_the_schedule_can_be_shortened_on_resume(tmp_path, novels_tokenized_once):
    """--steps may change on resume (the learning rate then decays to 0 at the new last step); any
    other setting may not."""
    run = _run(tmp_path, "r", steps=6)
    run.train(max_minutes=0)
    assert run.step == 1
    resumed = _run(tmp_path, "r", steps=4)
    assert resumed.step == 1
    from bertbook.schedule import linear_warmup_decay
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(resumed.settings["lr"] * linear_warmup_decay(1, 4)(1))
    resumed.train()
    assert resumed.step == 4 and resumed.optimizer.param_groups[0]["lr"] == 0.0
    from bertbook import CheckpointError
    with pytest.raises(CheckpointError, match="same arguments"):
        _run(tmp_path, "r", steps=8, head_lr=1e-2)


def test_best_evaluation_is_exported(tmp_path, novels_tokenized_once):
    run = _run(tmp_path, "b", steps=4, eval_every=2)
    history = run.train()
    best = max(history, key=lambda r: r["mask_accuracy"])
    assert run.best["step"] == best["step"] and (tmp_path / "b" / "best" / MLM_FILE).is_file()
    load_minilm_mlm(directory=tmp_path / "b" / "best")
