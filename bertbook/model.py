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

from . import weights
from .attention import padding_mask_to_attention_mask
from .batching import IGNORE_INDEX  # noqa: F401  (the label of a position without a target)
from .checkpoints import CHECKPOINTS
from .config import BertConfig
from .dropout import Dropout
from .embeddings import BertEmbeddings
from .encoder import BertEncoder
from .heads import BertPooler, MaskedLMHead, NextSentenceHead
from .padding import encoder_on_real_tokens



@dataclass
class BertModelOutput:
    last_hidden_state: torch.Tensor                  # [batch, seq, hidden]
    pooler_output: torch.Tensor | None = None        # [batch, hidden]
    hidden_states: tuple | None = None               # embeddings + one per layer
    attentions: tuple | None = None                  # one [batch, heads, seq, seq] per layer


@dataclass
class BertForPreTrainingOutput:
    loss: torch.Tensor | None
    prediction_logits: torch.Tensor | None           # [batch, seq, vocab] (pretraining_loss.py: other shapes)
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
        and the [PAD] row must end up zero. A task model's encoder (``self.bert``) initialised
        itself when it was built, so here each parameter is drawn once: only the ones it adds."""
        std = self.config.initializer_range
        inner = [m for m in self.modules() if m is not self and isinstance(m, BertPreTrainedModel)]
        done = {id(p) for m in inner for p in m.parameters()}

        def fresh(p) -> bool:
            return p is not None and id(p) not in done

        modules = list(self.modules())
        for m in modules:
            if isinstance(m, nn.Linear):
                if fresh(m.weight):
                    nn.init.normal_(m.weight, std=std)
                if fresh(m.bias):
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                if fresh(m.weight):
                    nn.init.ones_(m.weight)
                if fresh(m.bias):
                    nn.init.zeros_(m.bias)
        for m in modules:
            if isinstance(m, nn.Embedding) and fresh(m.weight):
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
        return weights.save_pretrained(self, directory)

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device | None = None, strict: bool = True):
        return weights.load_checkpoint(name_or_path, cls, device=device, strict=strict)


def load_pretrained(name_or_path: str | Path = "minilm", model_class: type[BertPreTrainedModel] | None = None,
                    device: str | torch.device | None = None, strict: bool = True):
    """A model with a checkpoint's weights: a folder written by ``save_pretrained`` or a name from
    ``checkpoints.py``. ``model_class`` defaults to the checkpoint's own (``BertModel`` for a folder)."""
    if model_class is None:
        entry = CHECKPOINTS.get(str(name_or_path))
        name = entry.model_class if entry is not None else "BertModel"
        model_class = {c.__name__: c for c in BertPreTrainedModel.__subclasses__()}[name]
    return model_class.from_pretrained(name_or_path, device=device, strict=strict)


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
        if input_ids.dtype.is_floating_point or input_ids.dtype.is_complex or input_ids.dtype == torch.bool:
            raise ValueError(f"input_ids must be integer token ids (torch.long), got dtype {input_ids.dtype}: "
                             "they index the embedding table. Make them with encode(tokenizer, text).")
        if input_ids.size(1) == 0:
            raise ValueError("input_ids is empty (0 tokens); encode a non-empty text.")
        outside = input_ids[(input_ids < 0) | (input_ids >= self.config.vocab_size)]
        if outside.numel():
            raise ValueError(
                f"token id {outside[0].item()} is outside this model's vocabulary "
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
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = padding_mask_to_attention_mask(attention_mask)   # no padding, no mask: less work
        x = self.embeddings(input_ids, token_type_ids)
        if skip_padding and mask is not None:
            x, hidden_states, attentions = encoder_on_real_tokens(self.encoder, x, attention_mask, mask,
                                                                  output_attentions, output_hidden_states)
        else:
            x, hidden_states, attentions = self.encoder(x, mask, output_attentions, output_hidden_states)
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
    The training loop gets the same loss for a fraction of the work from ``pretraining_loss.py``
    (the MLM head on the masked positions only, no logits kept).
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.mlm = MaskedLMHead(config, self.bert.embeddings.word_embeddings)
        self.nsp = NextSentenceHead(config)
        self.init_weights()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None,
                next_sentence_label=None, output_attentions=False,
                output_hidden_states=False) -> BertForPreTrainingOutput:
        out = self.bert(input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states)
        nsp_logits = self.nsp(out.pooler_output)                        # [batch, 2]
        prediction_logits = self.mlm(out.last_hidden_state)             # [batch, seq, vocab]
        mlm_loss = nsp_loss = None
        if labels is not None:
            # mean over masked positions only: ignore_index drops every -100 from sum *and* count
            mlm_loss = F.cross_entropy(prediction_logits.reshape(-1, self.config.vocab_size),
                                       labels.reshape(-1), ignore_index=IGNORE_INDEX)
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
