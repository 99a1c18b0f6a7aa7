"""Lesson 7: the fill-mask widget and the attention views driven from code, the head-pattern
finder against hand-built attention maps, the static fallbacks and the self-checks."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from bertbook import load_tokenizer
from bertbook.exercises import ExerciseError
from bertbook.head_patterns import PATTERNS, best_heads, head_pattern_figure, head_pattern_scores, model_head_scores
from bertbook.widgets.attention import model_attentions
from bertbook.widgets.attention_lines import AttentionLinesViewer, attention_lines
from bertbook.widgets.fill_mask import FillMaskWidget, fill_mask_widget, mask_word



@pytest.fixture(scope="module")
def mlm_models():
    from bertbook.minilm_mlm import load_minilm_mlm
    return {"minilm-mlm": (load_minilm_mlm(), load_tokenizer("minilm"))}


# --- fill-mask widget ----------------------------------------------------------------------------
def test_typing_a_sentence_changes_the_predictions(mlm_models):
    w = FillMaskWidget("She lit the [MASK] and sat down to read.", models=mlm_models)
    first, image = w.predictions, w.image.value
    assert len(first) == 1 and len(first[0]) == 5 and w.error is None
    assert first[0][0][0] in w.listing.value
    w.text.value = "The ship sailed across the [MASK] for many weeks."
    assert w.predictions != first and w.image.value != image
    assert w.predictions[0][0][0] in w.listing.value
    w.k.value = 3
    assert len(w.predictions[0]) == 3


def test_clicking_a_word_masks_it(mlm_models):
    w = FillMaskWidget("The dog barked at the [MASK].", models=mlm_models)
    buttons = w.words.children
    assert [b.description for b in buttons] == ["The", "dog", "barked", "at", "the", "[MASK]"]
    assert buttons[-1].disabled
    buttons[1].click()
    assert w.text.value == "The [MASK] barked at the [MASK]."
    assert len(w.predictions) == 2                       # one list per [MASK]


def test_bad_input_shows_the_error_instead_of_a_chart(mlm_models):
    w = FillMaskWidget("She lit the [MASK].", models=mlm_models)
    assert w.image.value and w.layers.value
    w.text.value = "No gap in this one."
    assert w.predictions == [] and "no [MASK]" in w.error and "[MASK]" in w.listing.value
    assert not w.image.value and not w.layers.value          # the old chart and logit-lens strip are gone
    w.text.value = "She lit the [MASK]."
    assert w.image.value and w.layers.value and w.error is None


def test_the_widget_says_who_is_answering():
    """The model line comes from the checkpoint's card (what it read, how long, its cloze scores)."""
    from bertbook.model_cards import load_card
    w = FillMaskWidget("She lit the [MASK] and sat down to read.")
    card = load_card("minilm-mlm")
    assert card is not None and card.read in w.card.value and "minilm-mlm" in w.card.value
    every = card.cloze["everyday"]
    assert f"everyday {every['top1']}/{every['n']} right first" in w.card.value
    assert "M parameters" in w.card.value
    w.model_selector.value = "our tiny BERT (bertbook-tiny)"
    assert "bertbook-tiny" in w.card.value and load_card("bertbook-tiny").read in w.card.value


def test_a_model_without_a_card_still_says_its_size(mlm_models):
    w = FillMaskWidget("She lit the [MASK].", models={"my model": mlm_models["minilm-mlm"]})
    assert "my model" in w.card.value and "no model card" in w.card.value


def test_cards_hold_the_live_cloze_scores():
    """A retrained model cannot leave its card's cloze line behind."""
    from bertbook.model_cards import cloze_by_register, load_card
    for name in ("minilm-mlm", "bertbook-tiny"):
        assert load_card(name).cloze == cloze_by_register(name), name


def test_a_copied_top_answer_is_marked():
    from bertbook.widgets.fill_mask import copied_from_sentence

    assert copied_from_sentence("Paris is the capital of [MASK].", "paris")
    assert copied_from_sentence("Paris is the capital of [MASK].", "Paris")
    assert not copied_from_sentence("Paris is the capital of [MASK].", "france")
    assert not copied_from_sentence("The [MASK] barked.", "mask")
    assert copied_from_sentence("I said hello.", "##said") and not copied_from_sentence("I said hello.", ".")
    seen = []
    for text in ("Paris is the capital of [MASK].", "I drank a cup of [MASK] this morning.", "The [MASK] said the [MASK] word."):
        w = FillMaskWidget(text)
        words = set(text.lower().replace("[mask]", " ").replace(".", " ").split())     # the sentence's own words
        expected = [preds[0][0].lower().lstrip("#") in words for preds in w.predictions]
        assert w.copied == expected, (text, [p[0] for p in w.predictions])
        assert w.listing.value.count("bertbook-fillmask-copied") == sum(expected)   # one mark per copied gap
        seen += expected
    # both cases met: the shipped model copies "paris" into the capital's gap (lesson 7 quotes it), not the cup's
    assert any(seen) and not all(seen), seen


