"""Figures by kind, laid out for a size preset from one :class:`FigureSpec`.

``spec`` (the figure specification), ``layout`` (measured bands), ``km``, ``forest``,
``schoenfeld``, ``response``; :mod:`hccdash.figures` re-exports the builders.
"""

from hccdash.plotting.spec import FigureSpec

__all__ = ["FigureSpec"]
