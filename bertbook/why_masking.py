"""Why BERT masks: a bidirectional encoder trained to predict the next token learns to copy it.

A left-to-right language model (GPT) predicts token ``t+1`` from tokens ``1..t``: a *causal* mask
hides everything to the right, so the answer is never in the input. Take the mask away (BERT's
encoder lets every position attend to every other) and keep the same objective: position ``t``
can now attend to position ``t+1``, read the answer and copy it. The training loss collapses
towards 0 while the model learns nothing about language. Predicting the token *at* each
position is worse still: the residual connection carries the answer through every layer.

The masked-LM objective removes the answer from the input instead of removing the right context:
the chosen positions show ``[MASK]``, so the model must guess them from both sides. This module
trains one small encoder (bertbook's own embeddings, encoder layers and tied MLM head) on each
objective for a few hundred steps: seconds on a laptop CPU, deterministic for a seed. Lesson 6
trains on *random* tokens (``random_windows``): nothing there is predictable, so an honest
objective stays at the uniform guess ``ln V`` and every drop below it is copying. It shows the
curves and the attention pattern that does the copying; ``benchmarks/why_masking.py`` repeats
the runs for three seeds (``data/results/why_masking.json``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .config import BertConfig
from .embeddings import BertEmbeddings
from .encoder import BertEncoder
from .heads import MaskedLMHead
from .model import IGNORE_INDEX

# objective -> (attention: "causal" or "bidirectional", what each position predicts)
OBJECTIVES = {
    "next token, causal mask (GPT)": ("causal", "next"),
    "next token, no mask": ("bidirectional", "next"),
    "same token, no mask": ("bidirectional", "same"),
    "masked LM, 15% (BERT)": ("bidirectional", "masked"),
}


class TinyEncoderLM(nn.Module):
    """Embeddings -> encoder -> tied MLM head, with a switch for the causal mask. The only
    difference between a GPT-style and a BERT-style model here is that one boolean."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.head = MaskedLMHead(config, self.embeddings.word_embeddings)
        for module in self.modules():            # BERT's initialisation: N(0, 0.02), zero biases
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=config.initializer_range)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, input_ids: torch.Tensor, causal: bool, output_attentions: bool = False):
        T = input_ids.shape[1]
        # True = may attend. Causal: position i sees positions 0..i only; bidirectional: all of them.
        mask = torch.ones(T, T, dtype=torch.bool).tril() if causal else None
        x, _, attentions = self.encoder(self.embeddings(input_ids), mask, output_attentions)
        return self.head(x), attentions


def token_windows(documents, tokenizer, seq_len: int = 32) -> torch.Tensor:
    """Every document's sentences tokenized, concatenated and cut into ``[n, seq_len]`` windows."""
    ids = [i for d in documents for s in d.sentences for i in tokenizer.encode(s, add_special_tokens=False).ids]
    n = len(ids) // seq_len
    return torch.tensor(ids[: n * seq_len]).view(n, seq_len)


def random_windows(n: int, seq_len: int, vocab_size: int, seed: int) -> torch.Tensor:
    """``[n, seq_len]`` tokens drawn independently and uniformly from ``0..vocab_size-1``. Nothing in
    such text is predictable: an honest objective cannot beat the uniform guess, ``ln(vocab_size)``,
    so any loss below it is read off the input."""
    return torch.randint(0, vocab_size, (n, seq_len), generator=torch.Generator().manual_seed(seed))


