"""A cohort from a file on the server, with or without its codebook (``HCCDASH_DATA``).

``HCCDASH_DATA=PATH`` (any format :func:`hccdash.io.read_table` reads) and the optional
``HCCDASH_CODEBOOK=PATH`` make that cohort every session's default in the app, and the CLI's
input when no file is given. With a codebook the file is read as it describes
(:func:`hccdash.codebook.apply_codebook`); without one the columns are guessed as on the data
page (:func:`hccdash.mapping.guess_mapping`) and checked (:func:`hccdash.datacheck.check`):
any fatal problem stops the load with the first message, nothing is excluded silently.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hccdash.codebook import Codebook, apply_codebook, complete
from hccdash.errors import InputError
from hccdash.schema import Cohort

DATA_ENV, CODEBOOK_ENV = "HCCDASH_DATA", "HCCDASH_CODEBOOK"
SERVER_MAX_MB = 4096.0  # a server-side file is not an upload: no upload cap


def env_paths() -> tuple[Path | None, Path | None]:
    """The paths named by ``HCCDASH_DATA`` and ``HCCDASH_CODEBOOK`` (None when unset)."""
    data, cb = os.environ.get(DATA_ENV, "").strip(), os.environ.get(CODEBOOK_ENV, "").strip()
    return (Path(data) if data else None, Path(cb) if cb else None)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (the cohort's identity, with its codebook's)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_cohort_file(path: str | Path, codebook: str | Path | Codebook | None = None) -> Cohort:
    """Read a cohort file (and its codebook) into a :class:`~hccdash.schema.Cohort`.

    Raises
    ------
    hccdash.errors.HccdashError
        Unreadable file or codebook, columns the codebook names but the file lacks, event
        codes outside the coding, or (without a codebook) no endpoint found or fatal rows.
    """
    from hccdash import datacheck
    from hccdash import io as hio
    from hccdash.mapping import guess_mapping, mapping_codebook, unit_check
    from hccdash.validate import complete_cases, validate_survival

    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"cohort file {str(path)!r} does not exist; fix: set {DATA_ENV} (or give the CLI a "
            "FILE) to the path of a CSV, XLSX, Parquet, .sav, .dta or .sas7bdat file."
        )
    table = hio.read_table(path, max_mb=SERVER_MAX_MB)
    if codebook is not None:
        cb = codebook if isinstance(codebook, Codebook) else Codebook.read(codebook)
        data = apply_codebook(table.data, cb, source=path.name)
        cb = complete(cb, data)
        for e in cb.endpoints:
            frame, _ = complete_cases(data, [e.time, e.event])
            if len(frame):
                validate_survival(frame, e.time, e.event)
        return Cohort(name=cb.name or path.name, data=data, source=path.name, codebook=cb)
    mapping = guess_mapping(table.data)
    if not (mapping.has_os() or mapping.has_pfs()):
        raise InputError(
            f"{path.name}: no time and event columns recognised (columns: "
            f"{', '.join(map(repr, list(table.data.columns)[:8]))}); fix: give a codebook "
            f"({CODEBOOK_ENV} or --codebook) naming the endpoint's time and event columns."
        )
    advice = unit_check(table.data, mapping)
    if advice is not None:  # a unit that does not fit: say which, never drop the rows
        said = advice.message.rsplit(". ", 1)[0].rstrip(".")
        raise InputError(
            f"{path.name}: {said}; fix: give a codebook ({CODEBOOK_ENV} or --codebook) whose "
            f'endpoint has "unit": "{advice.suggested}" (the data page writes one: upload the '
            "file, choose the unit, download the codebook)."
        )
    report = datacheck.check(table.data, mapping)
    if report.fatal:
        raise InputError(f"{path.name}: {report.first_error()}")
    cb = mapping_codebook(
        table.data,
        mapping,
        report.data,
        file_labels=getattr(table, "variable_labels", {}),
        file_levels=getattr(table, "value_levels", {}),
    )
    return datacheck.to_cohort(report, name=path.name, source=path.name, codebook=cb)
