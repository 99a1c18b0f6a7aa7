"""Lessons 1 and 2: the tokenizer and position widgets, their static fallbacks, the truncation rule
lesson 1 states, the WordPiece merge history and scores, and the notebooks' exercise structure.
The exercise self-checks' tables of wrong answers are in test_exercise_hints_01.py and _02.py."""
import base64
import json
import math
import random
import sys
from pathlib import Path

import pytest
import torch

from bertbook import encode, load_tokenizer
from bertbook.widgets.positions import PositionExplorer, position_explorer
from bertbook.widgets.render import png_size
from bertbook.widgets.tokens import TokenComparison, TokenTable, compare_tokenizers, token_table
from bertbook.wordpiece_merges import alphabet_size, learn_merges, vocabulary_after

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.fixture(scope="module")
def ours():
    return load_tokenizer("bertbook")


@pytest.fixture(scope="module")
def reference_bert_tokenizer(minilm_dir):
    """transformers' pure-Python WordPiece: independent of the `tokenizers` pipeline the widget uses."""
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
    return BertTokenizerLegacy(str(minilm_dir / "vocab.txt"), do_lower_case=True)


def math_pe(pos: int, j: int, d: int) -> float:
    return (math.sin if j % 2 == 0 else math.cos)(pos / 10000 ** (2 * (j // 2) / d))


# --------------------------------------------------------------------------------------------
# the tokenizer widget

def test_token_widget_follows_its_text_box(reference_bert_tokenizer):
    w = compare_tokenizers("Call me Ishmael.")
    assert isinstance(w, TokenComparison)
    real = "BERT uncased (MiniLM, 30522 pieces)"
    first_html = w.view.value
    for text in ["The harpooneers were unaffable!", "北京 naïve café", "x🙂y"]:
        w.text.value = text                                      # what typing in the box does
        ref_ids = reference_bert_tokenizer.encode(text)
        assert w.table.text == text
        assert w.table.ids(real) == ref_ids
        assert w.table.tokens(real) == reference_bert_tokenizer.convert_ids_to_tokens(ref_ids)
        for token in w.table.tokens(real):
            assert token.replace("&", "&amp;") in w.view.value   # the HTML shows every token
    assert w.view.value != first_html
    assert "harp" not in first_html and "unaffable" not in first_html


def test_token_widget_compares_ours_and_bert(ours):
    w = compare_tokenizers("unaffable")
    ours_name = "ours (bertbook, 8000 pieces)"
    assert w.table.tokens(ours_name) == ours.encode("unaffable").tokens == ["[CLS]", "un", "##af", "##fa", "##ble", "[SEP]"]
    assert w.table.tokens("BERT uncased (MiniLM, 30522 pieces)") == ["[CLS]", "una", "##ffa", "##ble", "[SEP]"]


def test_token_widget_mimebundle_has_a_static_fallback():
    w = compare_tokenizers("Whale!")
    bundle = w._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == w.widget.model_id
    assert bundle["text/html"] == w.view.value and "whale" in bundle["text/html"]
    assert bundle["text/plain"] == repr(w)


def test_token_static_view_and_automatic_fallback(monkeypatch, ours):
    table = compare_tokenizers("Whale!", tokenizers={"ours": ours}, static=True)
    assert isinstance(table, TokenTable)
    assert table.tokens("ours") == ["[CLS]", "whale", "!", "[SEP]"]
    assert "whale" in table._repr_html_() and "whale !" in str(table)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)        # import ipywidgets now raises ImportError
    assert isinstance(compare_tokenizers("Whale!", tokenizers=["bertbook"]), TokenTable)
    with pytest.raises(ImportError):
        TokenComparison("Whale!")


def test_token_table_rejects_bad_input():
    with pytest.raises(TypeError, match="must be a string"):
        token_table(42)
    with pytest.raises(TypeError, match="load_tokenizer"):
        token_table("hi", {"x": object()})
    with pytest.raises(ValueError, match="at least one tokenizer"):
        token_table("hi", {})


# --------------------------------------------------------------------------------------------
# the position widget

def test_position_sliders_redraw_the_figure():
    w = position_explorer(max_len=64, d_model=32, position=3, dimension=2)
    assert isinstance(w, PositionExplorer)
    p = w.panels
    before = bytes(w.image.value)
    w.position.value, w.dimension.value = 40, 7
    assert bytes(w.image.value) != before and bytes(w.image.value).startswith(b"\x89PNG")
    curve = p.dim_curve.get_ydata()
    assert len(curve) == 64
    assert all(abs(curve[q] - math_pe(q, 7, 32)) < 1e-5 for q in range(64))        # dimension 7 over positions
    row = p.pos_curve.get_ydata()
    assert all(abs(row[j] - math_pe(40, j, 32)) < 1e-5 for j in range(32))         # position 40's vector
    (x,), (y,) = p.dim_marker.get_data()
    assert x == 40 and abs(y - math_pe(40, 7, 32)) < 1e-5
    assert list(p.h_line.get_ydata()) == [40, 40] and list(p.v_line.get_xdata()) == [7, 7]
    assert "cos(40 / 10000<sup>6/32</sup>)" in w.readout.value
    assert f"{math_pe(40, 7, 32):.4f}" in w.readout.value
    assert "position 40" in p.axes[3].get_title()


def test_position_similarity_panel_depends_only_on_offset():
    """For the sinusoids the cosine similarity of p and p+k is sum_i cos(w_i k) / (d/2), whatever p is."""
    d = 32
    w = position_explorer(max_len=100, d_model=d, position=0, dimension=0)
    sims = {}
    for p in (20, 50):
        w.position.value = p
        sims[p] = w.panels.sim_curve.get_ydata()
    for k in range(-15, 16):
        expected = sum(math.cos(k * 10000 ** (-2 * i / d)) for i in range(d // 2)) / (d / 2)
        assert abs(sims[20][20 + k] - expected) < 1e-4 and abs(sims[50][50 + k] - expected) < 1e-4


def test_position_widget_on_a_learned_table_and_its_fallback():
    torch.manual_seed(0)
    table = torch.randn(30, 12)
    w = position_explorer(table=table, position=5, dimension=3)
    w.dimension.value = 9
    assert torch.allclose(torch.tensor(w.panels.dim_curve.get_ydata()), table[:, 9])
    assert w.readout.value == f"table[5, 9] = {float(table[5, 9]):.4f}"
    assert w.position.max == 29 and w.dimension.max == 11
    bundle, metadata = w._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(w.image.value)                    # static picture for GitHub
    width, height = png_size(bytes(w.image.value))                                          # drawn at 2x, shown at 1x
    assert metadata["image/png"] == {"width": width // 2, "height": height // 2}
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_position_static_figure_and_automatic_fallback(monkeypatch):
    from matplotlib.figure import Figure
    fig = position_explorer(max_len=16, d_model=8, position=4, dimension=1, static=True)
    assert isinstance(fig, Figure) and len(fig.axes) >= 4
    line = fig.axes[1].get_lines()[0]
    assert all(abs(line.get_ydata()[q] - math_pe(q, 1, 8)) < 1e-5 for q in range(16))
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert isinstance(position_explorer(max_len=16, d_model=8), Figure)


def test_position_widget_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        position_explorer(table=torch.zeros(5), static=True)
    with pytest.raises(ValueError, match="position must be in"):
        position_explorer(max_len=8, d_model=4, position=8, static=True)


# --------------------------------------------------------------------------------------------
# the truncation rule lesson 1 states after its exercise

def hf_rule(a, b, max_length):
    budget = max_length - 3
    if len(a) + len(b) <= budget:
        return a, b
    if len(a) <= len(b):
        keep = min(len(a), budget // 2)
        return a[:keep], b[:budget - keep]
    keep = min(len(b), budget // 2)
    return a[:budget - keep], b[:keep]


def test_truncation_rule_matches_encode_on_random_pairs(ours):
    """The rule the lesson states is what `tokenizers` does, on many lengths and budgets."""
    rng = random.Random(0)
    words = "whale sea ship captain harpoon sailor wind storm deck mast rope sail".split()
    for _ in range(200):
        a = " ".join(rng.choices(words, k=rng.randint(1, 12)))
        b = " ".join(rng.choices(words, k=rng.randint(1, 12)))
        max_length = rng.randint(5, 30)
        pa, pb = (ours.encode(t, add_special_tokens=False).tokens for t in (a, b))
        out = encode(ours, a, b, max_length=max_length, truncation=True)
        pieces = [ours.id_to_token(i) for i in out["input_ids"][0].tolist()]
        segs = out["token_type_ids"][0].tolist()
        kept = ([p for p, s in zip(pieces, segs) if s == 0][1:-1], [p for p, s in zip(pieces, segs) if s == 1][:-1])
        assert kept == hf_rule(pa, pb, max_length), (a, b, max_length)


# --------------------------------------------------------------------------------------------
# the merge history behind lesson 1's vocabulary

@pytest.fixture(scope="module")
def alice():
    from bertbook import load_corpus
    return next(d for d in load_corpus() if d.name == "alice_in_wonderland").sentences


def test_learn_merges_builds_what_wordpiece_trainer_builds(alice):
    from bertbook import train_wordpiece
    history = learn_merges(alice, vocab_size=600)
    ours_vocab, theirs = set(history.vocab()), set(train_wordpiece(alice, vocab_size=600).get_vocab())
    assert len(ours_vocab) == 600
    assert len(ours_vocab & theirs) >= 0.97 * len(theirs)          # equal up to ties between equal counts


def test_first_merge_is_the_most_frequent_pair(alice, ours):
    """Recount pairs by hand over the corpus words: merge 1 must be the most frequent pair."""
    from collections import Counter
    from bertbook.tokenizer import normalized_words
    words = Counter(w for s in alice for w in normalized_words(ours, s))
    pairs = Counter()
    for word, n in words.items():
        pieces = [word[0]] + ["##" + c for c in word[1:]]
        for a, b in zip(pieces, pieces[1:]):
            pairs[a, b] += n
    history = learn_merges(alice, vocab_size=200)
    assert history.merges[0] == pairs.most_common(1)[0][0]
    assert history.merged("th", "##e") == "the" and history.merged("a", "b") == "ab"
    with pytest.raises(ValueError, match="n_merges"):
        history.vocab(len(history.merges) + 1)


def test_vocabulary_after_replays_training_order(ours):
    base = alphabet_size(ours)
    vocab = ours.get_vocab()
    assert all(len(p.removeprefix("##")) == 1 for p, i in vocab.items() if 5 <= i < base)     # the alphabet
    assert len(next(p for p, i in vocab.items() if i == base).removeprefix("##")) == 2          # first merge
    chars = vocabulary_after(ours, 0).encode("whale", add_special_tokens=False).tokens
    assert chars == ["w", "##h", "##a", "##l", "##e"]
    full = vocabulary_after(ours, ours.get_vocab_size() - base)
    assert full.get_vocab() == vocab
    assert full.encode("The harpooneers were shouting").ids == ours.encode("The harpooneers were shouting").ids
    n = 300
    assert set(vocabulary_after(ours, n).get_vocab()) == {p for p, i in vocab.items() if i < base + n}
    with pytest.raises(ValueError, match="n_merges must be between"):
        vocabulary_after(ours, 10 ** 6)


# --------------------------------------------------------------------------------------------
# WordPiece's score beside BPE's count (bertbook.wordpiece_scores)

def test_pair_scores_by_hand():
    from bertbook.wordpiece_scores import pair_scores, split_word
    assert split_word("whale") == ("w", "##h", "##a", "##l", "##e")
    scores = {s.pair: s for s in pair_scores({split_word("hug"): 10, split_word("pug"): 5, split_word("hugs"): 5})}
    ug = scores["##u", "##g"]                   # in every word: 10 + 5 + 5
    assert (ug.count, ug.left_count, ug.right_count) == (20, 20, 20) and ug.score == pytest.approx(1 / 20)
    gs = scores["##g", "##s"]                   # only in hugs
    assert (gs.count, gs.left_count, gs.right_count) == (5, 20, 5) and gs.score == pytest.approx(5 / 100)
    assert set(scores) == {("h", "##u"), ("p", "##u"), ("##u", "##g"), ("##g", "##s")}
    with pytest.raises(ValueError, match="empty"):
        split_word("")


def test_train_merges_bpe_replays_the_tokenizers_trainer(alice, ours):
    """The plain-Python count rule makes the same first merges as the `tokenizers` library's trainer."""
    from collections import Counter
    from bertbook.tokenizer import normalized_words
    from bertbook.wordpiece_scores import train_merges
    words = Counter(w for s in alice for w in normalized_words(ours, s))
    ours_bpe = [m.pair for m in train_merges(words, 12, "bpe")]
    assert ours_bpe == learn_merges(alice, vocab_size=200).merges[:12]


def test_train_merges_wordpiece_follows_the_score():
    from bertbook.wordpiece_scores import merge_pair, train_merges
    corpus = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}        # the Hugging Face course's example
    first = train_merges(corpus, 3, "wordpiece")
    assert first[0].pair == ("##g", "##s")                                 # 5 / (20 * 5), the course's first merge
    assert train_merges(corpus, 1, "bpe")[0].pair == ("##u", "##g")        # 20 occurrences, BPE's
    assert merge_pair({("h", "##u", "##g"): 2}, "##u", "##g") == {("h", "##ug"): 2}
    with pytest.raises(ValueError, match="rule"):
        train_merges(corpus, 1, "unigram")
    with pytest.raises(ValueError, match="no pair left"):
        train_merges({"a": 3}, 1)


# --------------------------------------------------------------------------------------------
# the notebooks' exercise structure

@pytest.mark.parametrize("name, checks", [
    ("01_tokenization.ipynb", ["check_first_merges", "check_wordpiece", "check_truncate_longest_first"]),
    ("02_embeddings_and_positional_encoding.ipynb",
     ["check_order_prediction", "check_positional_encoding", "check_offset_matrix", "check_input_embeddings"]),
])
def test_notebook_exercises_have_stubs_and_hidden_solutions(name, checks):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    hidden = [c for c in code if c["metadata"].get("jupyter", {}).get("source_hidden")]
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "Common misconceptions" in text
    printed = lambda cell: "".join("".join(o.get("text", "")) for o in cell["outputs"])
    exercises = [c for c in code if "exercise" in c["metadata"].get("tags", [])]
    assert [next(ch for ch in checks if ch + "(" in "".join(c["source"])) for c in exercises] == checks   # in order
    for check in checks:
        stubs = [c for c in exercises if check + "(" in "".join(c["source"])]
        solution = [c for c in hidden if check + "(" in "".join(c["source"])]
        assert len(stubs) == 1 and solution, check
        src = "".join(stubs[0]["source"])
        assert stubs[0] not in hidden and ("NotImplementedError" in src or " = ..." in src), check
        assert "not attempted yet" in printed(stubs[0]), check        # the stub runs, and says so
        for cell in solution:                                          # executed, and the check said "correct"
            assert "solution" in cell["metadata"]["tags"] and "correct!" in printed(cell), (check, cell["source"])


def test_no_answer_is_printed_before_its_exercise():
    """The source of the package functions an exercise asks for is printed only after the exercise."""
    nb = json.loads((NOTEBOOKS / "02_embeddings_and_positional_encoding.ipynb").read_text(encoding="utf-8"))
    src = ["".join(c["source"]) for c in nb["cells"]]
    getsource = next(i for i, s in enumerate(src) if "getsource(sinusoidal_positional_encoding)" in s)
    exercise = next(i for i, s in enumerate(src) if "check_positional_encoding(pe_table)" in s)
    assert getsource > exercise
    nb1 = json.loads((NOTEBOOKS / "01_tokenization.ipynb").read_text(encoding="utf-8"))
    src1 = ["".join(c["source"]) for c in nb1["cells"]]
    first_toy_run = next(i for i, s in enumerate(src1) if "train_merges(TOY_CORPUS" in s)
    assert first_toy_run > next(i for i, s in enumerate(src1) if "check_first_merges(bpe_first" in s)