def make_batch(windows: torch.Tensor, target: str, mask_id: int, generator: torch.Generator,
               mask_prob: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels) for one objective; ``labels`` is ``IGNORE_INDEX`` where nothing is predicted."""
    if target == "next":                      # position t predicts token t+1; the last predicts nothing
        labels = torch.full_like(windows, IGNORE_INDEX)
        labels[:, :-1] = windows[:, 1:]
        return windows, labels
    if target == "same":                      # position t predicts token t, which it is shown
        return windows, windows.clone()
    chosen = torch.rand(windows.shape, generator=generator) < mask_prob
    inputs = windows.masked_fill(chosen, mask_id)   # all [MASK] here: the 80/10/10 rule is lesson 5's
    return inputs, windows.masked_fill(~chosen, IGNORE_INDEX)


# The lesson's experiment: random tokens from 64 ids in windows of 16, a 64-wide one-layer encoder,
# 300 AdamW steps of 32 windows at lr 3e-3 (enough for the copying head to form; seconds on a CPU),
# in float64. Why float64 and not a higher learning rate: the collapse amplifies rounding. In float32,
# or at lr 1e-2 in either precision, the unmasked next-token run lands on a different held-out loss
# with one CPU thread than with two (0.022 and 0.104 in float32 at lr 1e-2), so a processor with
# other matrix kernels printed other numbers than the lesson's. At lr 3e-3 in float64 the four runs
# the lesson prints (seed 0) come out the same to five decimals with one thread or two, and after a
# 1e-9 relative change of every initial weight (tests/test_lessons_5_6.py checks the thread count).
# With ATen's generic kernels (ATEN_CPU_CAPABILITY=default) the two honest runs, which have nothing to
# converge to, still move in the fourth decimal, so the lesson prints two (also tested).
SETTINGS = dict(vocab_size=64, seq_len=16, n_train=4096, n_held_out=64, steps=300, batch_size=32,
                learning_rate=3e-3, hidden_size=64, dtype="float64")


@dataclass
class ObjectiveRun:
    objective: str
    seed: int
    train_losses: list[float] = field(default_factory=list)
    held_out_loss: float = float("nan")
    attention_by_offset: torch.Tensor | None = field(default=None, repr=False)   # see attention_offsets
    model: TinyEncoderLM | None = field(default=None, repr=False)


def train_objective(objective: str, train: torch.Tensor, held_out: torch.Tensor, mask_id: int,
                    vocab_size: int, steps: int = SETTINGS["steps"], batch_size: int = SETTINGS["batch_size"],
                    seed: int = 0, learning_rate: float = SETTINGS["learning_rate"],
                    hidden_size: int = SETTINGS["hidden_size"], dtype: str = SETTINGS["dtype"]) -> ObjectiveRun:
    """Train a fresh one-layer encoder on one objective; return its training losses and the loss on
    held-out windows (same objective). Same seed -> same model init, batches and masks; the weights
    are drawn in float32 and then cast to ``dtype``, so the draw is the same in either precision."""
    attention, target = OBJECTIVES[objective]
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=4 * hidden_size, max_position_embeddings=train.shape[1],
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = TinyEncoderLM(config).to(getattr(torch, dtype))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed)
    run = ObjectiveRun(objective, seed)
    for _ in range(steps):
        rows = torch.randint(0, len(train), (batch_size,), generator=g)
        inputs, labels = make_batch(train[rows], target, mask_id, g)
        logits, _ = model(inputs, causal=attention == "causal")
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.train_losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        inputs, labels = make_batch(held_out, target, mask_id, torch.Generator().manual_seed(seed + 1))
        logits, _ = model(inputs, causal=attention == "causal")
        run.held_out_loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX).item()
    run.model = model
    return run


def attention_offsets(model: TinyEncoderLM, windows: torch.Tensor, causal: bool) -> torch.Tensor:
    """Mean attention weight at each offset ``key - query`` (from ``-(T-1)`` to ``T-1``), averaged
    over heads, queries and windows: a model that copies its right neighbour puts its mass at +1."""
    with torch.no_grad():
        _, attentions = model(windows, causal=causal, output_attentions=True)
    probs = attentions[0].mean(dim=(0, 1))             # [T, T], one layer: average batch and heads
    T = probs.shape[0]
    offsets = torch.arange(T)[None, :] - torch.arange(T)[:, None]
    return torch.stack([probs[offsets == d].mean() for d in range(-(T - 1), T)])


def random_token_run(objective: str, seed: int = 0, **overrides) -> ObjectiveRun:
    """One run of the lesson's experiment (``SETTINGS``, any of them overridden by keyword): the
    same random training and held-out windows for every objective and seed (the seed changes the
    initialisation, the batches and the masks), plus the held-out attention by offset."""
    s = {**SETTINGS, **overrides}
    V, T = s["vocab_size"], s["seq_len"]
    train = random_windows(s["n_train"], T, V, seed=0)
    held_out = random_windows(s["n_held_out"], T, V, seed=99)
    run = train_objective(objective, train, held_out, mask_id=V, vocab_size=V + 1, steps=s["steps"],
                          batch_size=s["batch_size"], seed=seed, learning_rate=s["learning_rate"],
                          hidden_size=s["hidden_size"], dtype=s["dtype"])
    run.attention_by_offset = attention_offsets(run.model, held_out, causal=OBJECTIVES[objective][0] == "causal")
    return run
