"""The community measures of the Urban Institute's self-assessment for alternative crisis response:
deaths due to injury, property crimes, violent crimes and juvenile arrests per 100,000 residents.

For each area and period a rate is count / population x 100,000, with Garwood's exact Poisson
interval on the count scaled the same way. Between two periods of an area, the change is the
difference of the rates and their ratio, with the exact conditional interval of the ratio: given
the two counts' sum, the later count is binomial, and a Clopper-Pearson interval for its share
becomes one for the ratio. A rate on fewer than 20 events is flagged unstable, as US vital
statistics do. docs/community.md has the formulas and a worked example.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from altresponse.errors import InputError

PER = 100_000
CONFIDENCE = 0.95
UNSTABLE_BELOW = 20
"""NCHS: a rate on fewer than 20 events has a relative standard error of 23% or more."""


class Measure(StrEnum):
    """A community measure, named as its column in the input file."""

    INJURY_DEATHS = "injury_deaths"
    PROPERTY_CRIMES = "property_crimes"
    VIOLENT_CRIMES = "violent_crimes"
    JUVENILE_ARRESTS = "juvenile_arrests"

    @property
    def label(self) -> str:
        """How the self-assessment names it."""
        return self.value.replace("_", " ").replace("injury deaths", "deaths due to injury")


class Rate(BaseModel):
    """One measure for one area and period, per 100,000 residents."""

    model_config = ConfigDict(frozen=True)

    area: str
    period: str
    measure: Measure
    count: int
    population: int
    rate: float
    low: float
    high: float
    unstable: bool


class Change(BaseModel):
    """One measure of one area from one period to the next that reports it.

    `ratio` is rate_after / rate_before with its exact interval; all three are null when the
    earlier period had no events (the ratio is then infinite or undefined).
    """

    model_config = ConfigDict(frozen=True)

    area: str
    measure: Measure
    before: str
    after: str
    count_before: int
    count_after: int
    rate_before: float
    rate_after: float
    difference: float
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    unstable: bool


class CommunityMeasures(BaseModel):
    """Every rate and change of a file (docs/community.md)."""

    model_config = ConfigDict(frozen=True)

    source: str
    per: int = PER
    confidence: float = CONFIDENCE
    unstable_below: int = UNSTABLE_BELOW
    rates: list[Rate]
    changes: list[Change]


@dataclass(frozen=True)
class Row:
    """One area and period of the input: residents and the counts it reports."""

    where: str  # the file and its line (CSV) or row (Parquet), for messages
    area: str
    period: str
    population: int
    counts: dict[Measure, int]


# --- statistics ---------------------------------------------------------------------------------


def garwood(count: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Garwood 1936) interval for the mean of a Poisson variable observed as COUNT:
    chi2(a/2; 2k)/2 to chi2(1 - a/2; 2k + 2)/2, with the lower end 0 when k is 0."""
    from scipy.stats import chi2

    tail = (1 - confidence) / 2
    low = float(chi2.ppf(tail, 2 * count)) / 2 if count > 0 else 0.0
    return low, float(chi2.ppf(1 - tail, 2 * count + 2)) / 2


def rate_ratio(
    before: int, population_before: int, after: int, population_after: int,
    confidence: float = CONFIDENCE,
) -> tuple[float | None, float | None, float | None]:  # fmt: skip
    """The ratio of the later rate to the earlier, with its exact conditional interval.

    Given n = before + after, AFTER is binomial with share p = RR x Pa / (RR x Pa + Pb), so
    RR = p / (1 - p) x Pb / Pa; the Clopper-Pearson ends of p give the interval's ends.
    (None, None, None) when BEFORE is 0.
    """
    from scipy.stats import beta

    if before == 0:
        return None, None, None
    scale = population_before / population_after
    tail = (1 - confidence) / 2
    low_share = float(beta.ppf(tail, after, before + 1)) if after > 0 else 0.0
    high_share = float(beta.ppf(1 - tail, after + 1, before))
    return (
        after / before * scale,
        low_share / (1 - low_share) * scale,
        high_share / (1 - high_share) * scale,
    )


def rate_of(row: Row, measure: Measure) -> Rate:
    """ROW's MEASURE per 100,000 residents, with its interval."""
    count = row.counts[measure]
    low, high = garwood(count)
    return Rate(
        area=row.area, period=row.period, measure=measure, count=count,
        population=row.population, rate=count * PER / row.population,
        low=low * PER / row.population, high=high * PER / row.population,
        unstable=count < UNSTABLE_BELOW,
    )  # fmt: skip


def change(before: Rate, after: Rate) -> Change:
    """How a measure moved from one period's rate to a later one's."""
    ratio, low, high = rate_ratio(before.count, before.population, after.count, after.population)
    return Change(
        area=after.area, measure=after.measure, before=before.period, after=after.period,
        count_before=before.count, count_after=after.count, rate_before=before.rate,
        rate_after=after.rate, difference=after.rate - before.rate, ratio=ratio,
        ratio_low=low, ratio_high=high, unstable=before.unstable or after.unstable,
    )  # fmt: skip


