"""One figure specification for every figure kind, as JSON, as a URL query and as CLI flags.

A :class:`FigureSpec` holds every choice a user makes about a figure (texts, colours, axes,
what the risk table shows, annotations, size preset) and nothing about the data. The pages,
the URL (``?fig_title=...``), the CLI (``figure km ... --spec FILE.json``) and the ZIP export all
build figures from a spec, so the same data and the same spec give the same file anywhere.

``None`` in a text field means "the default" (the endpoint's name for a title, the stratifying
variable's label for a legend title); ``""`` means "no text".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace

from hccdash.codebook.units import TO_MONTHS
from hccdash.errors import InputError
from hccdash.style import SIZE_PRESETS

KINDS = ("km", "cif", "forest", "schoenfeld")
PALETTES = ("okabe-ito", "greyscale")
RISK_TABLES = ("none", "at-risk", "kmunicate")
CI_BANDS = ("auto", "on", "off")
CENSOR_MARKS = ("+", "|", "none")
ANNOTATION_POSITIONS = ("above", "top-right", "bottom-left", "none")
TIME_UNITS = tuple(TO_MONTHS)  # the one table of units (hccdash.codebook.units)
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
SPEC_VERSION = 1


@dataclass(frozen=True)
class FigureSpec:
    """Every user choice about one figure; frozen, hashable, JSON and URL round trip.

    Attributes
    ----------
    kind : {"km", "cif", "forest", "schoenfeld"}
    preset : str
        A key of :data:`hccdash.style.SIZE_PRESETS` ("screen", "slide-1920", ...).
    title, xlabel, ylabel, legend_title : str or None
        ``None``: the default text; ``""``: none.
    group_labels : tuple of (level, label)
        Display label per level (the data keep their level).
    palette : {"okabe-ito", "greyscale"}
    colors : tuple of (level, "#RRGGBB")
        Colour override per level.
    y_percent : bool
        y axis in percent (0-100 %) instead of a proportion (0-1.00).
    x_max, x_break : float or None
        Right end of the time axis and tick interval, in ``time_unit``; ``None``: automatic.
    time_unit : {"days", "weeks", "months", "years"} or None
        Display unit; ``None``: the endpoint's unit.
    risk_table : {"none", "at-risk", "kmunicate"}
        KMunicate: number at risk with cumulative events and censored, ``18 (2, 1)``.
    caption : bool
        Methods caption (n, events, test, CI method) in the image.
    ci : {"auto", "on", "off"}
        CI bands; auto draws them for one curve only (as survminer and Prism).
    censor : {"+", "|", "none"}
    median_lines : bool
    annotation : {"above", "top-right", "bottom-left", "none"}
        Where the test and HR text goes: a band above the plot (never over curves) or inside.
    show_test, show_hr : bool
    reference : str or None
        Reference level of the HR; ``None``: the cohort's reference (first level).
    """

    kind: str = "km"
    preset: str = "slide-1920"
    title: str | None = None
    xlabel: str | None = None
    ylabel: str | None = None
    legend_title: str | None = None
    group_labels: tuple[tuple[str, str], ...] = ()
    palette: str = "okabe-ito"
    colors: tuple[tuple[str, str], ...] = ()
    y_percent: bool = False
    x_max: float | None = None
    x_break: float | None = None
    time_unit: str | None = None
    risk_table: str = "kmunicate"
    caption: bool = True
    ci: str = "auto"
    censor: str = "+"
    median_lines: bool = False
    annotation: str = "above"
    show_test: bool = True
    show_hr: bool = True
    reference: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        # Mappings are stored sorted by level, so equal mappings give equal specs and JSON.
        for name in ("group_labels", "colors", "extra"):
            value = tuple(sorted((str(k), str(v)) for k, v in dict(getattr(self, name)).items()))
            object.__setattr__(self, name, value)
        problems = []
        for name, allowed in (
            ("kind", KINDS),
            ("palette", PALETTES),
            ("risk_table", RISK_TABLES),
            ("ci", CI_BANDS),
            ("censor", CENSOR_MARKS),
            ("annotation", ANNOTATION_POSITIONS),
        ):
            if getattr(self, name) not in allowed:
                problems.append(f"{name}={getattr(self, name)!r} (use one of {list(allowed)})")
        if self.preset not in SIZE_PRESETS:
            problems.append(f"preset={self.preset!r} (use one of {list(SIZE_PRESETS)})")
        if self.time_unit is not None and self.time_unit not in TIME_UNITS:
            problems.append(f"time_unit={self.time_unit!r} (use one of {list(TIME_UNITS)})")
        for name in ("x_max", "x_break"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and 0 < v < 1e9):
                problems.append(f"{name}={v!r} (a positive number, or empty for automatic)")
        bad_colors = [c for _, c in self.colors if not _HEX.match(str(c))]
        if bad_colors:
            problems.append(f"colors {bad_colors!r} (use #RRGGBB)")
        if problems:
            raise InputError("Figure options not valid: " + "; ".join(problems) + ".")

    # ---- mappings -----------------------------------------------------------------------
    def label_for(self, level: object) -> str:
        """The display label of a level (its own text unless renamed)."""
        return dict(self.group_labels).get(str(level), str(level))

    def color_override(self, level: object) -> str | None:
        return dict(self.colors).get(str(level))

    def with_preset(self, preset: str) -> FigureSpec:
        return replace(self, preset=preset)

    # ---- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-able dict; mappings as objects; ``version`` for later changes."""
        d = asdict(self)
        for name in ("group_labels", "colors", "extra"):
            d[name] = dict(getattr(self, name))
        return {"version": SPEC_VERSION, **d}

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): equal specs give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, indent=1)

    @classmethod
    def from_dict(cls, data: Mapping) -> FigureSpec:
        """Inverse of :meth:`to_dict`; unknown keys are an error that names them."""
        if not isinstance(data, Mapping):
            raise InputError(f"A figure specification is a JSON object, got {type(data).__name__}.")
        data = dict(data)
        data.pop("version", None)
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InputError(
                f"Figure specification has unknown keys {unknown!r}; known keys: {sorted(names)}."
            )
        for name in ("group_labels", "colors", "extra"):
            if name in data:
                value = data[name] or {}
                if not isinstance(value, Mapping):
                    raise InputError(f"Figure specification {name!r} must be an object.")
                data[name] = tuple((str(k), str(v)) for k, v in value.items())
        for name in ("x_max", "x_break"):
            if data.get(name) is not None:
                data[name] = _number(name, data[name])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str, *, source: str = "the figure specification") -> FigureSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from None
        return cls.from_dict(data)

    # ---- URL query ----------------------------------------------------------------------
    def to_query(self, prefix: str = "fig") -> dict[str, str]:
        """Query parameters of the options that differ from the defaults (``fig_title=...``)."""
        base = FigureSpec(kind=self.kind)
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name == "kind":
                continue
            value = getattr(self, f.name)
            if value == getattr(base, f.name):
                continue
            key = f"{prefix}_{f.name}"
            if f.name in ("group_labels", "colors", "extra"):
                out[key] = json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"))
            elif isinstance(value, bool):
                out[key] = "1" if value else "0"
            elif value is None:
                out[key] = "~"  # explicit "default" that differs from a non-None default
            elif isinstance(value, float):
                out[key] = f"{value:g}"
            else:
                # "~" means None: a text that starts with "~" (a title, a level) gets one more,
                # which the reader takes off again.
                text = str(value)
                out[key] = "~" + text if text.startswith("~") else text
        return out

    @classmethod
    def from_query(
        cls, params: Mapping[str, str], *, kind: str = "km", prefix: str = "fig"
    ) -> tuple[FigureSpec, list[str]]:
        """The spec in ``params`` (other keys ignored) and a warning per value ignored."""
        base = cls(kind=kind)
        types = {f.name: getattr(base, f.name) for f in fields(cls)}
        changes: dict[str, object] = {}
        warnings: list[str] = []
        for key, raw in params.items():
            if not key.startswith(prefix + "_"):
                continue
            name = key[len(prefix) + 1 :]
            if name not in types or name == "kind":
                warnings.append(f"URL option {key!r} is not a figure option: ignored.")
                continue
            raw = str(raw)
            try:
                if name in ("group_labels", "colors", "extra"):
                    value = json.loads(raw)
                    if not isinstance(value, dict):
                        raise ValueError("not an object")
                    changes[name] = tuple((str(k), str(v)) for k, v in value.items())
                elif isinstance(types[name], bool):
                    if raw not in ("0", "1"):
                        raise ValueError("use 0 or 1")
                    changes[name] = raw == "1"
                elif raw == "~":
                    changes[name] = None
                elif name in ("x_max", "x_break"):
                    changes[name] = float(raw)
                else:
                    changes[name] = raw[1:] if raw.startswith("~~") else raw
            except ValueError as exc:
                warnings.append(f"URL option {key}={raw!r} ignored ({exc}).")
        spec = base
        for name, value in changes.items():
            try:
                spec = replace(spec, **{name: value})
            except InputError as exc:
                warnings.append(f"URL option {prefix}_{name} ignored: {exc}")
        return spec, warnings


def _number(name: str, value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"Figure specification {name}={value!r} is not a number.") from None


def load_spec(path: str) -> FigureSpec:
    """Read a spec JSON file (as saved by the page's "Save options" button)."""
    from pathlib import Path

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot read --spec {path!r}: {exc.strerror or exc}.") from None
    return FigureSpec.from_json(text, source=f"--spec {path!r}")
