"""Lessons 1 and 2: the tokenizer and position widgets, their static fallbacks, the exercise
self-checks (each accepts a right answer and rejects wrong ones with a useful message), and the
WordPiece merge history."""
import base64
import json
import math
import random
import sys
from pathlib import Path

import pytest
import torch

from bertbook import encode, load_tokenizer
from bertbook.exercises import ExerciseError
from bertbook.exercises import positional_encoding as pe_ex
from bertbook.exercises import tokenization as tok_ex
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
# lesson 1 self-checks

def good_wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    out, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                out.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return out


def test_check_wordpiece_accepts_a_right_answer(capsys):
    tok_ex.check_wordpiece(good_wordpiece)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda w, v: [good_wordpiece(c, v)[0] if i == 0 else "##" + c if "##" + c in v else "[UNK]" for i, c in enumerate(w)]
     if "🙂" in w else good_wordpiece(w, v), "whole word"),            # only the bad character becomes [UNK]
    (lambda w, v: [p.removeprefix("##") for p in good_wordpiece(w, v)], "'##' prefix"),
    (lambda w, v: list(w), "LONGEST"),
    (lambda w, v: "not a list", "list of strings"),
    (lambda w, v: 1 / 0, "ZeroDivisionError"),
])
def test_check_wordpiece_rejects_wrong_answers(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        tok_ex.check_wordpiece(wrong)


def test_check_wordpiece_catches_the_greedy_trap():
    """A 'smarter' splitter that backtracks finds a split for 'abc' that WordPiece does not."""
    def backtracking(word, vocab):
        if len(word) > 100:
            return ["[UNK]"]

        def split(start):
            if start == len(word):
                return []
            for end in range(len(word), start, -1):
                piece = ("##" if start else "") + word[start:end]
                if piece in vocab and (rest := split(end)) is not None:
                    return [piece] + rest
            return None
        return split(0) or ["[UNK]"]
    with pytest.raises(ExerciseError, match=r"wordpiece\('abc'\) \(in the small trap vocabulary"):
        tok_ex.check_wordpiece(backtracking)


def test_check_pair_layout():
    tok_ex.check_pair_layout(lambda a, b: (["[CLS]", *a, "[SEP]", *b, "[SEP]"], [0] * (len(a) + 2) + [1] * (len(b) + 1)))
    with pytest.raises(ExerciseError, match=r"starts with \[CLS\]"):
        tok_ex.check_pair_layout(lambda a, b: ([*a, "[SEP]", *b, "[SEP]"], [0] * (len(a) + 1) + [1] * (len(b) + 1)))
    with pytest.raises(ExerciseError, match="final \\[SEP\\] belongs to sentence B"):
        tok_ex.check_pair_layout(lambda a, b: (["[CLS]", *a, "[SEP]", *b, "[SEP]"], [0] * (len(a) + 2) + [1] * len(b) + [0]))
    with pytest.raises(ExerciseError, match="pair"):
        tok_ex.check_pair_layout(lambda a, b: ["[CLS]"])


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


def test_check_truncate_longest_first():
    tok_ex.check_truncate_longest_first(hf_rule)

    def google_rule(a, b, max_length):          # run_classifier.py: pop from the longer, ties from B
        a, b = list(a), list(b)
        while len(a) + len(b) + 3 > max_length:
            (a if len(a) > len(b) else b).pop()
        return a, b
    with pytest.raises(ExerciseError, match=r"budget // 2"):
        tok_ex.check_truncate_longest_first(google_rule)
    with pytest.raises(ExerciseError, match="too many"):
        tok_ex.check_truncate_longest_first(lambda a, b, m: (a, b))
    with pytest.raises(ExerciseError, match="from the END"):
        tok_ex.check_truncate_longest_first(lambda a, b, m: tuple(x[len(x) - len(y):] if y else [] for x, y in zip((a, b), hf_rule(a, b, m))))


# --------------------------------------------------------------------------------------------
# lesson 2 self-checks

def good_pe(max_len, d):
    return [[math_pe(p, j, d) for j in range(d)] for p in range(max_len)]


def test_check_positional_encoding(capsys):
    pe_ex.check_positional_encoding(good_pe)
    assert "correct" in capsys.readouterr().out
    import bertbook
    pe_ex.check_positional_encoding(bertbook.sinusoidal_positional_encoding)       # the package's own


@pytest.mark.parametrize("wrong, message", [
    (lambda n, d: [[(math.cos if j % 2 == 0 else math.sin)(p / 10000 ** (2 * (j // 2) / d)) for j in range(d)] for p in range(n)],
     "swapped"),
    (lambda n, d: [[(math.sin if j % 2 == 0 else math.cos)(p / 10000 ** (j / d)) for j in range(d)] for p in range(n)],
     "PAIR"),
    (lambda n, d: [[math_pe(p + 1, j, d) for j in range(d)] for p in range(n)], "start at 0"),
    (lambda n, d: [[math_pe(p, j, d) for j in range(d)] for p in range(n + 1)], "shape"),
    (lambda n, d: "pe", "tensor"),
])
def test_check_positional_encoding_rejects(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        pe_ex.check_positional_encoding(wrong)


def good_offset(k, d):
    m = torch.zeros(d, d, dtype=torch.float64)
    for i in range(d // 2):
        c, s = math.cos(k * 10000 ** (-2 * i / d)), math.sin(k * 10000 ** (-2 * i / d))
        m[2 * i, 2 * i], m[2 * i, 2 * i + 1], m[2 * i + 1, 2 * i], m[2 * i + 1, 2 * i + 1] = c, s, -s, c
    return m


def test_check_offset_matrix():
    pe_ex.check_offset_matrix(good_offset)
    with pytest.raises(ExerciseError, match="sin wp cos wk"):
        pe_ex.check_offset_matrix(lambda k, d: good_offset(k, d).T)            # rotates the wrong way
    with pytest.raises(ExerciseError, match="block-diagonal"):
        pe_ex.check_offset_matrix(lambda k, d: good_offset(k, d) + 0.1)
    with pytest.raises(ExerciseError, match="shape"):
        pe_ex.check_offset_matrix(lambda k, d: torch.eye(d + 1))
    with pytest.raises(ExerciseError, match="k=-2"):                            # only right for k >= 0
        pe_ex.check_offset_matrix(lambda k, d: good_offset(abs(k), d))


def good_input_embeddings(emb, ids, segs):
    x = emb.word_embeddings.weight[ids] + emb.position_embeddings.weight[: ids.shape[1]] + emb.token_type_embeddings.weight[segs]
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), emb.LayerNorm.weight, emb.LayerNorm.bias, emb.LayerNorm.eps)


def test_check_input_embeddings(minilm):
    pe_ex.check_input_embeddings(good_input_embeddings)
    pe_ex.check_input_embeddings(good_input_embeddings, minilm.embeddings)
    pos = lambda e, ids: e.position_embeddings.weight[: ids.shape[1]]
    wrongs = {
        "LayerNorm": lambda e, ids, s: e.word_embeddings(ids) + pos(e, ids) + e.token_type_embeddings(s),
        "position embedding is missing": lambda e, ids, s: e.LayerNorm(e.word_embeddings(ids) + e.token_type_embeddings(s)),
        "segment embedding is missing": lambda e, ids, s: e.LayerNorm(e.word_embeddings(ids) + pos(e, ids)),
        "scale and shift": lambda e, ids, s: torch.nn.functional.layer_norm(
            e.word_embeddings(ids) + pos(e, ids) + e.token_type_embeddings(s), (e.LayerNorm.weight.shape[0],)),
        "shape": lambda e, ids, s: e.word_embeddings(ids)[0],
        "differ": lambda e, ids, s: good_input_embeddings(e, ids, s) * 1.1,
    }
    for message, wrong in wrongs.items():
        with pytest.raises(ExerciseError, match=message):
            pe_ex.check_input_embeddings(wrong)


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
# the notebooks' exercise structure

@pytest.mark.parametrize("name, checks", [
    ("01_tokenization.ipynb", ["check_wordpiece", "check_pair_layout", "check_truncate_longest_first"]),
    ("02_embeddings_and_positional_encoding.ipynb", ["check_positional_encoding", "check_offset_matrix", "check_input_embeddings"]),
])
def test_notebook_exercises_have_stubs_and_hidden_solutions(name, checks):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    hidden = [c for c in code if c["metadata"].get("jupyter", {}).get("source_hidden")]
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "Common misconceptions" in text
    printed = lambda cell: "".join("".join(o.get("text", "")) for o in cell["outputs"])
    for check in checks:
        stubs = [c for c in code if check + "(" in "".join(c["source"]) and "exercise" in c["metadata"].get("tags", [])]
        solution = [c for c in hidden if check + "(" in "".join(c["source"])]
        assert len(stubs) == 1 and solution, check
        assert stubs[0] not in hidden and "NotImplementedError" in "".join(stubs[0]["source"])
        assert "not attempted yet" in printed(stubs[0]), check        # the stub runs, and says so
        for cell in solution:                                          # executed, and the check said "correct"
            assert "solution" in cell["metadata"]["tags"] and "correct!" in printed(cell), (check, cell["source"])
