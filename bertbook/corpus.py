"""The shipped texts: nine public-domain novels (pretraining) and GLUE SST-2 (fine-tuning).

Books are kept byte-for-byte as published (see data/README.md); typography is normalised here, in
code: curly quotes become straight ones and dashes become ``--``, so one vocabulary covers all books.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_DIR / "data"
CORPUS_DIR = DATA_DIR / "corpus"
SST2_DIR = DATA_DIR / "sst2"

TYPOGRAPHY = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "--", "\u2013": "-",
              "\u2026": "...", "\u00a0": " "}
_TYPO_RE = re.compile("|".join(map(re.escape, TYPOGRAPHY)))
# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) before white space
# and an upper-case letter or an opening quote. Abbreviations like "Mr." are kept together.
_ABBREV = "".join(rf"(?<!\b{a}\.)" for a in ("Mr", "Mrs", "Ms", "Dr", "St", "Messrs", "Jr", "Sr", "Prof", "Mme", "Mlle"))
_SENTENCE_END = re.compile(_ABBREV + r"""(?<=[.!?])(['")\]_]*)\s+(?=["'(\[_]*[A-Z])""")


def normalize_typography(text: str) -> str:
    """Curly quotes -> straight, em/en dashes -> -- / -, ellipsis -> ..."""
    return _TYPO_RE.sub(lambda m: TYPOGRAPHY[m.group(0)], text)


def split_sentences(paragraph: str) -> list[str]:
    """A small rule-based splitter; good enough for 19th-century prose, no model needed."""
    paragraph = " ".join(paragraph.split())
    if not paragraph:
        return []
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        parts.append(paragraph[start:m.start() + len(m.group(1))])
        start = m.end()
    parts.append(paragraph[start:])
    return [p.strip() for p in parts if p.strip()]


@dataclass
class Document:
    """One book: its name and its sentences (paragraph breaks are not kept)."""
    name: str
    sentences: list[str]


def read_document(path: str | Path) -> Document:
    path = Path(path)
    text = normalize_typography(path.read_text(encoding="utf-8"))
    sentences = [s for para in re.split(r"\n\s*\n", text) for s in split_sentences(para)]
    return Document(path.stem, sentences)


def load_corpus(directory: str | Path = CORPUS_DIR) -> list[Document]:
    """Every ``*.txt`` under ``directory`` as a Document, sorted by file name."""
    directory = Path(directory)
    if not directory.exists():
        raise FileNotFoundError(f"No corpus at {directory}: pass a folder of .txt files (one document each), "
                                f"e.g. {CORPUS_DIR}.")
    files = [directory] if directory.is_file() else sorted(directory.glob("*.txt"))
    if not files:
        raise ValueError(f"The corpus folder {directory} has no .txt files; put one document per .txt file there.")
    docs = [read_document(f) for f in files]
    docs = [d for d in docs if d.sentences]
    if not docs:
        raise ValueError(f"The corpus at {directory} is empty: its .txt files hold no text.")
    return docs


def load_sst2(split: str = "train", directory: str | Path = SST2_DIR) -> tuple[list[str], list[int]]:
    """GLUE SST-2: (sentences, labels), 1 = positive, 0 = negative."""
    path = Path(directory) / f"{split}.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"No SST-2 split at {path}; splits are 'train' and 'dev'.")
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        sentence, label = line.rsplit("\t", 1)
        texts.append(sentence.strip())
        labels.append(int(label))
    return texts, labels
