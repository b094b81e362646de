"""The evidence pictures: dots at the home's local time, midnight wrap, histograms of lags."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from homehabits.store.records import SuggestionRecord, SuggestionStatus
from homehabits.web.evidence import draw_evidence, draw_histogram, draw_time_of_day
from homehabits.web.pages import RunFacts, build_card

BERLIN = ZoneInfo("Europe/Berlin")
SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _dots(root: ET.Element) -> list[tuple[float, float, str]]:
    return [
        (float(c.get("cx", 0)), float(c.get("cy", 0)), c.findtext(f"{SVG}title") or "")
        for c in root.iter(f"{SVG}circle")
    ]


def _proposed_y(root: ET.Element) -> float:
    line = next(e for e in root.iter(f"{SVG}line") if e.get("class") == "ev-proposed")
    return float(line.get("y1", 0))


def _pattern(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"kind": "time_of_day", "weekdays": list(range(7))}
    base.update(fields)
    return base


def test_a_habit_around_midnight_stays_one_cluster_around_its_line() -> None:
    just_before = datetime(2024, 11, 4, 23, 50, tzinfo=BERLIN)
    just_after = datetime(2024, 11, 6, 0, 10, tzinfo=BERLIN)

    picture = draw_time_of_day(
        [just_before, just_after], zone=BERLIN, proposed=time(0, 0), label="x", dom_id="a"
    )

    root = _parse(picture.svg)
    line_y = _proposed_y(root)
    (_, before_y, _), (_, after_y, _) = _dots(root)
    assert before_y < line_y < after_y, "earlier above the line, later below it"
    assert abs(before_y - line_y) == pytest.approx(abs(after_y - line_y))
    assert "between 23:50 and 00:10" in picture.summary


def test_evidence_times_are_drawn_in_the_home_time_zone() -> None:
    # 20:40 UTC in November is 21:40 in Berlin and 05:40 the next morning in Tokyo
    moment = datetime(2024, 11, 5, 20, 40, tzinfo=UTC)

    berlin = draw_time_of_day([moment], zone=BERLIN, proposed=time(21, 40), label="x", dom_id="b")
    tokyo = draw_time_of_day(
        [moment], zone=ZoneInfo("Asia/Tokyo"), proposed=time(5, 40), label="x", dom_id="c"
    )

    assert _dots(_parse(berlin.svg))[0][2] == "Tue 05 Nov 21:40"
    assert _dots(_parse(tokyo.svg))[0][2] == "Wed 06 Nov 05:40"


def test_each_day_of_the_window_has_its_own_column() -> None:
    window = (
        datetime(2024, 11, 3, 23, 0, tzinfo=UTC),  # midnight in Berlin: 4 to 8 November
        datetime(2024, 11, 8, 23, 0, tzinfo=UTC),
    )
    monday = datetime(2024, 11, 4, 21, 0, tzinfo=BERLIN)
    friday = datetime(2024, 11, 8, 21, 5, tzinfo=BERLIN)

    picture = draw_time_of_day(
        [monday, friday], zone=BERLIN, proposed=time(21, 0), window=window, label="x", dom_id="d"
    )

    (monday_x, _, _), (friday_x, _, _) = _dots(_parse(picture.svg))
    column = (friday_x - monday_x) / 4
    assert column > 0
    assert "over 5 days" in picture.summary


def test_days_outside_the_habit_are_shaded_and_explained() -> None:
    weekday_times = [datetime(2024, 11, day, 7, 0, tzinfo=BERLIN) for day in (4, 5, 6, 7, 8)]
    window = (datetime(2024, 11, 3, 23, 0, tzinfo=UTC), datetime(2024, 11, 10, 23, 0, tzinfo=UTC))

    picture = draw_time_of_day(
        weekday_times,
        zone=BERLIN,
        proposed=time(7, 0),
        weekdays=(0, 1, 2, 3, 4),
        window=window,
        label="x",
        dom_id="e",
    )

    shaded = [e for e in _parse(picture.svg).iter(f"{SVG}rect") if e.get("class") == "ev-offday"]
    assert len(shaded) == 2  # Saturday and Sunday
    assert "Grey columns" in picture.summary


def test_a_histogram_counts_every_lag_once() -> None:
    lags = [3.1, 3.8, 4.0, 4.2, 12.5]

    picture = draw_histogram(
        lags, typical=3.9, axis_label="delay after the trigger", label="x", dom_id="f"
    )

    root = _parse(picture.svg)
    bars = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "ev-bar"]
    counted = sum(int((bar.findtext(f"{SVG}title") or "0").split(" ")[0]) for bar in bars)
    assert counted == len(lags)
    assert "(seconds)" in ET.tostring(root, encoding="unicode")
    assert "typically 3.9 s" in picture.summary


def test_long_durations_are_drawn_in_minutes() -> None:
    durations = [851.4, 928.1, 942.3, 817.8, 945.0]

    picture = draw_evidence(
        {"kind": "auto_off", "evidence_lags": durations, "duration_seconds": 914.6},
        zone=BERLIN,
        label="Fan off after 15 minutes",
        dom_id="g",
    )

    assert picture is not None
    assert "(minutes)" in picture.svg
    assert "from 14 min to 16 min; typically 15 min" in picture.summary


def test_the_picture_is_labelled_and_escapes_names() -> None:
    picture = draw_evidence(
        _pattern(evidence_times=["2024-11-05T20:40:00+00:00"], time_of_day="21:40:00"),
        zone=BERLIN,
        label='Evidence: <script>alert("lamp")</script>',
        dom_id="evidence-7",
    )

    assert picture is not None
    root = _parse(picture.svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "evidence-7-title evidence-7-desc"
    assert root.findtext(f"{SVG}title") == 'Evidence: <script>alert("lamp")</script>'
    assert "<script>" not in picture.svg


def test_a_habit_without_evidence_has_no_picture() -> None:
    assert draw_evidence(_pattern(evidence_times=[]), zone=BERLIN, label="x", dom_id="h") is None
    assert (
        draw_evidence({"kind": "sequence", "evidence_lags": []}, zone=BERLIN, label="x", dom_id="i")
        is None
    )


def test_a_sun_habit_names_its_sun_event_on_the_line() -> None:
    evenings = [datetime(2024, 11, 1, 16, 50, tzinfo=BERLIN) + timedelta(days=d) for d in range(3)]

    picture = draw_evidence(
        _pattern(
            kind="sun",
            evidence_times=[moment.isoformat() for moment in evenings],
            time_of_day="16:49:00",
            sun_event="sunset",
            sun_offset_minutes=14,
        ),
        zone=BERLIN,
        label="x",
        dom_id="j",
    )

    assert picture is not None
    assert "proposed time 16:49 (dashed line; sunset +14 min)" in picture.summary


def test_a_card_with_broken_evidence_still_shows_without_a_picture() -> None:
    record = SuggestionRecord(
        id=3, run_id=1, status=SuggestionStatus.PENDING,
        created_at=datetime(2024, 11, 10, 3, 0, tzinfo=UTC),
        updated_at=datetime(2024, 11, 10, 3, 0, tzinfo=UTC),
        fingerprint="f", kind="time_of_day", title="Lamp on at 21:40", description="d",
        rationale="r", category="lighting", confidence=0.8, score=0.8, sensitive=False,
        sensitive_reason=None, target_entity="light.lamp", trigger_entity=None, area_id=None,
        area_name=None, automation={}, yaml="alias: x\n", dialect="modern", diff=None,
        pattern={"kind": "time_of_day", "evidence_times": ["not a time"]},
        author="template", tokens_in=0, tokens_out=0, cost=0.0,
    )  # fmt: skip

    card = build_card(record, RunFacts(zone=BERLIN, window=None))

    assert card.picture is None
    assert card.confidence_percent == 80


def test_a_sun_habits_line_follows_the_sunset_from_day_to_day() -> None:
    # sunset moves 2 minutes earlier a day; the person switches on 15 minutes after it
    days = [datetime(2024, 10, 1, tzinfo=BERLIN) + timedelta(days=n) for n in range(10)]
    sunsets = [d.replace(hour=19) - timedelta(minutes=2 * n) for n, d in enumerate(days)]
    times = [sunset + timedelta(minutes=15) for sunset in sunsets]
    pattern = _pattern(
        kind="sun",
        time_of_day="18:56:00",
        sun_event="sunset",
        sun_offset_minutes=15,
        evidence_times=[t.astimezone(UTC).isoformat() for t in times],
        evidence_lags=[15 * 60.0] * len(times),
    )

    picture = draw_evidence(pattern, zone=BERLIN, label="Porch light", dom_id="sun")

    assert picture is not None
    root = _parse(picture.svg)
    line = next(e for e in root.iter(f"{SVG}polyline") if e.get("class") == "ev-proposed")
    points = [tuple(map(float, p.split(","))) for p in (line.get("points") or "").split()]
    dots = sorted(_dots(root))
    assert len(points) == len(dots) == 10
    # every occurrence lies on the line, which rises as the sunset gets earlier
    for (dot_x, dot_y, _), (x, y) in zip(dots, points, strict=True):
        assert (dot_x, dot_y) == pytest.approx((x, y))
    assert points[-1][1] < points[0][1]
