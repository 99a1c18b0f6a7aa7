"""The sentence-pair widget (lesson 9): type a premise and a hypothesis, see the model's three
probabilities (entailment, neutral, contradiction) as bars and as text.

Two text boxes over a PNG bar chart in an ``ipywidgets.Image`` and an HTML line per label; no
JavaScript from a CDN. Without ipywidgets, ``nli_widget`` returns the static bar chart.
"""
from __future__ import annotations

import html

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .render import ImageWidgetRepr, figure_png, show_png, widgets_available

COLOURS = {"entailment": "#2e7d32", "neutral": "#9e9e9e", "contradiction": "#c62828"}


def nli_figure(premise: str, hypothesis: str, result: dict, dpi: int | None = None) -> Figure:
    """Three horizontal bars: P(entailment), P(neutral), P(contradiction)."""
    fig = Figure(figsize=(6.0, 1.9), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    names = list(result["scores"])[::-1]
    probs = [result["scores"][n] for n in names]
    bars = ax.barh(names, probs, color=[COLOURS.get(n, "#3b6fb6") for n in names])
    ax.bar_label(bars, [f"{p:.3f}" for p in probs], padding=3, fontsize=9)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("probability")
    short = lambda s: s if len(s) <= 60 else s[:57] + "..."
    ax.set_title(f"P: {short(premise)}\nH: {short(hypothesis)}", fontsize=9, loc="left")
    return fig


class NLIWidget(ImageWidgetRepr):
    """``widget.premise.value = ...`` / ``widget.hypothesis.value = ...`` (or typing) updates
    ``widget.result`` (``classify_pair``'s dict), the bar chart and the listing."""

    def __init__(self, premise: str = "A man is playing a guitar on stage.", hypothesis: str = "A man is performing music.",
                 model=None, tokenizer=None, dpi: int = 80):
        import ipywidgets as widgets
        self.model, self.tokenizer, self.dpi = model, tokenizer, dpi
        self.result, self.error = None, None
        layout = widgets.Layout(width="640px")
        self.premise = widgets.Text(value=premise, description="premise", continuous_update=False, layout=layout)
        self.hypothesis = widgets.Text(value=hypothesis, description="hypothesis", continuous_update=False, layout=layout)
        self.image = widgets.Image(format="png")
        self.listing = widgets.HTML()
        for w, name in ((self.premise, "premise"), (self.hypothesis, "hypothesis"), (self.image, "image"),
                        (self.listing, "scores")):
            w.add_class(f"bertbook-nli-{name}")                  # stable hooks for browser tests
        hint = widgets.HTML("<small>Type a premise and a hypothesis and press Enter.</small>")
        self.widget = widgets.VBox([hint, self.premise, self.hypothesis, self.listing, self.image])
        self.widget.add_class("bertbook-nli")
        for w in (self.premise, self.hypothesis):
            w.observe(self._update, names="value")
        self._update()

    def _update(self, change=None) -> None:
        from ..pair_classification import classify_pair
        try:
            self.result = classify_pair(self.premise.value, self.hypothesis.value, self.model, self.tokenizer)
        except (ValueError, TypeError, FileNotFoundError) as e:
            self.error, self.result = str(e), None
            self.listing.value = f"<span style='color:#b00020'>{html.escape(str(e))}</span>"
            return
        self.error = None
        show_png(self.image, figure_png(nli_figure(self.premise.value, self.hypothesis.value, self.result, self.dpi), self.dpi))
        rows = "<br>".join(f"{n} {p:.3f}" for n, p in self.result["scores"].items())
        self.listing.value = f"<b>label: {self.result['label']}</b><br>{rows}"

    def __repr__(self) -> str:
        return f"NLIWidget({self.premise.value!r} / {self.hypothesis.value!r}: {self.result['label'] if self.result else self.error})"


def nli_widget(premise: str = "A man is playing a guitar on stage.", hypothesis: str = "A man is performing music.",
               model=None, tokenizer=None, interactive: bool | None = None):
    """An ``NLIWidget`` in Jupyter, else (or with ``interactive=False``) the static bar chart."""
    if interactive is None:
        interactive = widgets_available()
    if interactive:
        return NLIWidget(premise, hypothesis, model, tokenizer)
    from ..pair_classification import classify_pair
    return nli_figure(premise, hypothesis, classify_pair(premise, hypothesis, model, tokenizer))
