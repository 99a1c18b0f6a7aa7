"""The question-answering widget (lesson 9): paste a paragraph, ask a question, see the start and
end probabilities over the passage's tokens and the chosen span highlighted in the text.

A text area (the passage) and a text box (the question) over the passage as HTML with the answer
in a ``<mark>``, an answer line, and a PNG chart in an ``ipywidgets.Image`` (P_start and P_end per
token, the answer's tokens shaded); no JavaScript from a CDN. Without ipywidgets, ``qa_widget``
returns the static chart.
"""
from __future__ import annotations

import html

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .render import ImageWidgetRepr, figure_png, show_png, widgets_available

PASSAGE = ("The Amazon rainforest covers much of the Amazon basin of South America. The basin covers "
           "7,000,000 square kilometres, of which 5,500,000 square kilometres are covered by the rainforest. "
           "The majority of the forest is contained within Brazil, with 60% of the rainforest, followed by "
           "Peru with 13%, and Colombia with 10%.")
QUESTION = "Which country contains most of the rainforest?"   # lesson 9 asks it in other words too, and compares


def span_figure(answer, max_tokens: int = 90, dpi: int | None = None) -> Figure:
    """P_start and P_end over the passage's tokens (at most ``max_tokens`` around the answer)."""
    i, j = answer.token_span
    lo = max(0, min(i - max_tokens // 2, len(answer.tokens) - max_tokens))
    hi = min(len(answer.tokens), lo + max_tokens)
    xs = range(lo, hi)
    fig = Figure(figsize=(max(6.0, 0.13 * (hi - lo) + 1.5), 3.6), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, probs, name, colour in ((axes[0], answer.start_probabilities, "P(start)", "#2e7d32"),
                                    (axes[1], answer.end_probabilities, "P(end)", "#c62828")):
        ax.bar(list(xs), probs[lo:hi].tolist(), color=colour, width=0.8)
        ax.axvspan(i - 0.5, j + 0.5, color="#fff59d", zorder=0)
        ax.set_ylabel(name)
        ax.set_ylim(0, 1.05)
    axes[1].set_xticks(list(xs), answer.tokens[lo:hi], rotation=90, fontsize=6)
    axes[0].set_title(f"answer: {answer.answer!r} (P = {answer.score:.3f})", fontsize=9)
    return fig


def highlight_answer(context: str, start: int, end: int) -> str:
    return (html.escape(context[:start]) + "<mark class='bertbook-qa-answer' style='background:#fff59d'>"
            + html.escape(context[start:end]) + "</mark>" + html.escape(context[end:]))


class QAWidget(ImageWidgetRepr):
    """``widget.context.value = ...`` / ``widget.question.value = ...`` (or typing) updates
    ``widget.answer`` (an ``Answer``: text, score, offsets, token probabilities) and the views."""

    def __init__(self, context: str = PASSAGE, question: str = QUESTION, model=None, tokenizer=None, dpi: int = 80):
        import ipywidgets as widgets
        self.model, self.tokenizer, self.dpi = model, tokenizer, dpi
        self.answer, self.error = None, None
        self.context = widgets.Textarea(value=context, description="passage", continuous_update=False,
                                        layout=widgets.Layout(width="640px", height="110px"))
        self.question = widgets.Text(value=question, description="question", continuous_update=False,
                                     layout=widgets.Layout(width="640px"))
        self.result = widgets.HTML()
        self.highlighted = widgets.HTML()
        self.image = widgets.Image(format="png")
        for w, name in ((self.context, "context"), (self.question, "question"), (self.result, "result"),
                        (self.highlighted, "highlighted"), (self.image, "image")):
            w.add_class(f"bertbook-qa-{name}")
        hint = widgets.HTML("<small>Paste a passage, type a question and press Enter (the passage box "
                            "updates when it loses focus).</small>")
        self.widget = widgets.VBox([hint, self.context, self.question, self.result, self.highlighted, self.image])
        self.widget.add_class("bertbook-qa")
        for w in (self.context, self.question):
            w.observe(self._update, names="value")
        self._update()

    def _update(self, change=None) -> None:
        from ..question_answering import answer_question
        try:
            self.answer = answer_question(self.question.value, self.context.value, self.model, self.tokenizer,
                                          details=True)
        except (ValueError, TypeError, FileNotFoundError) as e:
            self.error, self.answer = str(e), None
            self.highlighted.value = ""
            self.result.value = f"<span style='color:#b00020'>{html.escape(str(e))}</span>"
            return
        self.error = None
        a = self.answer
        self.result.value = (f"<b>answer:</b> <span class='bertbook-qa-answer-text'>{html.escape(a.answer)}</span>"
                             f" | score {a.score:.3f} | characters {a.start}-{a.end} | {a.windows} window(s)")
        self.highlighted.value = f"<div style='max-width:640px'>{highlight_answer(self.context.value, a.start, a.end)}</div>"
        show_png(self.image, figure_png(span_figure(a, dpi=self.dpi), self.dpi))

    def __repr__(self) -> str:
        return f"QAWidget({self.question.value!r}: {self.answer.answer if self.answer else self.error!r})"


def qa_widget(context: str = PASSAGE, question: str = QUESTION, model=None, tokenizer=None,
              interactive: bool | None = None):
    """A ``QAWidget`` in Jupyter, else (or with ``interactive=False``) the static chart."""
    if interactive is None:
        interactive = widgets_available()
    if interactive:
        return QAWidget(context, question, model, tokenizer)
    from ..question_answering import answer_question
    return span_figure(answer_question(question, context, model, tokenizer, details=True))
