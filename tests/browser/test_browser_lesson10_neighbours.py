"""Lesson 10 in a real JupyterLab and Notebook 7: every cell runs from the Run menu without an error,
and the contextual-neighbours widget answers a typed sentence, a clicked word and a moved layer.

Handles (add_class in bertbook/widgets/neighbours.py):
  .bertbook-neighbours: -sentence (text box), -words (one toggle button per word), -layer (slider),
                        -list (the query in .bertbook-neighbours-query, one <li> per neighbour with
                        .bertbook-neighbours-score and .bertbook-neighbours-word; errors in
                        .bertbook-neighbours-error), -image (the chart)
How long a click takes to answer is printed (and saved with the screenshots), not asserted.
"""
import os
import re
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "notebooks/10_what_bert_knows.ipynb"
WAIT_S = float(os.environ.get("BERTBOOK_WIDGET_TIMEOUT", 120))


@pytest.fixture(scope="module")
def lesson10(open_notebook):
    return open_notebook(NOTEBOOK)


def _wait_for(condition, what: str, timeout_s: float = WAIT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _listing(box) -> tuple[str, list[tuple[float, str]]]:
    text = box.locator(".bertbook-neighbours-list").inner_text()
    query = box.locator(".bertbook-neighbours-query")
    rows = [(float(m.group(1)), m.group(2)) for m in re.finditer(r"^(-?\d\.\d{3}) (\S+):", text, re.M)]
    return (query.inner_text() if query.count() else ""), rows


def test_all_cells_run_without_errors(lesson10):
    nb, state = lesson10
    assert state["errors"] == [], "error outputs after Run All:\n" + "\n\n".join(state["errors"])
    assert state["unrun"] == 0 and state["busy"] == 0, f"not every cell ran: {state}"


def test_neighbours_follow_a_typed_sentence_a_clicked_word_and_the_layer(lesson10):
    nb, _ = lesson10
    box = nb.widget(".bertbook-neighbours")
    field = box.locator(".bertbook-neighbours-sentence input")
    field.fill("I need to ask the bank for a loan.")
    field.press("Enter")
    buttons = box.locator(".bertbook-neighbours-words button")
    _wait_for(lambda: buttons.count() == 10 and buttons.nth(5).inner_text().strip() == "bank", "one button per word")
    before = _listing(box)[1]
    started = time.monotonic()
    buttons.nth(1).click()                                                       # "need"
    # the query line and the list are two updates: wait for both (the label alone raced the list once)
    query, rows = _wait_for(lambda: (l := _listing(box))[0] == "need" and l[1] != before and l, "the neighbours of 'need'")
    print(f"\n{nb.frontend}: a click answered in {time.monotonic() - started:.2f} s")
    assert len(rows) == 8 and rows != before
    scores = [s for s, _ in rows]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1.001 for s in scores)
    buttons.nth(5).click()                                                       # "bank"
    query, at_layer = _wait_for(lambda: (l := _listing(box))[0] == "bank" and l, "the neighbours of 'bank'")
    image_before = nb.image_digest(box.locator(".bertbook-neighbours-image"))
    layer = box.locator(".bertbook-neighbours-layer .widget-readout")
    layer_before = layer.inner_text()
    nb.nudge_slider(box.locator(".bertbook-neighbours-layer .noUi-handle"), -1, pixels=60)
    _wait_for(lambda: layer.inner_text() != layer_before, "the layer to move")
    moved = _wait_for(lambda: (l := _listing(box)[1]) != at_layer and l, "other neighbours at another layer")
    assert len(moved) == 8 and _listing(box)[0] == "bank"
    assert _wait_for(lambda: nb.image_digest(box.locator(".bertbook-neighbours-image")) != image_before, "a new chart")
    nb.screenshot(box, "lesson10-neighbours.png")


def test_an_empty_sentence_is_explained_not_crashed(lesson10):
    nb, _ = lesson10
    box = nb.widget(".bertbook-neighbours")
    field = box.locator(".bertbook-neighbours-sentence input")
    field.fill("")
    field.press("Enter")
    error = box.locator(".bertbook-neighbours-error")
    _wait_for(lambda: error.count() and "the sentence is empty" in error.inner_text(), "the empty-sentence message")
    field.fill("The bank was closed.")
    field.press("Enter")
    _wait_for(lambda: _listing(box)[0] == "The" and len(_listing(box)[1]) == 8, "neighbours again")
