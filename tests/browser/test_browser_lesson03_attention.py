"""Lesson 3 in a real JupyterLab: every cell runs from the Run menu without an error, the attention
viewer renders with its layer/head dropdowns, and picking another head redraws the heatmap.

Handles (set in bertbook/widgets/attention.py with add_class): .bertbook-attention-viewer (the
box), .bertbook-attention-layer / .bertbook-attention-head (the dropdowns),
.bertbook-attention-image (the ipywidgets.Image holding the PNG).
"""
import os
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "notebooks/03_attention.ipynb"
VIEWER = ".bertbook-attention-viewer"
WAIT_S = float(os.environ.get("BERTBOOK_WIDGET_TIMEOUT", 120))   # the kernel may be slow to redraw


@pytest.fixture(scope="module")
def lesson3(open_notebook):
    return open_notebook(NOTEBOOK)


def _wait_for_digest(nb, element, done, timeout_s: float = WAIT_S) -> str:
    """Poll the image bytes' digest until `done(digest)` (the kernel redraws asynchronously)."""
    deadline = time.monotonic() + timeout_s
    digest = nb.image_digest(element)
    while not done(digest) and time.monotonic() < deadline:
        time.sleep(0.25)
        digest = nb.image_digest(element)
    return digest


def test_all_cells_run_without_errors(lesson3):
    nb, state = lesson3
    assert state["errors"] == [], "error outputs after Run All:\n" + "\n\n".join(state["errors"])
    assert state["unrun"] == 0 and state["busy"] == 0, f"not every cell ran: {state}"
    assert state["run"] > 0, f"no code cell ran: {state}"


def test_widgets_render_as_widgets_not_text(lesson3):
    nb, _ = lesson3
    # A live widget's view sits right inside the output; without the ipywidgets JupyterLab
    # extension the output would fall back to the viewer's PNG or its text repr.
    viewers = nb.page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output > {VIEWER}")
    assert viewers.count() >= 1, ("the attention viewer did not render as a live widget: is the "
                                  "ipywidgets JupyterLab extension (jupyterlab_widgets) installed?")


def test_attention_viewer_controls_present(lesson3):
    nb, _ = lesson3
    viewer = nb.widget(VIEWER)
    for name in ("layer", "head"):
        control = viewer.locator(f".bertbook-attention-{name}")
        assert control.locator(".widget-label").inner_text().strip() == name
        select = control.locator("select")
        assert select.is_enabled()
        assert select.locator("option").count() >= 2, f"the {name} dropdown offers one choice only"
    image = viewer.locator(".bertbook-attention-image")
    image.wait_for(state="visible")
    size = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size[0] > 50 and size[1] > 50, f"the heatmap image did not load (natural size {size})"
    nb.screenshot(viewer, "lesson03-attention-viewer.png")


def test_head_selector_changes_the_image(lesson3):
    nb, _ = lesson3
    viewer = nb.widget(VIEWER)
    image = viewer.locator(".bertbook-attention-image")
    head = viewer.locator(".bertbook-attention-head select")
    values = head.locator("option").evaluate_all("os => os.map(o => o.value)")
    first = head.input_value()
    other = next(v for v in values if v != first)

    before = nb.image_digest(image)
    assert before, "no image bytes in the attention viewer"
    head.select_option(other)
    after = _wait_for_digest(nb, image, lambda d: d != before)
    assert after != before, f"choosing head {other} (was {first}) left the heatmap unchanged"
    nb.screenshot(viewer, "lesson03-attention-viewer-head-changed.png")

    # And back: the first head's picture again, byte for byte (the viewer freezes its layout after
    # the first draw), so the image follows the selection rather than merely changing.
    head.select_option(first)
    back = _wait_for_digest(nb, image, lambda d: d == before)
    assert back == before, f"going back to head {first} did not bring its heatmap back"


def test_layer_selector_changes_the_image(lesson3):
    nb, _ = lesson3
    viewer = nb.widget(VIEWER)
    image = viewer.locator(".bertbook-attention-image")
    layer = viewer.locator(".bertbook-attention-layer select")
    values = layer.locator("option").evaluate_all("os => os.map(o => o.value)")
    first = layer.input_value()
    before = nb.image_digest(image)
    layer.select_option(next(v for v in values if v != first))
    after = _wait_for_digest(nb, image, lambda d: d != before)
    assert after != before, "choosing another layer left the heatmap unchanged"
    layer.select_option(first)
    back = _wait_for_digest(nb, image, lambda d: d == before)
    assert back == before, f"going back to layer {first} did not bring its heatmap back"


def test_figures_are_sharp_at_device_pixel_ratio_2(lesson3):
    """The browser runs at device pixel ratio 2 (a HiDPI screen). A crisp picture has at least 2
    image pixels per CSS pixel: the viewer's PNG (drawn at 2x, shown at 1x) and the lesson's
    matplotlib figures (the "retina" inline format) alike. A 1x PNG would be scaled up, blurry."""
    nb, _ = lesson3
    assert nb.page.evaluate("window.devicePixelRatio") == 2
    viewer = nb.widget(VIEWER)
    image = viewer.locator(".bertbook-attention-image")
    image.scroll_into_view_if_needed()
    natural, shown = image.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
    assert shown > 100 and natural >= 2 * shown, f"the heatmap has {natural} pixels for {shown} CSS pixels"
    nb.screenshot(viewer, "lesson03-attention-viewer-dpr2.png")
    figures = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedImage img")
    assert figures.count() >= 1, "no matplotlib figure in the lesson's outputs"
    sizes = []
    for i in range(figures.count()):
        figure = figures.nth(i)
        figure.scroll_into_view_if_needed()
        sizes.append(figure.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]"))
    blurry = [(n, w) for n, w in sizes if not (w > 0 and n >= 2 * w)]
    assert not blurry, f"figures with fewer than 2 pixels per CSS pixel (natural, shown): {blurry} of {sizes}"
    nb.screenshot(figures.first, "lesson03-figure-dpr2.png")
