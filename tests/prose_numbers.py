"""Prose numbers: a number the prose quotes is read from the output or results file it comes from.

A lesson's sentence such as "far above the 0.06 of always predicting `,`" is true only while the
output beside it still prints 0.06. Retraining a model or re-running a benchmark changes the
output and silently leaves the sentence behind. A `Quote` ties the sentence to its evidence:

    from prose_numbers import Quote, json_value, output_value
    QUOTES = [
        Quote("notebooks/06_pretraining.ipynb",
              "far above the {acc:.2f} of always predicting `,`",
              acc=output_value("notebooks/06_pretraining.ipynb", cell_id="1a2b3c4d",
                               pattern=r"accuracy ([\\d.]+)")),
    ]

`tests/test_prose_numbers.py` renders every registered quote (`text.format(**values)`, so format
specs such as `{n:,}` or `{x:.1%}` work) and asserts that the rendered sentence occurs in the
file's prose: the markdown cells of a notebook, joined, or the text of a .md file, with runs of
whitespace collapsed to one space on both sides. When it does not, the failure shows the rendered
sentence, where each number came from, and the closest passage of the prose, so the fix is plain.

`code_value` reads a setting from a code cell's source instead (prose that describes the code).
Registries live in `tests/quotes/<name>.py`, each defining `QUOTES`; they are found automatically.
Paths are relative to the repository root. Run one registry with
`python -m pytest tests/test_prose_numbers.py -k <name>`, and list the numbers of a file's prose
that no quote covers yet with `python tests/prose_numbers.py notebooks/06_pretraining.ipynb`.
"""
from __future__ import annotations

import difflib
import importlib.util
import inspect
import json
import re
import string
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUOTES_DIR = Path(__file__).resolve().parent / "quotes"

_THOUSANDS = re.compile(r"(?<=\d)[,_\u202f\u2009](?=\d{3})")   # 1,191,109 -> 1191109


class ProseNumberError(AssertionError):
    """A quote whose number (or sentence) no longer matches its evidence."""


def resolve(path) -> Path:
    """A path relative to the repository root (absolute paths are kept: the tests use copies)."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


def _stamp(p: Path):
    st = p.stat()
    return (str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _read_notebook(stamp):
    return json.loads(Path(stamp[0]).read_text(encoding="utf-8"))


def _notebook(path) -> dict:
    p = resolve(path)
    if not p.exists():
        raise FileNotFoundError(f"{path}: no such notebook (paths are relative to {ROOT})")
    return _read_notebook(_stamp(p))


def _text(src) -> str:
    return "".join(src) if isinstance(src, list) else (src or "")


def collapse(text: str) -> str:
    """Runs of whitespace (newlines included) become one space."""
    return re.sub(r"\s+", " ", text).strip()


# --- sources ---------------------------------------------------------------------------------------
class Source:
    """A zero-argument callable with a description that says where its value is read from."""

    def __init__(self, fn, description, path=None):
        self._fn, self.description, self.path = fn, description, path   # path: the file it reads

    def __call__(self):
        return self._fn()

    def __repr__(self):
        return self.description


def cell_output_text(notebook, cell_id) -> str:
    """The saved output of one code cell: stream text, text/plain and text/html, joined."""
    nb = _notebook(notebook)
    for cell in nb["cells"]:
        if cell.get("id") == cell_id:
            if cell["cell_type"] != "code":
                raise ValueError(f"{notebook}: cell {cell_id} is a {cell['cell_type']} cell; "
                                 "output_value reads the saved output of a code cell")
            parts = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    parts.append(_text(out.get("text")))
                data = out.get("data", {})
                for mime in ("text/plain", "text/html"):
                    if mime in data:
                        parts.append(_text(data[mime]))
            return "\n".join(parts)
    ids = [c.get("id") for c in nb["cells"] if c["cell_type"] == "code"]
    raise KeyError(f"{notebook}: no cell with id {cell_id!r} (its code cells: {', '.join(map(str, ids))})")


def output_value(notebook, cell_id, pattern, group=1, convert=float):
    """The number a code cell printed: `re.search(pattern, saved output).group(group)`, thousands
    separators removed, then `convert` (float by default; pass `convert=int` for counts)."""
    regex = re.compile(pattern)

    def read():
        text = cell_output_text(notebook, cell_id)
        m = regex.search(text)
        if m is None:
            head = text if len(text) < 600 else text[:600] + " ..."
            raise ProseNumberError(
                f"{notebook} cell {cell_id}: the pattern {pattern!r} no longer matches its saved "
                f"output (did the printout change?). The output reads:\n{head}")
        raw = _THOUSANDS.sub("", m.group(group))
        try:
            return convert(raw)
        except ValueError as e:
            raise ProseNumberError(f"{notebook} cell {cell_id}: {pattern!r} matched {raw!r}, "
                                   f"which {getattr(convert, '__name__', convert)} cannot read: {e}")

    src = Source(read, f"{notebook} cell {cell_id} output /{pattern}/", path=str(notebook))
    src.cell_id, src.pattern, src.group = cell_id, regex, group
    return src


def code_value(notebook, cell_id, pattern, group=1, convert=float):
    """A number in a code cell's *source* (a setting such as `max_steps=200`), for prose that
    describes what the code does: `re.search(pattern, source).group(group)`, then `convert`."""
    regex = re.compile(pattern)

    def read():
        nb = _notebook(notebook)
        cell = next((c for c in nb["cells"] if c.get("id") == cell_id), None)
        if cell is None:
            raise KeyError(f"{notebook}: no cell with id {cell_id!r}")
        m = regex.search(_text(cell["source"]))
        if m is None:
            raise ProseNumberError(f"{notebook} cell {cell_id}: the pattern {pattern!r} no longer "
                                   f"matches its code:\n{_text(cell['source'])[:600]}")
        return convert(_THOUSANDS.sub("", m.group(group)))

    return Source(read, f"{notebook} cell {cell_id} code /{pattern}/", path=str(notebook))


@lru_cache(maxsize=64)
def _read_json(stamp):
    text = Path(stamp[0]).read_text(encoding="utf-8")
    if stamp[0].endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def json_value(path, *keys, scale=1):
    """A value of a results file: `keys` walk dicts (str keys) and lists (int keys, -1 = last);
    the value is multiplied by `scale` (e.g. 100 for a percentage). A .jsonl file reads as the
    list of its lines' records."""
    def read():
        p = resolve(path)
        if not p.exists():
            raise FileNotFoundError(f"{path}: no such results file (paths are relative to {ROOT})")
        value = _read_json(_stamp(p))
        walked = []
        for k in keys:
            try:
                value = value[k]
            except (KeyError, IndexError, TypeError):
                have = list(value)[:20] if isinstance(value, dict) else (
                    f"a list of {len(value)}" if isinstance(value, list) else repr(value))
                raise ProseNumberError(f"{path}: no {k!r} under {walked or 'the top'} (there: {have})")
            walked.append(k)
        return value * scale if scale != 1 else value

    return Source(read, f"{path} {list(keys)}" + (f" x {scale}" if scale != 1 else ""), path=str(path))


