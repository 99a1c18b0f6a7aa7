"""Interactive views for the lessons: ipywidgets + matplotlib, no JavaScript from a CDN.

Every widget has a static fallback: where ipywidgets (or a live kernel) is unavailable, the same
function draws a plain matplotlib figure instead, so a notebook rendered on GitHub still teaches.
One module per widget.
"""
