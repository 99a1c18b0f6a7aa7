"""WordPiece tokenization with the ``tokenizers`` library, set up exactly as BERT's.

The pipeline: normalise (typography -> ASCII, clean control characters, put spaces around every
CJK character, strip accents, lower-case) -> pre-tokenise (split on white space and on every
punctuation character) -> WordPiece (greedy longest-match-first against the vocabulary, word-
internal pieces prefixed ``##``) -> add ``[CLS] A [SEP] B [SEP]`` with segment ids 0/1.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterable, Sequence

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from .corpus import DATA_DIR, TYPOGRAPHY, load_corpus

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
SHIPPED_TOKENIZER = DATA_DIR / "tokenizer" / "wordpiece-8k.json"
NAMED_TOKENIZERS = {"minilm": "the real uncased BERT vocabulary (30522 pieces) shipped with MiniLM",
                    "bertbook": f"our WordPiece vocabulary (8000 pieces) trained on the corpus: {SHIPPED_TOKENIZER}"}


def bert_normalizer() -> normalizers.Normalizer:
    return normalizers.Sequence(
        [normalizers.Replace(k, v) for k, v in TYPOGRAPHY.items()]
        + [normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=True)])


def _set_post_processor(tok: Tokenizer) -> Tokenizer:
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return tok


def new_wordpiece_tokenizer(vocab: dict[str, int] | None = None) -> Tokenizer:
    """An untrained BERT-style pipeline (or one over a given vocabulary)."""
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100) if vocab
                    else models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = bert_normalizer()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    return _set_post_processor(tok) if vocab else tok


def train_wordpiece(texts: Iterable[str] | None = None, vocab_size: int = 8000, min_frequency: int = 2) -> Tokenizer:
    """Learn a WordPiece vocabulary from ``texts`` (default: every sentence of the shipped corpus)."""
    if texts is None:
        texts = (s for doc in load_corpus() for s in doc.sentences)
    tok = new_wordpiece_tokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=SPECIAL_TOKENS, continuing_subword_prefix="##",
                                        show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return _set_post_processor(tok)


def load_tokenizer(name_or_path: str | Path = "bertbook") -> Tokenizer:
    """"bertbook" (our 8k vocab), "minilm" (BERT's uncased 30k vocab), or a tokenizer.json / vocab.txt /
    a checkpoint folder holding either."""
    if str(name_or_path) == "minilm":
        from .checkpoints import resolve_checkpoint_dir
        path = resolve_checkpoint_dir("minilm") / "tokenizer.json"
    elif str(name_or_path) == "bertbook":
        path = SHIPPED_TOKENIZER
    else:
        path = Path(name_or_path)
        if path.is_dir():
            path = next((p for p in (path / "tokenizer.json", path / "vocab.txt") if p.is_file()), path / "tokenizer.json")
    if not path.is_file():
        raise FileNotFoundError(f"No tokenizer at {path}. Pass a tokenizer.json, a vocab.txt, a folder with "
                                f"one of them, or a name: {sorted(NAMED_TOKENIZERS)}.")
    if path.suffix == ".txt":
        tokens = [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()]
        return new_wordpiece_tokenizer({t: i for i, t in enumerate(tokens)})
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as e:
        raise ValueError(f"{path} is not a valid tokenizer.json ({e}); save it again with tokenizer.save(path).") from None
    tok.no_padding()        # some saved tokenizers pad/truncate to a fixed length; encode() decides that
    tok.no_truncation()
    return tok


def normalized_words(tokenizer: Tokenizer, text: str) -> list[str]:
    """What WordPiece sees: the normalised text split into words and punctuation marks."""
    return [w for w, _ in tokenizer.pre_tokenizer.pre_tokenize_str(tokenizer.normalizer.normalize_str(text))]


@contextlib.contextmanager
def _truncation(tokenizer: Tokenizer, max_length: int | None):
    saved_trunc, saved_pad = tokenizer.truncation, tokenizer.padding
    tokenizer.no_padding()
    if max_length is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length, strategy="longest_first")
    try:
        yield
    finally:
        tokenizer.no_truncation() if saved_trunc is None else tokenizer.enable_truncation(**saved_trunc)
        if saved_pad is not None:
            tokenizer.enable_padding(**saved_pad)


def encode(tokenizer: Tokenizer, text: str | Sequence[str], text_pair: str | Sequence[str] | None = None,
           max_length: int = 512, truncation: bool = False, unknown: str = "keep", device=None) -> dict:
    """Encode one text, a list of texts, or (with ``text_pair``) sentence pairs into padded tensors:
    ``input_ids``, ``token_type_ids`` (0 = A, 1 = B) and ``attention_mask`` (1 = real, 0 = padding).

    Longer than ``max_length`` tokens: an error, unless ``truncation=True``, which removes tokens
    from the end of the longer segment, one at a time, until the pair fits ("longest first").
    ``unknown``: "keep" maps unknown characters to [UNK] as BERT does; "error" refuses them.
    """
    from .batching import pad_batch        # (imports torch: only when a batch is made, so loading a tokenizer stays light)
    single = isinstance(text, str)
    texts = [text] if single else list(text)
    pairs = None if text_pair is None else ([text_pair] if isinstance(text_pair, str) else list(text_pair))
    if not texts:
        raise ValueError("encode() got no texts.")
    if pairs is not None and len(pairs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(pairs)} text_pair entries; give one pair per text.")
    for i, t in enumerate(texts + (pairs or [])):
        if not isinstance(t, str):
            raise TypeError(f"texts must be strings, got {type(t).__name__}")
        if not normalized_words(tokenizer, t):
            raise ValueError(f"text {i} ({t!r}) is empty after normalisation; BERT needs at least one token.")
    with _truncation(tokenizer, max_length if truncation else None):
        encs = tokenizer.encode_batch(list(zip(texts, pairs)) if pairs else texts)
    too_long = [(i, len(e.ids)) for i, e in enumerate(encs) if len(e.ids) > max_length]
    if too_long:
        i, n = too_long[0]
        raise ValueError(f"text {i} is {n} tokens long (with [CLS]/[SEP]), more than max_length={max_length}. "
                         "Pass truncation=True to cut it, or split it into overlapping windows "
                         "(a window of max_length tokens at a time).")
    if unknown == "error":
        unk = tokenizer.token_to_id("[UNK]")
        for i, e in enumerate(encs):
            bad = [(texts + (pairs or []))[i][a:b] for tid, (a, b) in zip(e.ids, e.offsets) if tid == unk]
            if bad:
                raise ValueError(f"text {i} has characters outside the vocabulary: {bad}; they would become [UNK].")
    return pad_batch([e.ids for e in encs], tokenizer.token_to_id("[PAD]"),
                     token_type_ids=[e.type_ids for e in encs], device=device)
