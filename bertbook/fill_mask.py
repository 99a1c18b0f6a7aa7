"""``fill_mask``: what does a masked language model put in place of each [MASK]?

This is the MLM pretraining task run forwards: the model reads the whole sentence (left *and*
right of the gap, as BERT is bidirectional) and its MLM head gives a probability for every word
of the vocabulary at each [MASK] position. It predicts the masked word itself, not the words
around it. With several [MASK]s every gap is predicted in the same single pass, each from the
same input (so two gaps do not see each other's answers), as in BERT's pretraining.

The default model is ``"minilm-mlm"``: the real MiniLM encoder, whose six layers and an MLM head
were trained with BERT's masked-LM objective on the course's mixed library (the 52 books and
everyday English; ``bertbook.minilm_mlm``). It does best of the shipped models on the cloze test
(``data/cloze``), and is still weak: its card (``bertbook.model_cards``) has the scores.
``"bertbook-tiny"`` is the course's own tiny BERT,
pretrained from scratch with MLM + NSP (lesson 6). A checkpoint folder or a model object you
trained picks another.
"""
from __future__ import annotations

import functools
import weakref
from pathlib import Path

MASK = "[MASK]"
DEFAULT_MODEL = "minilm-mlm"         # the best shipped model on the cloze test (data/cloze)


@functools.lru_cache(maxsize=4)
def _load_named(name: str, device: str | None):
    """A named or saved model and its tokenizer, loaded once per process."""
    from .model import BertForPreTraining
    from .tokenizer import load_tokenizer
    from .weights import load_pretrained, resolve_checkpoint_dir
    if name == "minilm-mlm":
        from .minilm_mlm import load_minilm_mlm
        return load_minilm_mlm(device), load_tokenizer("minilm")
    model = load_pretrained(name, model_class=BertForPreTraining, device=device)
    folder = resolve_checkpoint_dir(name)
    tokenizer = load_tokenizer(folder) if (folder / "tokenizer.json").is_file() else default_tokenizer(model)
    return model, tokenizer


def default_tokenizer(model):
    """The shipped tokenizer whose vocabulary matches ``model``: BERT's 30522 pieces (MiniLM) or
    our 8000. Anything else needs ``tokenizer=``."""
    from .tokenizer import load_tokenizer
    size = model.config.vocab_size
    if size == 30522:
        return load_tokenizer("minilm")
    if size == 8000:
        return load_tokenizer("bertbook")
    raise ValueError(f"the model has a {size}-piece vocabulary, which matches no shipped tokenizer: "
                     "pass the tokenizer it was trained with, fill_mask(..., tokenizer=tok).")


def resolve_model(model=None, tokenizer=None, device=None):
    """``(model, tokenizer)`` from a name ("minilm-mlm", "bertbook-tiny"), a checkpoint folder, or a
    model object (a BertForPreTraining: it needs its MLM head)."""
    if model is None or isinstance(model, (str, Path)):
        loaded, own_tokenizer = _load_named(str(model or DEFAULT_MODEL), None if device is None else str(device))
        return loaded, tokenizer or own_tokenizer
    if not hasattr(model, "mlm"):
        raise TypeError(f"fill_mask needs a model with a masked-LM head (a BertForPreTraining), got "
                        f"{type(model).__name__}; e.g. load_pretrained(path, model_class=BertForPreTraining).")
    return model, tokenizer or default_tokenizer(model)


def mask_probabilities(text: str, model=None, tokenizer=None):
    """Run the model once on ``text``; returns ``(tokens, mask_positions, probs)`` with ``probs``
    a ``[n_masks, vocab]`` CPU tensor: the softmax of the MLM logits at each [MASK]."""
    import torch
    if not isinstance(text, str):
        raise TypeError(f"fill_mask takes one text (a string), got {type(text).__name__}.")
    if not text.strip():
        raise ValueError(f"the text is empty; write a sentence with {MASK} where a word should be predicted, "
                         f"e.g. 'She lit the {MASK} and sat down to read.'")
    if MASK not in text:
        hint = f" ({MASK} must be upper-case)" if MASK.lower() in text.lower() else ""
        raise ValueError(f"the text has no {MASK}{hint}: put {MASK} where the model should fill in a word, "
                         f"e.g. 'She lit the {MASK} and sat down to read.'")
    model, tokenizer = resolve_model(model, tokenizer)
    encoding = tokenizer.encode(text)
    limit = model.config.max_position_embeddings
    if len(encoding.ids) > limit:
        raise ValueError(f"the text is {len(encoding.ids)} tokens long (with [CLS] and [SEP]) but this model has "
                         f"only {limit} positions: shorten it to the sentence around the {MASK}.")
    mask_id = tokenizer.token_to_id(MASK)
    positions = [i for i, t in enumerate(encoding.ids) if t == mask_id]
    device = next(model.parameters()).device
    input_ids = torch.tensor([encoding.ids], device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            hidden = model.bert(input_ids, torch.ones_like(input_ids)).last_hidden_state
            logits = model.mlm(hidden[0, positions])                     # only the [MASK] rows
    finally:
        model.train(was_training)
    return list(encoding.tokens), positions, logits.float().softmax(-1).cpu()


_NEVER_PREDICTED = weakref.WeakKeyDictionary()     # tokenizer -> (vocabulary size, ids)


def special_token_ids(tokenizer) -> list[int]:
    """The ids of [PAD], [CLS], [SEP], [MASK], [UNK], [unused..]: never an answer (here and in ``logit_lens``).
    Finding them reads the whole vocabulary (50 ms for BERT's 30,522 pieces, more than the model takes on a
    sentence), so it is done once per tokenizer, and again only if its vocabulary grew."""
    size = tokenizer.get_vocab_size()
    try:
        known = _NEVER_PREDICTED.get(tokenizer)
    except TypeError:                                  # a tokenizer that cannot be weakly referenced
        known = None
    if known is None or known[0] != size:
        known = (size, sorted(i for t, i in tokenizer.get_vocab().items() if t.startswith("[") and t.endswith("]")))
        try:
            _NEVER_PREDICTED[tokenizer] = known
        except TypeError:
            pass
    return list(known[1])


def top_predictions(probs, tokenizer, k: int = 5) -> list[list[tuple[str, float]]]:
    """The ``k`` most probable vocabulary entries per row of ``probs``, special tokens left out;
    probabilities are the model's own (not renormalised after leaving those out)."""
    probs = probs.clone()
    probs[:, special_token_ids(tokenizer)] = -1.0
    values, ids = probs.topk(k, dim=-1)
    return [[(tokenizer.id_to_token(int(i)), float(p)) for p, i in zip(v, row)] for v, row in zip(values, ids)]


def fill_mask(text: str, k: int = 5, model=None, tokenizer=None):
    """The ``k`` most likely words for the [MASK] in ``text`` with their probabilities, best first:
    ``[("door", 0.21), ...]``; for several [MASK]s, one such list per [MASK], left to right.

    ``model``: "minilm-mlm" (default), "bertbook-tiny", a checkpoint folder, or a BertForPreTraining;
    ``tokenizer``: the model's own by default. A word-piece prediction keeps its ``##`` prefix."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer (how many predictions per [MASK]), got {k!r}.")
    model, tokenizer = resolve_model(model, tokenizer)
    _, _, probs = mask_probabilities(text, model, tokenizer)
    k = min(k, probs.shape[-1])
    results = top_predictions(probs, tokenizer, k)
    return results[0] if len(results) == 1 else results
