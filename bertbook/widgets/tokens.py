"""Two tokenizers side by side: type a sentence, see each one's WordPiece tokens and ids.

``compare_tokenizers("Call me Ishmael.")`` returns a ``TokenComparison`` widget (a text box and a
table per tokenizer, redrawn on every keystroke) or, with ``static=True`` or without ipywidgets, a
``TokenTable`` that renders as HTML. Colours: word-initial pieces green, ``##`` continuation pieces
blue, special tokens grey, ``[UNK]`` red.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from .render import widgets_available

DEFAULT_TEXT = "The harpooneers were unaffable, 北京!"
SPECIAL = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
_STYLE = {"special": "#e0e0e0", "unk": "#f4a6a6", "continuation": "#cfe2ff", "word": "#d1f0d1"}


def _kind(token: str) -> str:
    if token == "[UNK]":
        return "unk"
    if token in SPECIAL:
        return "special"
    return "continuation" if token.startswith("##") else "word"


@dataclass
class TokenTable:
    """One text, tokenised by several tokenizers: ``rows[name]`` is a list of (token, id)."""
    text: str
    rows: dict[str, list[tuple[str, int]]]

    def tokens(self, name: str) -> list[str]:
        return [t for t, _ in self.rows[name]]

    def ids(self, name: str) -> list[int]:
        return [i for _, i in self.rows[name]]

    def _repr_html_(self) -> str:
        parts = [f'<div style="font-family:monospace">text: <b>{html.escape(repr(self.text))}</b>']
        for name, row in self.rows.items():
            chips = "".join(
                f'<span style="display:inline-block;margin:2px;padding:2px 4px;border-radius:3px;'
                f'background:{_STYLE[_kind(t)]};text-align:center">{html.escape(t)}<br>'
                f'<small>{i}</small></span>' for t, i in row)
            parts.append(f'<div style="margin-top:6px"><b>{html.escape(name)}</b> ({len(row)} tokens)<br>{chips}</div>')
        return "".join(parts) + "</div>"

    def __str__(self) -> str:
        lines = [f"text: {self.text!r}"]
        for name, row in self.rows.items():
            lines.append(f"{name} ({len(row)} tokens)")
            lines.append("  tokens: " + " ".join(t for t, _ in row))
            lines.append("  ids:    " + " ".join(str(i) for _, i in row))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def default_tokenizers() -> dict:
    """Ours (trained on the corpus) and the real uncased BERT vocabulary, under readable names."""
    from ..tokenizer import load_tokenizer
    return {"ours (bertbook, 8000 pieces)": load_tokenizer("bertbook"),
            "BERT uncased (MiniLM, 30522 pieces)": load_tokenizer("minilm")}


def _resolve(tokenizers) -> dict:
    from ..tokenizer import load_tokenizer
    if tokenizers is None:
        return default_tokenizers()
    if isinstance(tokenizers, dict):
        named = tokenizers
    else:
        named = {str(t) if isinstance(t, str) else f"tokenizer {k}": t for k, t in enumerate(tokenizers)}
    resolved = {name: load_tokenizer(t) if isinstance(t, str) else t for name, t in named.items()}
    if not resolved:
        raise ValueError("compare_tokenizers needs at least one tokenizer, e.g. ['bertbook', 'minilm'].")
    for name, tok in resolved.items():
        if not hasattr(tok, "encode") or not hasattr(tok, "token_to_id"):
            raise TypeError(f"{name!r} is a {type(tok).__name__}, not a tokenizers.Tokenizer; "
                            "pass bertbook.load_tokenizer(...) or a name such as 'minilm'.")
    return resolved


def token_table(text: str, tokenizers=None) -> TokenTable:
    """Tokenise ``text`` (with [CLS]/[SEP], as BERT sees it) with every tokenizer."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    toks = _resolve(tokenizers)
    rows = {}
    for name, tok in toks.items():
        enc = tok.encode(text)
        rows[name] = list(zip(enc.tokens, enc.ids))
    return TokenTable(text, rows)


class TokenComparison:
    """The live view: ``.text`` (an ipywidgets.Text) drives ``.table`` and the HTML in ``.view``.

    Display it like any widget; ``.widget`` is the underlying VBox. When widgets cannot render (a
    notebook viewed on GitHub), the current table is shown as HTML instead.
    """

    def __init__(self, text: str = DEFAULT_TEXT, tokenizers=None):
        import ipywidgets as W
        self.tokenizers = _resolve(tokenizers)
        self.text = W.Text(value=text, description="Sentence:", continuous_update=True,
                           layout=W.Layout(width="95%"))
        self.view = W.HTML()
        self.widget = W.VBox([self.text, self.view])
        for w, name in ((self.widget, ""), (self.text, "-text"), (self.view, "-view")):
            w.add_class("bertbook-tokens" + name)                 # handles for the browser tests
        self.text.observe(self._update, names="value")
        self._update()

    def _update(self, change=None) -> None:
        self.table = token_table(self.text.value, self.tokenizers)
        self.view.value = self.table._repr_html_()

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.view.value        # shown where widgets cannot render
        return bundle

    def __repr__(self) -> str:
        return f"TokenComparison(text={self.text.value!r}, tokenizers={list(self.tokenizers)})"


def compare_tokenizers(text: str = DEFAULT_TEXT, tokenizers=None, static: bool | None = None):
    """A ``TokenComparison`` widget, or a static ``TokenTable`` when ``static=True`` or when
    ipywidgets is not installed. ``tokenizers``: names or Tokenizers (list or {label: tokenizer});
    default: ours and BERT's real uncased vocabulary."""
    if static is None:
        static = not widgets_available()
    if static:
        return token_table(text, tokenizers)
    return TokenComparison(text, tokenizers)
