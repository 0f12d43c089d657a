"""Suite-wide hooks."""

from __future__ import annotations

import sys


def pytest_sessionfinish(session, exitstatus):
    """Remove the temporary folder streamlit.testing creates at import.

    ``streamlit.testing.v1.app_test`` makes a module-level ``TemporaryDirectory`` that is only
    cleaned up by a finalizer at interpreter exit, which then warns (ResourceWarning) after
    pytest has finished. Cleaning it here keeps the end of the run quiet.
    """
    app_test = sys.modules.get("streamlit.testing.v1.app_test")
    if app_test is not None:
        app_test.TMP_DIR.cleanup()
