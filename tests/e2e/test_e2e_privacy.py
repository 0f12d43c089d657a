"""Nothing leaves the machine, and an uploaded cohort's cached results leave with its session.

One server, run under ``netaudit.py`` (every ``socket.connect``/``sendto``/``getaddrinfo`` of
the server's Python process through ``sys.addaudithook``, and every socket of its child
processes, i.e. kaleido's chromium, from ``/proc``), and one browser session recording every
request and websocket, tour every page on the bundled cohort, export a PNG and the ZIP,
upload a cohort, tour every page again (the risk models fit) and export again. Any address
that is not loopback fails the test.

The same tour checks that caches are private to the session: while the uploaded cohort is
active only the session-scoped twins (``<function>[session]``, :mod:`hccdash.ui.cache`) are
used, and once the browser session is closed none of them holds a byte (Streamlit's own
``/_stcore/metrics``, ``cache_memory_bytes``).
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from e2e_harness import ARTIFACTS, StreamlitServer, new_app

from hccdash import synth

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NETAUDIT = Path(__file__).resolve().parent / "netaudit.py"
PAGES = [
    "Cohort",
    "Kaplan-Meier",
    "Univariate",
    "Cox model",
    "Response & toxicity",
    "Reproduce the paper",
    "Your data",
    "Risk models",
    "About",
]
N_UPLOAD = 40
METRIC = re.compile(r"^(cache_memory_bytes|cache_lookups_total)\{(.*)\} (\d+)$")
SESSION = "[session]"


@pytest.fixture(scope="module")
def audited_server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    netlog = ARTIFACTS / "netaudit.jsonl"
    netlog.write_text("", encoding="utf-8")
    server = StreamlitServer(
        log_path=ARTIFACTS / "streamlit_privacy.log",
        wrapper=(str(NETAUDIT),),
        env={"HCCDASH_NETLOG": str(netlog)},
    )
    try:
        server.wait_healthy()
        yield server, netlog
    finally:
        server.stop()


def metrics(server: StreamlitServer) -> dict[tuple[str, str], int]:
    """``{(metric, cache name): value}``; lookups are ``cache_lookups_<hit|miss>``."""
    with urllib.request.urlopen(f"{server.url}/_stcore/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[tuple[str, str], int] = {}
    for line in text.splitlines():
        m = METRIC.match(line)
        if m is None:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m[2]))
        if labels.get("cache_type") != "st_cache_data":
            continue
        metric = m[1] if m[1] == "cache_memory_bytes" else f"cache_lookups_{labels['result']}"
        key = (metric, labels.get("cache", ""))
        out[key] = out.get(key, 0) + int(m[3])
    return out


def is_loopback(host: object) -> bool:
    if host in (None, "", "localhost"):
        return True  # getaddrinfo(None/"") of a listening socket, or the loopback name
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: a lookup that could leave


def outside_requests(urls: list[str]) -> list[str]:
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-error"):
            continue
        if not is_loopback(parts.hostname):
            bad.append(url)
    return bad


def outside_connections(netlog: Path) -> list[dict]:
    bad = []
    for line in netlog.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["kind"] == "self-test":
            continue
        if record["kind"] == "recorder-error":
            bad.append(record)
        elif record["kind"] == "proc":
            if not is_loopback(record["remote"][0]):
                bad.append(record)
        elif isinstance(record["address"], list) and not is_loopback(record["address"][0]):
            bad.append(record)
    return bad


def download(app, name: re.Pattern[str]) -> int:
    button = app.page.get_by_role("button", name=name).first
    with app.page.expect_download(timeout=120_000) as info:
        button.click()
    return Path(info.value.path()).stat().st_size


def tour(app, uploaded: bool = False) -> None:
    # the Reproduce page is in the menu only while the bundled cohort is loaded (issue 12)
    for title in [t for t in PAGES if not (uploaded and t == "Reproduce the paper")]:
        app.navigate(title)
        assert not app.problems(), f"{title}: {app.problems()}"
    app.navigate("Kaplan-Meier")
    app.km_curves()
    # Server-side export: kaleido drives chromium (a child process of the server).
    assert download(app, re.compile(r"^(Download )?PNG$")) > 10_000  # the figure panel's PNG
    assert download(app, re.compile(r"Download all")) > 10_000


def test_a_full_tour_touches_only_loopback_and_private_caches_leave_with_the_session(
    browser, audited_server, tmp_path
):
    server, netlog = audited_server
    app, context = new_app(browser, server)
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    app.page.on("websocket", lambda ws: urls.append(ws.url))
    closed = False
    try:
        app.goto("")
        app.wait_n((21, 21))
        tour(app)
        app.navigate("Your data")
        shared_before = metrics(server)

        # An uploaded cohort: from here on, only session-scoped caches may be used.
        csv = tmp_path / "private_cohort.csv"
        synth.write(synth.generate(N_UPLOAD, seed=16), csv)
        app.rerun(
            lambda: app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                str(csv)
            )
        )
        app.rerun(app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I)).click)
        app.wait_n((N_UPLOAD, N_UPLOAD))
        tour(app, uploaded=True)
        app.screenshot("privacy_tour_uploaded_km")
        during = metrics(server)

        twins = {name for (metric, name) in during if name.endswith(SESSION)}
        assert "hccdash.ui.cache.kaplan_meier[session]" in twins
        used = {n for n in twins if during.get(("cache_memory_bytes", n), 0) > 0}
        assert "hccdash.ui.cache.kaplan_meier[session]" in used, sorted(used)
        assert "hccdash.ui.models.fit_model[session]" in used, sorted(used)
        # No shared cache computed anything while the private cohort was active (the sidebar of
        # the upload's own run still shows the bundled cohort: a hit, not a new entry).
        for twin in twins:
            shared = twin[: -len(SESSION)]
            key = ("cache_lookups_miss", shared)
            assert during.get(key, 0) == shared_before.get(key, 0), shared

        context.close()
        closed = True
        deadline = time.monotonic() + 60
        left = used
        while left and time.monotonic() < deadline:
            time.sleep(1)
            now = metrics(server)
            left = {n for n in twins if now.get(("cache_memory_bytes", n), 0) > 0}
        assert not left, f"session-scoped caches still hold data after the session closed: {left}"
    finally:
        if not closed:
            context.close()

    (ARTIFACTS / "privacy_requests.txt").write_text("\n".join(urls), encoding="utf-8")
    assert len(urls) > 50, "the recorder saw too few requests to be trusted"
    assert not outside_requests(urls), outside_requests(urls)
    records = [json.loads(line) for line in netlog.read_text(encoding="utf-8").splitlines()]
    (port,) = [r["port"] for r in records if r["kind"] == "self-test"]
    assert {"kind": "connect", "address": ["127.0.0.1", port]}.items() <= next(
        (r for r in records if r["kind"] == "connect" and r["address"][1] == port), {}
    ).items(), "the audit hook did not record the self-test connection"
    assert any(r["kind"] == "proc" and r["remote"] == ["127.0.0.1", port] for r in records), (
        "the /proc recorder did not see the self-test child's connection"
    )
    bad = outside_connections(netlog)
    assert not bad, f"server-side connections to non-loopback addresses: {bad[:10]}"
