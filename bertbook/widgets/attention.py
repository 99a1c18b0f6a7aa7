"""The attention-map viewer: one heatmap per (layer, head), picked with two dropdowns.

Attention comes in bertviz's format, a list or tuple with one ``[1, heads, T, T]`` array per layer
(exactly ``model(..., output_attentions=True).attentions`` for a single sentence), plus the T token
strings. Row i of a map is query token i, column j is key token j, so row i says where token i
looks; every row sums to 1.

The heatmap is drawn with matplotlib into PNG bytes shown by an ``ipywidgets.Image``: the picture
lives in the widget state, so it needs no JavaScript from a CDN, works offline, and a browser (or a
test) sees the image change when the head changes. Without ipywidgets or a live kernel,
``attention_viewer`` returns a plain matplotlib figure instead.
"""
from __future__ import annotations

import base64
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..attention_maps import as_attention_array, model_attentions  # noqa: F401  (importable from here too)
from ..attention_maps import check_layer_head as _check_index
from ..attention_maps import head_label, layer_number
from .render import figure_png, in_kernel, png_metadata, show_png, widgets_available  # noqa: F401


def _figure_size(n_tokens: int) -> tuple[float, float]:
    side = min(9.0, max(4.0, 1.6 + 0.32 * n_tokens))
    return side + 1.0, side


def attention_heatmap(matrix, tokens: Sequence[str], ax=None, title: str | None = None, vmax: float | None = 1.0):
    """Draw one ``[T, T]`` attention map on ``ax`` (a new figure if None); returns the AxesImage."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if ax is None:
        ax = Figure(figsize=_figure_size(len(tokens)), layout="constrained").add_subplot()
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, vmax=vmax, aspect="equal")
    ax.set_xticks(range(len(tokens)), list(tokens), rotation=90, fontsize=9)
    ax.set_yticks(range(len(tokens)), list(tokens), fontsize=9)
    ax.set_xlabel("key: the token attended to")
    ax.set_ylabel("query: the token attending")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    return image


def attention_figure(attentions, tokens: Sequence[str], layer: int = 0, head: int = 0,
                     vmax: float | None = 1.0) -> Figure:
    """The static view: one (layer, head) heatmap as a matplotlib Figure (displays inline)."""
    array = as_attention_array(attentions, tokens)
    _check_index(array, layer, head)
    fig = Figure(figsize=_figure_size(len(tokens)), layout="constrained")
    attention_heatmap(array[layer, head], tokens, fig.add_subplot(), _title(layer, head), vmax)
    return fig


def _title(layer: int, head: int) -> str:
    return head_label(layer, head)           # "layer 1, head 2" for layer index 0: layer 0 = the embeddings


def layer_options(n_layers: int) -> list[tuple[str, int]]:
    """Dropdown options: the label a student reads (encoder layers 1..L) and the 0-based index."""
    return [(str(layer_number(i)), i) for i in range(n_layers)]


class SelectedMap:
    """What the attention viewers share: a layer and a head dropdown that pick one [T, T] map of
    ``self.attentions``, drawn on ``self.figure`` into ``self.image``, and shown with a PNG of it for
    front-ends without widget support. Subclasses build the widgets and ``_redraw``."""

    @property
    def layer(self) -> int:
        return self.layer_selector.value

    @property
    def head(self) -> int:
        return self.head_selector.value

    def current(self) -> np.ndarray:
        """The [T, T] map on screen now."""
        return self.attentions[self.layer, self.head]

    def png(self) -> bytes:
        return figure_png(self.figure, dpi=self.dpi)

    def _repr_mimebundle_(self, **kwargs):
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)
        png = bytes(self.image.value)
        data["image/png"] = base64.b64encode(png).decode("ascii")   # for GitHub / nbviewer
        return data, png_metadata(png)                              # shown at 1x, sharp at 2x

    def __repr__(self) -> str:
        n_layers, n_heads, n_tokens = self.attentions.shape[:3]
        return (f"{type(self).__name__}({n_layers} layers x {n_heads} heads, {n_tokens} tokens; "
                f"showing {head_label(self.layer, self.head)})")


class AttentionViewer(SelectedMap):
    """Heatmap + layer and head dropdowns. ``viewer.widget`` is the ipywidgets box; displaying the
    viewer displays it (with a PNG of the current map for front-ends without widget support)."""

    def __init__(self, attentions, tokens: Sequence[str], layer: int = 0, head: int = 0,
                 vmax: float | None = 1.0, dpi: int = 80):
        import ipywidgets as widgets

        self.attentions = as_attention_array(attentions, tokens)
        self.tokens = list(tokens)
        self.dpi = dpi
        self._quiet = False
        _check_index(self.attentions, layer, head)
        n_layers, n_heads = self.attentions.shape[:2]

        self.figure = Figure(figsize=_figure_size(len(self.tokens)), dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.figure)
        self.heatmap = attention_heatmap(self.attentions[layer, head], self.tokens,
                                         self.figure.add_subplot(), _title(layer, head), vmax)
        self.layer_selector = widgets.Dropdown(options=layer_options(n_layers), value=layer, description="layer",
                                               layout=widgets.Layout(width="160px"))
        self.head_selector = widgets.Dropdown(options=list(range(n_heads)), value=head, description="head",
                                              layout=widgets.Layout(width="160px"))
        self.layer_selector.add_class("bertbook-attention-layer")    # stable hooks for browser tests
        self.head_selector.add_class("bertbook-attention-head")
        self.image = widgets.Image(format="png")
        show_png(self.image, self.png())
        # the first draw solved the layout; freeze it so every map is drawn in the same place (and
        # the same selection always gives the same PNG bytes)
        self.figure.set_layout_engine("none")
        self.image.add_class("bertbook-attention-image")
        self.widget = widgets.VBox([widgets.HBox([self.layer_selector, self.head_selector]), self.image])
        self.widget.add_class("bertbook-attention-viewer")
        self.layer_selector.observe(self._redraw, names="value")
        self.head_selector.observe(self._redraw, names="value")

    def show(self, layer: int | None = None, head: int | None = None) -> "AttentionViewer":
        """Select a map from code (the same as using the dropdowns)."""
        layer = self.layer if layer is None else layer
        head = self.head if head is None else head
        _check_index(self.attentions, layer, head)
        self._quiet = True                            # one redraw, not one per dropdown
        try:
            self.layer_selector.value = layer
            self.head_selector.value = head
        finally:
            self._quiet = False
        self._redraw()
        return self

    def _redraw(self, change=None) -> None:
        if self._quiet:
            return
        self.heatmap.set_data(self.current())
        self.heatmap.axes.set_title(_title(self.layer, self.head))
        show_png(self.image, self.png())

def attention_viewer(attentions, tokens: Sequence[str], layer: int = 0, head: int = 0,
                     interactive: bool | None = None, vmax: float | None = 1.0):
    """An ``AttentionViewer`` in a Jupyter kernel with ipywidgets, else (or with ``interactive=False``)
    a static Figure of ``layer``/``head``. ``vmax=None`` scales each map to its own maximum."""
    if interactive is None:
        interactive = widgets_available() and in_kernel()
    if interactive:
        return AttentionViewer(attentions, tokens, layer, head, vmax)
    return attention_figure(attentions, tokens, layer, head, vmax)
