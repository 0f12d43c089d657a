"""A corpus of hostile cohort files: every string field tries to become live markup.

Column names, cell values and file names carry markdown images and links, HTML ``<img>`` tags,
``javascript:`` links, spreadsheet formulas, very long strings and right-to-left marks. Each
payload that could fetch points at ``http://127.0.0.1:<port>/<tag>``, so a loopback listener
(:class:`Listener`) that receives any request proves a leak and names where it came from.

Used by ``tests/test_hostile_cli.py`` (CLI and exports) and ``tests/e2e/test_e2e_hostile.py``.
"""

from __future__ import annotations

import http.server
import socket
import threading

import pandas as pd

from hccdash import synth

RTL = "\u202e\u200f"


def payloads(port: int, tag: str) -> list[str]:
    """The hostile strings for one field, each fetch naming ``tag``."""
    base = f"http://127.0.0.1:{port}"
    return [
        f"![x]({base}/{tag}_md)",
        f'<img src="{base}/{tag}_img">',
        f"[a](javascript:fetch('{base}/{tag}_js'))",
        f'=HYPERLINK("{base}/{tag}_xl","x")',
        f"{RTL}{tag}_rtl" + "L" * 600,
    ]


def good_cohort(port: int, n: int = 40) -> pd.DataFrame:
    """A valid cohort (synthetic, canonical columns) with hostile extra columns and levels."""
    frame = synth.generate(n, seed=20)
    names = payloads(port, "colname")
    for j, name in enumerate(names):
        values = payloads(port, f"value{j}")
        frame[name] = [values[i % 2] for i in range(n)]  # two hostile levels per factor
    frame["patient_id"] = [f'=HYPERLINK("http://127.0.0.1:{port}/pid","{i}")' for i in range(n)]
    return frame


def bad_files(port: int) -> dict[str, bytes]:
    """Files whose problems produce messages that quote the hostile strings (name -> bytes)."""
    h = payloads(port, "bad")
    base = synth.generate(12, seed=21)[["patient_id", "os_months", "os_event", "treatment"]]

    def csv(frame: pd.DataFrame) -> bytes:
        return frame.to_csv(index=False).encode("utf-8")

    files: dict[str, bytes] = {}
    dup = f"os_months,os_event,{h[0]},{h[0]}\n1,0,a,b\n2,1,c,d\n"
    files["duplicated_columns.csv"] = dup.encode()
    files["header_only.csv"] = f"os_months,os_event,{h[1]}\n".encode()
    files["single_column.csv"] = f"{h[0]}\n1\n2\n".encode()
    events = base.copy()
    events["os_event"] = [h[i % len(h)] for i in range(len(events))]
    files["unknown_event_codes.csv"] = csv(events)
    times = base.copy()
    times["os_months"] = [h[i % len(h)] if i < 3 else t for i, t in enumerate(times["os_months"])]
    files["bad_times.csv"] = csv(times)
    ids = base.copy()
    ids["patient_id"] = [h[0]] * 3 + [h[1]] * 3 + list(ids["patient_id"][6:])
    files["bad_patient_ids.csv"] = csv(ids)
    return files


def file_name(port: int) -> str:
    """A hostile upload file name (the browser keeps it as given)."""
    return f"![f](http:\\\\127.0.0.1:{port}\\fname)<img src=x>{RTL}.csv"


class Listener:
    """A loopback HTTP server that records every request it gets (path and headers)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                referer = self.headers.get("Referer")
                outer.requests.append(f"{self.command} {self.path} (from {referer})")
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_OPTIONS = _record

            def log_message(self, *args) -> None:  # quiet
                return

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
