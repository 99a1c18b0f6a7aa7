"""Step through pretraining examples: which tokens were chosen for MLM, and what happened to them.

Each token of ``[CLS] A [SEP] B [SEP]`` is drawn in a box. Segment A and B get pale backgrounds;
a position chosen for prediction gets the colour of what the 80/10/10 rule did to it ("mask" ->
[MASK], "random" -> a random token, "keep" -> unchanged) and, below it, the label the model must
predict there: the *original* token, never a neighbour.

``show_examples(examples, tokenizer)`` gives the ipywidgets stepper (prev/next buttons and a
slider) and falls back to a static matplotlib figure where ipywidgets is missing.
"""
from __future__ import annotations

import html
from typing import Sequence

from .render import in_kernel, widgets_available

KIND_COLOURS = {"mask": "#f4a261", "random": "#e76f51", "keep": "#2a9d8f"}   # orange, red, green
KIND_LABELS = {"mask": "[MASK] (80%)", "random": "random token (10%)", "keep": "kept (10%)"}
SEGMENT_COLOURS = ("#eeeeee", "#dbe9f6")                                       # A grey, B pale blue


def _token(tokenizer, token_id: int) -> str:
    if tokenizer is None:
        return str(token_id)
    token = tokenizer.id_to_token(int(token_id))
    return token if token is not None else str(token_id)


def token_cells(example, tokenizer=None) -> list[dict]:
    """One dict per position: token shown to the model, segment, and (if chosen for MLM) kind + label.
    Both views below draw from this, so the widget and the static figure cannot disagree."""
    if not (len(example.masked_positions) == len(example.masked_labels) == len(example.masked_kinds)):
        raise ValueError("masked_positions, masked_labels and masked_kinds must have the same length "
                         f"(got {len(example.masked_positions)}, {len(example.masked_labels)}, "
                         f"{len(example.masked_kinds)}).")
    chosen = {p: (k, lab) for p, lab, k in zip(example.masked_positions, example.masked_labels, example.masked_kinds)}
    cells = []
    for i, (tok, seg) in enumerate(zip(example.tokens, example.segment_ids)):
        kind, label = chosen.get(i, (None, None))
        if kind is not None and kind not in KIND_COLOURS:
            raise ValueError(f"unknown masked kind {kind!r} at position {i}; expected one of {sorted(KIND_COLOURS)}")
        colour = KIND_COLOURS[kind] if kind else SEGMENT_COLOURS[int(seg) % 2]
        cells.append({"position": i, "token": tok, "segment": int(seg), "kind": kind,
                      "label": None if label is None else _token(tokenizer, label), "colour": colour})
    return cells


def example_html(example, tokenizer=None) -> str:
    """The example as HTML: coloured token boxes, then a table of the MLM labels and the NSP label."""
    cells = token_cells(example, tokenizer)
    boxes = []
    for c in cells:
        label = (f'<div style="font-size:80%;color:#444">&rarr;&nbsp;{html.escape(c["label"])}</div>'
                 if c["kind"] else '<div style="font-size:80%">&nbsp;</div>')
        boxes.append(
            f'<span class="tok" data-kind="{c["kind"] or "none"}" data-segment="{c["segment"]}" '
            f'style="display:inline-block;margin:2px;padding:1px 4px;border-radius:3px;'
            f'background:{c["colour"]};font-family:monospace;text-align:center">'
            f'{html.escape(c["token"])}{label}</span>')
    rows = "".join(f'<tr><td>{c["position"]}</td><td style="background:{c["colour"]}">{c["kind"]}</td>'
                   f'<td><code>{html.escape(c["token"])}</code></td><td><code>{html.escape(c["label"])}</code></td></tr>'
                   for c in cells if c["kind"])
    nsp = ("B is a <b>random</b> segment from another document (NSP label 1, IsNext = no)"
           if example.is_random_next else "B is the <b>true continuation</b> of A (NSP label 0, IsNext = yes)")
    legend = " ".join(f'<span style="background:{col};padding:1px 4px;border-radius:3px">{KIND_LABELS[k]}</span>'
                      for k, col in KIND_COLOURS.items())
    return (f'<div><div style="margin-bottom:4px">{legend} &nbsp; segment A / '
            f'<span style="background:{SEGMENT_COLOURS[1]}">segment B</span></div>'
            f'<div style="line-height:1.2">{"".join(boxes)}</div>'
            f'<p>NSP: {nsp}</p>'
            '<table><tr><th>position</th><th>kind</th><th>model sees</th><th>label (to predict)</th></tr>'
            f'{rows}</table></div>')


