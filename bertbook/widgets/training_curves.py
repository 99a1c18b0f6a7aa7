"""Loss and accuracy curves of a pretraining run: live while it trains, or afterwards from metrics.jsonl.

Two panels: losses (MLM and NSP, log scale: MLM starts near ln(vocab) ~ 9, NSP near ln 2 ~ 0.69)
and accuracies (MLM on masked positions, NSP), each against the optimizer step. Solid lines are
held-out metrics, dotted ones the training loss (the trainer's ``train_*`` keys) where present.
Dashed lines mark chance: ln 2 for the NSP loss, 0.5 for NSP accuracy.

``LiveCurves`` is a callback: call it with each metrics record (a dict with ``step`` and any of the
keys below) and, inside a notebook, it redraws one figure in place; elsewhere it just keeps the
figure up to date (what the tests look at). ``plot_history`` draws a finished history.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable

LOSS_KEYS = ("mlm_loss", "nsp_loss")
TRAIN_LOSS_KEYS = ("train_mlm_loss", "train_nsp_loss")      # running mean over the steps since the last record
ACCURACY_KEYS = ("mlm_accuracy", "nsp_accuracy")
COLOURS = {"mlm": "#1f77b4", "nsp": "#ff7f0e"}


def read_metrics(path: str | Path) -> list[dict]:
    """The records of a ``metrics.jsonl`` (one JSON object per line), or of the one in a run folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"No metrics at {path}; pass a metrics.jsonl or the run folder holding one.")
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n} is not valid JSON ({e}).") from None
    return records


def _series(history: Iterable[dict], key: str, prefix: str = "") -> tuple[list, list]:
    """(steps, values) of the records that have ``prefix + key`` (records may hold only some keys)."""
    xs, ys = [], []
    for r in history:
        v = r.get(prefix + key)
        if v is not None and "step" in r and not (isinstance(v, float) and math.isnan(v)):
            xs.append(r["step"])
            ys.append(v)
    return xs, ys


class LiveCurves:
    """A figure with a loss panel and an accuracy panel that grows one record at a time.

    ``prefix`` selects the keys to plot, e.g. ``"eval_"`` if held-out metrics are stored as
    ``eval_mlm_loss``; ``vocab_size`` adds the uniform-guess MLM loss ln(V) as a reference line.
    """

    def __init__(self, prefix: str = "", vocab_size: int | None = None, title: str | None = None,
                 display: bool = True):
        import matplotlib.pyplot as plt
        self.prefix, self.history = prefix, []
        self.fig, (self.loss_ax, self.acc_ax) = plt.subplots(1, 2, figsize=(10, 3.4))
        self.lines = {}
        for key in LOSS_KEYS:
            (self.lines[key],) = self.loss_ax.plot([], [], "o-", ms=3, color=COLOURS[key[:3]], label=f"held-out {key}")
        for key in TRAIN_LOSS_KEYS:
            (self.lines[key],) = self.loss_ax.plot([], [], ":", color=COLOURS[key[6:9]], alpha=0.7, label=key)
        for key in ACCURACY_KEYS:
            (self.lines[key],) = self.acc_ax.plot([], [], "o-", ms=3, color=COLOURS[key[:3]], label=f"held-out {key}")
        self.loss_ax.axhline(math.log(2), color=COLOURS["nsp"], ls="--", lw=0.8, label="NSP chance (ln 2)")
        if vocab_size:
            self.loss_ax.axhline(math.log(vocab_size), color=COLOURS["mlm"], ls="--", lw=0.8,
                                 label=f"MLM uniform guess (ln {vocab_size})")
        self.acc_ax.axhline(0.5, color=COLOURS["nsp"], ls="--", lw=0.8, label="NSP chance")
        self.loss_ax.set_yscale("log")
        self.loss_ax.set_ylabel("loss")
        self.acc_ax.set_ylabel("accuracy")
        self.acc_ax.set_ylim(0, 1)
        for ax in (self.loss_ax, self.acc_ax):
            ax.set_xlabel("step")
            ax.legend(fontsize=7, loc="best")
        if title:
            self.fig.suptitle(title, fontsize=10)
        self.fig.tight_layout()
        self._handle = None
        if display:
            try:                 # inside IPython: one display slot, updated in place
                from IPython import get_ipython
                from IPython.display import display as ipy_display
                if get_ipython() is not None:
                    self._handle = ipy_display(self.fig, display_id=True)
                    plt.close(self.fig)          # no second copy at the end of the cell
            except ImportError:
                pass

    def __call__(self, record: dict) -> None:
        self.update(record)

    def update(self, record: dict) -> None:
        if "step" not in record:
            raise ValueError(f"a metrics record needs a 'step' key; got keys {sorted(record)}")
        self.history.append(dict(record))
        self.redraw()

    def redraw(self) -> None:
        for key, line in self.lines.items():
            line.set_data(*_series(self.history, key, self.prefix))
        for ax in (self.loss_ax, self.acc_ax):
            ax.relim()
            ax.autoscale_view()
        self.acc_ax.set_ylim(0, 1)
        if self._handle is not None:
            self._handle.update(self.fig)


def plot_history(history: Iterable[dict] | str | Path, prefix: str = "", vocab_size: int | None = None,
                 title: str | None = None):
    """A finished run's curves: ``history`` is a list of records or a metrics.jsonl / run folder."""
    if isinstance(history, (str, Path)):
        history = read_metrics(history)
    history = list(history)
    if not any(_series(history, k, prefix)[0] for k in LOSS_KEYS + ACCURACY_KEYS):
        raise ValueError(f"no record has any of {[prefix + k for k in LOSS_KEYS + ACCURACY_KEYS]}; "
                         "is this a pretraining metrics history (or is the prefix wrong)?")
    curves = LiveCurves(prefix=prefix, vocab_size=vocab_size, title=title, display=False)
    curves.history = history
    curves.redraw()
    return curves.fig
