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


def in_kernel() -> bool:
    """True inside a live Jupyter kernel, the only place a widget's controls can respond. Views that
    are only worth having with working controls (the attention viewer, the example stepper) ask for
    both this and ``widgets_available()``; elsewhere (a script, pytest) they draw a figure."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# Screens today have 2 device pixels per CSS pixel (or more). A PNG drawn at 1x and shown at its
# natural size is scaled up by the browser and looks blurry, so every widget picture is drawn at
# twice the resolution and shown at half its pixel size (what matplotlib's "retina" inline format
# does for the lessons' plots).
PIXEL_RATIO = 2


def figure_png(figure, dpi: int = 80, pixel_ratio: int = PIXEL_RATIO) -> bytes:
    """The figure as PNG bytes at ``dpi * pixel_ratio`` (Agg; works without a display or a pyplot
    backend). Show it at ``dpi`` with :func:`show_png`."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=dpi * pixel_ratio)
    return buf.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def css_size(png: bytes, pixel_ratio: int = PIXEL_RATIO) -> tuple[int, int]:
    """The size in CSS pixels at which ``png`` is sharp: its pixel size / ``pixel_ratio``."""
    width, height = png_size(png)
    return width // pixel_ratio, height // pixel_ratio


def show_png(image, png: bytes, pixel_ratio: int = PIXEL_RATIO) -> None:
    """Put ``png`` into the ``ipywidgets.Image`` ``image``, displayed at 1/pixel_ratio of its pixel
    width (the height follows from the aspect ratio). Unchanged bytes are not sent again."""
    width = str(css_size(png, pixel_ratio)[0])
    if image.width != width:
        image.width = width
    if bytes(image.value) != png:
        image.value = png


def png_metadata(png: bytes, pixel_ratio: int = PIXEL_RATIO) -> dict:
    """Display metadata for a static ``image/png`` output of ``png`` (width and height in CSS pixels)."""
    width, height = css_size(png, pixel_ratio)
    return {"image/png": {"width": width, "height": height}}


class ImageWidgetRepr:
    """For a widget object with ``self.widget`` (its ipywidgets box) and ``self.image`` (a PNG
    ``widgets.Image``): the live widget in a front end, plus its text and its current picture, so
    a saved notebook and a front end without widgets still show what it drew."""

    def _repr_mimebundle_(self, **kwargs):
        import base64
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)
        if not self.image.value:
            return data
        png = bytes(self.image.value)
        data["image/png"] = base64.b64encode(png).decode("ascii")
        return data, png_metadata(png)                  # shown at 1x CSS size, sharp at 2x
