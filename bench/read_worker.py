"""The bounded file-read worker (hccdash.io.worker, issue 20): its cost and what it spares.

Not a test. For a generated workbook of ``--rows`` x 5 numeric cells (the sheet XML written
directly, zipped; under the scan's 1e6-cell cap) it prints:

- the worker's startup: seconds from ``Process.start`` to the child's first message, for the
  first read of the process (it starts the forkserver, which imports pandas, openpyxl,
  pyreadstat, pyarrow) and for the next ones (a fork);
- wall seconds of one read through the worker and in this process;
- how responsive this process stays during the read: the longest gap of a 10 ms ticker thread
  (a stand-in for the server's health check and other sessions' script threads, which need
  the GIL), through the worker and in this process;
- the peak RSS of this process during each read (``ru_maxrss`` rises only when it is passed).

    python bench/read_worker.py --rows 20000          # the issue's 20,000-row workbook
    python bench/read_worker.py --rows 200000         # 1e6 cells, the scan's cap
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hccdash.io import worker
from hccdash.io.read import _read_format


def workbook(rows: int, cols: int = 5) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    head = "".join(f'<c t="inlineStr"><is><t>c{j}</t></is></c>' for j in range(cols))
    row = "<row>" + "".join(f"<c><v>{j + 0.5}</v></c>" for j in range(cols)) + "</row>"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main"><sheetData><row>{head}</row>{row * rows}'
        "</sheetData></worksheet>"
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(item, src.read(item.filename))
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def with_ticker(fn) -> tuple[float, float]:
    """(wall seconds of fn(), longest gap in ms of a 10 ms ticker thread meanwhile)."""
    gaps: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    t = threading.Thread(target=tick, daemon=True)
    t.start()
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    stop.set()
    t.join()
    return wall, max(gaps, default=0.0) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--warm", type=int, default=5, help="further reads to time the fork")
    args = ap.parse_args()
    raw = workbook(args.rows)
    print(f"workbook: {args.rows:,} rows x 5 cells, {len(raw) / 1e6:.2f} MB zipped")
    small = workbook(10)
    worker.read_bounded(small, "small.xlsx", "xlsx")  # the first read starts the forkserver
    for _ in range(args.warm):
        worker.read_bounded(small, "small.xlsx", "xlsx")
    starts = worker.startup_seconds()
    warm = sorted(starts[1:])
    print(
        f"worker startup: first {starts[0] * 1e3:.0f} ms (forkserver and its imports), then "
        f"median {warm[len(warm) // 2] * 1e3:.0f} ms (a fork; n = {len(warm)})"
    )
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, gap = with_ticker(lambda: worker.read_bounded(raw, "w.xlsx", "xlsx"))
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"through the worker: {wall:.2f} s, longest ticker gap {gap:.0f} ms, "
        f"peak RSS of this process +{(rss1 - rss0) / 1024:.0f} MB"
    )
    wall, gap = with_ticker(lambda: _read_format(raw, "w.xlsx", "xlsx", None))
    rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"in this process:    {wall:.2f} s, longest ticker gap {gap:.0f} ms, "
        f"peak RSS of this process +{(rss2 - rss1) / 1024:.0f} MB (beyond the worker's peak)"
    )


if __name__ == "__main__":
    main()
