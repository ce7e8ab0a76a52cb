"""Reader for the CBS wijk- en buurtkaart (sources.md section 1b; landing folder `cbs_kaart/<year>/`).

Reads GeoPackages (every layer, or a named one), shapefiles, bare `.dbf` attribute tables and
GeoJSON boundary files with pyogrio, and hands back each layer in one canonical shape:

- `area_code`, `area_name`, `level` ("gemeente" | "wijk" | "buurt"), `wijk_code` (buurt rows
  only), `gemeente_code`, `gemeente_name`, `water` (JA -> True, NEE -> False, else NULL), then
  every other attribute under its new lower-case long name (old short upper-case shapefile
  names are mapped), then `geometry` when the file has geometry;
- CBS marker values (-99999999, -99997, ...) in any column replaced by NULL, each one recorded
  as a `MarkerNull` with its reason;
- geometry in RD New (EPSG:28992): reprojected from any other CRS, assumed when missing.

This module only reads and reshapes. Whether a code is well-formed, unique or at the right level
is for `checks.kaart` to decide.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from sources.errors import UnreadableInput

RD_NEW = 28992

MARKERS: dict[int, str] = {
    -99999999: "geheim of niet aanwezig",
    -99999997: "geheim",
    -99997: "geheim of niet aanwezig",
    -99995: "wordt in een latere versie gepubliceerd",
    -99991: "wordt niet meer gepubliceerd",
}

LEVELS: tuple[str, ...] = ("gemeente", "wijk", "buurt")

# The suffixes `read_kaart_folder` picks up. (`read_kaart_file` opens whatever pyogrio opens.)
KAART_SUFFIXES: tuple[str, ...] = (".gpkg", ".shp", ".dbf", ".geojson")

CANONICAL_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_name",
    "level",
    "wijk_code",
    "gemeente_code",
    "gemeente_name",
    "water",
)

# Identity columns per level, most usual spelling first; matched case-insensitively.
# Shapefile (old) / GeoPackage (new) / boundary GeoJSON 2016 (WKC, GMC, ...).
_CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "buurt": ("BU_CODE", "buurtcode", "BUC"),
    "wijk": ("WK_CODE", "wijkcode", "WKC"),
    "gemeente": ("GM_CODE", "gemeentecode", "GMC"),
}
_NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "buurt": ("BU_NAAM", "buurtnaam", "BUN"),
    "wijk": ("WK_NAAM", "wijknaam", "WKN"),
    "gemeente": ("GM_NAAM", "gemeentenaam", "GMN"),
}
_WATER_COLUMNS: tuple[str, ...] = ("WATER",)
# The 2024 boundary GeoJSON: one code column for every level.
_STAT_CODE, _STAT_NAME, _STAT_KIND = "statcode", "statnaam", "rubriek"

_PREFIX_LEVEL: dict[str, str] = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}

# Old short upper-case shapefile names -> the new lower-case long names of the GeoPackages
# (the PDOK / GeoPackage spelling). Names not listed here are only lower-cased.
OLD_TO_NEW: dict[str, str] = {
    "BU_NAAM": "buurtnaam",
    "WK_CODE": "wijkcode",
    "WK_NAAM": "wijknaam",
    "GM_CODE": "gemeentecode",
    "GM_NAAM": "gemeentenaam",
    "IND_WBI": "indelingswijziging_wijken_en_buurten",
    "OAD": "omgevingsadressendichtheid",
    "STED": "stedelijkheid_adressen_per_km2",
    "AANT_INW": "aantal_inwoners",
    "AANT_MAN": "mannen",
    "AANT_VROUW": "vrouwen",
    "P_00_14_JR": "percentage_personen_0_tot_15_jaar",
    "P_15_24_JR": "percentage_personen_15_tot_25_jaar",
    "P_25_44_JR": "percentage_personen_25_tot_45_jaar",
    "P_45_64_JR": "percentage_personen_45_tot_65_jaar",
    "P_65_EO_JR": "percentage_personen_65_jaar_en_ouder",
    "P_ONGEHUWD": "percentage_ongehuwd",
    "P_GEHUWD": "percentage_gehuwd",
    "P_GESCHEID": "percentage_gescheid",
    "P_VERWEDUW": "percentage_verweduwd",
    "BEV_DICHTH": "bevolkingsdichtheid_inwoners_per_km2",
    "AANTAL_HH": "aantal_huishoudens",
    "P_EENP_HH": "percentage_eenpersoonshuishoudens",
    "P_HH_Z_K": "percentage_huishoudens_zonder_kinderen",
    "P_HH_M_K": "percentage_huishoudens_met_kinderen",
    "GEM_HH_GR": "gemiddelde_huishoudsgrootte",
    "P_WEST_AL": "percentage_westerse_migratieachtergrond",
    "P_N_W_AL": "percentage_niet_westerse_migratieachtergrond",
    "P_MAROKKO": "percentage_uit_marokko",
    "P_ANT_ARU": "percentage_uit_nederlandse_antillen_en_aruba",
    "P_SURINAM": "percentage_uit_suriname",
    "P_TURKIJE": "percentage_uit_turkije",
    "P_OVER_NW": "percentage_overige_nietwestersemigratieachtergrond",
    "WONINGEN": "woningvoorraad",
    "WOZ": "gemiddelde_woningwaarde",
    "P_HUURWON": "percentage_huurwoningen",
    "P_KOOPWON": "percentage_koopwoningen",
    "OPP_TOT": "oppervlakte_totaal_in_ha",
    "OPP_LAND": "oppervlakte_land_in_ha",
    "OPP_WATER": "oppervlakte_water_in_ha",
}

# dBASE version bytes GDAL and ArcGIS write (III, IV, V, FoxPro, Visual FoxPro, with/without memo).
_DBF_VERSIONS = frozenset({0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E})
_DBF_VERSIONS |= frozenset({0xCB, 0xE5, 0xF5, 0xFB})


class KaartReadError(UnreadableInput):
    """A kaart file cannot be read; str() is "<path>: <problem>"."""


@dataclass(frozen=True)
class MarkerNull:
    """One marker value read as NULL. `row` is the 1-based data row of the layer."""

    row: int
    column: str
    value: float
    reason: str


@dataclass
class KaartLayer:
    path: Path
    layer: str | None
    level: str
    frame: pd.DataFrame
    nulls: list[MarkerNull] = field(default_factory=list)
    sha256: str = ""
    rows_read: int = 0


# --- public -------------------------------------------------------------------------------


def read_kaart_file(path: Path, layer: str | None = None) -> list[KaartLayer]:
    """Every layer of one kaart file (or only `layer`), each in the canonical shape.

    A GeoPackage gives one KaartLayer per layer (`layer` set to its name); a shapefile, a bare
    `.dbf` or a GeoJSON gives one (`layer` None). Raises KaartReadError when the file is
    missing, empty, not a GIS file, a truncated dBASE table, or has no area code column."""
    path = Path(path)
    files = _files_of(path)
    for dbf in (f for f in files if f.suffix.lower() == ".dbf"):
        _check_dbf(dbf)
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        raise KaartReadError(path, f"not a readable GIS file ({_short(exc)})") from exc
    names = [str(row[0]) for row in listed]
    if not names:
        raise KaartReadError(path, "the file holds no layers")
    if layer is not None and layer not in names:
        raise KaartReadError(path, f"no layer named {layer!r} (layers: {', '.join(names)})")
    wanted = [layer] if layer is not None else names
    multi = path.suffix.lower() == ".gpkg" or len(names) > 1
    digest = _sha256(files)
    layers = []
    for name in wanted:
        try:
            raw = pyogrio.read_dataframe(path, layer=name)
        except Exception as exc:
            where = f"layer {name!r}: " if multi else ""
            raise KaartReadError(path, f"{where}cannot be read ({_short(exc)})") from exc
        label = name if multi else None
        frame, level, nulls = _canonical(raw, path, label)
        layers.append(
            KaartLayer(
                path=path,
                layer=label,
                level=level,
                frame=frame,
                nulls=nulls,
                sha256=digest,
                rows_read=len(frame),
            )
        )
    return layers


def read_kaart_folder(folder: Path) -> list[KaartLayer]:
    """Every kaart file in `folder` (e.g. `cbs_kaart/2024/`), in name order.

    A shapefile's `.dbf` is read with its `.shp`, not again on its own; files whose suffix is
    not one of KAART_SUFFIXES (`.prj`, `.cpg`, `.shx`, ...) are ignored."""
    folder = Path(folder)
    if not folder.is_dir():
        raise KaartReadError(folder, "not a folder")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in KAART_SUFFIXES
    )
    shp_stems = {p.stem.lower() for p in files if p.suffix.lower() == ".shp"}
    files = [p for p in files if not (p.suffix.lower() == ".dbf" and p.stem.lower() in shp_stems)]
    if not files:
        raise KaartReadError(folder, f"no kaart files ({', '.join(KAART_SUFFIXES)}) in the folder")
    layers: list[KaartLayer] = []
    for p in files:
        layers.extend(read_kaart_file(p))
    return layers


# --- files --------------------------------------------------------------------------------


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file next to `path` with the same stem and `suffix`, in any letter case."""
    exact = path.with_suffix(suffix)
    if exact.is_file():
        return exact
    for candidate in path.parent.iterdir():
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _files_of(path: Path) -> list[Path]:
    """The files whose bytes make up the input (hashed and checked), after basic checks."""
    if not path.exists():
        raise KaartReadError(path, "file not found")
    if path.is_dir():
        raise KaartReadError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise KaartReadError(path, "empty file (0 bytes)")
    suffix = path.suffix.lower()
    if suffix == ".shp":
        dbf = _sibling(path, ".dbf")
        if dbf is None:
            raise KaartReadError(path, "shapefile without its .dbf attribute table")
        return [dbf, path]
    if suffix == ".dbf":
        shp = _sibling(path, ".shp")
        # With a .shp next to it GDAL reads the .dbf as the whole shapefile, geometry included.
        return [path, shp] if shp is not None else [path]
    return [path]


