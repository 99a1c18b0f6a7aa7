"""Registries of the numbers the prose quotes: one module per lesson or document, each defining
`QUOTES = [Quote(...), ...]` (see tests/prose_numbers.py). tests/test_prose_numbers.py finds every
module here and checks each quote against its evidence; a new module needs no other registration."""
