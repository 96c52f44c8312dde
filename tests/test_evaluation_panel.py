"""The panel `evaluate did` reads: outcomes per zone and local month, zeros where none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from altresponse.errors import InputError
from altresponse.evaluation.panel import make_panel
from altresponse.evaluation.records import SCHEMA


def contact(zone: str | None, when: datetime, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: None for f in SCHEMA}
    row |= {"call_id": "x", "received_at": when, "zone": zone, "track": "police",
            "eligible": False, "served": False}  # fmt: skip
    return row | values


def test_counts_per_zone_and_local_month_with_zeros_filled() -> None:
    rows = [
        contact("A", datetime(2025, 1, 10, tzinfo=UTC)),
        contact(
            "A",
            datetime(2025, 1, 12, tzinfo=UTC),
            track="community",
            eligible=True,
            served=True,
            category="welfare_check",
        ),
        # 23:30 on 31 January in Denver is 06:30 on 1 February in UTC: January, locally
        contact("B", datetime(2025, 2, 1, 6, 30, tzinfo=UTC), disposition="arrest"),
        contact("B", datetime(2025, 2, 15, tzinfo=UTC), eligible=True, served=False),
        contact(None, datetime(2025, 2, 16, tzinfo=UTC)),  # no zone: not in the panel
    ]
    panel = make_panel(pa.Table.from_pylist(rows, schema=SCHEMA), "America/Denver").to_pylist()
    assert [(r["zone"], r["month"]) for r in panel] == [
        ("A", "2025-01"), ("A", "2025-02"), ("B", "2025-01"), ("B", "2025-02"),
    ]  # fmt: skip
    a_jan, a_feb, b_jan, b_feb = panel
    assert (a_jan["calls"], a_jan["eligible"], a_jan["served"], a_jan["community"]) == (2, 1, 1, 1)
    assert a_jan["behavioral_health"] == 1 and a_jan["police"] == 1
    assert a_feb["calls"] == 0 and a_feb["police"] == 0  # filled, not missing
    assert (b_jan["calls"], b_jan["arrests"]) == (1, 1)
    assert (b_feb["calls"], b_feb["eligible"], b_feb["served"]) == (1, 1, 0)


def test_a_bad_period_or_zone_is_refused() -> None:
    table = pa.Table.from_pylist([contact("A", datetime(2025, 1, 1, tzinfo=UTC))], schema=SCHEMA)
    with pytest.raises(InputError, match="--time"):
        make_panel(table, "UTC", period="fortnight")
    with pytest.raises(InputError, match="time zone"):
        make_panel(table, "Nowhere/'; DROP")
