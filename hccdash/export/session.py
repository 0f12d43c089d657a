"""The warm kaleido session: one chromium on a private event loop, reused by every export.

Static images are rendered by kaleido 1.x driving Debian's chromium (``BROWSER_PATH``, default
``/usr/bin/chromium``). One kaleido browser is started on first use and kept warm on a
background event loop, so repeated exports skip chromium's start-up (~2-3 s) and cost only
the render (~0.1-0.3 s). MathJax is disabled and plotly.js is read from the plotly package, so
rendering needs nothing from the network; chromium is started through
:func:`hccdash.export.chromium.offline_launcher`, which also switches off its own background
requests (Debian's launcher leaves them on) and resolves no host name at all.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import logging
import threading
from concurrent.futures import CancelledError as FutureCancelled
from concurrent.futures import TimeoutError as FutureTimeout

from hccdash.export.chromium import (
    ExportUnavailable,
    chromium_available,
    chromium_path,
    offline_launcher,
)

RENDER_TIMEOUT = 90.0
START_TIMEOUT = 60.0

_LOG = logging.getLogger(__name__)


def _one_line_loop_problem(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Log an asyncio problem of the kaleido loop in one line, without a traceback.

    When chromium dies, kaleido leaves tasks whose exception nobody retrieves; asyncio reports
    them when they are garbage-collected, which can happen inside any thread. Its default
    handler formats a traceback, and CPython 3.11's traceback formatting calls ``ast.parse``:
    nested inside another thread's ``ast.parse`` (Streamlit compiling a page) that corrupts
    the AST recursion counter and the page fails with "SystemError: AST constructor recursion
    depth mismatch". The browser death itself is reported by ``render``.
    """
    exc = context.get("exception")
    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    _LOG.info("kaleido: %s%s", context.get("message", "asyncio problem"), detail)


class _WarmKaleido:
    """One kaleido browser on a private event loop thread, reused by every export.

    kaleido's own ``start_sync_server`` matches requests to answers through two shared queues,
    which is unsafe when several Streamlit sessions export at once; here each request is a
    coroutine submitted with ``run_coroutine_threadsafe`` and gets its own future, kaleido's tab
    queue serialises the renders, and a dead browser is restarted once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self.starts = 0
        # The last export's failure (None after a success): the page says so in one line.
        self.problem: str | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or not self._loop.is_running():
            loop = asyncio.new_event_loop()
            loop.set_exception_handler(_one_line_loop_problem)
            thread = threading.Thread(target=loop.run_forever, name="hccdash-kaleido", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def _ensure_started(self):
        with self._lock:
            if self._kaleido is not None:
                return self._kaleido
            if not chromium_available():
                raise ExportUnavailable(
                    f"Server-side image export needs chromium, which is not installed at "
                    f"{chromium_path()!r}. Install it (apt-get install chromium) or set "
                    "BROWSER_PATH; meanwhile use the camera button of the figure toolbar."
                )
            import kaleido

            async def start():
                # mathjax=False: never fetch MathJax from a CDN (no external URLs).
                k = kaleido.Kaleido(
                    n=1, timeout=RENDER_TIMEOUT, mathjax=False, path=offline_launcher()
                )
                await k.open()
                return k

            loop = self._ensure_loop()
            fut = asyncio.run_coroutine_threadsafe(start(), loop)
            try:
                self._kaleido = fut.result(START_TIMEOUT)
            except (OSError, RuntimeError, FutureTimeout, FutureCancelled, ValueError) as exc:
                fut.cancel()
                raise ExportUnavailable(
                    f"chromium at {chromium_path()!r} did not start for image export "
                    f"({type(exc).__name__}: {exc}). Use the figure toolbar's camera button."
                ) from exc
            self.starts += 1
            # atexit runs handlers last-in first-out: re-register now, after kaleido created
            # its temporary profile directories (whose cleanup is also an atexit hook), so the
            # browser is closed before those directories are removed.
            atexit.unregister(self.close)
            atexit.register(self.close)
            return self._kaleido

    def render(self, fig_dict: dict, opts: dict) -> bytes:
        try:
            data = self._render(fig_dict, opts)
        except ExportUnavailable as exc:
            self.problem = str(exc)
            raise
        self.problem = None
        return data

    def _render(self, fig_dict: dict, opts: dict) -> bytes:
        from choreographer.errors import BrowserClosedError, BrowserFailedError
        from choreographer.protocol import DevtoolsProtocolError
        from kaleido.errors import JavascriptError, KaleidoError

        error: BaseException | None = None
        for attempt in (1, 2):
            k = self._ensure_started()
            fut = asyncio.run_coroutine_threadsafe(k.calc_fig(fig_dict, opts=opts), self._loop)
            try:
                return fut.result(RENDER_TIMEOUT + 5)
            except (KaleidoError, JavascriptError, DevtoolsProtocolError) as exc:
                # plotly.js refused the figure: the browser is fine, retrying will not help.
                raise ExportUnavailable(
                    f"The figure could not be rendered ({type(exc).__name__}: {exc})."
                ) from exc
            except (
                BrowserClosedError,
                BrowserFailedError,
                OSError,  # includes TimeoutError and choreographer's ChannelClosedError
                FutureTimeout,
                FutureCancelled,  # the coroutine was cancelled when chromium died
                asyncio.CancelledError,
            ) as exc:
                # The browser died or hung (killed, out of memory): restart it once.
                fut.cancel()
                self.close()
                error = exc
                # Finalise kaleido's orphaned tasks here, at a safe point, rather than in a
                # later garbage collection that may fall inside another thread's compile.
                del k
                gc.collect()
                if attempt == 2:
                    break
        raise ExportUnavailable(
            f"Image export failed twice ({type(error).__name__}: {error}). Try again, or use "
            "the figure toolbar's camera button."
        ) from error

    def close(self) -> None:
        with self._lock:
            k, self._kaleido = self._kaleido, None
            if k is not None and self._loop is not None and self._loop.is_running():
                fut = asyncio.run_coroutine_threadsafe(k.close(), self._loop)
                try:
                    fut.result(15)
                except (OSError, RuntimeError, FutureTimeout, FutureCancelled):
                    fut.cancel()

    @property
    def running(self) -> bool:
        return self._kaleido is not None


_SESSION = _WarmKaleido()


def warm_session_starts() -> int:
    """How many times the kaleido browser has been started in this process (for tests)."""
    return _SESSION.starts


def export_problem() -> str | None:
    """Why server-side image export does not work now, in one sentence, or None.

    No chromium at ``BROWSER_PATH``, or the last export failed (chromium would not start or
    died twice); cleared by the next export that works, so a chromium that comes back is used
    without restarting the app.
    """
    if not chromium_available():
        return (
            f"Server-side image export needs chromium, which is not installed at "
            f"{chromium_path()!r}."
        )
    return _SESSION.problem


def close_session() -> None:
    """Stop the warm kaleido browser (it restarts on the next export)."""
    _SESSION.close()
