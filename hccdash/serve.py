"""``hccdash serve``: start the dashboard from the installed package, in any directory.

It runs ``streamlit run`` on the packaged ``app.py`` (:func:`hccdash.resources.app_script`)
with the shipped Streamlit settings (no usage statistics, headless, upload limit, theme)
given as command-line options, so they hold whatever the current directory holds. A
server-side cohort and its codebook are handed to the app through the environment variables
``HCCDASH_DATA`` and ``HCCDASH_CODEBOOK`` (absolute paths, checked here first: a bad path is
one line on stderr and exit code 2, before anything starts). A cohort the engine serves in
place (``HCCDASH_ENGINE``, :mod:`hccdash.engine.startup`) is opened once in a child process
first: missing columns, bad codes or a Spark URL that does not answer stop start-up the same
way.

Sign-in (``st.login``, see :mod:`hccdash.ui.auth`) reads ``.streamlit/secrets.toml`` of the
current directory or of ``~/.streamlit/``, or the file given with ``--secrets``.

Examples
--------
>>> argv = streamlit_argv(port=8600, address="127.0.0.1")
>>> argv[1:4] == ["-m", "streamlit", "run"]
True
>>> "--server.port=8600" in argv and "--browser.gatherUsageStats=false" in argv
True
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from hccdash import resources
from hccdash.errors import InputError

DATA_ENV = "HCCDASH_DATA"
CODEBOOK_ENV = "HCCDASH_CODEBOOK"
DEFAULT_PORT = 8501
# Loopback by default: a dashboard holding patient data is opened to a network on purpose
# (--address 0.0.0.0 in a container or behind a reverse proxy), never by accident.
DEFAULT_ADDRESS = "127.0.0.1"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser(
        "serve",
        help="start the dashboard in the browser (Streamlit)",
        description=(
            "Start the dashboard from the installed package. Open the printed URL in a "
            "browser. Options after '--' are passed to 'streamlit run' (for example "
            "-- --server.maxUploadSize 200)."
        ),
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        help=f"a server-side cohort file shown instead of the bundled one (sets {DATA_ENV})",
    )
    p.add_argument(
        "--codebook", metavar="PATH", help=f"the cohort's codebook JSON (sets {CODEBOOK_ENV})"
    )
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help="TCP port (default 8501)")
    p.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        metavar="A",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for all)",
    )
    p.add_argument(
        "--secrets",
        metavar="PATH",
        help="secrets.toml with the sign-in ([auth]) settings (default: .streamlit/secrets.toml)",
    )
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=run_serve)


def _existing(path: str, what: str, flag: str, *, file_only: bool) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(
            f"{flag} {path!r}: no such {what}; fix: give the path of an existing {what}."
        )
    if file_only and not p.is_file():
        raise InputError(f"{flag} {path!r} is not a file; fix: give the path of the {what}.")
    if not os.access(p, os.R_OK):
        raise InputError(f"{flag} {path!r} is not readable by this user; fix: check permissions.")
    return p.resolve()


def serve_env(
    data: str | None = None, codebook: str | None = None, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The app's environment: ``HCCDASH_DATA``/``HCCDASH_CODEBOOK`` as absolute paths.

    Raises
    ------
    InputError
        A path that does not exist or cannot be read (the message names it and the flag),
        or an engine setting that is not valid (:mod:`hccdash.engine.limits`).
    """
    env = dict(os.environ if base is None else base)
    # a flag, else the variable already set (named in the message): checked either way
    data, data_flag = (data, "--data") if data is not None else (env.get(DATA_ENV), DATA_ENV)
    if data is not None and data.strip():
        env[DATA_ENV] = str(_existing(data.strip(), "file or folder", data_flag, file_only=False))
    book, book_flag = (
        (codebook, "--codebook") if codebook is not None else (env.get(CODEBOOK_ENV), CODEBOOK_ENV)
    )
    if book is not None and book.strip():
        env[CODEBOOK_ENV] = str(_existing(book.strip(), "file", book_flag, file_only=True))
    from hccdash.engine.limits import limits_from_env

    limits_from_env(env)  # HCCDASH_DUCKDB_MEMORY/_THREADS/_TEMP: a bad value stops start-up
    from hccdash.served_pages import in_memory_rows

    in_memory_rows(env)  # HCCDASH_IN_MEMORY_ROWS likewise
    return env


def _config_flags() -> list[str]:
    """The shipped ``.streamlit/config.toml`` as ``--section.key=value`` options."""
    path = resources.streamlit_config()
    if not path.is_file():
        return []
    with path.open("rb") as fh:
        config = tomllib.load(fh)
    flags = []
    for section, values in config.items():
        for key, value in values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{key}={text}")
    return flags


def streamlit_argv(
    port: int = DEFAULT_PORT,
    address: str = DEFAULT_ADDRESS,
    secrets: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``python -m streamlit run app.py ...`` command line of :func:`run_serve`."""
    argv = [sys.executable, "-m", "streamlit", "run", str(resources.app_script())]
    argv += _config_flags()
    argv += [f"--server.port={port}", f"--server.address={address}"]
    argv += ["--server.headless=true", "--browser.gatherUsageStats=false"]
    if secrets is not None:
        argv.append(f"--secrets.files={_existing(secrets, 'file', '--secrets', file_only=True)}")
    return argv + [a for a in extra if a != "--"]


def run_serve(args: argparse.Namespace) -> int:
    """Check the paths and the server's cohort on the engine (:mod:`hccdash.engine.startup`),
    then replace this process by the Streamlit server."""
    env = serve_env(args.data, args.codebook)
    from hccdash.engine.startup import startup_check

    startup_check(env)  # a cohort the engine cannot use: one line, exit 2 (hccdash.cli.main)
    argv = streamlit_argv(args.port, args.address, args.secrets, args.streamlit_args or ())
    shown = "localhost" if args.address in ("127.0.0.1", "0.0.0.0") else args.address
    print(f"hccdash {_version()}: http://{shown}:{args.port}  (Ctrl+C stops)", file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    os.execve(argv[0], argv, env)
    return 0  # pragma: no cover - execve does not return


def _version() -> str:
    from hccdash import __version__

    return __version__
