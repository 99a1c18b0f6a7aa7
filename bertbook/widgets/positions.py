"""Explore a position-encoding table with two sliders: a position and a dimension.

Four panels, all redrawn as the sliders move: the whole table as a heatmap (a cross marks the chosen
cell); one dimension across all positions (for the sinusoids, a wave whose wavelength grows with the
dimension); one position's vector across all dimensions; and the cosine similarity of the chosen
position to every other one, which for the sinusoids depends only on the distance between them.

``position_explorer()`` shows the Transformer's sinusoidal table; pass ``table=`` any
``[positions, dims]`` tensor, e.g. BERT's learned ``model.embeddings.position_embeddings.weight``.
"""
from __future__ import annotations

import math

from .render import figure_png, png_metadata, show_png, widgets_available


def _as_table(table, max_len: int, d_model: int):
    import torch
    from ..embeddings import sinusoidal_positional_encoding
    if table is None:
        return sinusoidal_positional_encoding(max_len, d_model), True
    table = torch.as_tensor(table).detach().float().cpu()
    if table.dim() != 2 or min(table.shape) < 1:
        raise ValueError(f"table must be a 2-D [positions, dims] tensor, got shape {tuple(table.shape)}; "
                         "e.g. model.embeddings.position_embeddings.weight.")
    return table, False


class PositionFigure:
    """The four-panel matplotlib figure; ``set(position, dimension)`` updates its artists in place."""

    def __init__(self, table, sinusoidal: bool, position: int = 0, dimension: int = 0, title: str | None = None):
        import torch
        from matplotlib.figure import Figure
        self.table, self.sinusoidal = table, sinusoidal
        unit = torch.nn.functional.normalize(table, dim=1)
        self.similarity = unit @ unit.T                                     # [positions, positions]
        n_pos, n_dim = table.shape
        self.figure = fig = Figure(figsize=(13, 3.4), layout="constrained")
        ax_map, ax_dim, ax_pos, ax_sim = fig.subplots(1, 4)
        lim = float(table.abs().max())
        ax_map.imshow(table.numpy(), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax_map.set(xlabel="dimension", ylabel="position",
                   title=title or ("sinusoidal PE" if sinusoidal else "position table"))
        self.h_line = ax_map.axhline(0, color="#00c000", lw=1.2)
        self.v_line = ax_map.axvline(0, color="#00c000", lw=1.2)
        positions = torch.arange(n_pos).numpy()
        (self.dim_curve,) = ax_dim.plot(positions, table[:, 0].numpy(), lw=1)
        (self.dim_marker,) = ax_dim.plot([0], [0], "o", color="C3")
        ax_dim.set(xlabel="position", ylim=(-lim * 1.05, lim * 1.05))
        (self.pos_curve,) = ax_pos.plot(torch.arange(n_dim).numpy(), table[0].numpy(), ".", ms=3)
        (self.pos_marker,) = ax_pos.plot([0], [0], "o", color="C3")
        ax_pos.set(xlabel="dimension", ylim=(-lim * 1.05, lim * 1.05))
        (self.sim_curve,) = ax_sim.plot(positions, self.similarity[0].numpy(), lw=1)
        self.sim_line = ax_sim.axvline(0, color="C3", lw=0.8)
        ax_sim.set(xlabel="other position", ylim=(-1.05, 1.05))
        self.axes = (ax_map, ax_dim, ax_pos, ax_sim)
        self.set(position, dimension)

    def set(self, position: int, dimension: int) -> None:
        n_pos, n_dim = self.table.shape
        if not (0 <= position < n_pos and 0 <= dimension < n_dim):
            raise ValueError(f"position must be in [0, {n_pos}) and dimension in [0, {n_dim}), "
                             f"got position={position}, dimension={dimension}.")
        self.position, self.dimension = position, dimension
        value = float(self.table[position, dimension])
        self.h_line.set_ydata([position, position])
        self.v_line.set_xdata([dimension, dimension])
        self.dim_curve.set_ydata(self.table[:, dimension].numpy())
        self.dim_marker.set_data([position], [value])
        self.pos_curve.set_ydata(self.table[position].numpy())
        self.pos_marker.set_data([dimension], [value])
        self.sim_curve.set_ydata(self.similarity[position].numpy())
        self.sim_line.set_xdata([position, position])
        _, ax_dim, ax_pos, ax_sim = self.axes
        ax_dim.set_title(f"dimension {dimension} over positions", fontsize=10)
        ax_pos.set_title(f"position {position} over dimensions", fontsize=10)
        ax_sim.set_title(f"cosine similarity to position {position}", fontsize=10)

    def readout(self) -> str:
        """One line of HTML: the chosen value and, for the sinusoids, the formula that gives it."""
        p, j = self.position, self.dimension
        value = float(self.table[p, j])
        if not self.sinusoidal:
            return f"table[{p}, {j}] = {value:.4f}"
        d = self.table.shape[1]
        i, fn = j // 2, ("sin" if j % 2 == 0 else "cos")
        wavelength = 2 * math.pi * 10000 ** (2 * i / d)
        return (f"PE({p}, {j}) = {fn}({p} / 10000<sup>{2 * i}/{d}</sup>) = {value:.4f} &nbsp; "
                f"(pair i = {i}; this dimension repeats every {wavelength:.1f} positions)")


class PositionExplorer:
    """The live view: ``.position`` and ``.dimension`` (IntSliders) redraw ``.figure`` and ``.image``."""

    def __init__(self, table=None, max_len: int = 128, d_model: int = 128, position: int = 10,
                 dimension: int = 4, title: str | None = None):
        import ipywidgets as W
        table, sinusoidal = _as_table(table, max_len, d_model)
        n_pos, n_dim = table.shape
        self.panels = PositionFigure(table, sinusoidal, position, dimension, title)
        self.figure = self.panels.figure
        self.position = W.IntSlider(value=position, min=0, max=n_pos - 1, description="position")
        self.dimension = W.IntSlider(value=dimension, min=0, max=n_dim - 1, description="dimension")
        self.readout = W.HTML()
        self.image = W.Image(format="png")
        self.widget = W.VBox([W.HBox([self.position, self.dimension]), self.readout, self.image])
        for w, name in ((self.widget, ""), (self.position, "-position"), (self.dimension, "-dimension"),
                        (self.readout, "-readout"), (self.image, "-image")):
            w.add_class("bertbook-positions" + name)              # handles for the browser tests
        for slider in (self.position, self.dimension):
            slider.observe(self._update, names="value")
        self._update()

    def _update(self, change=None) -> None:
        self.panels.set(self.position.value, self.dimension.value)
        self.readout.value = self.panels.readout()
        show_png(self.image, figure_png(self.figure))

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")   # where widgets cannot render
        return bundle, png_metadata(bytes(self.image.value))                      # shown at 1x, sharp at 2x

    def __repr__(self) -> str:
        return f"PositionExplorer(position={self.position.value}, dimension={self.dimension.value})"


def position_explorer(table=None, max_len: int = 128, d_model: int = 128, position: int = 10,
                      dimension: int = 4, title: str | None = None, static: bool | None = None):
    """A ``PositionExplorer`` widget, or (``static=True``, or no ipywidgets) the same figure as a
    plain matplotlib Figure for the given position and dimension."""
    if static is None:
        static = not widgets_available()
    if static:
        table, sinusoidal = _as_table(table, max_len, d_model)
        return PositionFigure(table, sinusoidal, position, dimension, title).figure
    return PositionExplorer(table, max_len, d_model, position, dimension, title)
