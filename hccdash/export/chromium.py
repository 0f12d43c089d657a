"""Chromium for image export: where it is, whether it runs, and an offline launcher.

kaleido reads ``BROWSER_PATH`` when it starts chromium; it is set here, before kaleido is
imported (we never download a browser).
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import stat
import tempfile
import threading

from hccdash.errors import HccdashError

# kaleido reads BROWSER_PATH when it starts chromium; set it before kaleido is imported.
os.environ.setdefault("BROWSER_PATH", shutil.which("chromium") or "/usr/bin/chromium")

# Chromium's own traffic, off: background networking (variations, component and safe-browsing
# updates, which Debian's /usr/bin/chromium leaves on because it passes
# --enable-remote-extensions), pings, domain reliability reports, and every DNS lookup. The
# kaleido page is a local file that reads plotly.js from disk, so it needs no host name; with
# ``MAP * ~NOTFOUND`` a stray lookup fails inside chromium instead of reaching the network.
OFFLINE_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-client-side-phishing-detection",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-features=OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
)
_LAUNCHER_LOCK = threading.Lock()
_LAUNCHERS: dict[str, str] = {}


class ExportUnavailable(HccdashError):
    """Server-side image export cannot run (no chromium on this machine, or it failed)."""


def chromium_path() -> str:
    """The chromium kaleido will use (``BROWSER_PATH``)."""
    return os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium_available() -> bool:
    """True when an executable chromium is at ``BROWSER_PATH`` (server-side export possible)."""
    path = chromium_path()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def offline_launcher(browser: str | None = None) -> str:
    """An executable that starts ``browser`` with :data:`OFFLINE_CHROMIUM_FLAGS` added.

    kaleido (through choreographer) starts chromium with a fixed list of flags and no way to add
    one, so kaleido is given this launcher as its browser path. It is a two-line shell script in
    a private temporary directory (mode 0700), written once per process and removed at exit.

    Parameters
    ----------
    browser : str, optional
        The chromium to start; default :func:`chromium_path`.

    Returns
    -------
    str
        The launcher's path; ``browser`` itself on Windows, which has no ``sh``.

    Examples
    --------
    >>> path = offline_launcher("/usr/bin/chromium")
    >>> "--disable-background-networking" in open(path).read()
    True
    """
    browser = browser or chromium_path()
    if os.name == "nt":
        return browser
    with _LAUNCHER_LOCK:
        path = _LAUNCHERS.get(browser)
        if path is not None and os.path.isfile(path):
            return path
        folder = tempfile.mkdtemp(prefix="hccdash-chromium-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "chromium-offline")
        flags = " ".join(shlex.quote(f) for f in OFFLINE_CHROMIUM_FLAGS)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f'#!/bin/sh\nexec {shlex.quote(browser)} {flags} "$@"\n')
        os.chmod(path, stat.S_IRWXU)
        _LAUNCHERS[browser] = path
        return path
