"""The live API source says how far it has read, day by day, in date order."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from tests.sources.test_ha_api import DAY_ONE, _home, _source


async def test_day_progress_lines_come_in_date_order_when_days_finish_out_of_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = _home()
    for day in range(4):
        fake.record("light.porch", "on", DAY_ONE + timedelta(days=day, hours=20))
    source = _source(fake, concurrency=4)
    context = await source.read_context()
    # the first day answers last: the other three finish before it
    fake.delay(0.3, times=1, path_prefix=f"/api/logbook/{DAY_ONE.date().isoformat()}")

    with caplog.at_level(logging.INFO, logger="homehabits.sources.ha_api"):
        read = await source.read_events(DAY_ONE, DAY_ONE + timedelta(days=4), context)

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Read 20")]
    assert [re.sub(r"^Read (\S+): .*", r"\1", line) for line in lines] == [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
    ]
    assert [line.split(": ")[1] for line in lines] == [
        "1 of 4 days",
        "2 of 4 days",
        "3 of 4 days",
        "4 of 4 days",
    ]
    assert read.frame.height == 4
