"""The models: ``BertModel`` (the encoder), ``BertForPreTraining`` (MLM + NSP) and
``BertForSequenceClassification`` (fine-tuning). Their call signatures and outputs follow
transformers' classes of the same names, so code written for one reads naturally for the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .attention import padding_mask_to_attention_mask
from .config import BertConfig
from .dropout import Dropout
from .embeddings import BertEmbeddings
from .encoder import BertEncoder
from .heads import BertPooler, MaskedLMHead, NextSentenceHead
from .padding import Packing

IGNORE_INDEX = -100   # label value for "not a masked position": no MLM loss there


@dataclass
class BertModelOutput:
    last_hidden_state: torch.Tensor                  # [batch, seq, hidden]
    pooler_output: torch.Tensor | None = None        # [batch, hidden]
    hidden_states: tuple | None = None               # embeddings + one per layer
    attentions: tuple | None = None                  # one [batch, heads, seq, seq] per layer


@dataclass
class BertForPreTrainingOutput:
    loss: torch.Tensor | None
    prediction_logits: torch.Tensor | None           # [batch, seq, vocab], [n_masked, vocab], or None
    seq_relationship_logits: torch.Tensor            # [batch, 2]
    mlm_loss: torch.Tensor | None = None
    nsp_loss: torch.Tensor | None = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass
class SequenceClassifierOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor                             # [batch, num_labels]
    hidden_states: tuple | None = None
    attentions: tuple | None = None


class BertPreTrainedModel(nn.Module):
    """Shared plumbing: BERT's weight initialisation and transformers-format save/load."""

    config: BertConfig

    def init_weights(self) -> None:
        """BERT's initialisation: N(0, 0.02) weights, zero biases, LayerNorm at identity.
        Embeddings go last because the MLM decoder shares its weight with the word embeddings,
        and the [PAD] row must end up zero."""
        std = self.config.initializer_range
        modules = list(self.modules())
        for m in modules:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in modules:
            if isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=std)
                if m.padding_idx is not None:
                    with torch.no_grad():
                        m.weight[m.padding_idx].zero_()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())   # .parameters() counts a tied tensor once

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write config.json + model.safetensors with transformers' key names."""
        from .weights import save_pretrained
        return save_pretrained(self, directory)

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device | None = None, strict: bool = True):
        from .weights import load_pretrained
        return load_pretrained(name_or_path, model_class=cls, device=device, strict=strict)


class BertModel(BertPreTrainedModel):
    """Embeddings -> encoder -> (pooler). Bidirectional: every token sees the whole input."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.init_weights()

    def check_inputs(self, input_ids, attention_mask, token_type_ids) -> None:
        """Catch the classic mismatches early, with a message that names the fix."""
        if not isinstance(input_ids, torch.Tensor) or input_ids.dim() != 2:
            raise ValueError("input_ids must be a [batch, seq] LongTensor (use encode() to make one); "
                             f"got {type(input_ids).__name__} of shape {tuple(getattr(input_ids, 'shape', ()))}")
        if input_ids.size(1) == 0:
            raise ValueError("input_ids is empty (0 tokens); encode a non-empty text.")
        if input_ids.max().item() >= self.config.vocab_size or input_ids.min().item() < 0:
            raise ValueError(
                f"token id {input_ids.max().item()} is outside this model's vocabulary "
                f"(vocab_size={self.config.vocab_size}): the tokenizer and the model do not match. "
                "Use the tokenizer saved with the model, or build the config with "
                "vocab_size=tokenizer.get_vocab_size().")
        for name, t in (("attention_mask", attention_mask), ("token_type_ids", token_type_ids)):
            if t is not None and t.shape != input_ids.shape:
                raise ValueError(f"{name} has shape {tuple(t.shape)} but input_ids has {tuple(input_ids.shape)}")
        if token_type_ids is not None and token_type_ids.numel() and token_type_ids.max().item() >= self.config.type_vocab_size:
            raise ValueError(f"token_type_ids must be < type_vocab_size ({self.config.type_vocab_size}): "
                             "0 for sentence A, 1 for sentence B.")

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, output_attentions: bool = False,
                output_hidden_states: bool = False, skip_padding: bool = False) -> BertModelOutput:
        """attention_mask: [batch, seq], 1 = real token, 0 = padding (the transformers convention).

        ``skip_padding=True`` runs the per-token layers on the real tokens only (``padding.py``):
        the same numbers at real positions for less work, and zeros at pad positions."""
        self.check_inputs(input_ids, attention_mask, token_type_ids)
        mask = packing = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = padding_mask_to_attention_mask(attention_mask)   # no padding, no mask: less work
            packing = Packing(attention_mask) if skip_padding else None
        x = self.embeddings(input_ids, token_type_ids)
        if packing is not None:
            x = packing.pack(x)
        x, hidden_states, attentions = self.encoder(x, mask, output_attentions, output_hidden_states, packing)
        if packing is not None:
            x = packing.unpack(x)
            hidden_states = [packing.unpack(h) for h in hidden_states] if hidden_states is not None else None
        return BertModelOutput(
            last_hidden_state=x,
            pooler_output=self.pooler(x) if self.pooler is not None else None,
            hidden_states=tuple(hidden_states) if hidden_states is not None else None,
            attentions=tuple(attentions) if attentions is not None else None,
        )


class BertForPreTraining(BertPreTrainedModel):
    """BERT's two pretraining tasks on one encoder: masked LM + next sentence prediction.

    ``labels``: [batch, seq], the original token id at masked positions and -100 elsewhere.
    ``next_sentence_label``: [batch], 0 = B follows A, 1 = B is a random sentence.
    ``masked_positions_only=True`` runs the MLM head on the masked positions alone (about 15% of
    tokens), which gives the same loss for a fraction of the vocabulary-sized matmul; then
    ``prediction_logits`` is ``[n_masked, vocab]`` in row-major order of the masked positions.
    ``keep_logits=False`` (training loops) goes one step further: the MLM loss is computed at the
    masked positions without keeping any logits (``mlm_loss.py``: one vocabulary-sized buffer
    instead of four, same loss and gradients), and ``prediction_logits`` is None.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.mlm = MaskedLMHead(config, self.bert.embeddings.word_embeddings)
        self.nsp = NextSentenceHead(config)
        self.init_weights()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None,
                next_sentence_label=None, output_attentions=False, output_hidden_states=False,
                masked_positions_only: bool = False, skip_padding: bool = False,
                keep_logits: bool = True) -> BertForPreTrainingOutput:
        if labels is None and (masked_positions_only or not keep_logits):
            option = "masked_positions_only=True" if masked_positions_only else "keep_logits=False"
            raise ValueError(f"{option} needs labels (-100 = not masked) to know the positions.")
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        skip_padding)
        hidden = out.last_hidden_state
        nsp_logits = self.nsp(out.pooler_output)

        mlm_hidden, mlm_targets = hidden, labels
        if masked_positions_only or not keep_logits:
            selected = labels != IGNORE_INDEX
            mlm_hidden, mlm_targets = hidden[selected], labels[selected]      # [n_masked, ...]
        mlm_loss = nsp_loss = prediction_logits = None
        if not keep_logits:
            mlm_loss = self.mlm.loss(mlm_hidden, mlm_targets)
        else:
            prediction_logits = self.mlm(mlm_hidden)          # [batch, seq, vocab] or [n_masked, vocab]
            if labels is not None:
                # mean over masked positions only: ignore_index drops every -100 from sum *and* count
                mlm_loss = F.cross_entropy(prediction_logits.reshape(-1, self.config.vocab_size),
                                           mlm_targets.reshape(-1), ignore_index=IGNORE_INDEX)
        if next_sentence_label is not None:
            nsp_loss = F.cross_entropy(nsp_logits, next_sentence_label.reshape(-1))
        losses = [x for x in (mlm_loss, nsp_loss) if x is not None]
        return BertForPreTrainingOutput(
            loss=sum(losses) if losses else None, prediction_logits=prediction_logits,
            seq_relationship_logits=nsp_logits, mlm_loss=mlm_loss, nsp_loss=nsp_loss,
            hidden_states=out.hidden_states, attentions=out.attentions)