def describe(source) -> str:
    return getattr(source, "description", None) or getattr(source, "__name__", None) or repr(source)


# --- quotes ----------------------------------------------------------------------------------------
class Quote:
    """A sentence of prose with its numbers as placeholders, and where each number comes from."""

    def __init__(self, path, text, **sources):
        self.path, self.text, self.sources, self.where = str(path), text, dict(sources), ""
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        if not names:
            raise ValueError(
                f"Quote({path!r}, {text!r}) has no placeholder: a quote must quote a number. Write the "
                "number as {name} (with a format spec such as {name:.2f}) and give name=output_value(...) "
                "or name=json_value(...)")
        bad = [n for n in names if not n.isidentifier()]
        if bad:
            raise ValueError(f"Quote {text!r}: placeholders must be plain names, not {bad}: write a literal "
                             "brace (LaTeX's \\text{...}) as {{ and }}, and compute a value in its source")
        missing = sorted(set(names) - set(sources))
        unused = sorted(set(sources) - set(names))
        if missing or unused:
            raise ValueError(f"Quote {text!r}: " + "; ".join(
                ([f"no source for {missing}"] if missing else []) +
                ([f"sources {unused} are not used by the text"] if unused else [])))
        for name, src in sources.items():
            if not callable(src):
                raise TypeError(
                    f"Quote {text!r}: {name}={src!r} is a value, not a source. A hard-coded number is "
                    "the drift this check removes: use output_value(...), json_value(...) or a "
                    "zero-argument function that reads the evidence")
        caller = inspect.stack()[1]
        try:
            self.where = f"{Path(caller.filename).resolve().relative_to(ROOT)}:{caller.lineno}"
        except ValueError:
            self.where = f"{caller.filename}:{caller.lineno}"

    def values(self) -> dict:
        return {name: src() for name, src in self.sources.items()}

    def render(self) -> str:
        return self.text.format(**self.values())

    def check(self) -> str:
        """Raises ProseNumberError unless the rendered sentence is in the prose; returns it."""
        values = self.values()
        rendered = collapse(self.text.format(**values))
        passages = prose_passages(self.path)
        if any(rendered in text for _, text in passages):
            return rendered
        raise ProseNumberError(self._explain(rendered, values, passages))

    def _explain(self, rendered, values, passages) -> str:
        label, passage, ratio = closest_passage(rendered, passages)
        lines = [f"{self.path}: the prose no longer says what the evidence says.",
                 f"  expected : {rendered}",
                 f"  closest  : {passage}   ({label}, similarity {ratio:.0%})"]
        diff = _word_diff(passage, rendered)
        if diff:
            lines.append(f"  differs  : {diff}")
        lines.append("  numbers  :")
        for name, value in values.items():
            lines.append(f"    {name} = {value!r}  <- {describe(self.sources[name])}")
        lines.append(f"  quote    : {self.text!r} (registered at {self.where})")
        lines.append("  Fix the prose to follow the evidence (or, if the sentence was reworded, "
                     "the quote's text to follow the prose).")
        return "\n".join(lines)

    def __repr__(self):
        return f"Quote({self.path!r}, {self.text!r})"


