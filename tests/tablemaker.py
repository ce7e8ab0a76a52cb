"""Build a Kerncijfers table in the StatLine wire format from a small spec, for tests.

Keys get numeric suffixes from a chosen offset, so a test can serve other suffixes than the
demo's; codes and SoortRegio are padded to 10 characters as CBS does."""

from __future__ import annotations

GEO_DETAILS = ["Gemeentenaam", "SoortRegio", "Codering", "IndelingswijzigingWijkenEnBuurten"]
SOORT = {"NL": "Land", "GM": "Gemeente", "WK": "Wijk", "BU": "Buurt"}


def make_table(
    table_id: str,
    year: int,
    areas: list[dict],
    stems: list[str],
    first_suffix: int = 1,
    gemeente_names: dict[str, str] | None = None,
) -> dict[str, list[dict]]:
    """areas: [{"code": "WK191602", "name": "Prinsenhof", "values": {stem: number | None}}]."""
    gemeente_names = gemeente_names or {}
    keys = {}
    n = first_suffix
    for stem in GEO_DETAILS + stems:
        keys[stem] = f"{stem}_{n}"
        n += 1
    props = [
        {
            "odata.type": "Cbs.OData.GeoDimension",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "GeoDimension",
            "Key": "WijkenEnBuurten",
            "Title": "Wijken en buurten",
        }
    ]
    for i, stem in enumerate(GEO_DETAILS + stems, start=1):
        is_topic = stem in stems
        props.append(
            {
                "odata.type": "Cbs.OData.Topic" if is_topic else "Cbs.OData.GeoDetail",
                "ID": i,
                "Position": i,
                "ParentID": None,
                "Type": "Double" if is_topic else "String",
                "Key": keys[stem],
                "Title": stem,
                "Description": "",
                "Datatype": "Double" if is_topic else "String",
                "Unit": "aantal" if is_topic else None,
                "Decimals": 0,
            }
        )
    rows, dim = [], []
    for i, a in enumerate(areas):
        code = a["code"]
        gm = "GM" + code[2:6] if code != "NL00" else None
        row = {
            "ID": i,
            "WijkenEnBuurten": code.ljust(10),
            keys["Gemeentenaam"]: (
                gemeente_names.get(gm, "Nederland") if gm else "Nederland"
            ).ljust(40),
            keys["SoortRegio"]: SOORT[code[:2]].ljust(10),
            keys["Codering"]: code.ljust(10),
            keys["IndelingswijzigingWijkenEnBuurten"]: "1",
        }
        for stem in stems:
            row[keys[stem]] = a["values"].get(stem)
        rows.append(row)
        dim.append({"Key": code.ljust(10), "Title": a.get("name", code), "Description": None})
    info = [
        {
            "ID": 0,
            "Title": f"Kerncijfers wijken en buurten {year}",
            "Identifier": table_id,
            "Modified": f"{year + 2}-03-01T02:00:00",
            "Period": str(year),
        }
    ]
    return {
        "TableInfos": info,
        "DataProperties": props,
        "TypedDataSet": rows,
        "WijkenEnBuurten": dim,
    }
