"""bertviz's "head view" drawn with matplotlib: tokens in two columns, a line from each token on
the left (the query) to each token on the right (the key it attends to), as thick and as dark as
the attention weight. The same data as the heatmap (``widgets.attention``), easier to read for
long-range links; pick one token to see only its lines.

Input is bertviz's format (a list per layer of ``[1, heads, T, T]``) and the T tokens, so the
same ``attentions`` also go into ``bertviz.head_view`` for a student who has bertviz. The widget is
layer / head / token dropdowns over an ``ipywidgets.Image``: no JavaScript from a CDN.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..attention_maps import as_attention_array, check_layer_head, head_label
from .attention import SelectedMap, layer_options, widgets_available
from .render import show_png

ALL = -1          # "focus" value meaning: every query token


def draw_attention_lines(ax, matrix, tokens: Sequence[str], focus: int = ALL, threshold: float = 0.02,
                         title: str | None = None) -> None:
    """Draw one ``[T, T]`` attention map as lines on ``ax`` (cleared first)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    T = len(tokens)
    ax.clear()
    y = -np.arange(T, dtype=np.float32)
    rows = range(T) if focus == ALL else [focus]
    segments, colors, widths = [], [], []
    for i in rows:
        for j in range(T):
            w = float(matrix[i, j])
            if w >= threshold:
                segments.append([(0.0, y[i]), (1.0, y[j])])
                colors.append((0.12, 0.35, 0.75, min(1.0, 0.15 + 0.85 * w)))
                widths.append(0.5 + 4.0 * w)
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths))
    for i, t in enumerate(tokens):
        weight = "bold" if i == focus else "normal"
        ax.text(-0.03, y[i], t, ha="right", va="center", fontsize=9, fontweight=weight)
        ax.text(1.03, y[i], t, ha="left", va="center", fontsize=9)
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(y[-1] - 0.8, 0.8)
    ax.axis("off")
    ax.text(0.0, 0.7, "query", ha="center", fontsize=8, color="gray")
    ax.text(1.0, 0.7, "key", ha="center", fontsize=8, color="gray")
    if title:
        ax.set_title(title, fontsize=10)


def _title(layer: int, head: int) -> str:
    return head_label(layer, head)           # encoder layers counted from 1 (layer 0 = the embeddings)


def _figure(n_tokens: int, dpi: int | None = None) -> Figure:
    return Figure(figsize=(4.2, min(9.0, 1.2 + 0.3 * n_tokens)), dpi=dpi, layout="constrained")


def attention_lines_figure(attentions, tokens: Sequence[str], layer: int = 0, head: int = 0,
                           focus: int = ALL, threshold: float = 0.02) -> Figure:
    """The static lines view of one (layer, head) as a matplotlib Figure."""
    array = as_attention_array(attentions, tokens)
    check_layer_head(array, layer, head)
    fig = _figure(len(tokens))
    draw_attention_lines(fig.add_subplot(), array[layer, head], tokens, focus, threshold, _title(layer, head))
    return fig


class AttentionLinesViewer(SelectedMap):
    """Lines view + layer, head and token dropdowns; ``viewer.widget`` is the ipywidgets box."""

    def __init__(self, attentions, tokens: Sequence[str], layer: int = 0, head: int = 0, focus: int = ALL,
                 threshold: float = 0.02, dpi: int = 80):
        import ipywidgets as widgets

        self.attentions = as_attention_array(attentions, tokens)
        self.tokens = list(tokens)
        self.threshold, self.dpi = threshold, dpi
        check_layer_head(self.attentions, layer, head)
        n_layers, n_heads = self.attentions.shape[:2]
        self.figure = _figure(len(self.tokens), dpi)
        FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self.layer_selector = widgets.Dropdown(options=layer_options(n_layers), value=layer, description="layer",
                                               layout=widgets.Layout(width="160px"))
        self.head_selector = widgets.Dropdown(options=list(range(n_heads)), value=head, description="head",
                                              layout=widgets.Layout(width="160px"))
        self.focus_selector = widgets.Dropdown(options=[("all", ALL)] + [(f"{i}: {t}", i) for i, t in enumerate(self.tokens)],
                                               value=focus, description="token", layout=widgets.Layout(width="220px"))
        for w, name in ((self.layer_selector, "layer"), (self.head_selector, "head"), (self.focus_selector, "token")):
            w.add_class(f"bertbook-lines-{name}")                   # stable hooks for browser tests
            w.observe(self._redraw, names="value")
        self.image = widgets.Image(format="png")
        self.image.add_class("bertbook-lines-image")
        self.widget = widgets.VBox([widgets.HBox([self.layer_selector, self.head_selector, self.focus_selector]),
                                    self.image])
        self.widget.add_class("bertbook-lines-viewer")
        self._redraw()

    def _redraw(self, change=None) -> None:
        draw_attention_lines(self.ax, self.current(), self.tokens, self.focus_selector.value, self.threshold,
                             _title(self.layer, self.head))
        show_png(self.image, self.png())


def attention_lines(attentions, tokens: Sequence[str], layer: int = 0, head: int = 0, focus: int = ALL,
                    interactive: bool | None = None, threshold: float = 0.02):
    """An ``AttentionLinesViewer`` in Jupyter, else (or with ``interactive=False``) a static Figure."""
    if interactive is None:
        interactive = widgets_available()
    if interactive:
        return AttentionLinesViewer(attentions, tokens, layer, head, focus, threshold)
    return attention_lines_figure(attentions, tokens, layer, head, focus, threshold)
