"""The shipped texts: the library of public-domain books (pretraining) and GLUE SST-2 (fine-tuning).

The library has two shelves: ``data/corpus`` (nine novels, what lessons 1-6 read: small enough to
tokenize and train on in a lesson) and ``data/corpus_more`` (43 more books, 1815-1922: novels,
stories, travel, natural history, a household-management book; 4.6M words), added so that the
pretrained models meet everyday English too. ``load_corpus()`` reads the nine novels,
``load_library()`` both shelves (what ``bertbook-tiny`` and ``minilm-mlm`` were trained on).

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
CORPUS_MORE_DIR = DATA_DIR / "corpus_more"
LIBRARY_DIRS = (CORPUS_DIR, CORPUS_MORE_DIR)
EVERYDAY_DIR = DATA_DIR / "everyday"
EVERYDAY_LINE_FILES = ("clinc150_utterances", "clinc150_wiki_sentences")   # one unrelated line after another
LINES_PER_DOCUMENT = 50          # a line file is cut into "documents" of this many lines, to hold out whole ones
SST2_DIR = DATA_DIR / "sst2"

TYPOGRAPHY = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "--", "\u2013": "-",
              "\u2026": "...", "\u00a0": " "}
_TYPO_RE = re.compile("|".join(map(re.escape, TYPOGRAPHY)))
# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) before white space
# and an upper-case letter or an opening quote. Abbreviations like "Mr." are kept together. The
# cheap test comes first: the engine tries every position, and most are not after . ! or ?, so the
# eleven abbreviation look-behinds run only where a sentence could end (7x faster on the library).
_ABBREV = "".join(rf"(?<!\b{a}\.)" for a in ("Mr", "Mrs", "Ms", "Dr", "St", "Messrs", "Jr", "Sr", "Prof", "Mme", "Mlle"))
_SENTENCE_END = re.compile(r"(?<=[.!?])" + _ABBREV + r"""(['")\]_]*)\s+(?=["'(\[_]*[A-Z])""")


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


def load_library(directories=LIBRARY_DIRS) -> list[Document]:
    """Every book of the library (both shelves: the nine novels, then the 43 more books), as
    ``load_corpus`` reads each folder. Held-out text is chosen per book by the callers (e.g.
    ``training.split_documents`` keeps the last 2% of every book aside), so adding books never
    moves a sentence of an old book between training and held-out text."""
    docs = [d for directory in directories for d in load_corpus(directory)]
    names = [d.name for d in docs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"the library folders hold two books with the same file name ({', '.join(dupes)}); "
                         "rename one so every document has its own name.")
    return docs


_WIKITEXT_JOINS = {" @-@ ": "-", " @,@ ": ",", " @.@ ": "."}


def _everyday_units(stem: str, block: list[str]) -> list[str]:
    """The sentences of one block of an everyday file. Dialogue turns and assistant requests are kept
    as they are (a turn is the unit a person says); paragraphs of news and Wikipedia are split into
    sentences. WikiText's tokenised spacing is undone where it would change the WordPiece tokens
    (``@-@`` joins), its headings (``= Title =``) are skipped, and so is any sentence with ``<unk>``
    (WikiText's stand-in for a rare word, which a model should not learn to predict)."""
    units = []
    for line in block:
        if stem.startswith("wikitext"):
            if line.startswith("="):
                continue
            for raw, joined in _WIKITEXT_JOINS.items():
                line = line.replace(raw, joined)
        parts = split_sentences(normalize_typography(line)) if stem.startswith(("onestop", "wikitext")) else [line]
        units += [u for u in parts if "<unk>" not in u]
    return units


def load_everyday(directory: str | Path = EVERYDAY_DIR) -> list[Document]:
    """Modern English (``data/everyday``: dialogues, news at three reading levels, assistant requests,
    Wikipedia), as Documents named ``"<file>/<n>"``: a dialogue, an article, or (for the two line
    files, whose neighbouring lines are unrelated) a run of ``LINES_PER_DOCUMENT`` lines.

    Why: the nine novels and 43 more books are 1815-1922 prose; a model trained on them has never
    read how people talk about phones, fridges or buses. Held-out text is chosen by the caller, by
    whole documents per file (``minilm_mlm.everyday_split``)."""
    directory = Path(directory)
    files = sorted(directory.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"No everyday text at {directory}: it ships in data/everyday "
                                "(see data/SOURCES.md section 9); restore it with `git checkout data/everyday`.")
    docs = []
    for path in files:
        lines = path.read_text(encoding="utf-8").split("\n")
        if path.stem in EVERYDAY_LINE_FILES:
            lines = [line for line in lines if line.strip()]
            blocks = [lines[i:i + LINES_PER_DOCUMENT] for i in range(0, len(lines), LINES_PER_DOCUMENT)]
        else:
            blocks = [b.split("\n") for b in "\n".join(lines).split("\n\n")]
        for n, block in enumerate(blocks):
            units = _everyday_units(path.stem, [line.strip() for line in block if line.strip()])
            if units:
                docs.append(Document(f"{path.stem}/{n}", units))
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
