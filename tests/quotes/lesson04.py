"""Lesson 4's quoted numbers (the encoder), each read from the saved output it comes from."""
import re

from prose_numbers import Quote, cell_output_text, output_value

L4 = "notebooks/04_encoder.ipynb"
PER_LAYER = "31efaa1b"          # section 2: residual stream, and each layer's gradient over 5 seeds
DEPTH = "8c89ba7a"              # section 2: the last layer's W2 gradient at depths 2..48
SETTINGS = "beed42c3"           # section 2: layer 12 / layer 1 for two losses and two initialisations
PRESETS = "8b0ac2c4"            # section 4: the presets' parameter counts
TABLE = "33417679"              # section 4: BERT-base's parameters by part


def _ratio(order):
    return (output_value(L4, PER_LAYER, order + r"\s+(?:[\d.]+ ± [\d.]+\s+){3}([\d.]+) ±"),
            output_value(L4, PER_LAYER, order + r"\s+(?:[\d.]+ ± [\d.]+\s+){3}[\d.]+ ± ([\d.]+)"))


def _w2(order, depth):
    return output_value(L4, DEPTH, order + r"\s+.*?L=" + str(depth) + r": ([\d.]+)")


def _range(column, pick):
    """min of the 'min' or max of the 'max' column of the settings table (column 0 post-LN, 1 pre-LN)."""
    def read():
        rows = re.findall(r"\(min ([\d.]+), max ([\d.]+)\)\s+[\d.]+ \(min ([\d.]+), max ([\d.]+)\)",
                          cell_output_text(L4, SETTINGS))
        if len(rows) != 4:
            raise AssertionError(f"expected the 4 settings of the table, found {len(rows)} rows")
        values = [float(r[2 * column + (pick == "max")]) for r in rows]
        return min(values) if pick == "min" else max(values)
    return read


def _table():
    """{part: (each, x, total, share)} from the printed parameter table."""
    out = {}
    for line in cell_output_text(L4, TABLE).splitlines():
        cols = re.split(r"\s{2,}", line.strip())            # part, formula, each, x, total, share
        if len(cols) == 6 and cols[5].endswith("%") and cols[2][0].isdigit():
            out[cols[0]] = (int(cols[2].replace(",", "")), int(cols[3]), int(cols[4].replace(",", "")),
                            float(cols[5][:-1]) / 100)
    if len(out) != 11:
        raise AssertionError(f"expected the 11 parts of BERT-base's parameter table, read {len(out)}: {list(out)}")
    return out


def _per_layer():
    return sum(each for each, x, _, _ in _table().values() if x > 1)


def _layer_share():
    t = _table()
    return sum(total for _, x, total, _ in t.values() if x > 1) / sum(total for _, _, total, _ in t.values())


def _ffn_share():
    t = _table()
    return (t["FFN in (H -> I)"][0] + t["FFN out (I -> H)"][0]) / _per_layer()


def _two_thirds():
    share = _ffn_share()
    if abs(share - 2 / 3) > 0.02:
        raise AssertionError(f"the FFN holds {share:.1%} of a layer, not 'two thirds'")
    return _per_layer() / 1e6


post_ratio, post_sd = _ratio("post-LN")
enc_ratio, enc_sd = _ratio(r"post-LN \+ encoder attention")
base_params = output_value(L4, PRESETS, r"base\s+12\s+768.*?([\d,]+)\n?$", convert=int)

QUOTES = [
    Quote(L4, r"every token's vector leaves every layer with norm exactly $\sqrt{{H}} = {n:.0f}$",
          n=output_value(L4, PER_LAYER, r"xavier post-LN residual stream norm at layers 0 \(input\), 3, 6, 9, 12:\s+([\d.]+)")),
    Quote(L4, "At 12 layers post-LN's top layer gets about twice pre-LN's gradient, at 48 about {r48:.1f} times.",
          r48=lambda: _w2("post-LN", 48)() / _w2("pre-LN", 48)()),
    Quote(L4, "(layer 12 / layer 1 = {r:.2f} ± {sd:.2f})", r=post_ratio, sd=post_sd),
    Quote(L4, "the growth toward the output appears, {r:.2f} ± {sd:.2f} from bottom to top", r=enc_ratio, sd=enc_sd),
    Quote(L4, "post-LN's layer 12 / layer 1 ratio lies between {lo:.2f} and {hi:.2f}",
          lo=_range(0, "min"), hi=_range(0, "max")),
    Quote(L4, "pre-LN's between {lo:.2f} and {hi:.2f}", lo=_range(1, "min"), hi=_range(1, "max")),
    Quote(L4, "That is the \"110M\" of the BERT paper: **{n:,}**", n=base_params),
    Quote(L4, "each of the 12 layers holds about {m:.1f}M, two thirds of it in the FFN", m=_two_thirds),
    Quote(L4, "BERT-base: {n:,} parameters, {emb:.0%} in the word embeddings, {layers:.0%} in 12 layers of {m:.1f}M",
          n=base_params, emb=lambda: _table()["word embeddings"][3], layers=_layer_share,
          m=lambda: _per_layer() / 1e6),
]
