"""Sign-in through OpenID Connect, in a real browser against a local identity provider.

``oidc-provider-mock`` (PyPI) runs an OpenID Connect provider on loopback; ``hccdash serve
--secrets`` starts the app with an ``[auth]`` section pointing at it and an allow-list of one
domain. Not signed in: no data and no pages; signed in with an allowed e-mail: the pages;
signed in with another e-mail: a clear refusal and still no data.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from e2e_harness import ARTIFACTS, NAV_LINK, StreamlitServer, free_port, new_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOMAIN = "hospital.example"


@pytest.fixture(scope="module")
def provider():
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "oidc_provider.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("oidc-provider-mock did not start") from None
                time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def signed_server(provider, tmp_path_factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"

    def command(port: int) -> list[str]:
        secrets.write_text(
            f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-long-random-string-for-the-test-only-0123456789"
client_id = "hccdash"
client_secret = "test-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[hccdash]
allowed_domains = ["{DOMAIN}"]
""",
            encoding="utf-8",
        )
        return [sys.executable, "-m", "hccdash", "serve", "--port", str(port),
                "--secrets", str(secrets)]  # fmt: skip

    server = StreamlitServer(log_path=ARTIFACTS / "streamlit_auth.log", command=command)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def assert_no_data(app) -> None:
    text = app.page.locator('[data-testid="stApp"]').inner_text()
    assert app.page.locator(NAV_LINK).count() == 0, "the page navigation is shown"
    assert not re.search(r"n = \d+ of \d+", text), text[:600]
    assert "21 patients" not in text and "Kaplan-Meier" not in text, text[:600]
    assert app.page.locator('[data-testid="stPlotlyChart"]').count() == 0
    assert app.page.locator('[data-testid="stDataFrame"]').count() == 0


def sign_in(app, email: str) -> None:
    app.page.get_by_role("button", name="Sign in").click()
    app.page.wait_for_url(re.compile(r"/oauth2/authorize"), timeout=60_000)
    app.page.locator('input[name="sub"]').fill(email)
    app.page.get_by_role("button", name="Authorize").click()
    app.page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/?(\?.*)?$"), timeout=60_000)
    app.wait_settled(0, timeout=90_000)


def test_not_signed_in_shows_no_data_on_any_page(browser, signed_server):
    app, context = new_app(browser, signed_server)
    try:
        for path in ("", "km", "cox", "data"):
            app.goto(path)
            assert app.page.get_by_role("button", name="Sign in").count() == 1, path
            assert_no_data(app)
        app.screenshot("auth_sign_in")
    finally:
        context.close()


def test_an_allowed_account_gets_the_pages(browser, signed_server):
    app, context = new_app(browser, signed_server)
    try:
        app.goto("")
        sign_in(app, f"ann@{DOMAIN}")
        app.wait_n((21, 21))
        shown = app.sidebar.inner_text().replace("\\", "").replace("\u200b", "")  # escaped text
        assert f"Signed in as ann@{DOMAIN}" in shown
        app.navigate("Kaplan-Meier")
        assert len(app.km_curves()) >= 1
        app.screenshot("auth_signed_in_km")
        assert not app.problems(), app.problems()
    finally:
        context.close()


def test_an_account_outside_the_allow_list_is_refused(browser, signed_server):
    app, context = new_app(browser, signed_server)
    try:
        app.goto("")
        sign_in(app, "eve@elsewhere.example")
        text = app.page.locator('[data-testid="stApp"]').inner_text()
        assert "Access refused" in text
        assert "eve@elsewhere.example" in text.replace("\\", "").replace("\u200b", "")
        assert app.page.get_by_role("button", name="Sign out").count() == 1
        assert_no_data(app)
        app.screenshot("auth_refused")
        app.goto("km")  # a deep link does not get around the refusal
        assert "Access refused" in app.page.locator('[data-testid="stApp"]').inner_text()
        assert_no_data(app)
    finally:
        context.close()
