"""The entity widget (lesson 9): type a sentence, see its entities highlighted by type and every
piece's tag probabilities as a heat map.

A text box over an HTML rendering of the sentence (one coloured ``<mark>`` per entity, its type
beside it), a text list of the entities, and a PNG heat map (pieces x BIO tags) in an
``ipywidgets.Image``; no JavaScript from a CDN. Without ipywidgets, ``entity_widget`` returns the
static heat map.
"""
from __future__ import annotations

import html

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .render import ImageWidgetRepr, figure_png, show_png, widgets_available

TYPE_COLOURS = {"person": "#ffcc80", "location": "#a5d6a7", "group": "#90caf9", "corporation": "#ce93d8",
                "product": "#f48fb1", "creative-work": "#fff59d"}


def tag_probability_figure(tagged, dpi: int | None = None) -> Figure:
    """Heat map: one column per WordPiece piece, one row per tag, P(tag | piece). Only the first
    piece of a word decides the word's tag; later pieces are drawn paler, for that reason."""
    probs = tagged.piece_probabilities.T.numpy()
    fig = Figure(figsize=(max(5.0, 0.45 * probs.shape[1] + 2.2), 4.2), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = ax.imshow(probs, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(tagged.labels)), tagged.labels, fontsize=8)
    ax.set_xticks(range(len(tagged.pieces)), tagged.pieces, rotation=60, ha="right", fontsize=8)
    first = {w: i for i, w in reversed(list(enumerate(tagged.piece_words)))}
    for i, w in enumerate(tagged.piece_words):
        if first[w] != i:
            ax.get_xticklabels()[i].set_color("#999999")
    fig.colorbar(im, ax=ax, fraction=0.03, label="P(tag)")
    ax.set_title("tag probabilities per piece (grey pieces: not a word's first piece)", fontsize=9)
    return fig


def highlight_entities(text: str, entities: list[dict]) -> str:
    """The text as HTML, each entity in a coloured ``<mark>`` followed by its type."""
    out, pos = [], 0
    for e in entities:
        out.append(html.escape(text[pos:e["start"]]))
        colour = TYPE_COLOURS.get(e["type"], "#e0e0e0")
        out.append(f"<mark class='bertbook-ner-entity' data-type='{html.escape(e['type'])}' "
                   f"style='background:{colour};padding:0 2px'>{html.escape(e['text'])}"
                   f"<sub style='font-size:70%'> {html.escape(e['type'])}</sub></mark>")
        pos = e["end"]
    out.append(html.escape(text[pos:]))
    return "".join(out)


class EntityWidget(ImageWidgetRepr):
    """``widget.text.value = ...`` (or typing) updates ``widget.entities`` (``find_entities``'
    list), the highlighted sentence, the list and the heat map."""

    def __init__(self, text: str = "Taylor Swift played Wembley Stadium with her band last night",
                 model=None, tokenizer=None, dpi: int = 80):
        import ipywidgets as widgets
        self.model, self.tokenizer, self.dpi = model, tokenizer, dpi
        self.entities, self.tagged, self.error = [], None, None
        self.text = widgets.Text(value=text, description="sentence", continuous_update=False,
                                 layout=widgets.Layout(width="640px"))
        self.highlighted = widgets.HTML()
        self.listing = widgets.HTML()
        self.image = widgets.Image(format="png")
        for w, name in ((self.text, "text"), (self.highlighted, "highlighted"), (self.listing, "entities"),
                        (self.image, "image")):
            w.add_class(f"bertbook-ner-{name}")
        hint = widgets.HTML("<small>Type a sentence and press Enter.</small>")
        self.widget = widgets.VBox([hint, self.text, self.highlighted, self.listing, self.image])
        self.widget.add_class("bertbook-ner")
        self.text.observe(self._update, names="value")
        self._update()

    def _update(self, change=None) -> None:
        from ..token_classification import bio_to_spans, tag_text
        text = self.text.value
        try:
            words, self.tagged = tag_text(text, self.model, self.tokenizer)
        except (ValueError, TypeError, FileNotFoundError) as e:
            self.error, self.entities, self.tagged = str(e), [], None
            self.highlighted.value = ""
            self.listing.value = f"<span style='color:#b00020'>{html.escape(str(e))}</span>"
            return
        self.error = None
        p = self.tagged.word_probabilities
        self.entities = [{"text": text[words[a][1]:words[b - 1][2]], "type": kind, "start": words[a][1],
                          "end": words[b - 1][2], "score": sum(p[a:b]) / (b - a)}
                         for kind, a, b in bio_to_spans(self.tagged.tags)]
        self.highlighted.value = f"<div style='font-size:120%;line-height:2'>{highlight_entities(text, self.entities)}</div>"
        self.listing.value = "<br>".join(f"{html.escape(e['text'])} | {e['type']} | {e['score']:.3f}"
                                         for e in self.entities) or "no entities found"
        show_png(self.image, figure_png(tag_probability_figure(self.tagged, self.dpi), self.dpi))

    def __repr__(self) -> str:
        found = ", ".join(f"{e['text']} ({e['type']})" for e in self.entities)
        return f"EntityWidget({self.text.value!r}: {found or self.error or 'no entities'})"


def entity_widget(text: str = "Taylor Swift played Wembley Stadium with her band last night", model=None,
                  tokenizer=None, interactive: bool | None = None):
    """An ``EntityWidget`` in Jupyter, else (or with ``interactive=False``) the static heat map."""
    if interactive is None:
        interactive = widgets_available()
    if interactive:
        return EntityWidget(text, model, tokenizer)
    from ..token_classification import tag_text
    return tag_probability_figure(tag_text(text, model, tokenizer)[1])
