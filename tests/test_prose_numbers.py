"""The prose-numbers check: every number the lessons, README and guides quote from an output or a
results file is read from that evidence and must still stand in the prose (tests/prose_numbers.py).
Registries: tests/quotes/*.py. One registry: `python -m pytest tests/test_prose_numbers.py -k lesson06`."""
import json
import re
import shutil
import string

import pytest

import prose_numbers as pn
from prose_numbers import ProseNumberError, Quote, json_value, output_value


def _registered():
    params = []
    for f in pn.registry_files():
        try:
            quotes = pn.load_registry(f)
        except Exception as e:      # a broken registry fails its own test, not the whole collection
            params.append(pytest.param(f.stem, e, id=f"{f.stem}-import"))
            continue
        for i, q in enumerate(quotes):
            words = re.sub(r"[^\w]+", "_", q.text[:30]).strip("_")
            params.append(pytest.param(f.stem, q, id=f"{f.stem}-{i:03d}-{words}"))
    return params


REGISTERED = _registered()


@pytest.mark.parametrize("registry,quote", REGISTERED)
def test_quote_matches_its_evidence(registry, quote):
    if isinstance(quote, Exception):
        raise quote
    quote.check()


def test_registries_are_found():
    """Every tests/quotes/*.py module is collected (a typo in QUOTES must not silently skip one)."""
    files = pn.registry_files()
    assert (pn.QUOTES_DIR / "__init__.py").exists()
    names = {p.values[0] for p in REGISTERED}
    assert names == {f.stem for f in files}


# --- the mechanism itself, on a small notebook of its own ------------------------------------------
def _notebook(tmp_path, prose, printed):
    nb = {"cells": [
        {"cell_type": "markdown", "id": "prose1", "metadata": {}, "source": prose},
        {"cell_type": "code", "id": "code1", "metadata": {}, "execution_count": 1, "source": "run()",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(nb))
    return path


PROSE = ["The model reaches an accuracy of **0.61** on\n", "the held-out set of 1,258 examples."]
PRINTED = "held-out examples: 1,258\naccuracy 0.6123\n"


def _quote(path):
    return Quote(str(path), "an accuracy of **{acc:.2f}** on the held-out set of {n:,} examples",
                 acc=output_value(str(path), "code1", r"accuracy ([\d.]+)"),
                 n=output_value(str(path), "code1", r"examples: ([\d,]+)", convert=int))


def test_a_true_quote_passes(tmp_path):
    path = _notebook(tmp_path, PROSE, PRINTED)
    # whitespace runs (here a line break inside the sentence) collapse on both sides
    assert _quote(path).check() == "an accuracy of **0.61** on the held-out set of 1,258 examples"


def test_an_output_changed_by_one_digit_fails(tmp_path):
    path = _notebook(tmp_path, PROSE, PRINTED.replace("0.6123", "0.6923"))
    with pytest.raises(ProseNumberError) as e:
        _quote(path).check()
    msg = str(e.value)
    assert "expected : an accuracy of **0.69** on the held-out set" in msg
    assert "closest  : an accuracy of **0.61** on the held-out set" in msg   # the passage to fix
    assert "'0.61**' vs expected '0.69**'" in msg or "0.61" in msg.split("differs")[1]
    assert "code1" in msg and "acc = 0.6923" in msg                           # where it came from


def test_prose_changed_by_one_digit_fails(tmp_path):
    path = _notebook(tmp_path, [PROSE[0], PROSE[1].replace("1,258", "1,253")], PRINTED)
    with pytest.raises(ProseNumberError, match="closest  : an accuracy of .*1,253"):
        _quote(path).check()


def test_a_source_changed_by_monkeypatch_fails(tmp_path, monkeypatch):
    path = _notebook(tmp_path, PROSE, PRINTED)
    q = _quote(path)
    monkeypatch.setitem(q.sources, "n", lambda: 512)
    with pytest.raises(ProseNumberError, match="of 512 examples"):
        q.check()


def test_a_quote_must_quote_a_number():
    with pytest.raises(ValueError, match="no placeholder: a quote must quote a number"):
        Quote("README.md", "far above the 0.06 of always predicting `,`")


def test_a_hard_coded_number_is_refused():
    with pytest.raises(TypeError, match="hard-coded number is the drift"):
        Quote("README.md", "far above the {acc:.2f}", acc=0.06)


def test_placeholders_and_sources_must_agree():
    src = json_value("data/results/why_masking.json")
    with pytest.raises(ValueError, match=r"no source for \['b'\]"):
        Quote("README.md", "{a} and {b}", a=src)
    with pytest.raises(ValueError, match=r"sources \['c'\] are not used"):
        Quote("README.md", "{a}", a=src, c=src)


def test_a_pattern_that_no_longer_matches_says_so(tmp_path):
    path = _notebook(tmp_path, PROSE, "loss 2.31\n")
    with pytest.raises(ProseNumberError, match=r"(?s)no longer matches its saved output.*loss 2.31"):
        _quote(path).check()
    with pytest.raises(KeyError, match="no cell with id 'nope'.*code1"):
        output_value(str(path), "nope", r"(\d)")()


def test_json_value_walks_dicts_lists_and_jsonl(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"runs": [{"f1": 0.676}, {"f1": 0.5}]}))
    (tmp_path / "m.jsonl").write_text('{"loss": 3.0}\n{"loss": 2.5}\n')
    assert json_value(str(tmp_path / "m.json"), "runs", 0, "f1", scale=100)() == pytest.approx(67.6)
    assert json_value(str(tmp_path / "m.jsonl"), -1, "loss")() == 2.5
    with pytest.raises(ProseNumberError, match="no 'em' under"):
        json_value(str(tmp_path / "m.json"), "runs", 0, "em")()


