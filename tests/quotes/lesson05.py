"""Lesson 5's quoted numbers (pretraining data), each read from the output or the code it comes from."""
from prose_numbers import Quote, output_value

L1 = "notebooks/01_tokenization.ipynb"
L5 = "notebooks/05_pretraining_data.ipynb"
STATS = "b4ecf2a6"              # section 5: masking statistics over 3230 examples
VOCAB_COUNTS = "600bce1f"       # lesson 1: '##' pieces, CJK characters, [unused] slots of each vocabulary
VOCAB_SIZES = "754d2a06"        # lesson 1: 8000 and 30522 pieces

chosen = output_value(L5, STATS, r"(\d+) chosen", convert=int)
chosen_fraction = output_value(L5, STATS, r"chosen \(([\d.]+) of all tokens\)")
random_fraction = output_value(L5, STATS, r"'random': ([\d.]+)")
keep_share = output_value(L5, STATS, r"\(b\) ([\d.]+) of the predicted positions")
unused = output_value(L1, VOCAB_COUNTS, r"BERT:.*?(\d+) \[unused\] slots", convert=int)
bert_size = output_value(L1, VOCAB_SIZES, r"BERT's: (\d+) pieces", convert=int)
ours_size = output_value(L1, VOCAB_SIZES, r"our vocabulary: (\d+) pieces", convert=int)


def _ordinary_pieces():
    """The pieces bertbook draws a random replacement from: every piece but the special tokens."""
    from bertbook import load_tokenizer
    from bertbook.pretraining_data import VocabInfo
    return len(VocabInfo.from_tokenizer(load_tokenizer("bertbook")).random_ids)


def _special_tokens():
    from bertbook.tokenizer import SPECIAL_TOKENS
    return len(SPECIAL_TOKENS)


QUOTES = [
    # the two differences from Google's script (issue 23, item 12)
    Quote(L5, "one of its {unused} unused `[unused…]` slots in {share:.1%} of the draws",
          unused=unused, share=lambda: unused() / bert_size()),
    Quote(L5, "bertbook draws from the {n} ordinary pieces of our {size}", n=_ordinary_pieces, size=ours_size),
    Quote(L5, "Google's rule would pick one of our {k} special tokens {k2} times in {size} draws",
          k=_special_tokens, k2=_special_tokens, size=ours_size),
    # measured over 3230 examples
    Quote(L5, "single-sentence chunks add NotNext pairs: {share:.3f} of the {n:,} examples\nmeasured below are NotNext",
          share=output_value(L5, STATS, r"NotNext share: ([\d.]+)"),
          n=output_value(L5, STATS, r"(\d+) examples,", convert=int)),
    Quote(L5, "The random replacements are rare enough ({share:.1%} of all tokens)",
          share=lambda: chosen_fraction() * random_fraction()),
    Quote(L5, "one standard error is about {se:.4f} for {n:,} positions",
          se=lambda: (keep_share() * (1 - keep_share()) / chosen()) ** 0.5, n=chosen),
]
