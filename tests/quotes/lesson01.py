"""Lesson 1's quoted numbers (tokenization), each read from the saved output it comes from."""
from prose_numbers import Quote, output_value

L1 = "notebooks/01_tokenization.ipynb"
SIZES = "754d2a06"              # the two vocabularies' sizes
WORDS = "5b1cd96c"              # section 1: the corpus counted in words
PAIRS = "16ca804d"              # section 2: the pairs of Alice, by count and by WordPiece's score
PER_WORD = "68db8ac5"           # section 4: pieces per word, 3 samples of 300 sentences
VOCABS = "600bce1f"             # section 4: what each vocabulary holds
SPECIALS = "a8885938"           # section 5: the special tokens' ids

ours = output_value(L1, SIZES, r"our vocabulary: (\d+) pieces", convert=int)
bert = output_value(L1, SIZES, r"BERT's: (\d+) pieces", convert=int)
cjk = output_value(L1, VOCABS, r"BERT:.*?(\d+) CJK characters", convert=int)


def _per_word(row, column):
    """Mean pieces per word: row 'novels' or 'movie reviews', column 0 = ours, 1 = BERT."""
    return output_value(L1, PER_WORD, row + r"[^\n]*?" + r"([\d.]+) ± [\d.]+\s+" * column + r"([\d.]+) ±",
                        group=column + 1)


ours_novels, bert_novels = _per_word("novels", 0), _per_word("novels", 1)
ours_sst, bert_sst = _per_word("movie reviews", 0), _per_word("movie reviews", 1)


def _q_u():
    """How often q + ##u occurs; and a word-initial q occurs nowhere else (the prose says so)."""
    count = output_value(L1, PAIRS, r"q \+ ##u: freq\(ab\) (\d+)", convert=int)()
    left = output_value(L1, PAIRS, r"q \+ ##u: freq\(ab\) \d+, freq\(a\) (\d+)", convert=int)()
    if left != count:
        raise AssertionError(f"a word-initial q occurs {left} times but only {count} times before ##u: "
                             "the prose's 'only before ##u' no longer holds")
    return count


def _special(token, column):
    return output_value(L1, SPECIALS, r"\[" + token + r"\]\s+ours:\s+(\d+)\s+BERT:\s+(\d+)", group=column, convert=int)


QUOTES = [
    Quote(L1, "compare **our** {ours}-piece vocabulary with **BERT's real** {bert}-piece uncased vocabulary",
          ours=ours, bert=bert),
    Quote(L1, "ours has {ours} pieces learned from nine 19th-century novels, BERT's has {bert} learned",
          ours=ours, bert=bert),
    # issue 23 item 20: which words are counted
    Quote(L1, "every punctuation mark counts as a word of its own: {n:,} words in the nine novels. Split on white "
              "space alone, the same text has {ws:,} words (the count lesson 6 uses)",
          n=output_value(L1, WORDS, r"sentences, (\d+) words as the pre-tokeniser", convert=int),
          ws=output_value(L1, WORDS, r"have (\d+) words\)", convert=int)),
    Quote(L1, "BPE glues what is frequent: `##h ##e`, occurring {n} times",
          n=output_value(L1, PAIRS, r"##h \+ ##e\s+(\d+)", convert=int)),
    Quote(L1, "(`##e` occurs {n} times)", n=output_value(L1, PAIRS, r"##h \+ ##e\s+\d+\s+\d+\s+(\d+)", convert=int)),
    Quote(L1, "`q ##u` occurs only {n} times, but a word-initial `q` occurs *only* before `##u`", n=_q_u),
    Quote(L1, "On the novels ours needs about {more:.0%} more pieces per word than BERT's ({o:.3f} against {b:.3f};",
          more=lambda: ours_novels() / bert_novels() - 1, o=ours_novels, b=bert_novels),
    Quote(L1, "on movie reviews {more:.0%} more ({o:.3f} against {b:.3f})",
          more=lambda: ours_sst() / bert_sst() - 1, o=ours_sst, b=bert_sst),
    Quote(L1, "BERT's vocabulary also reserves {n} `[unused…]` slots for users' own tokens, and holds {cjk} single CJK characters",
          n=output_value(L1, VOCABS, r"BERT:.*?(\d+) \[unused\] slots", convert=int), cjk=cjk),
    Quote(L1, "But English BERT's vocabulary holds only the {cjk} CJK characters counted above", cjk=cjk),
    Quote(L1, "but its vocabulary knows only {cjk} of them", cjk=cjk),
] + [
    Quote(L1, "| `[" + token + "]` | {ours} | {bert} |", ours=_special(token, 1), bert=_special(token, 2))
    for token in ("CLS", "SEP", "PAD", "MASK", "UNK")
]
