"""README.md's test-suite times, read from data/results/test_suite_times.json (one run each, on 2 cores)."""
from prose_numbers import Quote, json_value

README = "README.md"
RESULTS = "data/results/test_suite_times.json"


def run(i, key):
    return json_value(RESULTS, "runs", i, key)


def _row(i, label):
    return Quote(README, f"| {label} | {{commit}} | {{w:,.0f}} s | {{c:,.0f}} s |",
                 commit=run(i, "commit"), w=run(i, "wall_s"), c=run(i, "cpu_s"))


QUOTES = [
    _row(0, "one process"),
    _row(1, "two workers, torch's default threads"),
    _row(2, "two workers, one thread each"),
    _row(3, "two workers, one thread each"),
    Quote(README, "The last: {p} passed, {s} skipped (needs a GPU), {x} expected failure",
          p=run(-1, "passed"), s=run(-1, "skipped"), x=run(-1, "xfailed")),
]
