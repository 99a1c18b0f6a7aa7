"""How long each lesson takes to run top to bottom (what "Run All" costs a student), measured.

Each lesson is executed in a fresh kernel with nbclient, as ``jupyter nbconvert --execute`` would,
``--repeats`` times; the table gives the median wall time (and the spread), the slowest cell, the
CPU count and the machine's load average while it ran (a busy machine makes every number larger).

    python benchmarks/lesson_times.py                       # print the table
    python benchmarks/lesson_times.py --write docs/teaching.md   # and replace the table there

In ``--write`` mode the table goes between the lines ``<!-- lesson-times:start -->`` and
``<!-- lesson-times:end -->`` of that file. Nothing is written back into the notebooks.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- lesson-times:start -->", "<!-- lesson-times:end -->"


def time_lesson(path: Path, timeout: int = 1800) -> tuple[float, float, int]:
    """(seconds for the whole notebook including kernel start, seconds of its slowest cell, that cell's number counted
    from 1, as the checker and the teaching guide count cells)."""
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    cell_times: dict[int, float] = {}
    started: dict[int, float] = {}

    def on_start(cell, cell_index):
        started[cell_index] = time.perf_counter()

    def on_executed(cell, cell_index, execute_reply):
        cell_times[cell_index] = time.perf_counter() - started[cell_index]

    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", on_cell_start=on_start,
                            on_cell_executed=on_executed, resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute(env=env)
    total = time.perf_counter() - t0
    slowest = max(cell_times, key=cell_times.get)
    return total, cell_times[slowest], slowest + 1


def measure(paths: list[Path], repeats: int) -> tuple[list[dict], dict]:
    rows = []
    loads = [os.getloadavg()[0]]
    for path in paths:
        runs = []
        for _ in range(repeats):
            total, slow, slow_cell = time_lesson(path)
            runs.append((total, slow, slow_cell))
            loads.append(os.getloadavg()[0])
            print(f"{path.name}: {total:.0f} s (slowest cell {slow_cell}: {slow:.0f} s)", file=sys.stderr, flush=True)
        totals = [r[0] for r in runs]
        worst = max(runs, key=lambda r: r[1])
        rows.append({"lesson": path.name, "median": statistics.median(totals), "min": min(totals),
                     "max": max(totals), "slow_cell": worst[2], "slow_s": worst[1]})
    machine = {"cpus": os.cpu_count(), "load_min": min(loads), "load_max": max(loads),
               "python": platform.python_version(), "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "repeats": repeats}
    return rows, machine


def table(rows: list[dict], machine: dict) -> str:
    lines = ["| lesson | Run All (median) | spread | slowest cell (counted from 1) |", "|---|---:|---:|---|"]
    for r in rows:
        spread = f"{r['min']:.0f}-{r['max']:.0f} s" if machine["repeats"] > 1 else "one run"
        lines.append(f"| `{r['lesson']}` | {r['median']:.0f} s | {spread} | cell {r['slow_cell']}: {r['slow_s']:.0f} s |")
    total = sum(r["median"] for r in rows)
    lines.append(f"| all | {total / 60:.1f} min | | |")
    busy = machine["load_max"] > machine["cpus"] * 0.75
    lines.append("")
    lines.append(f"Measured {machine['when']} by `python benchmarks/lesson_times.py` ({machine['repeats']} "
                 f"run{'s' if machine['repeats'] > 1 else ''} per lesson, a fresh kernel each, teacher edition) on "
                 f"{machine['cpus']} CPU cores, Python {machine['python']}; 1-minute load average "
                 f"{machine['load_min']:.1f}-{machine['load_max']:.1f}"
                 + (f": the machine was shared with other jobs, so a quiet {machine['cpus']}-core machine should be faster."
                    if busy else "."))
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", help="default: notebooks/[0-9][0-9]_*.ipynb and A*_*.ipynb")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--write", type=Path, default=None, help="replace the table between the markers in this file")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bertbook.course.edition import lesson_paths
    paths = [Path(n).resolve() for n in args.notebooks] or lesson_paths(ROOT / "notebooks")
    rows, machine = measure(paths, args.repeats)
    text = table(rows, machine)
    print(text)
    if args.write:
        doc = args.write.read_text()
        if START not in doc or END not in doc:
            sys.exit(f"error: {args.write} has no {START} ... {END} block to replace")
        head, rest = doc.split(START, 1)
        args.write.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])
        print(f"updated {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
