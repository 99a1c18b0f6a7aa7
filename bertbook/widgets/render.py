"""What every bertbook widget shares: drawing a matplotlib figure into an ``ipywidgets.Image``.

Why an Image and not an ``Output`` widget: an Output widget re-routes ``display()`` calls in the
browser only, so re-executing a notebook outside JupyterLab (nbval, CI) would see its figures as
ordinary cell output. An Image widget's picture travels as widget state; the cell's own output stays
one deterministic line. The figure is a bare ``matplotlib.figure.Figure`` (no pyplot), so it is never
shown twice and tests can read its data.
"""
from __future__ import annotations

import io


def widgets_available() -> bool:
    """True when ipywidgets can be imported (the widgets fall back to static views otherwise)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def figure_png(figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (Agg; works without a display or a pyplot backend)."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
