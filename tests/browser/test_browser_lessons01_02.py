"""Lessons 1 and 2 in a real JupyterLab: every cell runs from the Run menu without an error, the
tokenizer widget and the position sliders render as live widgets, typing a sentence redraws both
token tables, and moving a slider redraws the figure and the formula read-out.

Handles (set with add_class in bertbook/widgets/tokens.py and positions.py): .bertbook-tokens,
.bertbook-tokens-text, .bertbook-tokens-view; .bertbook-positions, .bertbook-positions-position,
.bertbook-positions-dimension, .bertbook-positions-readout, .bertbook-positions-image.
"""
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _wait_until(read, done, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


@pytest.fixture(scope="module")
def lesson1(open_notebook):
    return open_notebook("notebooks/01_tokenization.ipynb")


@pytest.fixture(scope="module")
def lesson2(open_notebook):
    return open_notebook("notebooks/02_embeddings_and_positional_encoding.ipynb")


def _assert_ran(state):
    assert state["errors"] == [], "error outputs after Run All:\n" + "\n\n".join(state["errors"])
    assert state["unrun"] == 0 and state["busy"] == 0 and state["run"] > 0, f"not every cell ran: {state}"


def test_lesson1_runs_and_the_tokenizer_widget_follows_typing(lesson1):
    nb, state = lesson1
    _assert_ran(state)
    live = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output > .bertbook-tokens")
    assert live.count() >= 1, "the tokenizer widget did not render as a live widget"
    box = nb.widget(".bertbook-tokens")
    view = box.locator(".bertbook-tokens-view")
    text = box.locator(".bertbook-tokens-text input")
    text.fill("Brobdingnagian harpooneers")
    html = _wait_until(view.inner_text, lambda t: "harpooneers" in t)
    assert "harpooneers" in html and "##b" in html, f"the token tables did not follow the text box: {html!r}"
    assert "ours" in html and "BERT" in html
    nb.screenshot(box, "lesson01-tokens.png")


def test_lesson2_runs_and_the_sliders_redraw(lesson2):
    nb, state = lesson2
    _assert_ran(state)
    live = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output > .bertbook-positions")
    assert live.count() >= 2, "the position sliders did not render as live widgets"
    box = nb.widget(".bertbook-positions")
    image = box.locator(".bertbook-positions-image")
    readout = box.locator(".bertbook-positions-readout")
    image.wait_for(state="visible")
    for name in ("position", "dimension"):
        before_digest, before_text = nb.image_digest(image), readout.inner_text()
        nb.nudge_slider(box.locator(f".bertbook-positions-{name} .noUi-handle"), +1)
        after_text = _wait_until(readout.inner_text, lambda t: t != before_text)
        assert after_text != before_text, f"moving the {name} slider left the read-out unchanged"
        after_digest = _wait_until(lambda: nb.image_digest(image), lambda d: d != before_digest)
        assert after_digest != before_digest, f"moving the {name} slider left the figure unchanged"
    nb.screenshot(box, "lesson02-positions.png")
