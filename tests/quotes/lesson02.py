"""Lesson 2's quoted numbers (embeddings and positions), each read from the saved output it comes from."""
from prose_numbers import Quote, output_value

L2 = "notebooks/02_embeddings_and_positional_encoding.ipynb"
WAVELENGTHS = "dd485c59"        # section 3: the wavelength of a few sine/cosine pairs (d = 128)
LEARNED = "c36be577"            # section 5: MiniLM's learned position table

first_norm = output_value(L2, LEARNED, r"first 5 \[([\d.]+),")
mean_norm = output_value(L2, LEARNED, r"\]\s+mean ([\d.]+)")


def _five_times():
    """'five times longer': the prose says it in words, so check the ratio rounds to 5."""
    ratio = first_norm() / mean_norm()
    if round(ratio) != 5:
        raise AssertionError(f"position 0's vector is {ratio:.1f} times the mean norm, not 'five times'")
    return first_norm()


QUOTES = [
    Quote(L2, r"from $2\pi \approx {w:.1f}$ positions (dimensions 0, 1)",
          w=output_value(L2, WAVELENGTHS, r"pair i =  0 \(dimensions   0,   1\): wavelength\s+([\d.]+)")),
    Quote(L2, "positions {k} apart are even anti-correlated (a mean similarity of {s:.3f})",
          k=output_value(L2, LEARNED, r"k = (250)\s+-", convert=int),
          s=output_value(L2, LEARNED, r"k = 250\s+(-?[\d.]+)")),
    Quote(L2, "five times longer than the others (norm {first:.2f}, against a mean of {mean:.2f})",
          first=_five_times, mean=mean_norm),
]
