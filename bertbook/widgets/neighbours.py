"""The contextual-neighbours widget (lesson 10): type a sentence, click one of its words, choose a
layer, and see the indexed occurrences whose vectors at that layer are nearest (cosine), each in
its sentence, the way exBERT (Hoover et al. 2020) lets one search a corpus.

A text box, one toggle button per word of the sentence, a layer slider, an HTML list of the
neighbours (the word marked in its sentence) and a PNG bar chart of their cosines in an
``ipywidgets.Image``; no JavaScript from a CDN. The index (``bertbook.contextuality.NeighbourIndex``)
is built once, before the widget; a click then costs one forward pass of one sentence and one
matrix-vector product over the index. Without ipywidgets, ``neighbours_widget`` returns the static
bar chart.
"""
from __future__ import annotations

import html

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .render import ImageWidgetRepr, figure_png, show_png, widgets_available


def _context(n, width: int = 9) -> str:
    lo, hi = max(0, n.position - width // 2), n.position + width // 2 + 1
    words = list(n.sentence[lo:hi])
    words[n.position - lo] = f"[{words[n.position - lo]}]"
    return ("... " if lo else "") + " ".join(words) + (" ..." if hi < len(n.sentence) else "")


def neighbours_figure(sentence: str, word, layer: int, neighbours: list, dpi: int | None = None) -> Figure:
    """One bar per neighbour: its cosine with the chosen word, labelled with its context."""
    fig = Figure(figsize=(7.5, 0.35 * len(neighbours) + 1.0), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    labels = [_context(n) for n in neighbours][::-1]
    sims = [n.similarity for n in neighbours][::-1]
    colours = ["#3b6fb6" if n.word.lower() == str(word).lower() else "#e08a1e" for n in neighbours][::-1]
    bars = ax.barh(range(len(sims)), sims, color=colours)
    ax.bar_label(bars, [f"{s:.3f}" for s in sims], padding=3, fontsize=8)
    ax.set_yticks(range(len(sims)), labels, fontsize=8)
    ax.set_xlim(min(0.0, min(sims, default=0)), 1.12)
    ax.set_xlabel("cosine similarity (blue: the same word, orange: another word)")
    short = sentence if len(sentence) <= 70 else sentence[:67] + "..."
    ax.set_title(f"nearest to '{word}' at layer {layer} in: {short}", fontsize=9, loc="left")
    return fig


class NeighboursWidget(ImageWidgetRepr):
    """``widget.sentence.value = ...`` (or typing + Enter) splits the sentence into word buttons;
    clicking one (``widget.words.value = ...``) or moving ``widget.layer`` updates
    ``widget.neighbours`` (a list of ``Neighbour``), the listing and the chart. Bad input shows its
    error message in the listing (and in ``widget.error``)."""

    def __init__(self, index, sentence: str = "We walked along the bank of the river.", word: str = "bank",
                 layer: int | None = None, k: int = 8, dpi: int = 80):
        import ipywidgets as widgets
        self.index, self.k, self.dpi = index, k, dpi
        self.neighbours, self.error = [], None
        layout = widgets.Layout(width="640px")
        self.sentence = widgets.Text(value=sentence, description="sentence", continuous_update=False, layout=layout)
        self.words = widgets.ToggleButtons(options=[], style={"button_width": "auto"})
        self.layer = widgets.IntSlider(value=index.n_layers if layer is None else layer, min=0, max=index.n_layers,
                                       description="layer", continuous_update=False)
        self.image = widgets.Image(format="png")
        self.listing = widgets.HTML()
        for w, name in ((self.sentence, "sentence"), (self.words, "words"), (self.layer, "layer"),
                        (self.image, "image"), (self.listing, "list")):
            w.add_class(f"bertbook-neighbours-{name}")            # stable hooks for browser tests
        hint = widgets.HTML(f"<small>Type a sentence and press Enter, click a word, choose a layer (0 = the "
                            f"embeddings): the {k} nearest of {len(index):,} indexed words.</small>")
        self.widget = widgets.VBox([hint, self.sentence, self.words, self.layer, self.listing, self.image])
        self.widget.add_class("bertbook-neighbours")
        self._updating = False
        self._set_words(word)
        self.sentence.observe(lambda change: self._set_words(None), names="value")
        self.words.observe(self._update, names="value")
        self.layer.observe(self._update, names="value")
        self._update()

    def _set_words(self, word) -> None:
        try:
            words = self.index.split(self.sentence.value)
        except ValueError as e:
            words = []
            self._show_error(str(e))
        options = [(w, i) for i, w in enumerate(words)]
        chosen = next((i for i, w in enumerate(words) if word is not None and w.lower() == str(word).lower()),
                      0 if words else None)
        self._updating = True
        try:
            self.words.options = options
            self.words.value = chosen
        finally:
            self._updating = False
        self._update()

    def _show_error(self, message: str) -> None:
        self.error, self.neighbours = message, []
        self.listing.value = f"<span class='bertbook-neighbours-error' style='color:#b00020'>{html.escape(message)}</span>"

    def _update(self, change=None) -> None:
        if self._updating:
            return
        if self.words.value is None:
            if not self.error:
                self._show_error("the sentence is empty: type a sentence and press Enter.")
            return
        word = self.words.value
        try:
            self.neighbours = self.index.nearest(self.sentence.value, word, self.layer.value, self.k)
        except ValueError as e:
            self._show_error(str(e))
            return
        self.error = None
        label = self.index.split(self.sentence.value)[word]
        rows = "".join(f"<li><span class='bertbook-neighbours-score'>{n.similarity:.3f}</span> "
                       f"<span class='bertbook-neighbours-word'>{html.escape(n.word)}</span>: {n.html()}</li>"
                       for n in self.neighbours)
        self.listing.value = (f"<b>nearest to <span class='bertbook-neighbours-query'>{html.escape(label)}</span> at "
                              f"layer {self.layer.value}</b><ol>{rows}</ol>")
        show_png(self.image, figure_png(neighbours_figure(self.sentence.value, label, self.layer.value,
                                                          self.neighbours, self.dpi), self.dpi))

    def __repr__(self) -> str:
        if self.error:
            return f"NeighboursWidget({self.sentence.value!r}: {self.error})"
        top = ", ".join(f"{n.word} {n.similarity:.3f}" for n in self.neighbours[:3])
        return f"NeighboursWidget({self.sentence.value!r}, layer {self.layer.value}: {top}, ...)"


def neighbours_widget(index, sentence: str = "We walked along the bank of the river.", word: str = "bank",
                      layer: int | None = None, k: int = 8, interactive: bool | None = None):
    """A ``NeighboursWidget`` in Jupyter, else (or with ``interactive=False``) the static chart."""
    if interactive is None:
        interactive = widgets_available()
    if interactive:
        return NeighboursWidget(index, sentence, word, layer, k)
    layer = index.n_layers if layer is None else layer
    return neighbours_figure(sentence, word, layer, index.nearest(sentence, word, layer, k))