# --- a planted mismatch in the real registries: one digit of a real output or a real sentence -------
def _first_output_quote():
    """The first registered quote that reads a notebook's output, quotes a digit, and holds today
    (a quote another test already reports failing would prove nothing here)."""
    for p in REGISTERED:
        q = p.values[1]
        if not isinstance(q, Quote):
            continue
        for name, src in q.sources.items():
            if getattr(src, "cell_id", None) and src.path.endswith(".ipynb"):
                try:
                    q.check()
                except Exception:
                    break
                if _shown_digits(q):
                    return q, name, src
    return None


def _shown_digits(quote):
    """(placeholder, the number as the sentence prints it) for the first placeholder that prints a digit."""
    values = quote.values()
    for _, name, spec, _ in string.Formatter().parse(quote.text):
        if name and re.search(r"\d", format(values[name], spec)):
            return name, format(values[name], spec)
    return None


def _copy_evidence(quote, tmp_path):
    """The files a quote reads (its prose and every source's file), copied under tmp_path."""
    for rel in {quote.path, *(getattr(s, "path", None) for s in quote.sources.values())} - {None}:
        dest = tmp_path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(pn.resolve(rel), dest)


def test_a_real_output_changed_by_one_digit_fails(tmp_path, monkeypatch):
    found = _first_output_quote()
    if found is None:
        pytest.skip("no registry reads a notebook output yet")
    quote, name, src = found
    _copy_evidence(quote, tmp_path)
    monkeypatch.setattr(pn, "ROOT", tmp_path)
    quote.check()                                             # the copy is faithful: it passes
    nb_path = tmp_path / src.path
    nb = json.loads(nb_path.read_text())
    cell = next(c for c in nb["cells"] if c.get("id") == src.cell_id)
    for out in cell["outputs"]:
        for holder, key in [(out, "text")] + [(out.get("data", {}), m) for m in ("text/plain", "text/html")]:
            if key in holder:
                text = "".join(holder[key]) if isinstance(holder[key], list) else holder[key]
                m = src.pattern.search(text)
                if m:
                    i = m.start(src.group) + re.search(r"\d", m.group(src.group)).start()
                    holder[key] = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
                    break
        else:
            continue
        break
    nb_path.write_text(json.dumps(nb))
    with pytest.raises(ProseNumberError, match="the prose no longer says what the evidence says"):
        quote.check()


def test_a_real_sentence_changed_by_one_digit_fails(tmp_path, monkeypatch):
    found = _first_output_quote()
    if found is None:
        pytest.skip("no registry reads a notebook output yet")
    quote = found[0]
    _copy_evidence(quote, tmp_path)
    monkeypatch.setattr(pn, "ROOT", tmp_path)
    name, shown = _shown_digits(quote)                       # the number as the sentence prints it
    digit = re.search(r"\d", shown).start()
    planted = shown[:digit] + str((int(shown[digit]) + 1) % 10) + shown[digit + 1:]
    prose = tmp_path / quote.path
    if prose.suffix == ".ipynb":                             # the markdown cells only, not the outputs
        nb = json.loads(prose.read_text())
        for c in nb["cells"]:
            if c["cell_type"] == "markdown":
                c["source"] = "".join(c["source"]).replace(shown, planted)
        prose.write_text(json.dumps(nb))
    else:
        prose.write_text(prose.read_text().replace(shown, planted))
    with pytest.raises(ProseNumberError, match=re.escape(planted)):
        quote.check()
