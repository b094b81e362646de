"""The evidence behind a suggestion, drawn on the server as a small inline SVG picture."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from homehabits.patterns.habit import HabitKind, Pattern
from homehabits.phrasing import duration
from homehabits.store.pattern_records import read_habit

__all__ = [
    "TIMED_KINDS",
    "Picture",
    "draw_evidence",
    "draw_histogram",
    "draw_time_of_day",
]

#: Habits that happen at a time of day; the others are drawn as a histogram of lags.
TIMED_KINDS = frozenset({HabitKind.TIME_OF_DAY, HabitKind.SUN, HabitKind.OVERRIDE})

_WIDTH, _HEIGHT = 560, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 16, 14, 34
_MINUTES_PER_DAY = 24 * 60
_SPANS = (30, 60, 90, 120, 180, 240, 360, 480, 720)  # half-heights of the time axis, minutes
_STEPS = (1, 2, 5)


@dataclass(frozen=True, slots=True)
class Picture:
    """An evidence picture: the SVG and a sentence that says what it shows."""

    svg: Markup
    summary: str


def draw_evidence(
    habit: Pattern | Mapping[str, Any],
    *,
    zone: ZoneInfo,
    label: str,
    dom_id: str,
    window: tuple[datetime, datetime] | None = None,
) -> Picture | None:
    """The picture for a habit: times of day for timed habits, else a histogram of lags.

    A stored habit (pattern_to_dict form) is read as a Pattern first.
    """
    if not isinstance(habit, Pattern):
        # only the evidence is drawn: a habit stored without its entity still has a picture
        habit = read_habit(habit, where=f"the habit of {label!r}", target_entity="")
    kind = habit.kind
    if kind in TIMED_KINDS:
        times = list(habit.evidence_times)
        if not times:
            return None
        is_sun = kind is HabitKind.SUN
        return draw_time_of_day(
            times,
            zone=zone,
            proposed=habit.time_of_day,
            spread_minutes=habit.spread_minutes,
            weekdays=habit.weekdays,
            window=window,
            label=label,
            dom_id=dom_id,
            proposed_note=_sun_note(habit) if is_sun else "",
            proposed_by_day=_sun_line(habit, times, zone) if is_sun else None,
        )
    values = [float(value) for value in habit.evidence_lags]
    if not values:
        return None
    typical = habit.duration_seconds if kind is HabitKind.AUTO_OFF else habit.lag_seconds
    return draw_histogram(
        values,
        typical=float(typical) if typical is not None else None,
        axis_label=_lag_axis_label(kind),
        label=label,
        dom_id=dom_id,
    )


def _sun_line(
    habit: Pattern, times: Sequence[datetime], zone: ZoneInfo
) -> dict[date, float] | None:
    """Per local date, the minute the sun habit's automation would fire (sun event + offset).

    The miner keeps each occurrence's distance to that day's sun event in `evidence_lags`.
    """
    lags = [float(value) for value in habit.evidence_lags]
    offset = habit.sun_offset_minutes
    if offset is None or len(lags) != len(times):
        return None
    line: dict[date, float] = {}
    for moment, lag in zip(sorted(times), lags, strict=True):
        local = moment.astimezone(zone)
        sun_minute = _minute_of_day(local.time()) - lag / 60
        line[local.date()] = (sun_minute + float(offset)) % (24 * 60)
    return line


def draw_time_of_day(
    times: Sequence[datetime],
    *,
    zone: ZoneInfo,
    proposed: time | None,
    label: str,
    dom_id: str,
    spread_minutes: float | None = None,
    weekdays: tuple[int, ...] = tuple(range(7)),
    window: tuple[datetime, datetime] | None = None,
    proposed_note: str = "",
    proposed_by_day: Mapping[date, float] | None = None,
) -> Picture:
    """One dot per occurrence at its local time of day, against a line at the proposed time.

    `proposed_by_day` (minute of the local day, per date) draws the line through each day's
    own proposed time instead: a sun habit's time moves with the sun.
    """
    local = sorted(moment.astimezone(zone) for moment in times)
    minutes = [_minute_of_day(moment.time()) for moment in local]
    centre = _minute_of_day(proposed) if proposed else _circular_mean(minutes)
    # y is the distance from the habit's time, so a habit at 23:50 with a night at 00:10 stays
    # one cluster instead of splitting across the chart's top and bottom edges
    offsets = [_wrap(minute - centre) for minute in minutes]
    half = next((s for s in _SPANS if s >= max(map(abs, offsets)) + 10), _SPANS[-1])
    first, last = _day_range(local, zone, window)
    days = (last - first).days + 1
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    column = plot_w / days

    def x_of(day: date) -> float:
        return _LEFT + column * ((day - first).days + 0.5)

    def y_of(offset: float) -> float:  # earlier at the top, as in a calendar
        return _TOP + plot_h * (offset + half) / (2 * half)

    parts: list[str] = []
    for index in range(days):
        day = first + timedelta(days=index)
        if day.weekday() not in weekdays:
            left = _LEFT + column * index
            parts.append(
                f'<rect class="ev-offday" x="{left:.1f}" y="{_TOP}" width="{column:.1f}" '
                f'height="{plot_h}"/>'
            )
    step = _tick_step(half)
    # ticks on round clock times (22:15, 22:30, …), wherever the habit's own time falls
    first_tick = math.ceil((centre - half) / step) * step
    for tick in range(first_tick, math.floor(centre + half) + 1, step):
        offset = tick - centre
        y = y_of(offset)
        parts.append(
            f'<line class="ev-grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="ev-tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_clock(tick)}</text>"
        )
    every = max(1, math.ceil(days / 7))
    for index in range(0, days, every):
        day = first + timedelta(days=index)
        parts.append(
            f'<text class="ev-tick" x="{x_of(day):.1f}" y="{_HEIGHT - _BOTTOM + 16}" '
            f'text-anchor="middle">{day.day} {day.strftime("%b")}</text>'
        )
    if spread_minutes:
        band = min(float(spread_minutes), half)
        parts.append(
            f'<rect class="ev-band" x="{_LEFT}" y="{y_of(-band):.1f}" width="{plot_w}" '
            f'height="{y_of(band) - y_of(-band):.1f}"/>'
        )
    if proposed_by_day:
        points = " ".join(
            f"{x_of(day):.1f},{y_of(max(-half, min(half, _wrap(minute - centre)))):.1f}"
            for day, minute in sorted(proposed_by_day.items())
        )
        parts.append(f'<polyline class="ev-proposed" fill="none" points="{points}"/>')
    else:
        line_y = y_of(0)
        parts.append(
            f'<line class="ev-proposed" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" '
            f'y1="{line_y:.1f}" y2="{line_y:.1f}"/>'
        )
    for moment, offset in zip(local, offsets, strict=True):
        parts.append(
            f'<circle class="ev-dot" cx="{x_of(moment.date()):.1f}" cy="{y_of(offset):.1f}" r="4.5">'
            f"<title>{escape(moment.strftime('%a %d %b %H:%M'))}</title></circle>"
        )
    note = f"dashed line; {proposed_note}" if proposed_note else "dashed line"
    summary = (
        f"{len(local)} times by hand between {_clock(centre + min(offsets))} and "
        f"{_clock(centre + max(offsets))} over {days} days; "
        f"{'proposed' if proposed else 'typical'} time {_clock(centre)} ({note})."
    )
    if any((first + timedelta(days=i)).weekday() not in weekdays for i in range(days)):
        summary += " Grey columns are days the habit does not cover."
    return Picture(_svg(parts, label=label, summary=summary, dom_id=dom_id), summary)


def draw_histogram(
    seconds: Sequence[float],
    *,
    typical: float | None,
    axis_label: str,
    label: str,
    dom_id: str,
) -> Picture:
    """A histogram of lags or durations, with a line at the typical value."""
    unit, per = _unit_for(max(seconds))
    values = [value / per for value in seconds]
    low, high = min(values), max(values)
    width = _nice_step((high - low) / 14 if high > low else 1.0)
    start = math.floor(low / width) * width
    bins = max(1, math.ceil((high - start) / width + 1e-9))
    if start + bins * width <= high:
        bins += 1
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - start) / width))] += 1
    count_step = max(1, math.ceil(max(counts) / 4))
    tallest = count_step * math.ceil(max(counts) / count_step)  # the top gridline is a tick
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    bar_w = plot_w / bins

    def x_of(value: float) -> float:
        return _LEFT + plot_w * (value - start) / (bins * width)

    def y_of(count: float) -> float:
        return _TOP + plot_h * (1 - count / tallest)

    parts: list[str] = []
    for count in range(0, tallest + 1, count_step):
        y = y_of(count)
        parts.append(
            f'<line class="ev-grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="ev-tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{count}</text>'
        )
    for index, count in enumerate(counts):
        if count == 0:
            continue
        low_edge = start + index * width
        parts.append(
            f'<rect class="ev-bar" x="{_LEFT + bar_w * index + 1:.1f}" y="{y_of(count):.1f}" '
            f'width="{max(bar_w - 2, 1):.1f}" height="{y_of(0) - y_of(count):.1f}">'
            f"<title>{count} × {_number(low_edge)}–{_number(low_edge + width)} {unit}</title></rect>"
        )
    label_every = max(1, math.ceil(bins / 8))
    for index in range(0, bins + 1, label_every):
        edge = start + index * width
        parts.append(
            f'<text class="ev-tick" x="{x_of(edge):.1f}" y="{_HEIGHT - _BOTTOM + 16}" '
            f'text-anchor="middle">{_number(edge)}</text>'
        )
    parts.append(
        f'<text class="ev-axis" x="{_LEFT + plot_w / 2:.1f}" y="{_HEIGHT - 4}" '
        f'text-anchor="middle">{escape(axis_label)} ({unit})</text>'
    )
    summary = f"{len(values)} times, from {_duration(min(seconds))} to {_duration(max(seconds))}"
    if typical is not None:
        typical_x = x_of(min(max(typical / per, start), start + bins * width))
        parts.append(
            f'<line class="ev-proposed" x1="{typical_x:.1f}" x2="{typical_x:.1f}" '
            f'y1="{_TOP}" y2="{_TOP + plot_h}"/>'
        )
        summary += f"; typically {_duration(typical)} (dashed line)"
    summary += "."
    return Picture(_svg(parts, label=label, summary=summary, dom_id=dom_id), summary)


def _duration(seconds: float) -> str:
    """A duration in words a person reads at a glance: 4 s, 15 min, 1 h 20 min."""
    return duration(seconds, seconds_below=90, hours_from_minutes=120, tenths=True)


def _svg(parts: list[str], *, label: str, summary: str, dom_id: str) -> Markup:
    title_id, desc_id = f"{dom_id}-title", f"{dom_id}-desc"
    head = (
        f'<svg class="evidence" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(label)}</title><desc id="{desc_id}">{escape(summary)}</desc>'
        f'<rect class="ev-frame" x="{_LEFT}" y="{_TOP}" width="{_WIDTH - _LEFT - _RIGHT}" '
        f'height="{_HEIGHT - _TOP - _BOTTOM}"/>'
    )
    # every piece is built from numbers or escaped text above, so it is safe markup
    return Markup(head + "".join(parts) + "</svg>")


def _day_range(
    local: Sequence[datetime], zone: ZoneInfo, window: tuple[datetime, datetime] | None
) -> tuple[date, date]:
    first, last = local[0].date(), local[-1].date()
    if window is not None:
        start, end = (moment.astimezone(zone) for moment in window)
        # the window's end is exclusive: a window ending at midnight does not show that day
        first = min(first, start.date())
        last = max(last, (end - timedelta(microseconds=1)).date())
    return first, last


def _minute_of_day(clock: time) -> float:
    return clock.hour * 60 + clock.minute + clock.second / 60


def _wrap(minutes: float) -> float:
    """A difference of clock times folded into -12 h … +12 h."""
    return (minutes + _MINUTES_PER_DAY / 2) % _MINUTES_PER_DAY - _MINUTES_PER_DAY / 2


def _circular_mean(minutes: Sequence[float]) -> float:
    angles = [2 * math.pi * minute / _MINUTES_PER_DAY for minute in minutes]
    mean = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))
    return (mean / (2 * math.pi) * _MINUTES_PER_DAY) % _MINUTES_PER_DAY


def _clock(minutes: float) -> str:
    whole = round(minutes) % _MINUTES_PER_DAY
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _tick_step(half: int) -> int:
    return next(step for step in (10, 15, 30, 60, 120, 180, 240) if half * 2 / step <= 8)


def _nice_step(rough: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(rough))
    return next((m * magnitude for m in _STEPS if m * magnitude >= rough), 10 * magnitude)


def _unit_for(longest_seconds: float) -> tuple[str, float]:
    if longest_seconds <= 180:
        return "seconds", 1.0
    if longest_seconds <= 3 * 3600:
        return "minutes", 60.0
    return "hours", 3600.0


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _lag_axis_label(kind: HabitKind) -> str:
    if kind is HabitKind.AUTO_OFF:
        return "how long it stayed on"
    if kind is HabitKind.PRESENCE:
        return "after everyone left"
    return "delay after the trigger"


def _sun_note(habit: Pattern) -> str:
    event = habit.sun_event
    offset = habit.sun_offset_minutes
    if not event or offset is None:
        return ""
    sign = "+" if offset >= 0 else "−"
    return f"{event} {sign}{abs(int(offset))} min"
