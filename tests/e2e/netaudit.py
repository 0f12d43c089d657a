"""Run ``streamlit`` and record every network connection the server side makes.

Usage: ``python netaudit.py run app.py ...`` (the arguments of ``streamlit``); the log is the
file named by ``HCCDASH_NETLOG``, one JSON object per line:

- ``{"kind": "connect" | "sendto" | "getaddrinfo", "pid": ..., "address": ...}`` from a
  ``sys.addaudithook`` hook: every ``socket.connect``/``sendto``/``getaddrinfo`` of this Python
  process (Streamlit, hccdash, kaleido's driver), whatever library makes it;
- ``{"kind": "proc", "pid": ..., "exe": ..., "proto": ..., "remote": [host, port]}``: the
  remote end of every socket held by a child process (kaleido's chromium and its helpers),
  read from ``/proc/<pid>/fd`` and ``/proc/net/{tcp,tcp6,udp,udp6}`` every 20 ms. Listening
  and unconnected sockets have remote 0.0.0.0:0 and are skipped.

At start-up the recorder tests itself: this process connects to a loopback listener and a
child process holds a connection to it for a second; both must appear in the log
(``{"kind": "self-test", "port": ...}`` names the port), or the test cannot trust silence.

The test (``test_e2e_privacy.py``) fails on any address that is not loopback.
"""

from __future__ import annotations

import ipaddress
import json
import os
import runpy
import socket
import subprocess
import sys
import threading
import time

LOG = os.environ["HCCDASH_NETLOG"]
_lock = threading.Lock()
_seen: set[tuple] = set()


def _write(record: dict) -> None:
    with _lock, open(LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=str) + "\n")


def _address(addr: object) -> object:
    if isinstance(addr, tuple):
        return list(addr[:2])
    return addr if isinstance(addr, str) else repr(addr)


def _hook(event: str, args: tuple) -> None:
    if event in ("socket.connect", "socket.sendto"):
        sock, addr = args[0], args[1]
        family = getattr(sock, "family", None)
        if family == socket.AF_UNIX:
            return
        _write({"kind": event.split(".")[1], "pid": os.getpid(), "address": _address(addr)})
    elif event == "socket.getaddrinfo":
        _write({"kind": "getaddrinfo", "pid": os.getpid(), "address": [args[0], args[1]]})


def _hex_addr(text: str) -> tuple[str, int]:
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = ipaddress.IPv4Address(raw[::-1])
    else:  # four little-endian 32-bit words
        words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
        ip = ipaddress.IPv6Address(b"".join(words))
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    return str(ip), int(port, 16)


def _children(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8") as fh:
                stat = fh.read()
        except OSError:
            continue
        parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _poll_children(root: int) -> None:
    while True:
        try:
            inodes: dict[str, tuple[int, str]] = {}
            for pid in _children(root):
                try:
                    exe = os.readlink(f"/proc/{pid}/exe")
                    fds = os.listdir(f"/proc/{pid}/fd")
                except OSError:
                    continue
                for fd in fds:
                    try:
                        link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    except OSError:
                        continue
                    if link.startswith("socket:["):
                        inodes[link[8:-1]] = (pid, exe)
            if inodes:
                for proto in ("tcp", "tcp6", "udp", "udp6"):
                    try:
                        with open(f"/proc/net/{proto}", encoding="utf-8") as fh:
                            rows = fh.read().splitlines()[1:]
                    except OSError:
                        continue
                    for row in rows:
                        cols = row.split()
                        if len(cols) < 10 or cols[9] not in inodes:
                            continue
                        host, port = _hex_addr(cols[2])
                        if port == 0 and ipaddress.ip_address(host).is_unspecified:
                            continue
                        pid, exe = inodes[cols[9]]
                        key = (pid, proto, host, port)
                        if key not in _seen:
                            _seen.add(key)
                            _write(
                                {"kind": "proc", "pid": pid, "exe": exe, "proto": proto,
                                 "remote": [host, port]}
                            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - the recorder must never stop the server
            _write({"kind": "recorder-error", "error": repr(exc)})
        time.sleep(0.02)


def _self_test() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(2)
        port = listener.getsockname()[1]
        _write({"kind": "self-test", "port": port})
        with socket.create_connection(("127.0.0.1", port)):
            pass
        listener.accept()[0].close()
        code = (
            "import socket, sys, time; "
            "s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); time.sleep(1)"
        )
        child = subprocess.Popen([sys.executable, "-c", code, str(port)])
        listener.accept()[0].close()
        child.wait(timeout=30)


sys.addaudithook(_hook)
threading.Thread(target=_poll_children, args=(os.getpid(),), daemon=True).start()
_self_test()
sys.argv = ["streamlit", *sys.argv[1:]]
runpy.run_module("streamlit", run_name="__main__", alter_sys=True)
