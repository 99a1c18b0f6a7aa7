"""Lesson 7 in a real JupyterLab: every cell runs from the Run menu without an error, and the
masked-word prediction widget answers a sentence typed into it with its top-k words.

Handles (set in bertbook/widgets/fill_mask.py with add_class): .bertbook-fillmask (the box),
.bertbook-fillmask-text (the sentence box), -model (dropdown), -k (top-k slider), -words (word
buttons, each .bertbook-fillmask-word), -image (the bar chart), -predictions (the text list:
one column per [MASK], headed "[MASK] n", one "word probability" line per prediction), -card (who is
answering: the model's card), -layers (the logit-lens strip); a top answer already in the sentence is
marked with .bertbook-fillmask-copied.
"""
import os
import re
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "notebooks/07_exploring_bert.ipynb"
BOX = ".bertbook-fillmask"
SENTENCE = "The man went to the [MASK] to buy some milk."
TWO_GAPS = "The [MASK] sat on the [MASK]."
ROW = re.compile(r"^(\S.*) (\d+\.\d{3})$")
WAIT_S = float(os.environ.get("BERTBOOK_WIDGET_TIMEOUT", 120))   # the kernel may be slow to answer


@pytest.fixture(scope="module")
def lesson7(open_notebook):
    return open_notebook(NOTEBOOK)


def _predictions(listing) -> list[list[tuple[str, float]]]:
    """The text list, parsed: one list of (word, probability) per [MASK]."""
    groups: list[list[tuple[str, float]]] = []
    for line in listing.inner_text().splitlines():
        line = line.strip()
        if re.fullmatch(r"\[MASK\] \d+", line):
            groups.append([])
        elif (m := ROW.match(line)) and groups:
            groups[-1].append((m.group(1), float(m.group(2))))
    return groups


