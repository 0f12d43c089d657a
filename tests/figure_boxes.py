"""Text boxes of an exported SVG, measured by chromium (the browser kaleido renders with).

An SVG written by kaleido is loaded into a Playwright page of Debian's chromium; every
``<text>`` element's bounding box (after all transforms, rotations and ``<tspan>`` lines) and
computed font size are read back. That is exact where an estimate from the font size and
string length would not be (rotated axis titles, multi-line annotations, bold headers).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

_JS = """
() => {
  const svg = document.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const out = [];
  for (const t of svg.querySelectorAll('text')) {
    const text = (t.textContent || '').trim();
    if (!text) continue;
    const style = getComputedStyle(t);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (style.opacity === '0') continue;
    const r = t.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const cls = [];
    for (let e = t; e && e !== svg; e = e.parentElement) {
      const c = e.getAttribute('class');
      if (c) cls.push(c);
    }
    out.push({text, x0: r.left - box.left, y0: r.top - box.top, x1: r.right - box.left,
              y1: r.bottom - box.top, size: parseFloat(style.fontSize), cls: cls.join(' ')});
  }
  const plots = {};
  for (const c of svg.querySelectorAll('clipPath.axesclip')) {
    const r = c.querySelector('rect');
    plots[c.id.replace(/^clip[0-9a-f]*/, '')] = [+r.getAttribute('x'), +r.getAttribute('y'),
      +r.getAttribute('width'), +r.getAttribute('height')];
  }
  return {width: box.width, height: box.height, texts: out, plots};
}
"""


@dataclass(frozen=True)
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    cls: str

    def overlaps(self, other: Box, tol: float = 0.5) -> bool:
        return (
            self.x0 < other.x1 - tol
            and other.x0 < self.x1 - tol
            and self.y0 < other.y1 - tol
            and other.y0 < self.y1 - tol
        )


@dataclass(frozen=True)
class SvgLayout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    plot: tuple[float, float, float, float] | None  # x0, y0, x1, y1 of the main xy plot

    def overlapping(self) -> list[tuple[Box, Box]]:
        out = []
        b = self.boxes
        for i in range(len(b)):
            for j in range(i + 1, len(b)):
                if b[i].overlaps(b[j]):
                    out.append((b[i], b[j]))
        return out

    def clipped(self, tol: float = 0.5) -> list[Box]:
        return [
            x
            for x in self.boxes
            if x.x0 < -tol or x.y0 < -tol or x.x1 > self.width + tol or x.y1 > self.height + tol
        ]

    def inside_plot(self) -> list[Box]:
        """Text drawn over the main plot area (where the curves are)."""
        if self.plot is None:
            return []
        px0, py0, px1, py1 = self.plot
        probe = Box("", px0, py0, px1, py1, 0, "")
        return [x for x in self.boxes if x.overlaps(probe, tol=1.0)]


class SvgMeasurer:
    """One chromium page reused for every SVG (a new page per SVG would cost ~100 ms)."""

    def __init__(self, playwright) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            pytest.fail("the SVG layout test needs Debian's chromium (apt-get install chromium)")
        # ``playwright`` is the run's one sync Playwright (fixture ``sync_pw``): a second one
        # cannot start while the browser tests' is alive.
        self._browser = playwright.chromium.launch(
            executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        self._page = self._browser.new_page()

    def measure(self, svg: bytes) -> SvgLayout:
        html = (
            "<!doctype html><html><body style='margin:0'>" + svg.decode("utf-8") + "</body></html>"
        )
        self._page.set_content(html, wait_until="load")
        data = self._page.evaluate(_JS)
        plot = None
        px, py = data["plots"].get("x"), data["plots"].get("y")
        if px and py:  # the main x axis clip gives x and width, the y axis clip y and height
            plot = (px[0], py[1], px[0] + px[2], py[1] + py[3])
        boxes = tuple(Box(**t) for t in data["texts"])
        return SvgLayout(data["width"], data["height"], boxes, plot)

    def close(self) -> None:
        self._browser.close()
