"""The community measures: rates per 100,000 worked by hand, Garwood's interval against printed
tables and the Poisson tails, the rate ratio against R's poisson.test, the changes between periods,
CSV and Parquet alike, and one line naming the file, line and column for a bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from scipy.stats import poisson
from typer.testing import CliRunner, Result

from altresponse.cli_community import community_cmd
from altresponse.errors import InputError
from altresponse.evaluation.community import (
    Measure,
    community,
    garwood,
    rate_ratio,
)

HEADER = "area,year,population,injury_deaths,property_crimes,violent_crimes,juvenile_arrests"
TWO_AREAS = f"""{HEADER}
North,2023,250000,12,5210,37,
North,2024,252000,9,4980,51,40
South,2023,80000,0,1200,15,8
South,2024,81000,3,1100,0,6
"""

app = typer.Typer()
app.command()(community_cmd)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def write(tmp_path: Path, text: str, name: str = "measures.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the statistics -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [  # exact 95% limits for a Poisson count, as printed in the usual tables
        (0, 0.0, 3.689),
        (1, 0.0253, 5.572),
        (2, 0.2422, 7.225),
        (5, 1.623, 11.668),
        (10, 4.795, 18.390),
        (20, 12.217, 30.888),
    ],
)
def test_garwood_matches_the_printed_table(count: int, low: float, high: float) -> None:
    assert garwood(count) == pytest.approx((low, high), abs=6e-4)


@pytest.mark.parametrize("count", [1, 4, 19, 37, 500])
def test_garwood_ends_leave_two_and_a_half_percent_in_each_poisson_tail(count: int) -> None:
    low, high = garwood(count)
    assert poisson.sf(count - 1, low) == pytest.approx(0.025)  # P(X >= k | mean low)
    assert poisson.cdf(count, high) == pytest.approx(0.025)  # P(X <= k | mean high)
    assert low < count < high


def test_37_violent_crimes_in_250000_people(tmp_path: Path) -> None:
    # 37 / 250,000 x 100,000 = 14.8; Garwood: 26.0514 to 50.9996 events, / 2.5 = 10.42 to 20.40
    text = "area,year,population,violent_crimes\nNorth,2024,250000,37\n"
    (rate,) = community(write(tmp_path, text)).rates
    assert (rate.area, rate.period, rate.measure, rate.count, rate.population) == (
        "North", "2024", Measure.VIOLENT_CRIMES, 37, 250_000,
    )  # fmt: skip
    assert rate.rate == 14.8
    assert (rate.low, rate.high) == pytest.approx((10.4206, 20.3999), abs=1e-4)
    assert not rate.unstable


def test_the_rate_ratio_is_r_poisson_tests() -> None:
    # R's own example, ?poisson.test: poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)) gives
    # a rate ratio of 1.971488 with a 95% interval of 0.8584264 to 4.2772659.
    found = rate_ratio(before=21, population_before=3011, after=11, population_after=800)
    assert found == pytest.approx((1.971488, 0.8584264, 4.2772659), abs=1e-6)


def test_the_rate_ratio_at_zero_counts() -> None:
    assert rate_ratio(0, 1000, 5, 1000) == (None, None, None)  # infinite: no events before
    assert rate_ratio(0, 1000, 0, 1000) == (None, None, None)
    ratio, low, high = rate_ratio(15, 80_000, 0, 81_000)
    assert (ratio, low) == (0.0, 0.0)
    # The upper end: the share p with P(0 of 15 | p) = 0.025, 1 - 0.025^(1/15) = 0.21798, as a
    # ratio p / (1 - p) x 80,000 / 81,000
    share = 1 - 0.025 ** (1 / 15)
    assert high == pytest.approx(share / (1 - share) * 80_000 / 81_000)


# --- rates and changes of a file ------------------------------------------------------------


def test_every_rate_and_change_of_two_areas(tmp_path: Path) -> None:
    found = community(write(tmp_path, TWO_AREAS))
    rows = [(r.area, r.period, r.measure.value, r.count, r.rate, r.unstable) for r in found.rates]
    assert rows == [
        ("North", "2023", "injury_deaths", 12, 4.8, True),
        ("North", "2023", "property_crimes", 5210, 2084.0, False),
        ("North", "2023", "violent_crimes", 37, 14.8, False),  # juvenile arrests left blank
        ("North", "2024", "injury_deaths", 9, pytest.approx(3.5714, abs=1e-4), True),
        ("North", "2024", "property_crimes", 4980, pytest.approx(1976.1905, abs=1e-4), False),
        ("North", "2024", "violent_crimes", 51, pytest.approx(20.2381, abs=1e-4), False),
        ("North", "2024", "juvenile_arrests", 40, pytest.approx(15.8730, abs=1e-4), False),
        ("South", "2023", "injury_deaths", 0, 0.0, True),
        ("South", "2023", "property_crimes", 1200, 1500.0, False),
        ("South", "2023", "violent_crimes", 15, 18.75, True),
        ("South", "2023", "juvenile_arrests", 8, 10.0, True),
        ("South", "2024", "injury_deaths", 3, pytest.approx(3.7037, abs=1e-4), True),
        ("South", "2024", "property_crimes", 1100, pytest.approx(1358.0247, abs=1e-4), False),
        ("South", "2024", "violent_crimes", 0, 0.0, True),
        ("South", "2024", "juvenile_arrests", 6, pytest.approx(7.4074, abs=1e-4), True),
    ]
    zero = found.rates[7]  # no injury deaths among 80,000: 0 to 3.689 / 0.8 = 4.61
    assert (zero.low, zero.high) == pytest.approx((0.0, 4.6111), abs=1e-4)
    changes = [(c.area, c.measure.value, c.before, c.after) for c in found.changes]
    assert changes == [  # North's juvenile arrests have no 2023 to change from
        ("North", "injury_deaths", "2023", "2024"),
        ("North", "property_crimes", "2023", "2024"),
        ("North", "violent_crimes", "2023", "2024"),
        ("South", "injury_deaths", "2023", "2024"),
        ("South", "property_crimes", "2023", "2024"),
        ("South", "violent_crimes", "2023", "2024"),
        ("South", "juvenile_arrests", "2023", "2024"),
    ]
    violent = found.changes[2]  # 14.8 to 51 / 2.52 = 20.238: +5.438, a ratio of 1.3674
    assert (violent.count_before, violent.count_after) == (37, 51)
    assert violent.difference == pytest.approx(5.4381, abs=1e-4)
    assert violent.ratio == pytest.approx(51 / 252_000 / (37 / 250_000))
    assert violent.ratio_low is not None and violent.ratio_high is not None
    assert violent.ratio_low < 1 < violent.ratio_high and not violent.unstable
    assert found.changes[3].ratio is None and found.changes[3].difference > 0  # 0 deaths before
    assert found.changes[5].ratio == 0.0 and found.changes[5].unstable


def test_fewer_than_20_events_is_unstable(tmp_path: Path) -> None:
    text = "area,period,population,injury_deaths\nA,1,100000,19\nA,2,100000,20\n"
    found = community(write(tmp_path, text))
    assert [(r.count, r.unstable) for r in found.rates] == [(19, True), (20, False)]
    assert found.changes[0].unstable  # one of its two rates is


def test_periods_in_order_and_each_compared_with_the_last_that_reports(tmp_path: Path) -> None:
    text = (
        "area,period,population,violent_crimes,juvenile_arrests\n"
        "A,10,1000,30,\nA,2,1000,10,4\nA,9,1000,,5\n"  # numbers: 2 before 9 before 10
        "B,2024-H2,1000,7,\nB,2024-H1,1000,5,\n"  # text: in text order
    )
    found = community(write(tmp_path, text))
    assert [(r.area, r.period, r.measure.value) for r in found.rates] == [
        ("A", "2", "violent_crimes"), ("A", "2", "juvenile_arrests"),
        ("A", "9", "juvenile_arrests"), ("A", "10", "violent_crimes"),
        ("B", "2024-H1", "violent_crimes"), ("B", "2024-H2", "violent_crimes"),
    ]  # fmt: skip
    assert [(c.area, c.measure.value, c.before, c.after) for c in found.changes] == [
        ("A", "violent_crimes", "2", "10"),  # 9 has no count of violent crimes
        ("A", "juvenile_arrests", "2", "9"),
        ("B", "violent_crimes", "2024-H1", "2024-H2"),
    ]


def test_parquet_gives_what_csv_gives(tmp_path: Path) -> None:
    csv_path = write(tmp_path, TWO_AREAS)
    table = pa.table({
        "area": ["North", "North", "South", "South"],
        "year": [2023, 2024, 2023, 2024],
        "population": [250_000.0, 252_000.0, 80_000.0, 81_000.0],  # whole numbers as floats
        "injury_deaths": [12, 9, 0, 3],
        "property_crimes": [5210, 4980, 1200, 1100],
        "violent_crimes": [37, 51, 15, 0],
        "juvenile_arrests": [None, 40, 8, 6],
    })  # fmt: skip
    pq.write_table(table, tmp_path / "measures.parquet")
    from_parquet = community(tmp_path / "measures.parquet")
    from_csv = community(csv_path)
    assert from_parquet.rates == from_csv.rates
    assert from_parquet.changes == from_csv.changes


def test_whole_numbers_written_as_decimals_and_extra_columns_are_fine(tmp_path: Path) -> None:
    text = "Area , YEAR,population,violent_crimes,state\nNorth,2024.0,250000.0,37.0,CO\n"
    (rate,) = community(write(tmp_path, text)).rates
    assert (rate.period, rate.population, rate.count, rate.rate) == ("2024", 250_000, 37, 14.8)


# --- the command ----------------------------------------------------------------------------


def test_the_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [str(write(tmp_path, TWO_AREAS))], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "population" in line)
    for name in ("area", "period", "measure", "count", "per 100,000", "95% interval", "unstable"):
        assert name in header
    row = next(line for line in lines if "violent crimes" in line and "250,000" in line)
    assert all(cell in row for cell in ("North", "2023", "37", "14.8", "10.4–20.4"))
    change = next(line for line in lines if "violent crimes" in line and "+5.4" in line)
    assert "1.37 (0.88–2.15)" in change
    assert "undefined: no events before" in result.stdout  # South's injury deaths
    assert "Unstable: fewer than 20 events" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    result = invoke(str(write(tmp_path, TWO_AREAS)), "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert set(found) == {"source", "per", "confidence", "unstable_below", "rates", "changes"}
    assert (found["per"], found["confidence"], found["unstable_below"]) == (100_000, 0.95, 20)
    assert found["source"].endswith("measures.csv")
    assert len(found["rates"]) == 15 and len(found["changes"]) == 7
    rate = found["rates"][2]
    assert set(rate) == {
        "area", "period", "measure", "count", "population", "rate", "low", "high", "unstable",
    }  # fmt: skip
    assert (rate["measure"], rate["count"], rate["rate"]) == ("violent_crimes", 37, 14.8)
    change = found["changes"][3]
    assert set(change) == {
        "area", "measure", "before", "after", "count_before", "count_after", "rate_before",
        "rate_after", "difference", "ratio", "ratio_low", "ratio_high", "unstable",
    }  # fmt: skip
    assert (change["measure"], change["ratio"], change["ratio_high"]) == (
        "injury_deaths", None, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"{HEADER}\nNorth,2023,0,1,2,3,4\n", "line 2: column 'population' is '0', not a whole "
         "number above 0"),
        (f"{HEADER}\nNorth,2023,1000,1,2,3,4\nNorth,2024,1000.5,1,2,3,4\n",
         "line 3: column 'population' is '1000.5', not a whole number above 0"),
        (f"{HEADER}\nNorth,2023,1000,1,2,-3,4\n", "line 2: column 'violent_crimes' is '-3', not "
         "a whole number of 0 or more"),
        (f"{HEADER}\nNorth,2023,1000,1,lots,3,4\n", "line 2: column 'property_crimes' is 'lots'"),
        (f"{HEADER}\nNorth,2023,,1,2,3,4\n", "line 2: column 'population' is empty"),
        (f"{HEADER}\n,2023,1000,1,2,3,4\n", "line 2: column 'area' is empty"),
        (f"{HEADER}\nNorth,twenty,1000,1,2,3,4\n", "line 2: column 'year' is 'twenty', not a year"),
        (f"{HEADER}\nNorth,2023,1000,1,2,3,4\nSouth,2023,1000,1,2,3,4\nNorth,2023,900,1,2,3,4\n",
         "line 4: area 'North', year 2023 again (first at line 2)"),
        ("area,population,violent_crimes\nNorth,1000,3\n",
         "missing column(s) year (or period) (columns: area, population, violent_crimes)"),
        ("year,violent_crimes\n2023,3\n", "missing column(s) area, population"),
        ("area,year,population,arrests\nNorth,2023,1000,3\n", "no measure column: give one or "
         "more of injury_deaths, property_crimes, violent_crimes, juvenile_arrests"),
        ("area,year,period,population,violent_crimes\nNorth,2023,1,1000,3\n",
         "both a 'year' and a 'period' column: keep one"),
        (f"{HEADER}\n", "no data rows"),
        ("", "missing column(s) area, year (or period), population (columns: none)"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_where(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    result = invoke(str(path))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}") and says in lines[0], lines[0]
    assert result.stdout == ""
    with pytest.raises(InputError):
        community(path)


def test_a_bad_parquet_value_names_the_row(tmp_path: Path) -> None:
    table = pa.table({"area": ["A", "B"], "year": [2023, 2023], "population": [1000, -5],
                      "injury_deaths": [1, 2]})  # fmt: skip
    pq.write_table(table, tmp_path / "m.parquet")
    result = invoke(str(tmp_path / "m.parquet"))
    assert result.exit_code == 2
    assert "m.parquet row 2: column 'population' is -5, not a whole number above 0" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("m.xlsx", b"PK", "give the community measures as .csv or .parquet"),
        ("m.parquet", b"not parquet", "not a readable Parquet file"),
        ("m.csv", b"area,year\n\xff\xfe,1\n", "not valid utf-8"),
    ],
)
def test_a_file_that_cannot_be_read(tmp_path: Path, name: str, content: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = invoke(str(path))
    assert result.exit_code == 2 and says in result.stderr, result.output
    missing = invoke(str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2 and "nowhere.csv: no such file" in missing.stderr
