"""Open the lazy "Figure options" popovers of an AppTest page (issue 20: their widgets are
built only while open). Each panel seeds ``<key>__seeded``; its popover's state is
``<key>__open``."""

from __future__ import annotations


def open_figure_options(at) -> None:
    """Open every figure-options popover of the page and rerun."""
    for k in [k for k in list(at.session_state) if str(k).endswith("__seeded")]:
        at.session_state[k[: -len("seeded")] + "open"] = True
    at.run()
    assert not at.exception, [e.message for e in at.exception]