def _check_dbf(path: Path) -> None:
    """Reject what is not a dBASE table, or is one cut short (GDAL fails late, or silently)."""
    size = path.stat().st_size
    if size == 0:
        raise KaartReadError(path, "empty file (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(32)
    if len(head) < 32 or head[0] not in _DBF_VERSIONS:
        raise KaartReadError(path, "not a dBASE (.dbf) table: no valid dBASE header")
    records, header_len, record_len = struct.unpack("<IHH", head[4:12])
    if header_len < 33 or record_len < 1:
        raise KaartReadError(path, "not a dBASE (.dbf) table: invalid header or record length")
    expected = header_len + records * record_len
    if size < expected:
        raise KaartReadError(
            path,
            f"truncated dBASE (.dbf) table: the header declares {records} records of "
            f"{record_len} bytes ({expected} bytes in all), the file has {size} bytes",
        )


def _sha256(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _short(exc: Exception) -> str:
    return str(exc).split("; It might help")[0].strip() or type(exc).__name__


# --- reshaping ----------------------------------------------------------------------------


def _find(columns: dict[str, str], candidates: Iterable[str]) -> str | None:
    """The actual column name for the first candidate present (case-insensitive)."""
    for c in candidates:
        if c.lower() in columns:
            return columns[c.lower()]
    return None


def _clean_str(series: pd.Series) -> pd.Series:
    """Strings with padding spaces stripped; blank -> NULL."""
    s = series.astype("str").str.strip()
    return s.mask(s == "")


def _derive(codes: pd.Series, pattern: str, prefix: str) -> pd.Series:
    """A code of a higher level cut out of the area code (e.g. GM1916 from WK191602)."""
    part = codes.str.extract(pattern, expand=False)
    return (prefix + part).astype("str")


def _canonical(
    raw: pd.DataFrame, path: Path, layer: str | None
) -> tuple[pd.DataFrame, str, list[MarkerNull]]:
    where = f"layer {layer!r}: " if layer else ""
    geometry = None
    if isinstance(raw, gpd.GeoDataFrame) and raw.geometry.name in raw.columns:
        geometry = _to_rd_new(raw).geometry
        raw = pd.DataFrame(raw.drop(columns=raw.geometry.name))
    raw = raw.reset_index(drop=True)
    columns = {c.lower(): c for c in raw.columns}
    n = len(raw)

    code_col = {lvl: _find(columns, cands) for lvl, cands in _CODE_COLUMNS.items()}
    name_col = {lvl: _find(columns, cands) for lvl, cands in _NAME_COLUMNS.items()}
    water_col = _find(columns, _WATER_COLUMNS)
    stat_code = _find(columns, [_STAT_CODE])
    stat_name = _find(columns, [_STAT_NAME])
    stat_kind = _find(columns, [_STAT_KIND])
    consumed: set[str] = {c for c in (water_col, stat_code, stat_name, stat_kind) if c}

    level = next((lvl for lvl in ("buurt", "wijk", "gemeente") if code_col[lvl]), None)
    if level is not None:
        code = _clean_str(raw[code_col[level]])
        name_src = name_col[level]
        consumed |= {code_col[level]}
    elif stat_code is not None:
        code = _clean_str(raw[stat_code])
        level = _stat_level(code, raw[stat_kind] if stat_kind else None)
        if level is None:
            raise KaartReadError(path, f"{where}cannot tell the level of the {stat_code} codes")
        name_src = stat_name
    else:
        raise KaartReadError(
            path,
            f"{where}no area code column (looked for BU_CODE/buurtcode, WK_CODE/wijkcode, "
            f"GM_CODE/gemeentecode, WKC, GMC or statcode; found {', '.join(raw.columns)})",
        )
    if name_src:
        consumed.add(name_src)
    name = _clean_str(raw[name_src]) if name_src else pd.Series([None] * n, dtype="str")

    if level == "buurt":
        if code_col["wijk"]:
            wijk = _clean_str(raw[code_col["wijk"]])
            consumed.add(code_col["wijk"])
        else:
            wijk = _derive(code, r"^BU(\d{4}[0-9A-Z]{2})", "WK")
    else:
        wijk = pd.Series([None] * n, dtype="str")
    if level == "gemeente":
        gm_code = code
    elif code_col["gemeente"]:
        gm_code = _clean_str(raw[code_col["gemeente"]])
        consumed.add(code_col["gemeente"])
    else:
        gm_code = _derive(code, r"^(?:GM|WK|BU)(\d{4})", "GM")
    if name_col["gemeente"]:
        gm_name = _clean_str(raw[name_col["gemeente"]])
        consumed.add(name_col["gemeente"])
    else:
        gm_name = pd.Series([None] * n, dtype="str")
    if water_col:
        flag = raw[water_col].astype("str").str.strip().str.upper()
        water = flag.map({"JA": True, "NEE": False}).astype("boolean")
    else:
        water = pd.Series([pd.NA] * n, dtype="boolean")

    out = pd.DataFrame(
        {
            "area_code": code,
            "area_name": name,
            "level": pd.Series([level] * n, dtype="str"),
            "wijk_code": wijk,
            "gemeente_code": gm_code,
            "gemeente_name": gm_name,
            "water": water,
        }
    )
    nulls: list[MarkerNull] = []
    for col in raw.columns:
        if col in consumed:
            continue
        new = OLD_TO_NEW.get(col.upper(), col.lower()) if col.isupper() else col.lower()
        if new in out.columns:
            raise KaartReadError(path, f"{where}two columns read as {new!r} (one is {col!r})")
        values, found = _without_markers(raw[col], new)
        out[new] = values
        nulls.extend(found)
    nulls.sort(key=lambda m: (m.row, out.columns.get_loc(m.column)))
    if geometry is not None:
        out = gpd.GeoDataFrame(out, geometry=geometry.reset_index(drop=True), crs=RD_NEW)
    return out, level, nulls


def _stat_level(code: pd.Series, kind: pd.Series | None) -> str | None:
    """The level of a `statcode` layer: the most frequent code prefix, else `rubriek`."""
    levels = code.str[:2].map(_PREFIX_LEVEL).dropna()
    if levels.empty and kind is not None:
        levels = kind.astype("str").str.strip().str.lower()
        levels = levels[levels.isin(LEVELS)]
    if levels.empty:
        return None
    return str(levels.value_counts().index[0])


def _without_markers(series: pd.Series, column: str) -> tuple[pd.Series, list[MarkerNull]]:
    """The column with marker values as NULL (numbers as nullable Int64/Float64)."""
    if pd.api.types.is_bool_dtype(series):
        return series, []
    if pd.api.types.is_integer_dtype(series):
        values = series.astype("Int64")
        numbers = values.astype("Float64")
    elif pd.api.types.is_float_dtype(series):
        values = series.astype("Float64")
        numbers = values
    elif pd.api.types.is_string_dtype(series) or series.dtype == object:
        values = series
        numbers = pd.to_numeric(series.astype("str").str.strip(), errors="coerce")
        numbers = numbers.astype("Float64")
    else:
        return series, []
    hit = numbers.isin([float(m) for m in MARKERS]).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return values, []
    found = [
        MarkerNull(
            row=int(i) + 1,
            column=column,
            value=float(numbers.iloc[i]),
            reason=f"{int(numbers.iloc[i])}: {MARKERS[int(numbers.iloc[i])]}",
        )
        for i in hit.nonzero()[0]
    ]
    return values.mask(hit), found


def _to_rd_new(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Geometry in EPSG:28992: reprojected from another CRS, assumed when the file has none."""
    if frame.crs is None:
        return frame.set_crs(RD_NEW)
    if frame.crs.to_epsg() == RD_NEW:
        # Also the ESRI "RD_New" .prj of the shapefiles: the same CRS under another name.
        return frame.set_crs(RD_NEW, allow_override=True)
    return frame.to_crs(RD_NEW)