def test_logit_lens_strip_title_fits_for_the_tiny_model():
    from bertbook.fill_mask import resolve_model
    from bertbook.logit_lens import layer_readouts, readout_strip
    model, tok = resolve_model("bertbook-tiny")
    fig = readout_strip(layer_readouts(model, tok, "She lit the [MASK]."), dpi=80)
    fig.canvas.draw()
    title = fig.axes[0].title.get_window_extent()
    box = fig.bbox
    assert box.x0 <= title.x0 and title.x1 <= box.x1, (title, box)


def test_model_selector_switches_to_the_students_model():
    w = FillMaskWidget("She lit the [MASK] and sat down to read.")
    assert w.model_selector.value == "MiniLM, MLM-trained (minilm-mlm)"      # the default
    minilm = w.predictions
    w.model_selector.value = "our tiny BERT (bertbook-tiny)"
    assert w.predictions and w.predictions != minilm


def test_mask_word():
    assert mask_word("It was a dark and stormy night.", 6) == "It was a dark and stormy [MASK]."
    with pytest.raises(IndexError, match="7 words"):
        mask_word("It was a dark and stormy night.", 7)


def test_static_fallback_without_a_kernel(mlm_models):
    """The static chart shows fill_mask's top 5, best on top, each bar as long as its probability."""
    from bertbook.fill_mask import fill_mask
    fig = fill_mask_widget("She lit the [MASK].", models=mlm_models, interactive=False)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    expected = fill_mask("She lit the [MASK].", 5, *mlm_models["minilm-mlm"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == [w for w, _ in expected]
    assert np.allclose([b.get_width() for b in ax.patches][::-1], [p for _, p in expected])


def test_the_widget_shows_the_logit_lens_of_each_gap(mlm_models):
    """The per-layer strip: one readout per [MASK], ending at the gap's own top answer (rank 1)."""
    from bertbook.logit_lens import layer_readouts
    w = FillMaskWidget("The [MASK] barked at the [MASK].", models=mlm_models)
    assert len(w.readouts) == 2 and w.layers.value
    assert [r.answer for r in w.readouts] == [preds[0][0] for preds in w.predictions]
    assert all(r.rank[-1] == 1 and len(r.rank) == 7 for r in w.readouts)
    expected = layer_readouts(*mlm_models["minilm-mlm"], "The [MASK] barked at the [MASK].")
    assert np.allclose(w.readouts[1].probability, expected[1].probability)
    strip = w.layers.value
    w.text.value = "She lit the [MASK] and sat down to read."
    assert len(w.readouts) == 1 and w.layers.value != strip
    w.text.value = "No gap."
    assert w.readouts == [] and w.error


# --- attention views ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def minilm_attention(minilm, minilm_tokenizer):
    return model_attentions(minilm, minilm_tokenizer, "The cat saw the dog, and the dog saw the cat.")


def test_lines_view_changes_with_head_and_token(minilm_attention):
    attentions, tokens = minilm_attention
    v = AttentionLinesViewer(attentions, tokens, layer=2, head=0)
    png = v.image.value
    v.head_selector.value = 3
    assert v.image.value != png
    assert np.allclose(v.current(), attentions[2][0, 3].numpy())
    png = v.image.value
    v.focus_selector.value = 2
    assert v.image.value != png
    assert "layer 3, head 3" in repr(v)          # layer=2 is encoder layer 3 (0 = the embeddings)
    assert isinstance(attention_lines(attentions, tokens, 1, 1, interactive=False), Figure)   # static fallback
    with pytest.raises(IndexError, match="heads 0..11"):
        AttentionLinesViewer(attentions, tokens, head=12)


def test_attentions_are_in_bertviz_format(minilm_attention):
    attentions, tokens = minilm_attention
    assert len(attentions) == 6
    assert all(a.shape == (1, 12, len(tokens), len(tokens)) for a in attentions)
    assert all(torch.allclose(a.sum(-1), torch.ones(1, 12, len(tokens)), atol=1e-5) for a in attentions)


# --- head patterns ------------------------------------------------------------------------------------
def _one_hot_maps(tokens):
    """Hand-built heads: 0 = previous token, 1 = next token, 2 = [SEP], 3 = [CLS], 4 = uniform."""
    T = len(tokens)
    heads = np.zeros((5, T, T), dtype=np.float32)
    for i in range(T):
        heads[0, i, max(i - 1, 0)] = 1
        heads[1, i, min(i + 1, T - 1)] = 1
        heads[2, i, T - 1] = 1
        heads[3, i, 0] = 1
    heads[4] = 1.0 / T
    return [heads[None]]                                  # one layer, bertviz format


def test_pattern_scores_on_hand_built_heads():
    tokens = ["[CLS]", "the", "cat", "saw", "the", "dog", "[SEP]"]
    scores = head_pattern_scores(_one_hot_maps(tokens), tokens)
    assert set(scores) == set(PATTERNS)
    assert all(s.shape == (1, 5) for s in scores.values())
    assert scores["previous token"][0, 0] == 1 and scores["next token"][0, 1] == 1
    assert scores["[SEP]"][0, 2] == 1 and scores["[CLS]"][0, 3] == 1
    assert np.isclose(scores["previous token"][0, 4], 1 / len(tokens))
    assert np.isclose(scores["same word"][0, 4], 1 / len(tokens))        # 'the' -> the other 'the'
    assert [(p, l, h) for p, l, h, _ in best_heads(scores)][:4] == [
        ("previous token", 0, 0), ("next token", 0, 1), ("[SEP]", 0, 2), ("[CLS]", 0, 3)]


def test_same_word_needs_a_repeat():
    tokens = ["[CLS]", "a", "cat", "[SEP]"]
    assert np.isnan(head_pattern_scores(_one_hot_maps(tokens), tokens)["same word"]).all()


def test_minilm_has_a_previous_token_head(minilm, minilm_tokenizer):
    """A known finding (Clark et al. 2019) that must show up in the real model."""
    scores = model_head_scores(minilm, minilm_tokenizer, ["The cat saw the dog, and the dog saw the cat.",
                                                          "She lit the candle and sat down to read."])
    name, layer, head, score = best_heads(scores)[0]
    assert name == "previous token" and score > 0.9
    assert scores["previous token"].shape == (6, 12)
    assert isinstance(head_pattern_figure(scores), Figure)


# --- exercises ----------------------------------------------------------------------------------------
def test_the_notebooks_solutions_pass_their_checks():
    """Every solution cell of lesson 7 that defines a function passes its check when run alone (the
    full tables of wrong answers are in test_exercise_hints_07.py)."""
    import nbformat
    from bertbook.corpus import REPO_DIR
    from bertbook.exercises import results
    nb = nbformat.read(REPO_DIR / "notebooks" / "07_exploring_bert.ipynb", as_version=4)
    solutions = [c.source for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    for source in solutions:
        head = source.split("\ncheck_")[0]                    # the definitions, up to the check call
        check = "check_" + source.split("\ncheck_")[1].splitlines()[0]
        from bertbook import IGNORE_INDEX
        namespace = {"np": np, "torch": torch, "IGNORE_INDEX": IGNORE_INDEX}
        exec(head, namespace)
        exec("from bertbook.exercises.exploring import *\n" + check, namespace)
        name = check.split("(")[0]
        assert results()[name]["status"] == "passed", name
    with pytest.raises(ExerciseError):
        from bertbook.exercises.exploring import check_mlm_labels
        check_mlm_labels(lambda o, x, s: [-100 if i in s else t for i, t in enumerate(o)])


def test_notebook_hides_its_solutions_and_keeps_the_misconceptions_box():
    import nbformat
    from bertbook.corpus import REPO_DIR
    nb = nbformat.read(REPO_DIR / "notebooks" / "07_exploring_bert.ipynb", as_version=4)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    exercises = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    assert len(solutions) == len(exercises) == 4
    assert all(c.metadata["jupyter"]["source_hidden"] and c.outputs for c in solutions)
    assert all("raise NotImplementedError" in c.source or "answer = ..." in c.source for c in exercises)
    text = " ".join(c.source for c in nb.cells).lower()
    assert "seed post" not in text and "blog" not in text
    assert any("predicts the **masked word itself**" in c.source for c in nb.cells if c.cell_type == "markdown")