def prose_passages(path):
    """[(label, collapsed text)]: a notebook's markdown cells (label 'cell <id>'), or a .md file's
    text. The whole notebook's joined prose is included too, so a sentence may span two cells."""
    p = resolve(path)
    if p.suffix == ".ipynb":
        nb = _notebook(path)
        cells = [(f"markdown cell {c.get('id')} (index {i})", collapse(_text(c["source"])))
                 for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"]
        return cells + [("the notebook's prose, joined", " ".join(t for _, t in cells))]
    if not p.exists():
        raise FileNotFoundError(f"{path}: no such file (paths are relative to {ROOT})")
    return [(str(path), collapse(p.read_text(encoding="utf-8")))]


def closest_passage(rendered, passages):
    """(label, passage, similarity) of the stretch of prose most like the rendered sentence."""
    n = len(rendered)
    step = max(1, n // 6)
    best = (-1.0, "", "")
    for label, text in passages:
        if label == "the notebook's prose, joined":
            continue
        starts = range(0, max(1, len(text) - n + step), step)
        for s in starts:
            window = text[s:s + n]
            sm = difflib.SequenceMatcher(None, rendered, window, autojunk=False)
            if sm.real_quick_ratio() <= best[0] or sm.quick_ratio() <= best[0]:
                continue
            r = sm.ratio()
            if r > best[0]:
                best = (r, label, (text, s))
    if best[0] < 0:
        return ("no prose", "", 0.0)
    ratio, label, (text, s) = best
    # refine: let both ends move by up to a step, keep the most similar stretch
    for a in range(max(0, s - step), s + step + 1):
        for b in range(max(a + 1, a + n - step), min(len(text), a + n + step) + 1):
            r = difflib.SequenceMatcher(None, rendered, text[a:b], autojunk=False).ratio()
            if r > ratio:
                ratio, s, n = r, a, b - a
    e = s + n                                  # widen to whole words, so a number is never cut
    while s > 0 and not text[s - 1].isspace():
        s -= 1
    while e < len(text) and not text[e].isspace():
        e += 1
    return label, text[s:e], ratio


def _word_diff(old, new) -> str:
    a, b = old.split(), new.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            out.append(f"prose {' '.join(a[i1:i2])!r} vs expected {' '.join(b[j1:j2])!r}")
    return "; ".join(out[:4])


# --- registries ------------------------------------------------------------------------------------
def registry_files():
    return sorted(p for p in QUOTES_DIR.glob("*.py") if not p.name.startswith("_"))


def load_registry(path: Path):
    """Imports tests/quotes/<name>.py and returns its QUOTES (checked to be a list of Quote)."""
    if str(Path(__file__).resolve().parent) not in sys.path:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
    spec = importlib.util.spec_from_file_location(f"prose_quotes_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    quotes = getattr(module, "QUOTES", None)
    if not isinstance(quotes, (list, tuple)) or not quotes:
        raise ValueError(f"{path}: defines no QUOTES list (or an empty one)")
    bad = [q for q in quotes if not isinstance(q, Quote)]
    if bad:
        raise TypeError(f"{path}: QUOTES holds {len(bad)} entries that are not Quote objects: {bad[:3]}")
    return list(quotes)


# --- a helper for writing registries ----------------------------------------------------------------
_NUMBER = re.compile(r"(?<![\w.])[-−]?\d(?:[\d,]*\d)?(?:\.\d+)?(?:[eE][-+]?\d+)?%?")
_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)


def unregistered_numbers(path, quotes):
    """Numbers in a file's prose that no quote's rendered sentence covers: (context, number) pairs.
    Not every number is a result (a lesson number, a year, 'layer 3'), so this lists, it does not judge."""
    covered = [collapse(q.render()) for q in quotes if q.path == str(path)]
    # (a quote whose text contains code is matched against the prose with its code blanked too)
    covered = [_CODE.sub(lambda m: " " * len(m.group()), c) for c in covered]
    found = []
    for label, text in prose_passages(path):
        if label == "the notebook's prose, joined":
            continue
        text = _CODE.sub(lambda m: " " * len(m.group()), text)     # code is not a claim
        for m in _NUMBER.finditer(text):
            if re.fullmatch(r"\d", m.group()):                       # 'layer 3', 'step 1': too many to list
                continue
            spans = [(text.find(c), text.find(c) + len(c)) for c in covered if c in text]
            if any(a <= m.start() and m.end() <= b for a, b in spans if a >= 0):
                continue
            found.append((label, text[max(0, m.start() - 50):m.end() + 30], m.group()))
    return found


if __name__ == "__main__":   # python tests/prose_numbers.py notebooks/06_pretraining.ipynb
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import prose_numbers as pn                 # the registries' own module, not this __main__ copy
    target = sys.argv[1]
    quotes = [q for f in pn.registry_files() for q in pn.load_registry(f)]
    for label, context, number in pn.unregistered_numbers(target, quotes):
        print(f"{number:>12}  {label}: ...{context}...")
