"""bertbook: build BERT piece by piece, then pretrain it, explore it and fine-tune it.

Importing the package is cheap (torch loads on first use of a model name), so notebooks and the
command line start fast. The public names follow transformers' conventions:

    from bertbook import BertConfig, BertModel, BertForPreTraining, load_pretrained, load_tokenizer
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (loaded on first access)
_EXPORTS = {
    "BertConfig": "config",
    "sinusoidal_positional_encoding": "embeddings", "BertEmbeddings": "embeddings",
    "scaled_dot_product_attention": "attention", "MultiHeadSelfAttention": "attention",
    "padding_mask_to_attention_mask": "attention",
    "FeedForward": "encoder", "BertLayer": "encoder", "PreLNBertLayer": "encoder", "BertEncoder": "encoder",
    "BertModel": "model", "BertForPreTraining": "model", "BertForSequenceClassification": "model",
    "IGNORE_INDEX": "model",
    "load_pretrained": "model", "save_pretrained": "weights", "CheckpointError": "weights",
    "load_tokenizer": "tokenizer", "train_wordpiece": "tokenizer", "encode": "tokenizer",
    "PretrainingExample": "pretraining_data",
    "create_pretraining_examples": "pretraining_data",
    "mask_tokens": "pretraining_data",
    "remask": "pretraining_data",
    "collate": "pretraining_data",
    "pretrain": "training",
    "Trainer": "training",
    "TrainingArguments": "training",
    "evaluate_pretraining": "training",
    "fill_mask": "fill_mask", "cloze_score": "cloze", "load_minilm_mlm": "minilm_mlm",
    "load_corpus": "corpus", "load_library": "corpus", "load_sst2": "corpus", "normalize_typography": "corpus",
    "learn_merges": "wordpiece_merges",
    "vocabulary_after": "wordpiece_merges",
    "attention_viewer": "widgets.attention", "AttentionViewer": "widgets.attention", "model_attentions": "attention_maps",
    "parameter_table": "parameters", "parameter_count": "parameters", "parameter_rows": "parameters", "count_by_part": "parameters",
    "show_examples": "widgets.examples",
    "ExampleStepper": "widgets.examples",
    "masking_statistics": "widgets.masking_stats",
    "plot_masking_statistics": "widgets.masking_stats",
    "LiveCurves": "widgets.training_curves",
    "plot_history": "widgets.training_curves",
    "read_metrics": "widgets.training_curves",
    "build_classifier": "finetuning",
    "fine_tune": "finetuning",
    "predict_proba": "finetuning",
    "classify_long_text": "long_text",
    "split_into_windows": "long_text",
    "window_spans": "long_text",
    "pretraining_loss": "fast_pretraining", "masked_lm_predictions": "fast_pretraining", "PreTrainingLoss": "fast_pretraining",
    "BertForTokenClassification": "model", "BertForQuestionAnswering": "model",
    "classify_pair": "pair_classification",
    "tag_words": "token_classification", "find_entities": "token_classification",
    "answer_question": "question_answering",
    "squad_scores": "squad_metrics",
    "load_snli": "task_datasets", "load_wnut17": "task_datasets", "load_squad": "task_datasets",
    "load_task_model": "task_models",
    "nli_widget": "widgets.nli", "entity_widget": "widgets.ner", "qa_widget": "widgets.qa",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bertbook' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
