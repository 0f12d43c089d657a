"""Read a cohort file (CSV, TSV, XLSX, Parquet) into a DataFrame, from a path or from bytes.

The reader is defensive because spreadsheets from clinics are messy: the delimiter is sniffed
(comma, semicolon, tab, pipe), the encoding detected (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
GB18030/GBK, Windows-1252/Latin-1), decimal commas converted, and every cell is read as text
first so that nothing is guessed silently: a column becomes numeric only when every non-empty
cell parses as a number. CSV/TSV and Parquet are parsed by pyarrow into dictionary-encoded
columns and each column is typed on its distinct values, so text columns come back as pandas
Categoricals (levels in R's order) and the cost per cell is one integer take. The source is
never modified; bytes are parsed in memory.

Every failure is a :class:`hccdash.errors.FileReadError` whose message names the file, says what
was found and how to fix it.

The package, one job per module:

- :mod:`~hccdash.io.formats`: the size limit, format detection, :class:`TableFile`;
- :mod:`~hccdash.io.text`: encodings, delimiters, CSV/TSV reading;
- :mod:`~hccdash.io.columns`: the header check and each column's type (decimal commas);
- :mod:`~hccdash.io.xlsx`: workbooks and their sheets;
- :mod:`~hccdash.io.parquet`: Parquet files;
- :mod:`~hccdash.io.read`: :func:`read_table`, the one entry point;
- :mod:`~hccdash.io.worker`: XLSX, Parquet and SPSS/Stata/SAS parsed in a worker process with
  a memory and a time bound (:func:`read_table` sends them there; a Parquet file whose footer
  bounds its read to a small share of that budget is read in-process);
- :mod:`~hccdash.io.cells`: :func:`map_unique`, :func:`map_levels` and the formula defusing of
  shown cells;
- :mod:`~hccdash.io.arrowcsv`: the columnar CSV/TSV reader (pyarrow), the default;
- :mod:`~hccdash.io.distinct`: a column typed on its distinct values (text as Categoricals).

The public names are importable from ``hccdash.io``; a test that patches a module-level
constant patches the module that reads it (``hccdash.io.xlsx.MAX_CELLS``).
"""

from hccdash.io.cells import formula_cells, map_levels, map_unique, neutralise_formulas
from hccdash.io.columns import MAX_COLUMNS, NA_VALUES
from hccdash.io.formats import (
    DEFAULT_MAX_MB,
    DELIMITER_NAMES,
    DELIMITERS,
    EXTENSIONS,
    MB,
    TableFile,
    detect_format,
)
from hccdash.io.read import read_table
from hccdash.io.text import detect_encoding, sniff_delimiter
from hccdash.io.xlsx import MAX_CELLS, list_sheets

__all__ = [
    "DEFAULT_MAX_MB",
    "DELIMITERS",
    "DELIMITER_NAMES",
    "EXTENSIONS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MB",
    "NA_VALUES",
    "TableFile",
    "detect_encoding",
    "detect_format",
    "formula_cells",
    "list_sheets",
    "map_levels",
    "map_unique",
    "neutralise_formulas",
    "read_table",
    "sniff_delimiter",
]