def measures(rows: list[Row], source: str) -> CommunityMeasures:
    """The rates of ROWS, and each area's changes from one period to the next."""
    texts = {r.area for r in rows if _whole(r.period) is None}

    def order(row: Row) -> tuple[str, int, str]:
        """An area's periods by number (2 before 10), or as text if one of them is not one."""
        return row.area, 0 if row.area in texts else _whole(row.period) or 0, row.period

    rates: list[Rate] = []
    changes: list[Change] = []
    last: dict[tuple[str, Measure], Rate] = {}
    for row in sorted(rows, key=order):
        for measure in Measure:
            if measure not in row.counts:
                continue
            rate = rate_of(row, measure)
            rates.append(rate)
            if (row.area, measure) in last:
                changes.append(change(last[row.area, measure], rate))
            last[row.area, measure] = rate
    members = list(Measure)
    changes.sort(key=lambda c: (c.area, members.index(c.measure)))  # stable: periods in order
    return CommunityMeasures(source=source, rates=rates, changes=changes)


def community(path: Path) -> CommunityMeasures:
    """The community measures of the CSV or Parquet file PATH."""
    return measures(read_rows(path), str(path))


# --- reading ------------------------------------------------------------------------------------


def _whole(value: object) -> int | None:
    """VALUE as a whole number (3, 3.0, "3", "3.0"), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _records(path: Path) -> tuple[list[str], Iterator[tuple[str, dict[str, object]]]]:
    """The column names of PATH and its rows, each with where it is (`line N` or `row N`)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith(".parquet"):
        return _parquet(path)
    if suffix.endswith((".csv", ".csv.gz")):
        return _csv(path)
    raise InputError(f"{path}: give the community measures as .csv or .parquet")


def _csv(path: Path) -> tuple[list[str], Iterator[tuple[str, dict[str, object]]]]:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader, [])]
            rows: list[tuple[str, dict[str, object]]] = [
                (f"line {reader.line_num}", dict(zip(header, row, strict=False)))
                for row in reader
                if any(cell.strip() for cell in row)
            ]
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid utf-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from exc
    return header, iter(rows)


def _parquet(path: Path) -> tuple[list[str], Iterator[tuple[str, dict[str, object]]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    table = table.rename_columns([name.strip().lower() for name in table.column_names])
    rows = ((f"row {k}", row) for k, row in enumerate(table.to_pylist(), start=1))
    return list(table.column_names), rows


def _columns(path: Path, header: list[str]) -> tuple[str, list[Measure]]:
    """The period's column and the measures PATH has, or one line on what is missing."""
    have = ", ".join(header) or "none"
    if "year" in header and "period" in header:
        raise InputError(f"{path}: both a 'year' and a 'period' column: keep one")
    period = "period" if "period" in header else "year"
    missing = [c for c in ("area", period, "population") if c not in header]
    if missing:
        wanted = ["year (or period)" if c == "year" else c for c in missing]
        raise InputError(f"{path}: missing column(s) {', '.join(wanted)} (columns: {have})")
    found = [m for m in Measure if m.value in header]
    if not found:
        names = ", ".join(m.value for m in Measure)
        raise InputError(f"{path}: no measure column: give one or more of {names}")
    return period, found


def _count(where: str, column: str, value: object, *, positive: bool) -> int:
    """VALUE as a whole number above 0 (POSITIVE) or of 0 or more, or one line on why not."""
    number = _whole(value)
    if number is None or number < (1 if positive else 0):
        expected = "a whole number above 0" if positive else "a whole number of 0 or more"
        raise InputError(f"{where}: column {column!r} is {value!r}, not {expected}")
    return number


def _row(where: str, record: dict[str, object], period: str, found: list[Measure]) -> Row:
    """One record as a Row; blank counts are measures the row does not report."""
    for column in ("area", period, "population"):
        if _blank(record.get(column)):
            raise InputError(f"{where}: column {column!r} is empty")
    when = record[period]
    if period == "year" and _whole(when) is None:
        raise InputError(f"{where}: column 'year' is {when!r}, not a year")
    population = _count(where, "population", record["population"], positive=True)
    counts = {
        m: _count(where, m.value, record[m.value], positive=False)
        for m in found
        if not _blank(record.get(m.value))
    }
    return Row(
        where=where, area=str(record["area"]).strip(),
        period=str(_whole(when) if period == "year" else when).strip(), population=population,
        counts=counts,
    )  # fmt: skip


def read_rows(path: Path) -> list[Row]:
    """The areas and periods of PATH, checked: one line names the file, line and column at fault."""
    header, records = _records(path)
    period, found = _columns(path, header)
    rows: list[Row] = []
    seen: dict[tuple[str, str], str] = {}
    for at, record in records:
        row = _row(f"{path} {at}", record, period, found)
        first = seen.setdefault((row.area, row.period), at)
        if first != at:
            raise InputError(
                f"{row.where}: area {row.area!r}, {period} {row.period} again (first at {first})"
            )
        rows.append(row)
    if not rows:
        raise InputError(f"{path}: no data rows")
    return rows
