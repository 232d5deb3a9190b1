"""The municipality's product list: read, checked against the code lists, sent to laptops.

Owns `kitchentable-office products FILE`: reading the list (JSON `{"products": [...]}` or
CSV with a header; columns `code`, `name`, `category`, `unit`, optional `provider` and
`tariff`), checking every product — a product code of at most five letters or digits, used
once; a category from iWmo WMO020 or iJw JZ020; a unit from WJ756; a tariff in euros — and
refusing the whole file with one `file:line: message` per problem, and then publishing it
as part of the catalogue the laptops already synchronise (`publish.publish_catalogue`: the
sociale kaart's entries stay as they are). Never writes a private key; never publishes a
file that has a problem.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from kitchentable import codelists
from kitchentable.office.keys import OfficePrivateKeys
from kitchentable.office.publish import PublishRefused, current_catalogue, publish_catalogue
from kitchentable.office.store import Store

COLUMNS = ("code", "name", "category", "unit")
OPTIONAL = ("provider", "tariff")
PRODUCT_CODE = re.compile(r"[A-Za-z0-9]{1,5}")
_SPACE = re.compile(r"[ \t\n\r]*")


def read_products(path: Path) -> list[dict[str, Any]]:
    """Every product in the file, checked; PublishRefused lists each problem as file:line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishRefused([f"{path}:1: cannot be read ({exc})"]) from exc
    rows = _csv_rows(text, path) if path.suffix.lower() == ".csv" else _json_rows(text, path)
    problems: list[str] = []
    products: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        product = _check(row, f"{path}:{line}", problems)
        if product is None:
            continue
        code = product["code"].upper()
        if code in seen:
            problems.append(
                f"{path}:{line}: product code {product['code']!r} is also on line {seen[code]}"
            )
            continue
        seen[code] = line
        products.append(product)
    if not rows and not problems:
        problems.append(f"{path}:1: has no products")
    if problems:
        raise PublishRefused(problems)
    return products


def publish_products(
    store: Store, private: OfficePrivateKeys, products: list[dict[str, Any]], now: datetime
) -> str:
    """The catalogue again, with these products and the entries now in force."""
    entries = current_catalogue(store)["entries"]
    return publish_catalogue(store, private, entries, now, products)


def _check(row: object, where: str, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(row, dict):
        problems.append(f"{where}: a product must be an object with {', '.join(COLUMNS)}")
        return None
    found = len(problems)
    unknown = sorted(set(row) - set(COLUMNS) - set(OPTIONAL))
    problems += [
        f"{where}: unknown field {key!r} (known: {', '.join(COLUMNS + OPTIONAL)})"
        for key in unknown
    ]
    values = {k: str(v).strip() for k, v in row.items() if v is not None and str(v).strip()}
    for key in COLUMNS:
        if key not in values:
            problems.append(f"{where}: {key} is missing")
    code, category, unit = (
        values.get("code", ""),
        values.get("category", ""),
        values.get("unit", ""),
    )
    if code and not PRODUCT_CODE.fullmatch(code):
        problems.append(f"{where}: product code {code!r} must be 1 to 5 letters or digits")
    if category and codelists.law_of_category(category) is None:
        problems.append(
            f"{where}: unknown product category {category!r}: not in iWmo WMO020 (Wmo) "
            f"or iJw JZ020 (Jeugdwet), release {codelists.get('WMO020').release}"
        )
    if unit and unit not in codelists.get(codelists.UNIT_LIST):
        known = ", ".join(c.code for c in codelists.get(codelists.UNIT_LIST).codes)
        problems.append(f"{where}: unknown unit {unit!r}: not in WJ756 ({known})")
    product: dict[str, Any] = {k: values[k] for k in (*COLUMNS, "provider") if k in values}
    if "tariff" in values:
        try:
            tariff = float(values["tariff"].replace(",", "."))
        except ValueError:
            tariff = -1.0
        if not 0 <= tariff < 1_000_000:
            problems.append(f"{where}: tariff {values['tariff']!r} must be an amount in euros")
        product["tariff"] = round(tariff, 2)
    if len(values.get("name", "")) > 200:
        problems.append(f"{where}: the name is longer than 200 characters")
    return product if len(problems) == found else None


def _csv_rows(text: str, path: Path) -> list[tuple[int, Any]]:
    first = text.splitlines()[0] if text.strip() else ","
    dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    known = ", ".join(COLUMNS + OPTIONAL)
    problems = [
        f"{path}:1: unknown column {c!r} (known: {known})"
        for c in header
        if c not in COLUMNS + OPTIONAL
    ]
    if missing:
        needed = ", ".join(COLUMNS)
        problems.insert(
            0, f"{path}:1: the header needs the columns {needed}; missing: {', '.join(missing)}"
        )
    if problems:
        raise PublishRefused(problems)
    rows = []
    for row in reader:
        cleaned = {(k or "").strip(): v for k, v in row.items() if k is not None}
        if any((v or "").strip() for v in cleaned.values()):
            rows.append((reader.line_num, cleaned))
    return rows


def _json_rows(text: str, path: Path) -> list[tuple[int, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PublishRefused([f"{path}:{exc.lineno}: not valid JSON ({exc.msg})"]) from exc
    if not isinstance(document, dict) or not isinstance(document.get("products"), list):
        raise PublishRefused([f'{path}:1: must be a JSON object with a list "products"'])
    return _located(text, "products")


def _located(text: str, key: str) -> list[tuple[int, Any]]:
    """The items of the list under `key` of a (valid) JSON object, each with its line."""
    decoder = json.JSONDecoder()

    def skip(pos: int) -> int:
        match = _SPACE.match(text, pos)
        return match.end() if match else pos

    pos = skip(0) + 1  # past "{"
    while True:
        name, pos = decoder.raw_decode(text, skip(pos))
        pos = skip(skip(pos) + 1)  # past ":"
        if name == key:
            break
        _value, pos = decoder.raw_decode(text, pos)
        pos = skip(pos) + 1  # past ","
    items: list[tuple[int, Any]] = []
    pos = skip(pos + 1)  # past "["
    while text[pos] != "]":
        line = text.count("\n", 0, pos) + 1
        value, pos = decoder.raw_decode(text, pos)
        items.append((line, value))
        pos = skip(pos)
        if text[pos] == ",":
            pos = skip(pos + 1)
    return items
