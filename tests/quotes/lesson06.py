"""Lesson 6's quoted numbers, each read from the output or file it comes from."""
from prose_numbers import Quote, output_value

L6 = "notebooks/06_pretraining.ipynb"

QUOTES = [
    Quote(L6, "climbs from 0.10 to about {acc:.2f}",
          acc=output_value(L6, "c20b5a11", r"held-out MLM accuracy ([\d.]+)")),
]
