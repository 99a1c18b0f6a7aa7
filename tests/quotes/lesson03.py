"""Lesson 3's quoted numbers (attention), each read from the saved output it comes from.

The head names are quoted too ("layer 3, head 7"): they are results of the head search, and a
retrained or swapped model would move them."""
from prose_numbers import Quote, output_value

L3 = "notebooks/03_attention.ipynb"
MASK_TEST = "6d8a30ff"          # section 3: MiniLM with the right mask, backwards, no mask
TORCH_LAYER = "fbdb5a15"        # section 3: torch's TransformerEncoderLayer, both conventions
SECTION6 = "93778f7e"           # section 6: the four heads on one sentence
SPLITS = "6ad74405"             # section 7: heads chosen on 100 splits
PRONOUN = "53477b10"            # section 7: is layer 4, head 1 a coreference head?


def _head(cell, prefix):
    """(layer, head) sources of the head a printout names after ``prefix``."""
    pattern = prefix + r"\s*layer (\d+), head (\d+)"
    return (output_value(L3, cell, pattern, group=1, convert=int),
            output_value(L3, cell, pattern, group=2, convert=int))


def _se_of_share():
    """One standard error of a share p measured on one split's 20 held-out sentences."""
    p = output_value(L3, PRONOUN, r"in (\d+)% of the sentences")() / 100
    return (p * (1 - p) / 20) ** 0.5


prev_l, prev_h = _head(SECTION6, "")
next_l, next_h = _head(SECTION6, r"previous token: [\d.]+\n")
cls_l, cls_h = _head(SECTION6, r"next token: [\d.]+\n")
it_l, it_h = _head(SECTION6, r"\[CLS\]: [\d.]+\n")
cls40_l, cls40_h = _head(SPLITS, r"\[CLS\]\s+")
other_l, other_h = _head(SPLITS, r"the other splits chose")

QUOTES = [
    Quote(L3, "With the right mask the padding changes nothing ({d:.3f}: the differences are float rounding)",
          d=output_value(L3, MASK_TEST, r"right mask \(1 = real\)\s+max change of the real tokens' outputs: ([\d.]+)")),
    Quote(L3, "the outputs change ({wrong:.3f} above instead of {right:.3f})",
          wrong=output_value(L3, TORCH_LAYER, r"attention_mask\.bool\(\): change ([\d.]+)"),
          right=output_value(L3, TORCH_LAYER, r"attention_mask == 0\s*: change ([\d.]+)")),
    # section 6: the heads picked by eye, with the numbers the next cell prints
    Quote(L3, "layer {l}, head {h} looks at the **previous** token (a bright diagonal just below the main one): "
              "on average {w:.2f} of each token's weight goes there",
          l=prev_l, h=prev_h, w=output_value(L3, SECTION6, r"previous token: ([\d.]+)")),
    Quote(L3, "layer {l}, head {h} looks mostly at the **next** token ({w:.2f} of the weight)",
          l=next_l, h=next_h, w=output_value(L3, SECTION6, r"next token: ([\d.]+)")),
    Quote(L3, "layer {l}, head {h} parks almost all attention on **`[CLS]`** ({w:.2f}; a bright first column)",
          l=cls_l, h=cls_h, w=output_value(L3, SECTION6, r"\[CLS\]: ([\d.]+)")),
    Quote(L3, "layer {l}, head {h} links the pronoun *it* to *animal*, the noun it refers to ({w:.2f} of *it*'s weight)",
          l=it_l, h=it_h, w=output_value(L3, SECTION6, r"on 'animal': ([\d.]+)")),
    # section 7: chosen on some sentences, scored on others
    Quote(L3, "on these 40 sentences layer {l}, head {h} parks more weight on `[CLS]` (it is chosen in {n} of the 100 "
              "splits, layer {ol}, head {oh} in {on} of the other {others})",
          l=cls40_l, h=cls40_h, ol=other_l, oh=other_h,
          n=output_value(L3, SPLITS, r"\[CLS\]\s+layer \d+, head \d+ \((\d+) of 100\)", convert=int),
          on=output_value(L3, SPLITS, r"the other splits chose layer \d+, head \d+ \((\d+)\)", convert=int),
          others=lambda: 100 - output_value(L3, SPLITS, r"\[CLS\]\s+layer \d+, head \d+ \((\d+) of 100\)", convert=int)()),
    Quote(L3, "Layer {l}, head {h} is again the head that looks from *it* to its noun, and its held-out score holds up; "
              "but it is about {held:.2f}, not the {one:.2f} it put on *animal* in section 6's sentence",
          l=_head(SPLITS, r"it -> its noun\s+")[0], h=_head(SPLITS, r"it -> its noun\s+")[1],
          held=output_value(L3, SPLITS, r"it -> its noun\s+layer \d+, head \d+ \(\d+ of 100\)\s+[\d.]+ ± [\d.]+\s+([\d.]+)"),
          one=output_value(L3, SECTION6, r"on 'animal': ([\d.]+)")),
    Quote(L3, "Layer {l}, head {h} looks from *it* to nouns",
          l=output_value(L3, PRONOUN, r"^layer (\d+), head \d+, all 40", convert=int),
          h=output_value(L3, PRONOUN, r"^layer \d+, head (\d+), all 40", convert=int)),
    Quote(L3, "prefers the right noun in only {p}% of the sentences",
          p=output_value(L3, PRONOUN, r"in (\d+)% of the sentences", convert=int)),
    Quote(L3, "looks convincing on those pairs ({sel:.2f}) and loses part of that lead on the 10 pairs it was not "
              "chosen on ({held:.2f})",
          sel=output_value(L3, PRONOUN, r"right noun: ([\d.]+) ± [\d.]+ on its selection pairs"),
          held=output_value(L3, PRONOUN, r"selection pairs, ([\d.]+) ± [\d.]+ held out")),
    Quote(L3, "a standard error of about ±{se:.2f} on a share near {p:.1f}",
          se=_se_of_share, p=lambda: output_value(L3, PRONOUN, r"in (\d+)% of the sentences")() / 100),
    # the summary
    Quote(L3, "head looks more at the first noun ({first:.3f}) than at the second ({second:.3f}), and prefers the right "
              "noun in only {p}% of the sentences",
          first=output_value(L3, PRONOUN, r"on the first noun ([\d.]+)"),
          second=output_value(L3, PRONOUN, r"on the second ([\d.]+)"),
          p=output_value(L3, PRONOUN, r"in (\d+)% of the sentences", convert=int)),
]