def example_text(example, tokenizer=None) -> str:
    """A plain-text summary (what nbval compares and what a terminal shows)."""
    cells = token_cells(example, tokenizer)
    marks = {"mask": "*", "random": "!", "keep": "="}
    shown = " ".join(c["token"] + (marks[c["kind"]] if c["kind"] else "") for c in cells)
    labels = ", ".join(f'{c["position"]}:{c["kind"]}->{c["label"]}' for c in cells if c["kind"])
    return f"{shown}\n  NSP is_random_next={example.is_random_next}; labels: {labels}"


class ExampleStepper:
    """prev / next buttons and a slider over a list of examples; ``.html.value`` is what is shown."""

    def __init__(self, examples: Sequence, tokenizer=None, start: int = 0):
        import ipywidgets as w
        if not examples:
            raise ValueError("ExampleStepper needs at least one example; create some with create_pretraining_examples().")
        self.examples, self.tokenizer = list(examples), tokenizer
        self.html = w.HTML()
        self.prev_button = w.Button(description="◀ prev", layout=w.Layout(width="80px"))
        self.next_button = w.Button(description="next ▶", layout=w.Layout(width="80px"))
        self.slider = w.IntSlider(value=0, min=0, max=len(self.examples) - 1, description="example",
                                  continuous_update=False)
        self.prev_button.on_click(lambda _: self.prev())
        self.next_button.on_click(lambda _: self.next())
        self.slider.observe(lambda change: self._render(), names="value")
        self.widget = w.VBox([w.HBox([self.prev_button, self.slider, self.next_button]), self.html])
        self.go(start)
        self._render()

    @property
    def index(self) -> int:
        return self.slider.value

    @property
    def example(self):
        return self.examples[self.index]

    def go(self, i: int) -> None:
        if not 0 <= i < len(self.examples):
            raise IndexError(f"example {i} does not exist; there are {len(self.examples)} (0..{len(self.examples) - 1}).")
        self.slider.value = i            # the observer re-renders

    def next(self) -> None:
        self.go((self.index + 1) % len(self.examples))

    def prev(self) -> None:
        self.go((self.index - 1) % len(self.examples))

    def _render(self) -> None:
        self.html.value = example_html(self.example, self.tokenizer)

    def _repr_mimebundle_(self, **kwargs):
        # the live widget for JupyterLab; an HTML snapshot for viewers without a widget manager (GitHub)
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle = dict(bundle)
        bundle["text/html"] = self.html.value
        bundle["text/plain"] = f"ExampleStepper: example {self.index} of {len(self.examples)}"
        return bundle


def plot_example(example, tokenizer=None, ax=None, width: int = 150):
    """Static fallback: the same coloured boxes as a matplotlib figure (labels under chosen tokens)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    cells = token_cells(example, tokenizer)
    lines, line, used = [], [], 0                      # wrap at ``width`` characters
    for c in cells:
        n = max(len(c["token"]), len(c["label"] or "") + 2) + 1
        if line and used + n > width:
            lines.append(line)
            line, used = [], 0
        line.append((used, c))
        used += n
    lines.append(line)
    if ax is None:               # 150 monospace characters of 9 pt fill 12 inches: 1 x unit = 1 character
        fig, ax = plt.subplots(figsize=(12, 0.55 * len(lines) + 0.9))
        fig.subplots_adjust(left=0.01, right=0.99, top=0.72, bottom=0.02)
    fig = ax.figure
    ax.set_xlim(0, width)
    ax.set_ylim(-1.1 * len(lines), 0.3)
    ax.axis("off")
    for row, line in enumerate(lines):
        y = -1.1 * row
        for x, c in line:
            ax.text(x, y, c["token"], family="monospace", fontsize=9, va="top", ha="left",
                    bbox=dict(boxstyle="round,pad=0.2", facecolor=c["colour"], edgecolor="none"), gid=c["kind"] or "none")
            if c["kind"]:
                ax.text(x, y - 0.4, "→" + c["label"], family="monospace", fontsize=7, va="top", ha="left", color="#444")
    ax.legend(handles=[Patch(color=col, label=KIND_LABELS[k]) for k, col in KIND_COLOURS.items()]
              + [Patch(color=SEGMENT_COLOURS[1], label="segment B")],
              loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=4, frameon=False, fontsize=8)
    ax.set_title("NSP: " + ("B is a random segment (label 1)" if example.is_random_next
                            else "B is the true continuation (label 0)"), fontsize=9, loc="left")
    return fig


def show_examples(examples: Sequence, tokenizer=None, start: int = 0, interactive: bool | None = None):
    """The stepper widget in Jupyter; elsewhere (or with ``interactive=False``) a static figure of
    example ``start``."""
    if not examples:
        raise ValueError("show_examples needs at least one example; create some with create_pretraining_examples().")
    if interactive is None:
        interactive = widgets_available() and in_kernel()
    if interactive:
        return ExampleStepper(examples, tokenizer, start)
    return plot_example(examples[start], tokenizer)
