"""Optional sign-in for a shared deployment: Streamlit's OpenID Connect (``st.login``).

Sign-in is required as soon as ``.streamlit/secrets.toml`` has an ``[auth]`` section (the
hospital's identity provider: ``redirect_uri``, ``cookie_secret``, ``client_id``,
``client_secret``, ``server_metadata_url``; see the README). An optional allow-list narrows
who may see the data::

    [hccdash]
    allowed_emails = ["a.clinician@hospital.example"]
    allowed_domains = ["hospital.example"]   # anyone whose e-mail ends in @hospital.example

Without an allow-list every account the identity provider signs in is allowed. Without an
``[auth]`` section nothing changes (a local, single-user dashboard). :func:`gate` runs in
``app.py`` before any page: until it returns True no page runs and no cohort is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import streamlit as st

from hccdash.ui.common import esc_md


def _secrets() -> Mapping[str, object]:
    try:
        return {k: st.secrets[k] for k in ("auth", "hccdash") if k in st.secrets}
    except FileNotFoundError:  # no secrets.toml at all: sign-in is off
        return {}


def login_required() -> bool:
    """True when ``secrets.toml`` configures an identity provider (``[auth]``)."""
    return "auth" in _secrets()


def _norm(values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        return ()
    return tuple(str(v).strip().lower().lstrip("@") for v in values if str(v).strip())


def is_allowed(email: str | None, emails: Iterable[str] = (), domains: Iterable[str] = ()) -> bool:
    """Whether ``email`` passes the allow-list (no list at all: everyone signed in passes).

    Examples
    --------
    >>> is_allowed("Ann@Hospital.example", domains=["hospital.example"])
    True
    >>> is_allowed("ann@evil-hospital.example", domains=["hospital.example"])
    False
    >>> is_allowed("bob@gmail.com", emails=["ann@hospital.example"])
    False
    >>> is_allowed("bob@gmail.com")
    True
    """
    emails, domains = _norm(emails), _norm(domains)
    if not emails and not domains:
        return True
    if not email or "@" not in email:
        return False
    address = email.strip().lower()
    return address in emails or address.rsplit("@", 1)[1] in domains


def gate() -> bool:
    """Draw the sign-in or the refusal when needed; True when the pages may run."""
    if not login_required():
        return True
    if not st.user.is_logged_in:
        st.title("hccdash")
        st.info(
            "This dashboard holds patient data. Sign in with your institution's account "
            "to continue.",
            icon=":material/lock:",
        )
        st.button("Sign in", type="primary", on_click=st.login, key="hccdash_login")
        return False
    config = _secrets().get("hccdash", {})
    config = config if isinstance(config, Mapping) else {}
    email = st.user.get("email")
    if not is_allowed(email, config.get("allowed_emails", ()), config.get("allowed_domains", ())):
        who = esc_md(str(email)) if email else "an account without an e-mail address"
        st.title("hccdash")
        st.error(
            f"Access refused: you are signed in as {who}, which is not on this dashboard's "
            "list of allowed accounts. Ask the dashboard's administrator to add you, or sign "
            "out and sign in with another account.",
            icon=":material/block:",
        )
        st.button("Sign out", on_click=st.logout, key="hccdash_logout")
        return False
    with st.sidebar:
        st.caption(f"Signed in as {esc_md(str(email))}")
        st.button("Sign out", on_click=st.logout, key="hccdash_logout")
    return True