class BertForSequenceClassification(BertPreTrainedModel):
    """A linear classifier on the pooled [CLS] vector; the whole network is fine-tuned."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = Dropout(p)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.init_weights()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None,
                output_attentions=False, output_hidden_states=False, skip_padding=False) -> SequenceClassifierOutput:
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        skip_padding)
        logits = self.classifier(self.dropout(out.pooler_output))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                                        attentions=out.attentions)


@dataclass
class TokenClassifierOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor                             # [batch, seq, num_labels]
    hidden_states: tuple | None = None
    attentions: tuple | None = None


class BertForTokenClassification(BertPreTrainedModel):
    """One label per token (NER's BIO tags): the same linear layer on every token's last vector.

    No pooler (transformers' ``add_pooling_layer=False``): the [CLS] summary is not used, so the
    state dicts of the two libraries match key for key. ``labels`` is [batch, seq] with -100 at
    the positions that do not count (special tokens, padding, a word's later pieces).
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=False)
        p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = Dropout(p)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.init_weights()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None,
                output_attentions=False, output_hidden_states=False, skip_padding=False) -> TokenClassifierOutput:
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        skip_padding)
        logits = self.classifier(self.dropout(out.last_hidden_state))
        loss = None
        if labels is not None:      # mean over the labelled positions: -100 drops out of sum and count
            loss = F.cross_entropy(logits.reshape(-1, self.config.num_labels), labels.reshape(-1),
                                   ignore_index=IGNORE_INDEX)
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                                     attentions=out.attentions)


@dataclass
class QuestionAnsweringModelOutput:
    loss: torch.Tensor | None
    start_logits: torch.Tensor                       # [batch, seq]
    end_logits: torch.Tensor                         # [batch, seq]
    hidden_states: tuple | None = None
    attentions: tuple | None = None


class BertForQuestionAnswering(BertPreTrainedModel):
    """Extractive QA (SQuAD): two learned vectors S and E score every token as the answer's start
    and end, ``start_logits = H @ S``, ``end_logits = H @ E`` (one ``Linear(hidden, 2)``, called
    ``qa_outputs`` as in transformers). Softmax over the sequence turns each into a distribution.

    ``start_positions`` / ``end_positions``: [batch] token indices of the gold span (0, the [CLS]
    token, when the answer is not in this window); the loss is the mean of the two cross-entropies.
    Positions outside the sequence are clamped to ``seq`` and ignored, as in transformers.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)
        self.init_weights()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, start_positions=None,
                end_positions=None, output_attentions=False, output_hidden_states=False,
                skip_padding=False) -> QuestionAnsweringModelOutput:
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states,
                        skip_padding)
        start_logits, end_logits = self.qa_outputs(out.last_hidden_state).unbind(-1)
        loss = None
        if start_positions is not None and end_positions is not None:
            ignored = start_logits.size(1)
            start = start_positions.reshape(-1).clamp(0, ignored)
            end = end_positions.reshape(-1).clamp(0, ignored)
            loss = (F.cross_entropy(start_logits, start, ignore_index=ignored)
                    + F.cross_entropy(end_logits, end, ignore_index=ignored)) / 2
        return QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits.contiguous(),
                                            end_logits=end_logits.contiguous(),
                                            hidden_states=out.hidden_states, attentions=out.attentions)
