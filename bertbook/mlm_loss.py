"""The masked-LM loss without keeping the logits: the vocabulary-sized softmax, done in one buffer.

The MLM decoder turns each masked position's hidden vector h into one logit per word of the
vocabulary, z = W h + b (W is the tied word-embedding table), and the loss is cross-entropy:

    loss = -log softmax(z)[y]          d loss / d z = softmax(z) - onehot(y)

That gradient is the simplest in deep learning, and it needs nothing but the softmax itself. So
the ``[n_masked, vocab_size]`` logits (30522 columns: the biggest tensor of a BERT step) can
become the softmax and then that gradient *in place*, in the buffer the matmul wrote. Autograd's
``log_softmax`` + ``nll_loss`` instead allocates the log-probabilities, a zero-filled gradient
and the gradient of the logits: four vocabulary-sized tensors, each a trip through memory. The
loss and every gradient are the same (``tests/test_fast_paths.py`` checks them against
transformers'); the logits themselves are not kept, which is why this is only for training.

The buffer is laid out ``[vocab, n]`` (computed as W h^T): MKL ran this long, thin product faster
in that orientation than as h W^T (``benchmarks/README.md``); the softmax then runs down the columns.

Under ``torch.autocast`` (bfloat16 training) the product still runs in the autocast dtype, but the
softmax, the loss and the saved gradient are float32: exp and a sum over 30,522 words are where
bfloat16's 8 bits of mantissa would hurt. Each gradient leaves in the dtype its input came in.
"""
from __future__ import annotations

import torch


class MaskedLMCrossEntropy(torch.autograd.Function):
    """mean_i -log softmax(W h_i + b)[y_i], with gradients for h, W and b."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                targets: torch.Tensor) -> torch.Tensor:
        n = hidden.shape[0]
        device = hidden.device.type
        # the dtype of the products: autocast's (e.g. bfloat16) when it is on; backward runs outside it
        ctx.mm_dtype = (torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device)
                        else torch.promote_types(hidden.dtype, weight.dtype))
        ctx.dtypes = hidden.dtype, weight.dtype
        z = torch.mm(weight, hidden.t().contiguous())           # [vocab, n]: logits, one column per position
        z = z.to(torch.promote_types(z.dtype, torch.float32))   # autocast's bfloat16 -> float32 (else no copy)
        if bias is not None:
            z += bias[:, None]
        z -= z.amax(dim=0, keepdim=True)                         # stable softmax: largest logit -> 0
        columns = torch.arange(n, device=z.device)
        target_logit = z[targets, columns]                       # z_y - max
        z.exp_()
        total = z.sum(dim=0)                                     # sum_j exp(z_j - max)
        loss = (total.log() - target_logit).mean()               # log-sum-exp - z_y, averaged
        if any(ctx.needs_input_grad):
            z /= total * n                                       # softmax / n ...
            z[targets, columns] -= 1.0 / n                       # ... minus onehot / n: d loss / d z
            ctx.save_for_backward(hidden, weight, z)
            ctx.bias_dtype = None if bias is None else bias.dtype
        return loss

    @staticmethod
    def backward(ctx, grad_loss: torch.Tensor):
        hidden, weight, grad_z = ctx.saved_tensors
        hidden_dtype, weight_dtype = ctx.dtypes
        grad_z *= grad_loss                                      # the buffer is ours alone: in place
        g, dtype = grad_z.to(ctx.mm_dtype), ctx.mm_dtype         # (no copy without autocast)
        grad_hidden = torch.mm(g.t(), weight.to(dtype)).to(hidden_dtype) if ctx.needs_input_grad[0] else None
        grad_weight = torch.mm(g, hidden.to(dtype)).to(weight_dtype) if ctx.needs_input_grad[1] else None
        grad_bias = grad_z.sum(dim=1).to(ctx.bias_dtype) if ctx.bias_dtype and ctx.needs_input_grad[2] else None
        return grad_hidden, grad_weight, grad_bias, None


def masked_lm_loss(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                   targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of ``hidden @ weight.T + bias`` against ``targets``, averaged over the rows.

    hidden: [n, hidden_size] (the masked positions, after the MLM transform); weight:
    [vocab_size, hidden_size]; bias: [vocab_size] or None; targets: [n] token ids.
    Equal to ``F.cross_entropy(F.linear(hidden, weight, bias), targets)``, in one vocabulary-sized
    buffer instead of four.
    """
    if hidden.dim() != 2 or targets.shape != hidden.shape[:1]:
        raise ValueError(f"masked_lm_loss needs hidden [n, hidden_size] and targets [n]; got "
                         f"{tuple(hidden.shape)} and {tuple(targets.shape)}")
    if hidden.shape[0] == 0:
        raise ValueError("masked_lm_loss got no masked positions: every label is -100. Mask some "
                         "tokens first (mask_tokens / collate), or leave labels out.")
    if targets.min() < 0 or targets.max() >= weight.shape[0]:
        raise ValueError(f"MLM targets must be token ids in [0, {weight.shape[0]}); got "
                         f"{targets.min().item()}..{targets.max().item()}. Labels are -100 where "
                         "nothing is masked and the original token id where something is.")
    return MaskedLMCrossEntropy.apply(hidden, weight, bias, targets)
