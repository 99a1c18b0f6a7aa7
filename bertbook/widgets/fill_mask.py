"""The masked-word prediction widget: type a sentence with [MASK] (or click a word to mask it)
and see the model's top-k words for each gap as a bar chart.

A text box, a model dropdown, a k slider and a row of word buttons (click one to replace that
word with [MASK]) over a PNG bar chart in an ``ipywidgets.Image``, a plain-text list of the
predictions, and a per-layer strip (the logit lens, ``bertbook.logit_lens``): for each gap's top
answer, its rank and probability when the MLM head reads the embeddings and each layer's output.
No JavaScript from a CDN. Models are loaded the first time they are picked. Without ipywidgets or
a live kernel, ``fill_mask_widget`` returns a static bar chart instead.
"""
from __future__ import annotations

import base64
import html
import re

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .render import figure_png, png_metadata, show_png, widgets_available

MODELS = {"MiniLM, MLM-trained (minilm-mlm)": "minilm-mlm", "our tiny BERT (bertbook-tiny)": "bertbook-tiny"}
WORD = re.compile(r"\[MASK\]|[A-Za-z0-9']+")


def predictions_figure(text: str, predictions, dpi: int | None = None) -> Figure:
    """Horizontal bars, one panel per [MASK]: the top-k words and their probabilities."""
    if predictions and isinstance(predictions[0], tuple):
        predictions = [predictions]
    n = max(1, len(predictions))
    k = max((len(p) for p in predictions), default=1)
    fig = Figure(figsize=(3.6 * n + 0.6, 0.9 + 0.32 * k), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    for m, preds in enumerate(predictions):
        ax = fig.add_subplot(1, n, m + 1)
        words = [w for w, _ in preds][::-1]
        probs = [p for _, p in preds][::-1]
        bars = ax.barh(range(len(words)), probs, color="#3b6fb6")
        ax.set_yticks(range(len(words)), words)
        ax.set_xlim(0, max(1e-3, max(probs, default=0)) * 1.35)
        ax.bar_label(bars, [f"{p:.2f}" for p in probs], padding=2, fontsize=8)
        ax.set_xlabel("probability")
        ax.set_title(f"[MASK] {m + 1}" if n > 1 else "[MASK]", fontsize=10)
    short = text if len(text) <= 70 else text[:67] + "..."
    fig.suptitle(short, fontsize=9)
    return fig


def fill_mask_figure(text: str, k: int = 5, model=None, tokenizer=None) -> Figure:
    """The static view: ``fill_mask`` on ``text`` as a bar chart."""
    from ..fill_mask import fill_mask
    return predictions_figure(text, fill_mask(text, k, model, tokenizer))


def mask_word(text: str, index: int) -> str:
    """``text`` with its ``index``-th word (letters, digits, apostrophes) replaced by [MASK]."""
    matches = [m for m in WORD.finditer(text)]
    if not 0 <= index < len(matches):
        raise IndexError(f"the text has {len(matches)} words (0..{len(matches) - 1}); there is no word {index}.")
    m = matches[index]
    return text[:m.start()] + "[MASK]" + text[m.end():]


def copied_from_sentence(text: str, word: str) -> bool:
    """Is ``word`` (a prediction) one of the words already in ``text``? Small MLMs often copy a word of
    the context into the gap ("Paris is the capital of paris"): lesson 7 explains why."""
    words = {w.lower() for w in WORD.findall(text) if w != "[MASK]"}
    return word.lower().lstrip("#") in words


class FillMaskWidget:
    """``widget.text.value = "..."`` (or typing, or clicking a word) updates ``widget.predictions``,
    the bar chart and the text list. ``models``: label -> model name, or -> (model, tokenizer)."""

    def __init__(self, text: str = "She lit the [MASK] and sat down to read.", k: int = 5,
                 models: dict | None = None, model: str | None = None, dpi: int = 80):
        import ipywidgets as widgets

        self.models = dict(models or MODELS)
        self.dpi = dpi
        self.predictions = []
        self.readouts = []                                           # the logit lens, one per [MASK]
        self.error = None
        self._loaded = {}
        self.text = widgets.Text(value=text, description="sentence", continuous_update=False,
                                 layout=widgets.Layout(width="640px"))
        self.model_selector = widgets.Dropdown(options=list(self.models), value=model or next(iter(self.models)),
                                               description="model", layout=widgets.Layout(width="400px"))
        self.k = widgets.IntSlider(value=k, min=1, max=10, description="top k")
        self.words = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.image = widgets.Image(format="png")
        self.listing = widgets.HTML()
        self.layers = widgets.Image(format="png")
        self.card = widgets.HTML()                                   # who is answering (the model's card)
        self.copied = []                                             # per [MASK]: is the top answer a word of the sentence?
        for w, name in ((self.text, "text"), (self.model_selector, "model"), (self.k, "k"), (self.words, "words"),
                        (self.image, "image"), (self.listing, "predictions"), (self.card, "card"),
                        (self.layers, "layers")):
            w.add_class(f"bertbook-fillmask-{name}")                # stable hooks for browser tests
        hint = widgets.HTML("<small>Type a sentence with [MASK] and press Enter, or click a word to mask it.</small>")
        self.widget = widgets.VBox([hint, self.text, widgets.HBox([self.model_selector, self.k]), self.words,
                                    self.image, self.listing, self.card, self.layers])
        self.widget.add_class("bertbook-fillmask")
        for w in (self.text, self.model_selector, self.k):
            w.observe(self._update, names="value")
        self._update()

    def model_and_tokenizer(self):
        label = self.model_selector.value
        if label not in self._loaded:
            from ..fill_mask import resolve_model
            choice = self.models[label]
            self._loaded[label] = resolve_model(*choice) if isinstance(choice, tuple) else resolve_model(choice)
        return self._loaded[label]

    def _word_buttons(self):
        import ipywidgets as widgets
        buttons = []
        for i, m in enumerate(WORD.finditer(self.text.value)):
            b = widgets.Button(description=m.group(0), layout=widgets.Layout(width="auto"),
                               disabled=m.group(0) == "[MASK]", tooltip="mask this word")
            b.add_class("bertbook-fillmask-word")
            b.on_click(lambda _, i=i: self.mask(i))
            buttons.append(b)
        self.words.children = buttons

    def mask(self, index: int) -> None:
        """Replace word ``index`` of the sentence with [MASK] (what clicking a word does)."""
        self.text.value = mask_word(self.text.value, index)

    def _update(self, change=None) -> None:
        from ..fill_mask import fill_mask
        from ..logit_lens import layer_readouts, readout_strip
        self._word_buttons()
        try:
            model, tokenizer = self.model_and_tokenizer()
            result = fill_mask(self.text.value, self.k.value, model, tokenizer)
            self.readouts = layer_readouts(model, tokenizer, self.text.value)
        except (ValueError, FileNotFoundError, TypeError) as e:
            self.error, self.predictions, self.readouts, self.copied = str(e), [], [], []
            self.listing.value = f"<span style='color:#b00020'>{html.escape(str(e))}</span>"
            self.image.value = self.layers.value = b""          # no stale chart beside the error
            return
        self.error = None
        self.predictions = [result] if result and isinstance(result[0], tuple) else result
        self.copied = [copied_from_sentence(self.text.value, preds[0][0]) if preds else False
                       for preds in self.predictions]
        fig = predictions_figure(self.text.value, self.predictions, self.dpi)
        show_png(self.image, figure_png(fig, dpi=self.dpi))
        rows = ["<br>".join(f"{html.escape(w)} {p:.3f}" for w, p in preds) for preds in self.predictions]
        marks = ["<br><span class='bertbook-fillmask-copied' style='color:#b35900'>&#8634; copied: "
                 f"<b>{html.escape(preds[0][0])}</b> already stands in the sentence</span>" if copied else ""
                 for preds, copied in zip(self.predictions, self.copied)]
        self.listing.value = "<div style='display:flex;gap:2em'>" + "".join(
            f"<div><b>[MASK] {i + 1}</b><br>{r}{m}</div>" for i, (r, m) in enumerate(zip(rows, marks))) + "</div>"
        self.card.value = f"<div style='border-left:3px solid #3b6fb6;padding-left:6px'><small>{html.escape(self.card_line(model))}</small></div>"
        show_png(self.layers, figure_png(readout_strip(self.readouts, self.dpi), dpi=self.dpi))

    def card_line(self, model) -> str:
        """Who is answering: the shipped model's card (``bertbook.model_cards``), or its size alone."""
        from ..model_cards import load_card
        choice = self.models[self.model_selector.value]
        parameters = sum(p.numel() for p in model.parameters())
        card = load_card(choice) if isinstance(choice, str) else None
        if card is None:
            return f"Answering: {self.model_selector.value}, {parameters / 1e6:.1f}M parameters (no model card)."
        return card.line(parameters)

    def _repr_mimebundle_(self, **kwargs):
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)
        if self.image.value:
            png = bytes(self.image.value)
            data["image/png"] = base64.b64encode(png).decode("ascii")
            return data, png_metadata(png)                          # shown at 1x, sharp at 2x
        return data

    def __repr__(self) -> str:
        tops = ", ".join(p[0][0] for p in self.predictions if p)
        return f"FillMaskWidget({self.text.value!r}; {self.model_selector.value}; top-1: {tops or self.error})"


def fill_mask_widget(text: str = "She lit the [MASK] and sat down to read.", k: int = 5, models: dict | None = None,
                     model: str | None = None, interactive: bool | None = None):
    """A ``FillMaskWidget`` in Jupyter, else (or with ``interactive=False``) a static bar chart
    from the first (or the named) model."""
    if interactive is None:
        interactive = widgets_available()
    if interactive:
        return FillMaskWidget(text, k, models, model)
    models = dict(models or MODELS)
    choice = models[model or next(iter(models))]
    from ..fill_mask import resolve_model
    return fill_mask_figure(text, k, *(resolve_model(*choice) if isinstance(choice, tuple) else resolve_model(choice)))
