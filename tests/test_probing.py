"""Lesson 10's package code: the CoNLL-U reader, word features on first pieces, POS probes and the
control task, the structural probe's scores, contextuality and the nearest-occurrence index."""
import numpy as np
import pytest
import torch

from bertbook import contextuality as cx
from bertbook import probing as pr
from bertbook import structural_probe as sp
from bertbook import treebank as tb

CONLLU = """# sent_id = a-1
# text = I don't know.
1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
4.1\tknows\t_\t_\t_\t_\t_\t_\t4:conj\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = a-2
1\tHello\thello\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_conllu_skips_multiword_tokens_and_empty_nodes():
    first, second = tb.parse_conllu(CONLLU)
    assert first.words == ["I", "do", "n't", "know", "."]
    assert first.upos == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert first.heads == [4, 4, 4, 0, 4] and first.sent_id == "a-1" and first.text == "I don't know."
    assert second.words == ["Hello"] and second.heads == [0]


@pytest.mark.parametrize("bad, words", [
    ("1\tI\tI\tPRON\n", ("4 columns", "10 tab-separated")),
    ("1\tI\tI\tPRON\tPRP\t_\t7\tnsubj\t_\t_\n", ("head '7'",)),
    ("2\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n", ("not 1, 2, 3",)),
])
def test_conllu_errors_name_the_line(bad, words):
    with pytest.raises(ValueError) as info:
        tb.parse_conllu(bad, "x.conllu")
    assert "x.conllu, line 1" in str(info.value)
    for w in words:
        assert w in str(info.value)


def test_shipped_treebank_counts_match_its_provenance():
    dev = tb.load_ud_ewt("dev")
    assert len(dev) == 2001                                  # data/SOURCES.md section 8
    assert all(s.heads.count(0) == 1 for s in dev)
    with pytest.raises(ValueError, match="training split is not shipped"):
        tb.load_ud_ewt("train")


def test_tree_distances_and_edges():
    heads = [2, 0, 2, 3]                                     # 1 <- 2 -> 3 -> 4
    d = tb.tree_distances(heads)
    assert d.tolist() == [[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]]
    assert tb.tree_edges(heads) == {frozenset((0, 1)), frozenset((1, 2)), frozenset((2, 3))}
    with pytest.raises(ValueError, match="one tree"):
        tb.tree_distances([2, 1, 0])


def test_majority_baseline_is_perfect_on_its_own_unambiguous_data():
    s = tb.Sentence("x", "a b", ["a", "b"], ["DET", "NOUN"], [2, 0], ["det", "root"])
    assert tb.majority_tag_baseline([s], [s]) == 1.0
    t = tb.Sentence("y", "c", ["c"], ["VERB"], [0], ["root"])
    assert tb.majority_tag_baseline([s], [t]) == 0.0            # unseen word: the most frequent tag


@pytest.fixture(scope="module")
def tiny():
    return pr.load_probe_model("bertbook-tiny")


@pytest.fixture(scope="module")
def tiny_features(tiny):
    model, tok = tiny
    fit = pr.usable(tb.load_ud_ewt("dev", limit=120), [tok])
    score = pr.usable(tb.load_ud_ewt("test", limit=120), [tok])
    return pr.word_features(model, tok, fit, "tiny"), pr.word_features(model, tok, score, "tiny")


def test_features_sit_on_each_words_first_piece(tiny):
    model, tok = tiny
    s = tb.Sentence("x", "", ["Unbelievably", "good", "."], ["ADV", "ADJ", "PUNCT"], [2, 0, 2], ["", "", ""])
    enc = tok.encode(s.words, is_pretokenized=True)
    first = tb.first_piece_positions(enc, 3)
    assert len(enc.ids) > 5 and first[0] == 1 and first[1] > 2     # "Unbelievably" has several pieces
    f = pr.word_features(model, tok, [s])
    with torch.no_grad():
        out = model(torch.tensor([enc.ids]), output_hidden_states=True)
    for layer in range(3):
        assert torch.allclose(f.layers[layer], out.hidden_states[layer][0, first], atol=1e-5)
    assert f.layers.dtype == torch.float32 and f.layers.shape == (3, 3, 128)


def test_features_refuse_sentences_longer_than_the_model(tiny):
    model, tok = tiny
    long = tb.Sentence("x", "", ["word"] * 200, ["NOUN"] * 200, [0] + [1] * 199, [""] * 200)
    with pytest.raises(ValueError, match="more pieces than the model's 128 positions"):
        pr.word_features(model, tok, [long])


def test_layer_out_of_range_is_a_clear_error(tiny_features):
    fit, _ = tiny_features
    for bad in (-1, 3, 1.5, "2"):
        with pytest.raises(ValueError, match="from 0 .the embeddings. to 2"):
            fit.layer(bad)


def test_random_weights_depend_on_the_seed_only():
    a, _ = pr.load_probe_model("bertbook-tiny", random_seed=1)
    b, _ = pr.load_probe_model("bertbook-tiny", random_seed=1)
    c, _ = pr.load_probe_model("bertbook-tiny", random_seed=2)
    trained, _ = pr.load_probe_model("bertbook-tiny")
    w = lambda m: next(m.encoder.layer[0].parameters())
    assert torch.equal(w(a), w(b)) and not torch.equal(w(a), w(c)) and not torch.equal(w(a), w(trained))


def test_control_tags_are_fixed_per_word_type_and_follow_the_tag_distribution():
    fit = tb.load_ud_ewt("dev", limit=300)
    tags = pr.control_tags(fit, seed=0)
    assert tags == pr.control_tags(fit, seed=0) and tags != pr.control_tags(fit, seed=1)
    labels = pr.control_labels(fit, tags)
    words = [w for s in fit for w in s.words]
    by_word = {}
    for w, label in zip(words, labels.tolist()):
        by_word.setdefault(w, set()).add(label)
    assert all(len(v) == 1 for v in by_word.values())          # the same word always gets the same tag
    assert set(tags.values()) <= set(tb.UPOS_TAGS) and len(set(tags.values())) > 5
    with pytest.raises(ValueError, match="no control tag"):
        pr.control_labels(tb.load_ud_ewt("test", limit=20), tags)


def test_a_probe_learns_a_linear_task_and_not_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 16, generator=g)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    probe = pr.fit_probe(x[:1000], y[:1000], "linear", seed=0, n_classes=4, epochs=150)   # one step an epoch
    assert pr.accuracy(probe, x[1000:], y[1000:]) > 0.9
    noise = torch.randint(0, 4, (2000,), generator=g)
    assert pr.accuracy(pr.fit_probe(x[:1000], noise[:1000], "mlp", seed=0, n_classes=4), x[1000:], noise[1000:]) < 0.4
    with pytest.raises(ValueError, match="'linear' or 'mlp'"):
        pr.fit_probe(x, y, "tree")


def test_pos_probe_on_the_tiny_model_beats_chance_and_reports_selectivity(tiny_features):
    fit, score = tiny_features
    control = pr.control_tags(fit.sentences, [score.sentences], seed=0)
    r = pr.probe_layer(fit, score, 2, "linear", 0, control)
    assert 0.5 < r["pos_accuracy"] <= 1 and 0 <= r["control_accuracy"] <= 1
    assert r["selectivity"] == pytest.approx(r["pos_accuracy"] - r["control_accuracy"])
    again = pr.probe_layer(fit, score, 2, "linear", 0, control)
    assert again == r                                          # seeded: the same record twice


def test_summarise_gives_mean_and_spread():
    recs = [{"model": "m", "layer": 0, "probe": "linear", "acc": v} for v in (0.5, 0.7, 0.6)]
    s = pr.summarise(recs, "acc")[("m", 0, "linear")]
    assert s["mean"] == pytest.approx(0.6) and s["sd"] == pytest.approx(0.1) and s["seeds"] == 3


# --- the structural probe -----------------------------------------------------------------------
def _sentence(heads, upos=None):
    n = len(heads)
    return tb.Sentence("x", "", [f"w{i}" for i in range(n)], upos or ["NOUN"] * n, heads, [""] * n)


def test_minimum_spanning_tree_finds_the_tree_of_its_distances():
    heads = [3, 3, 0, 3, 4, 5]
    assert sp.minimum_spanning_tree(tb.tree_distances(heads)) == tb.tree_edges(heads)
    with pytest.raises(ValueError, match="square"):
        sp.minimum_spanning_tree(np.zeros((2, 3)))


def test_uuas_and_spearman_of_gold_and_of_the_chain():
    sents = [_sentence([3, 3, 0, 3, 4, 5]), _sentence([2, 0, 2, 3, 4, 1, 6])]
    gold = [tb.tree_distances(s.heads).astype(float) for s in sents]
    assert sp.uuas(gold, sents) == 1.0 and sp.distance_spearman(gold, sents) == pytest.approx(1.0)
    chain = sp.linear_chain_distances(sents)
    # the chain finds (1,2) (2,3) (3,4) (4,5) of the first tree (4 of 5), (0,1) (1,2) (2,3) (3,4) (5,6) of the second (5 of 6)
    assert sp.uuas(chain, sents) == pytest.approx(9 / 11)
    assert sp.distance_spearman(chain, sents) < 1.0


def test_punctuation_is_left_out_of_both_trees():
    s = _sentence([2, 0, 2, 2], ["NOUN", "VERB", "NOUN", "PUNCT"])
    wrong_about_punct = tb.tree_distances(s.heads).astype(float)
    wrong_about_punct[3, :3] = wrong_about_punct[:3, 3] = [1, 9, 9]     # punctuation put next to word 0
    assert sp.uuas([wrong_about_punct], [s]) == 1.0
    assert sp.uuas([wrong_about_punct], [s], ignore_punctuation=False) == pytest.approx(2 / 3)


def test_structural_probe_learns_tree_distances_written_linearly_in_the_vectors():
    """Vectors whose squared distances *are* tree distances (a tree embeds in R^n that way: one
    orthogonal unit step per edge, scaled by 1/sqrt(2)... here built exactly), mixed by a random
    linear map: the probe must recover the trees; shuffled vectors must not."""
    g = np.random.default_rng(0)
    sents = []
    for k in range(60):
        n = int(g.integers(6, 12))
        heads = [0] + [int(g.integers(1, i + 1)) for i in range(1, n)]       # word i+1 hangs on an earlier word
        sents.append(_sentence(heads))
    dim = 24
    vecs = []
    for s in sents:
        # path-sum embedding: h_i = sum of random orthogonal-ish edge vectors on the path to the root
        n = len(s)
        edges = g.normal(size=(n, dim)) / np.sqrt(dim)
        h = np.zeros((n, dim))
        for i in range(n):
            j = i
            while s.heads[j]:
                h[i] += edges[j]
                j = s.heads[j] - 1
        vecs.append(h)
    mix = g.normal(size=(dim, dim))
    layers = torch.tensor(np.concatenate(vecs) @ mix, dtype=torch.float32).unsqueeze(0)
    offsets = np.cumsum([0] + [len(s) for s in sents]).tolist()
    fit = pr.WordFeatures("toy", layers, sents, offsets)
    probe = sp.fit_structural_probe(fit, 0, seed=0, rank=dim, epochs=30)
    d = sp.predicted_distances(probe, fit, 0)
    assert sp.uuas(d, sents) > 0.8 and sp.distance_spearman(d, sents) > 0.8
    shuffled = pr.WordFeatures("toy", layers[:, torch.randperm(layers.shape[1], generator=torch.Generator().manual_seed(0))],
                               sents, offsets)
    d = sp.predicted_distances(sp.fit_structural_probe(shuffled, 0, seed=0, rank=dim, epochs=30), shuffled, 0)
    assert sp.uuas(d, sents) < 0.6


# --- contextuality and the neighbour index ----------------------------------------------------------
def test_self_similarity_is_one_without_context_and_anisotropy_corrects_it():
    sents = [_sentence([0, 1, 1]) for _ in range(6)]
    for s in sents:
        s.words = ["cat", "dog", "fish"]
    base = torch.eye(3) + 1.0                                         # every vector shares a big common part
    layer0 = base.repeat(6, 1)                                        # no context: the same vector per word
    layer1 = layer0 + 0.5 * torch.randn(18, 3, generator=torch.Generator().manual_seed(0))
    f = pr.WordFeatures("toy", torch.stack([layer0, layer1]), sents, list(range(0, 19, 3)))
    rows = cx.occurrences(f, min_count=5)
    assert set(rows) == {"cat", "dog", "fish"}
    assert cx.self_similarity(f, 0, rows) == pytest.approx(1.0, abs=1e-5)
    assert cx.self_similarity(f, 1, rows) < 1.0
    r = cx.contextuality(f)
    assert r[0]["anisotropy"] > 0.8 and r[0]["adjusted"] == pytest.approx(r[0]["self_similarity"] - r[0]["anisotropy"])


@pytest.fixture(scope="module")
def index(tiny, tiny_features):
    model, tok = tiny
    return cx.NeighbourIndex(tiny_features[0], model, tok)


def test_nearest_occurrences_are_sorted_and_exclude_the_query_sentence(index):
    query = next(s for s in index.sentences if len(s) >= 6)
    found = index.nearest(" ".join(query.words), query.words[2], layer=2, k=5)
    sims = [n.similarity for n in found]
    assert len(found) == 5 and sims == sorted(sims, reverse=True) and all(-1.01 <= x <= 1.01 for x in sims)
    assert all(n.sentence != query.words for n in found)
    assert "<mark>" in found[0].html()
    # a word at layer 0 of an indexed sentence: its own type elsewhere is nearest when it recurs
    the = index.nearest("I saw the dog .", "the", layer=0, k=3)
    assert the[0].word.lower() == "the" and the[0].similarity > 0.9


@pytest.mark.parametrize("sentence, word, layer, message", [
    ("", "bank", 1, "the sentence is empty"),
    ("   ", "bank", 1, "the sentence is empty"),
    ("We sat on the bank.", "river", 1, "'river' is not a word of the sentence"),
    ("We sat on the bank.", 9, 1, "word number 9 is not in the sentence"),
    ("We sat on the bank.", "bank", 3, "layer must be an integer from 0 .the embeddings. to 2"),
    ("We sat on the bank.", "bank", -1, "layer must be an integer"),
])
def test_neighbour_bad_input_gets_a_clear_error(index, sentence, word, layer, message):
    with pytest.raises(ValueError, match=message):
        index.nearest(sentence, word, layer)


def test_neighbour_index_stores_float16_unit_vectors(index, tiny_features):
    assert index.vectors.dtype == torch.float16 and len(index) == tiny_features[0].layers.shape[1]
    norms = index.vectors[1].float().norm(dim=-1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=2e-3)


# --- the sweep and its results file ------------------------------------------------------------------
def test_the_results_file_holds_three_seeds_for_every_point():
    import json
    from collections import Counter
    from pathlib import Path
    data = json.loads((Path(__file__).resolve().parents[1] / "data/results/lesson10_probes.json").read_text())
    assert data["sentences"] == {"fit": pr.SENTENCES_PER_SPLIT, "score": pr.SENTENCES_PER_SPLIT}
    layers = {"minilm": 7, "bertbook-tiny": 3}
    points = Counter((r["model"], r["weights"], r["task"], r.get("probe"), r["layer"]) for r in data["records"])
    for model, n in layers.items():
        for weights in ("pretrained", "random"):
            for layer in range(n):
                for task, probe in (("pos", "linear"), ("pos", "mlp"), ("structural", None), ("contextuality", None)):
                    assert points[model, weights, task, probe, layer] == 3, (model, weights, task, probe, layer)
    for r in data["records"]:
        if r["task"] == "pos":
            assert r["selectivity"] == pytest.approx(r["pos_accuracy"] - r["control_accuracy"])
    assert 0 < data["baselines"]["linear_chain"]["uuas"] < 1 and len(data["baselines"]["control_majority"]) == 3


def test_the_sweep_script_writes_and_merges_records(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "tiny.json"
    cmd = [sys.executable, "benchmarks/probing_sweep.py", "--models", "bertbook-tiny", "--weights", "pretrained",
           "--sentences", "30", "--seeds", "0", "--out", str(out)]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["sentences"] == {"fit": 30, "score": 30}
    assert {(r["task"], r["layer"]) for r in data["records"]} == {(t, l) for t in ("pos", "structural", "contextuality")
                                                                   for l in range(3)}
    merged = tmp_path / "merged.json"
    done = subprocess.run([sys.executable, "benchmarks/probing_sweep.py", "--merge", str(out), str(out), "--out", str(merged)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and len(json.loads(merged.read_text())["records"]) == 2 * len(data["records"])