def _wait_for(condition, timeout_s: float = WAIT_S, what: str = "the widget to update", box=None):
    """Poll `condition()` until it returns something truthy; bounded. On timeout the message
    quotes what the widget shows (the sentence and the prediction list, maybe an error)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    shown = ""
    if box is not None:
        sentence = box.locator(".bertbook-fillmask-text input").input_value()
        listing = box.locator(".bertbook-fillmask-predictions").inner_text()
        shown = f"; the widget shows sentence {sentence!r} and predictions {listing!r}"
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}{shown}")


def _type_sentence(box, text: str) -> None:
    field = box.locator(".bertbook-fillmask-text input")
    field.fill(text)
    field.press("Enter")               # the Text widget has continuous_update=False: Enter sends it


def _top_k(box) -> int:
    return int(box.locator(".bertbook-fillmask-k .widget-readout").inner_text().strip())


def _check_column(preds, k):
    words = [w for w, _ in preds]
    probs = [p for _, p in preds]
    assert len(preds) == k, f"expected the top {k} words, the widget lists {len(preds)}: {preds}"
    assert len(set(words)) == k, f"a word is listed twice: {words}"
    assert all(0.0 <= p <= 1.0 for p in probs), f"not probabilities: {probs}"
    assert probs == sorted(probs, reverse=True), f"not sorted from most to least likely: {preds}"
    assert sum(probs) <= 1.0 + 1e-3 * k, f"top-k probabilities add up to more than 1: {probs}"


def test_all_cells_run_without_errors(lesson7):
    nb, state = lesson7
    assert state["errors"] == [], "error outputs after Run All:\n" + "\n\n".join(state["errors"])
    assert state["unrun"] == 0 and state["busy"] == 0, f"not every cell ran: {state}"
    assert state["run"] > 0, f"no code cell ran: {state}"


def test_fill_mask_widget_renders_with_its_controls(lesson7):
    nb, _ = lesson7
    widgets = nb.page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output > {BOX}")
    assert widgets.count() >= 1, ("the prediction widget did not render as a live widget: is the "
                                  "ipywidgets JupyterLab extension (jupyterlab_widgets) installed?")
    box = nb.widget(BOX)
    assert box.locator(".bertbook-fillmask-text input").is_editable()
    assert box.locator(".bertbook-fillmask-model select option").count() >= 1
    box.locator(".bertbook-fillmask-k .noUi-handle").wait_for(state="visible")
    preds = _wait_for(lambda: _predictions(box.locator(".bertbook-fillmask-predictions")),
                      what="the first predictions", box=box)
    for column in preds:
        _check_column(column, _top_k(box))
    nb.screenshot(box, "lesson07-fill-mask.png")


def test_typing_a_sentence_with_mask_shows_top_k_words(lesson7):
    nb, _ = lesson7
    box = nb.widget(BOX)
    listing = box.locator(".bertbook-fillmask-predictions")
    image = box.locator(".bertbook-fillmask-image")
    before_text, before_image = listing.inner_text(), nb.image_digest(image)
    k = _top_k(box)

    _type_sentence(box, SENTENCE)
    _wait_for(lambda: listing.inner_text() != before_text, what=f"predictions for {SENTENCE!r}", box=box)
    preds = _predictions(listing)
    assert len(preds) == 1, f"one [MASK], but {len(preds)} prediction columns: {listing.inner_text()!r}"
    _check_column(preds[0], k)
    assert _wait_for(lambda: nb.image_digest(image) != before_image, what="a new bar chart", box=box)
    buttons = box.locator(".bertbook-fillmask-words .bertbook-fillmask-word").all_inner_texts()
    assert [b.strip() for b in buttons] == re.findall(r"\[MASK\]|[A-Za-z0-9']+", SENTENCE), \
        f"the word buttons do not show the typed sentence: {buttons}"
    nb.screenshot(box, "lesson07-fill-mask-typed.png")

    # The words on screen are the model's answer for the typed sentence: the same model, run here
    # in the test process, predicts the same words (probabilities to the 3 decimals shown).
    from bertbook.widgets.fill_mask import MODELS
    label = box.locator(".bertbook-fillmask-model select").evaluate(
        "s => s.options[s.selectedIndex].text").replace("\xa0", " ")   # the page shows nbsp
    if label not in MODELS:
        pytest.skip(f"model {label!r} is not one of the named models; cannot recompute")
    from bertbook.fill_mask import fill_mask
    expected = fill_mask(SENTENCE, k, model=MODELS[label])
    shown = preds[0]
    assert [w for w, _ in shown] == [w for w, _ in expected], (shown, expected)
    assert all(abs(p - q) <= 2e-3 for (_, p), (_, q) in zip(shown, expected)), (shown, expected)


def test_two_masks_give_two_columns(lesson7):
    nb, _ = lesson7
    box = nb.widget(BOX)
    listing = box.locator(".bertbook-fillmask-predictions")
    _type_sentence(box, TWO_GAPS)
    preds = _wait_for(lambda: (p := _predictions(listing)) and len(p) == 2 and p,
                      what=f"two prediction columns for {TWO_GAPS!r}", box=box)
    for column in preds:
        _check_column(column, _top_k(box))


def test_top_k_slider_changes_the_number_of_words(lesson7):
    nb, _ = lesson7
    box = nb.widget(BOX)
    listing = box.locator(".bertbook-fillmask-predictions")
    _type_sentence(box, SENTENCE)
    _wait_for(lambda: len(_predictions(listing)) == 1, what="one prediction column", box=box)
    k = _top_k(box)
    nb.nudge_slider(box.locator(".bertbook-fillmask-k .noUi-handle"), -1 if k >= 10 else +1)
    new_k = _wait_for(lambda: (n := _top_k(box)) != k and n, what="the top-k slider to move", box=box)
    preds = _wait_for(lambda: (p := _predictions(listing)) and len(p[0]) == new_k and p,
                      what=f"{new_k} words after moving the slider from {k}", box=box)
    _check_column(preds[0], new_k)


def test_clicking_a_word_masks_it(lesson7):
    nb, _ = lesson7
    box = nb.widget(BOX)
    field = box.locator(".bertbook-fillmask-text input")
    listing = box.locator(".bertbook-fillmask-predictions")
    words = box.locator(".bertbook-fillmask-words .bertbook-fillmask-word")
    _type_sentence(box, "The cat sat on the mat.")      # no [MASK] yet: the click makes one
    _wait_for(lambda: [w.strip() for w in words.all_inner_texts()] == ["The", "cat", "sat", "on", "the", "mat"],
              what="one button per word of 'The cat sat on the mat.'", box=box)
    words.nth(1).click()
    _wait_for(lambda: field.input_value() == "The [MASK] sat on the mat.",
              what="the clicked word to become [MASK]", box=box)
    preds = _wait_for(lambda: (p := _predictions(listing)) and len(p) == 1 and p,
                      what="predictions for the clicked gap", box=box)
    _check_column(preds[0], _top_k(box))


def _image_shown(nb, locator) -> bool:
    """Does the Image widget show a picture (a non-empty src that the browser decoded)?"""
    return locator.evaluate("img => !!img.getAttribute('src') && img.naturalWidth > 0")


def test_a_sentence_without_mask_gets_a_clear_message_and_no_stale_chart(lesson7):
    nb, _ = lesson7
    box = nb.widget(BOX)
    listing = box.locator(".bertbook-fillmask-predictions")
    chart, strip = box.locator("img.bertbook-fillmask-image"), box.locator("img.bertbook-fillmask-layers")
    _type_sentence(box, SENTENCE)
    _wait_for(lambda: len(_predictions(listing)) == 1 and _image_shown(nb, chart) and _image_shown(nb, strip),
              what="a chart and a logit-lens strip", box=box)
    _type_sentence(box, "No gap in this sentence.")
    message = _wait_for(lambda: "[MASK]" in (t := listing.inner_text()) and not _predictions(listing) and t,
                        what="a message asking for [MASK]", box=box)
    assert "[MASK]" in message
    assert _wait_for(lambda: not _image_shown(nb, chart) and not _image_shown(nb, strip),
                     what="the old chart and strip to be cleared", box=box)
    nb.screenshot(box, "lesson07-fill-mask-no-gap.png")


def test_the_model_line_says_who_is_answering(lesson7):
    """Under the predictions: the model's name, size, what it read, and its cloze scores, as its
    card (the checkpoint's metadata) says."""
    from bertbook.model_cards import load_card
    from bertbook.widgets.fill_mask import MODELS
    nb, _ = lesson7
    box = nb.widget(BOX)
    _type_sentence(box, SENTENCE)
    card_box = box.locator(".bertbook-fillmask-card")
    label = box.locator(".bertbook-fillmask-model select").evaluate(
        "s => s.options[s.selectedIndex].text").replace("\xa0", " ")
    card = load_card(MODELS[label])
    line = _wait_for(lambda: (t := card_box.inner_text().strip()) and t, what="the model line", box=box)
    assert card_box.is_visible()
    assert card.name in line and card.read in line and "M parameters" in line, line
    every = card.cloze["everyday"]
    assert f"{every['top1']}/{every['n']} right first" in line, line


def test_a_copied_answer_is_marked(lesson7):
    """Whatever the model answers, the copy marker is there exactly when its top word already stands
    in the sentence (the same model, run here, decides which)."""
    from bertbook.fill_mask import fill_mask
    from bertbook.widgets.fill_mask import MODELS, copied_from_sentence
    nb, _ = lesson7
    box = nb.widget(BOX)
    listing = box.locator(".bertbook-fillmask-predictions")
    label = box.locator(".bertbook-fillmask-model select").evaluate(
        "s => s.options[s.selectedIndex].text").replace("\xa0", " ")
    shown = []
    for text in ("Paris is the capital of [MASK].", "dog dog dog dog dog dog [MASK]."):
        top = fill_mask(text, 1, model=MODELS[label])[0][0]        # the same model, run here
        expected = copied_from_sentence(text, top)
        _type_sentence(box, text)
        _wait_for(lambda: (p := _predictions(listing)) and p[0][0][0] == top, what=f"predictions for {text!r}",
                  box=box)
        marks = box.locator(".bertbook-fillmask-copied")
        assert (marks.count() == 1) == expected, (text, top, listing.inner_text())
        if expected:
            assert top in marks.inner_text()
        shown.append(expected)
    assert any(shown), "no sentence made the model copy: the marker was never tested; pick another"
