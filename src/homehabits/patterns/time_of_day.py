"""Clock and sun habits: the same action at about the same local time (or sun offset) each day."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from homehabits.config import MiningSettings
from homehabits.context import HomeContext
from homehabits.patterns._circle import find_clusters
from homehabits.patterns._common import (
    MINUTES_PER_DAY,
    RESTING_STATES,
    circular_diff,
    circular_mean_minutes,
    days_away,
    habit_days,
    in_window,
    is_sensitive,
    manual_actions,
    real_changes,
    settings_for,
    with_local_time,
)
from homehabits.patterns._sun import SUN_EVENTS, sun_table
from homehabits.patterns.habit import ALL_DAYS, WEEKDAYS, WEEKENDS, HabitKind, Pattern

__all__ = ["find_time_habits"]

_DAY_KEPT_ADHERENCE = 0.5  # a weekday joins a custom day set when done on half its dates
_NAMED_DAY_SET_BONUS = 0.04
# a custom set (e.g. tue_thu) must hold nearly all of the bunch: chance bunches spill over
_CUSTOM_SET_MIN_COVERAGE = 0.9
_LEFT_OUT_ADHERENCE = 0.25  # every day / weekdays / weekends win a near tie
_LEFT_OUT_CHANCE = 0.02  # ... and a weekday is left out only when so few is no chance
_SAME_HABIT_OVERLAP = 0.5
_MIN_NEEDED_SHARE = 0.7
_MAX_SUN_OFFSET_MINUTES = 180
# weekdays whose typical times lie further apart than this (and than 3 spreads) are two habits
_WEEKDAY_SPLIT_MINUTES = 20.0
_WEEKDAY_SPLIT_SPREADS = 3.0
# an "off" habit this wide (share of max_spread) would switch off what people still use…
_WIDE_OFF_SHARE = 0.4
# …when, on this share of its days, they switch it on again or change it soon after its time
_IN_USE_SHARE = 0.25
_IN_USE_SPREADS = 2.0
# a habit whose actions a bigger, failing description also holds must be this much surer
_SHADOWED_MARGIN = 0.15
# a habit's last third centred this far from its whole (and beyond its noise) drifted there
_DRIFT_MIN_MINUTES = 5.0
_DRIFT_NOISE_SPREADS = 2.0
_DRIFT_MIN_DAYS = 5
# a habit's action ends a session when the entity's previous change is this recent (minutes)…
_SESSION_MAX_MINUTES = 180.0
# …on this share of its days: then a steadier session length than clock time explains it
_SESSION_SHARE = 0.7
_SESSION_MIN_CLOCK_SD = 5.0
# a habit's band: this many spreads either side of its time (at least the minutes); just
# outside it, the same action may be at most this share as frequent as inside
_BAND_SPREADS = 2.5
_BAND_MIN_MINUTES = 10.0
_FLANK_SHARE = 1 / 3
# a clock habit done only while a TV plays (or a switch is on): the domains that may gate it,
# the share of its days the gate must hold on, and the share of days it must leave out
_GATE_DOMAINS = ("media_player", "input_boolean", "remote")
_GATE_DONE_SHARE = 0.9
_GATE_LEFT_OUT = 0.2


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One bunch of actions and how well the clock and the sun explain it."""

    cand: int
    gid: int
    entity_id: str
    state: str
    size: int
    clock_mean: float
    clock_sd: float
    kind: HabitKind
    spread: float
    sun_event: str | None
    sun_offset: float | None
    settings: MiningSettings


def find_time_habits(
    frame: pl.DataFrame,
    context: HomeContext,
    window_start: datetime,
    window_end: datetime,
    settings: MiningSettings,
) -> list[Pattern]:
    """Habits of doing something at a local clock time, or at an offset to sunset/sunrise."""
    actions = manual_actions(in_window(frame, window_start, window_end))
    if actions.is_empty():
        return []
    actions = with_local_time(actions, context.time_zone).with_columns(
        pl.col("local").dt.date().alias("date")
    )
    groups = _groups(actions, settings)
    if groups.is_empty():
        return []
    actions = actions.join(
        groups.select("gid", "entity_id", "state"), on=["entity_id", "state"]
    ).with_row_index("ev")

    systems: dict[str, pl.Expr] = {"clock": pl.col("minute")}
    sun_shift: dict[str, float] = {}
    if context.location is not None:
        suns = sun_table(context.location, context.time_zone, window_start, window_end)
        actions = actions.join(suns, on="date", how="left")
        for event in SUN_EVENTS:
            systems[event] = pl.col("minute") - pl.col(event)
            earliest, latest = suns.select(
                pl.col(event).min().alias("first"), pl.col(event).max().alias("last")
            ).row(0)
            sun_shift[event] = latest - earliest if earliest is not None else 0.0

    clusters = []
    for index, coord in enumerate(systems.values()):
        events = actions.select("ev", "gid", coord.alias("coord")).drop_nulls("coord")
        found = find_clusters(events, groups)
        clusters.append(found.with_columns(pl.lit(index, dtype=pl.Int32).alias("system")))
    members = (
        pl.concat(clusters)
        .with_columns(pl.struct("system", "gid", "round").rank("dense").alias("cand"))
        .drop("system", "round")
    )
    if members.is_empty():
        return []
    members = _split_by_weekday(members.join(actions.drop("gid"), on="ev"), groups)
    candidates = _judge(members, groups, settings, context, sun_shift)
    by_candidate = members.partition_by("cand", as_dict=True)
    zone = context.zone
    timeline = _timeline(frame, groups, window_start, window_end)
    away = days_away(frame, zone, window_start, window_end)
    # every description is validated first: a bigger sun bunch that fails must not shadow the
    # valid clock habit on the same actions (it did, once homes gave their location)
    valid, failed = [], []
    bunches = []
    for candidate in candidates:
        rows = by_candidate[(candidate.cand,)]
        bunch = _bunch(candidate, rows, window_start, window_end, zone, away)
        if bunch is None:
            failed.append(candidate)
        else:
            bunches.append(bunch)
    already = _already_in_state(bunches, timeline, zone)
    gates = _gate_timeline(frame, window_start, window_end)
    gated: set[int] = set()  # candidates that are habits only on their gate's days
    for bunch in bunches:
        candidate = bunch.candidate
        pattern = _pattern(bunch, already.get(candidate.cand, set()), context)
        if pattern is None and not gates.is_empty():
            pattern = _gated_pattern(bunch, gates, already.get(candidate.cand, set()), context)
            if pattern is not None:
                gated.add(candidate.cand)
        if (
            pattern is not None
            and not _still_in_use(candidate, pattern, actions)
            and not _follows_its_start(candidate, pattern, timeline)
            and not _cut_from_wider(candidate, pattern, actions)
        ):
            valid.append((candidate, pattern))
        else:
            failed.append(candidate)
    return _without_overlaps(valid, failed, members, gated)


def _still_in_use(candidate: _Candidate, pattern: Pattern, actions: pl.DataFrame) -> bool:
    """Whether a wide "off" habit would switch the entity off while people still use it.

    An approximation until a replay judges it: on a good share of the habit's days, a person
    sets the entity to another state by hand (on again, or changed) within two spreads after
    the habit's time, so an automation at that time would have cut them short.
    """
    own = candidate.settings
    if pattern.target_state != "off" or candidate.spread < _WIDE_OFF_SHARE * own.max_spread_minutes:
        return False
    if not pattern.days_possible:
        return False
    shift_seconds = round((candidate.clock_mean - MINUTES_PER_DAY / 2) * 60)
    after = circular_diff(pl.col("minute"), candidate.clock_mean)
    used = actions.filter(
        pl.col("entity_id") == candidate.entity_id,
        pl.col("state") != candidate.state,
        after > 0,
        after <= _IN_USE_SPREADS * candidate.spread,
    ).select((pl.col("local") - pl.duration(seconds=shift_seconds)).dt.date().alias("habit_day"))
    days = used.filter(
        pl.col("habit_day").dt.weekday().is_in([day + 1 for day in pattern.weekdays])
    )["habit_day"].n_unique()
    return days >= _IN_USE_SHARE * pattern.days_possible


def _cut_from_wider(candidate: _Candidate, pattern: Pattern, actions: pl.DataFrame) -> bool:
    """Whether the bunch is the middle of a wider spread, not a time of its own.

    The radio goes on anywhere between 05:00 and 06:45 on weekdays: a bunch found in the
    middle of that has neighbours just outside it as thick as itself. A habit's own times
    thin out fast beyond its band (a normal spread keeps 1 % between two and a half and five
    spreads from its time); when the same action on the habit's days is, just outside its
    band (as wide again on each side), more than a third as frequent as inside, the clock
    time explains nothing a wider window would not.
    """
    half = max(_BAND_SPREADS * candidate.clock_sd, _BAND_MIN_MINUTES)
    offset = circular_diff(pl.col("minute"), candidate.clock_mean).abs()
    shift_seconds = round((candidate.clock_mean - MINUTES_PER_DAY / 2) * 60)
    habit_weekday = (pl.col("local") - pl.duration(seconds=shift_seconds)).dt.weekday()
    near = actions.filter(
        pl.col("entity_id") == candidate.entity_id,
        pl.col("state") == candidate.state,
        habit_weekday.is_in([day + 1 for day in pattern.weekdays]),
        offset <= 2 * half,
    ).select((offset <= half).alias("inside"))
    inside = int(near["inside"].sum())
    outside = near.height - inside
    return inside > 0 and outside > _FLANK_SHARE * inside


def _follows_its_start(candidate: _Candidate, pattern: Pattern, timeline: pl.DataFrame) -> bool:
    """Whether the habit's time follows the entity's previous change more than the clock.

    A lamp switched off 25 to 70 minutes after it went on at about 06:50 goes off at about
    07:40, but its time is the length of a session, not a clock habit: an automation at 07:40
    would cut the mornings it went on late. When the time since the entity's previous change
    spreads less than the clock time does, the clock explains nothing the session does not.
    """
    if len(pattern.evidence_times) < 3 or candidate.clock_sd < _SESSION_MIN_CLOCK_SD:
        return False  # a clock time steady within minutes needs no other explanation
    acted = pl.DataFrame(
        {"entity_id": candidate.entity_id, "time": list(pattern.evidence_times)},
        schema={"entity_id": pl.String, "time": timeline.schema["time"]},
    ).sort("time")
    before = timeline.filter(pl.col("entity_id") == candidate.entity_id).select(
        "entity_id", pl.col("time").alias("since"), pl.col("time")
    )
    spans = (
        acted.join_asof(
            before,
            on="time",
            by="entity_id",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .drop_nulls("since")
        .select(((pl.col("time") - pl.col("since")).dt.total_seconds() / 60).alias("minutes"))
    )
    sessions = spans.filter(pl.col("minutes") <= _SESSION_MAX_MINUTES)
    # most of its actions must end a session (not follow last night's change of a day apart)
    if sessions.height < 3 or sessions.height < _SESSION_SHARE * len(pattern.evidence_times):
        return False
    session_sd = float(sessions.select(pl.col("minutes").std()).item() or 0.0)
    return session_sd < candidate.clock_sd


def _gate_timeline(
    frame: pl.DataFrame, window_start: datetime, window_end: datetime
) -> pl.DataFrame:
    """Every real change of the entities that may gate a clock habit (a TV, a switch)."""
    return (
        real_changes(in_window(frame, window_start - timedelta(days=1), window_end))
        .filter(
            pl.col("domain").is_in(sorted(_GATE_DOMAINS)),
            ~pl.col("state").is_in(["unavailable", "unknown", ""]),
        )
        .select("entity_id", "time", "state")
        .sort("time")
    )


def _gated_pattern(
    bunch: _Bunch, gates: pl.DataFrame, already: set[date], context: HomeContext
) -> Pattern | None:
    """The habit of a bunch done only while another entity is in some state (the TV plays).

    Done on too few of all its days to be a habit, a bunch may still be one on the days an
    entity of a gating domain was in one state at its time: when that state held on nine in
    ten of the days it was done, and left out at least a fifth of the days. The days it did
    not hold are then no days of the habit (as days away are not); the replay chooses the
    condition that says so.
    """
    candidate, own = bunch.candidate, bunch.candidate.settings
    others = gates.filter(pl.col("entity_id") != candidate.entity_id)
    states = _states_at(others, bunch.possible, candidate.clock_mean, context.zone)
    if states.is_empty():
        return None
    done = pl.Series(sorted(bunch.done), dtype=pl.Date)
    shares = (
        states.group_by("entity_id", "state")
        .agg(
            pl.len().alias("possible"),
            pl.col("day").is_in(done.implode()).sum().alias("done"),
        )
        .filter(
            ~pl.col("state").is_in(RESTING_STATES),  # a TV that is off gates nothing
            pl.col("done") >= _GATE_DONE_SHARE * len(bunch.done),
            pl.col("done") >= own.min_occurrences,
            pl.col("possible") <= (1 - _GATE_LEFT_OUT) * len(bunch.possible),
        )
        .with_columns((pl.col("done") / pl.col("possible")).alias("adherence"))
        .sort("adherence", "entity_id", "state", descending=[True, False, False])
    )
    for entity_id, state, *_ in shares.iter_rows():
        days = set(states.filter(entity_id=entity_id, state=state)["day"].to_list())
        gated = replace(
            bunch,
            rows=bunch.rows.filter(pl.col("habit_day").is_in(sorted(days))),
            possible=[day for day in bunch.possible if day in days],
            done={day for day in bunch.done if day in days},
        )
        # the gate already picks the days: a custom day set on top would be fitted twice
        pattern = _pattern(gated, already & days, context, custom_days=False)
        if pattern is not None:
            name = context.friendly_name(entity_id)
            note = f"done only on the days {name} was {state} at its time"
            return replace(pattern, notes=(*pattern.notes, note))
    return None


def _day_minute_utc(minute: pl.Expr, zone: Any) -> pl.Expr:
    """The UTC moment of a local minute on each `day` (null where the clock skips it)."""
    return (
        (pl.col("day").cast(pl.Datetime("us")) + pl.duration(minutes=minute))
        .dt.replace_time_zone(str(zone), ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def _states_at(gates: pl.DataFrame, days: list[date], minute: float, zone: Any) -> pl.DataFrame:
    """`day`, `entity_id`, `state`: each gate's state at the local minute of every day."""
    probes = (
        pl.DataFrame({"day": days}, schema={"day": pl.Date})
        .with_columns(_day_minute_utc(pl.lit(round(minute)), zone).alias("time"))
        .drop_nulls("time")
        .join(gates.select("entity_id").unique(), how="cross")
        .sort("time")
    )
    return (
        probes.join_asof(
            gates, on="time", by="entity_id", strategy="backward", check_sortedness=False
        )
        .drop_nulls("state")
        .select("day", "entity_id", "state")
    )


def _timeline(
    frame: pl.DataFrame, groups: pl.DataFrame, window_start: datetime, window_end: datetime
) -> pl.DataFrame:
    """Every real change (any origin) of the habit entities, a day before the window on."""
    entities = groups["entity_id"].unique().implode()
    return (
        real_changes(in_window(frame, window_start - timedelta(days=1), window_end))
        .filter(pl.col("entity_id").is_in(entities))
        .select("entity_id", "time", pl.col("state").alias("state_before"))
        .sort("time")
    )


@dataclass(frozen=True, slots=True)
class _Bunch:
    """A candidate's actions on the days its habit could hold, before the days are judged."""

    candidate: _Candidate
    rows: pl.DataFrame  # its actions, each with the `habit_day` it counts for
    possible: list[date]  # the local dates whose habit time falls in the window
    done: set[date]  # the habit days on which it was done
    away: tuple[date, ...] = ()  # habit days left out: nobody was home (days away)


def _already_in_state(
    bunches: list[_Bunch], timeline: pl.DataFrame, zone: Any
) -> dict[int, set[date]]:
    """Per candidate, the days it was not done on which the entity was already in its state.

    Nobody switches off a light that is already off: a day on which the entity was already in
    the habit's state shortly before the habit's time is no evidence against the habit. One
    as-of join answers every candidate at once.
    """
    cands, days, minutes, entities, states = [], [], [], [], []
    for bunch in bunches:
        candidate = bunch.candidate
        margin = max(3 * candidate.clock_sd, 30.0)
        probe = round(candidate.clock_mean - margin)
        for day in bunch.possible:
            if day not in bunch.done:
                cands.append(candidate.cand)
                days.append(day)
                minutes.append(probe)
                entities.append(candidate.entity_id)
                states.append(candidate.state)
    if not cands:
        return {}
    probes = (
        pl.DataFrame(
            {"cand": cands, "day": days, "probe": minutes, "entity_id": entities, "state": states},
            schema={
                "cand": pl.Int64,
                "day": pl.Date,
                "probe": pl.Int64,
                "entity_id": pl.String,
                "state": pl.String,
            },
        )
        .with_columns(_day_minute_utc(pl.col("probe"), zone).alias("time"))
        .drop_nulls("time")
        .sort("time")
    )
    # both sides are sorted by time; within an entity they stay sorted
    states_then = probes.join_asof(
        timeline, on="time", by="entity_id", strategy="backward", check_sortedness=False
    ).filter(pl.col("state_before") == pl.col("state"))
    found: dict[int, set[date]] = {}
    for cand, day in states_then.select("cand", "day").iter_rows():
        found.setdefault(int(cand), set()).add(day)
    return found


def _groups(actions: pl.DataFrame, settings: MiningSettings) -> pl.DataFrame:
    """One row per (entity, state) done on enough days, and that domain's thresholds."""
    counts = actions.group_by("entity_id", "state", "domain").agg(
        pl.len().alias("total"), pl.col("date").n_unique().alias("days")
    )
    rows = []
    for entity_id, state, domain, total, days in counts.sort("entity_id", "state").iter_rows():
        own = settings_for(settings, domain)
        # evidence is counted in days: ten bounces one morning are one day of evidence
        if days >= own.min_occurrences:
            rows.append((entity_id, state, total, own.max_spread_minutes, own.min_occurrences))
    return pl.DataFrame(
        rows,
        schema={
            "entity_id": pl.String,
            "state": pl.String,
            "total": pl.Int64,
            "max_spread": pl.Float64,
            "min_occurrences": pl.Int64,
        },
        orient="row",
    ).with_row_index("gid")


def _split_by_weekday(members: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Bunches whose weekdays keep different times, split into one bunch per group of weekdays.

    Sundays at 08:14 and Tuesdays at 08:56 fall in one bunch of the whole week's times, whose
    mean (08:38) is the time of neither. Per bunch, each weekday's typical time is found; the
    weekdays sorted by it are cut where two neighbours lie far apart, both in minutes and in
    spreads of the times within a weekday, and each part becomes a bunch of its own, if every
    part was done on enough days to be a habit (a split of chance actions is no evidence).
    """
    centres = members.group_by("cand").agg(circular_mean_minutes(pl.col("minute")).alias("centre"))
    # the habit's day runs from the opposite side of the circle, as in _pattern
    shift = ((pl.col("centre") - MINUTES_PER_DAY / 2) * 60).round().cast(pl.Int64)
    members = members.join(centres, on="cand").with_columns(
        circular_diff(pl.col("minute"), pl.col("centre")).alias("offset"),
        (pl.col("local") - pl.duration(seconds=shift)).dt.weekday().alias("habit_weekday"),
    )
    per_day = (
        members.group_by("cand", "habit_weekday")
        .agg(
            pl.col("offset").mean().alias("typical"),
            (pl.col("offset").var(ddof=0) * pl.len()).alias("squares"),
            pl.len().alias("n"),
        )
        .sort("cand", "typical")
    )
    within = (
        (pl.col("squares").sum() / (pl.col("n").sum() - pl.len()).clip(lower_bound=1))
        .sqrt()
        .over("cand")
    )
    cut = pl.max_horizontal(pl.lit(_WEEKDAY_SPLIT_MINUTES), _WEEKDAY_SPLIT_SPREADS * within)
    parts = per_day.with_columns(
        (pl.col("typical").diff().over("cand").fill_null(0.0) > cut)
        .cum_sum()
        .over("cand")
        .alias("part")
    ).select("cand", "habit_weekday", "part")
    members = members.join(parts, on=["cand", "habit_weekday"]).join(
        groups.select("gid", "min_occurrences"), on="gid"
    )
    too_small = (
        (pl.col("date").n_unique().over("cand", "part") < pl.col("min_occurrences"))
        .any()
        .over("cand")
    )
    return (
        members.with_columns(pl.when(too_small).then(0).otherwise(pl.col("part")).alias("part"))
        .with_columns(pl.struct("cand", "part").rank("dense").alias("cand"))
        .drop("centre", "offset", "habit_weekday", "part", "min_occurrences")
    )


def _judge(
    members: pl.DataFrame,
    groups: pl.DataFrame,
    settings: MiningSettings,
    context: HomeContext,
    sun_shift: dict[str, float],
) -> list[_Candidate]:
    """Spread of every bunch by clock and by sun; drop bunches no denser than chance."""
    aggregations: list[pl.Expr] = [
        pl.col("gid").first(),
        pl.len().alias("size"),
        pl.col("half_width").first(),
        circular_mean_minutes(pl.col("minute")).alias("clock_mean"),
    ]
    stats = members.group_by("cand").agg(aggregations)
    members = members.join(stats.select("cand", "clock_mean"), on="cand")
    spreads: list[pl.Expr] = [
        circular_diff(pl.col("minute"), pl.col("clock_mean")).std().alias("clock_sd")
    ]
    for event in sun_shift:
        offset = circular_diff(pl.col("minute") - pl.col(event), 0.0)
        spreads += [offset.mean().alias(f"{event}_mean"), offset.std().alias(f"{event}_sd")]
    stats = stats.join(members.group_by("cand").agg(spreads), on="cand").join(groups, on="gid")

    candidates = []
    for row in stats.iter_rows(named=True):
        own = settings_for(settings, row["entity_id"].split(".", 1)[0])
        # a bunch that is no denser than the entity's actions spread evenly is chance
        expected = row["total"] * (2 * row["half_width"] / MINUTES_PER_DAY)
        if row["size"] < own.time_min_contrast * expected:
            continue
        candidates.append(_candidate(row, own, sun_shift))
    return candidates


def _candidate(row: dict[str, Any], own: MiningSettings, sun_shift: dict[str, float]) -> _Candidate:
    """Decide between clock and sun for one bunch."""
    clock_sd = float(row["clock_sd"] or 0.0)
    kind, spread, sun_event, sun_offset = HabitKind.TIME_OF_DAY, clock_sd, None, None
    best = min(
        (event for event in sun_shift if row.get(f"{event}_sd") is not None),
        key=lambda event: row[f"{event}_sd"],
        default=None,
    )
    if best is not None:
        sun_sd = float(row[f"{best}_sd"])
        moved = sun_shift[best] >= own.sun_min_shift_minutes
        # hours away from the sun event, a habit follows the clock, however the spreads fall
        near = abs(float(row[f"{best}_mean"])) <= _MAX_SUN_OFFSET_MINUTES
        if moved and near and sun_sd < own.sun_spread_ratio * clock_sd:
            kind, spread = HabitKind.SUN, sun_sd
            sun_event, sun_offset = best, float(row[f"{best}_mean"])
    return _Candidate(
        cand=row["cand"],
        gid=row["gid"],
        entity_id=row["entity_id"],
        state=row["state"],
        size=row["size"],
        clock_mean=float(row["clock_mean"]),
        clock_sd=clock_sd,
        kind=kind,
        spread=spread,
        sun_event=sun_event,
        sun_offset=sun_offset,
        settings=own,
    )


def _without_overlaps(
    valid: list[tuple[_Candidate, Pattern]],
    failed: list[_Candidate],
    members: pl.DataFrame,
    gated: set[int],
) -> list[Pattern]:
    """The same bunch found by clock and by sun is one habit: keep its most confident description.

    Only habits that passed every threshold compete here; one that holds on all its days
    before one that holds only on its gate's days (whose confidence counts only those); then
    the most confident; on a tie, the one done on more days, then the narrower one (a sun
    description, handicapped by the settings' margin).
    A failed description no longer hides a valid one, but when a bigger one that holds most
    of the same actions failed, the actions may just be scattered: the narrow habit then
    stands only if it is clearly sure.
    """
    ranked = sorted(
        valid,
        key=lambda pair: (
            pair[0].cand in gated,
            -pair[1].confidence,
            -pair[1].days_observed,
            pair[0].spread / pair[0].settings.sun_spread_ratio
            if pair[0].kind is HabitKind.SUN
            else pair[0].spread,
            pair[0].cand,
        ),
    )
    wanted = [candidate.cand for candidate, _ in valid] + [c.cand for c in failed]
    events = {
        key[0]: set(frame["ev"].to_list())
        for key, frame in members.select("cand", "ev")
        .filter(pl.col("cand").is_in(wanted))
        .partition_by("cand", as_dict=True)
        .items()
    }
    kept: list[_Candidate] = []
    patterns: list[Pattern] = []
    for candidate, pattern in ranked:
        mine = events[candidate.cand]
        clash = any(
            other.gid == candidate.gid
            and len(mine & events[other.cand]) > _SAME_HABIT_OVERLAP * min(len(mine), other.size)
            for other in kept
        )
        scattered = (
            pattern.confidence < candidate.settings.min_confidence + _SHADOWED_MARGIN
            and any(
                other.gid == candidate.gid
                and other.size > candidate.size
                and len(mine & events[other.cand]) > _SAME_HABIT_OVERLAP * len(mine)
                for other in failed
            )
        )
        if not clash and not scattered:
            kept.append(candidate)
            patterns.append(pattern)
    return patterns


def _bunch(
    candidate: _Candidate,
    rows: pl.DataFrame,
    window_start: datetime,
    window_end: datetime,
    zone: Any,
    away: frozenset[date] = frozenset(),
) -> _Bunch | None:
    """The candidate's actions by habit day, or None when it cannot be a habit whatever the days."""
    own = candidate.settings
    # cheap bounds first, now that every description is checked: fewer actions than days
    # needed, or too wide to be sure even if done every day
    best_confidence = 1 - 0.5 * candidate.spread / own.max_spread_minutes
    if (
        candidate.spread > own.max_spread_minutes
        or candidate.size < own.min_occurrences
        or best_confidence < own.min_confidence
    ):
        return None
    # days away are no day of the habit: neither done nor missed
    every = habit_days(window_start, window_end, zone, candidate.clock_mean)
    possible = [day for day in every if day not in away]
    # the habit's day runs from the opposite side of the circle, so 00:05 joins the evening before
    shift_seconds = round((candidate.clock_mean - MINUTES_PER_DAY / 2) * 60)
    rows = rows.with_columns(
        (pl.col("local") - pl.duration(seconds=shift_seconds)).dt.date().alias("habit_day")
    ).filter(pl.col("habit_day").is_in(possible))
    if rows.is_empty():
        return None
    done = set(rows["habit_day"].unique().to_list())
    if len(done) < own.min_occurrences:
        return None
    left_out = tuple(day for day in every if day in away)
    return _Bunch(candidate=candidate, rows=rows, possible=possible, done=done, away=left_out)


def _pattern(
    bunch: _Bunch, already: set[date], context: HomeContext, *, custom_days: bool = True
) -> Pattern | None:
    """The habit of one bunch, on the day set its evidence supports, if it is strong enough.

    Without `custom_days`, only every day, weekdays or weekends are tried.
    """
    candidate, rows, possible, done = bunch.candidate, bunch.rows, bunch.possible, bunch.done
    own = candidate.settings
    observed = {day.weekday(): 0 for day in possible}
    for day in done:
        observed[day.weekday()] += 1
    # days on which it was already done count for nothing, if the habit was needed on most days
    needed = [day for day in possible if day not in already]
    basis = needed if len(needed) >= _MIN_NEEDED_SHARE * len(possible) else possible
    days = _day_set(observed, _count_weekdays(basis), custom=custom_days)
    rows = rows.filter(pl.col("habit_day").dt.weekday().is_in([d + 1 for d in days]))
    done = {day for day in done if day.weekday() in days}
    days_possible = sum(1 for day in basis if day.weekday() in days)
    not_needed = sum(1 for day in possible if day.weekday() in days) - days_possible
    days_observed = len(done)
    adherence = days_observed / days_possible if days_possible else 0.0
    confidence = adherence * (1 - 0.5 * candidate.spread / own.max_spread_minutes)
    if (
        days_observed < own.min_occurrences
        or adherence < own.min_adherence
        or confidence < own.min_confidence
    ):
        return None
    minutes = round(_recent_minute(candidate, rows)) % int(MINUTES_PER_DAY)
    return Pattern(
        kind=candidate.kind,
        target_entity=candidate.entity_id,
        target_state=candidate.state,
        time_of_day=time(minutes // 60, minutes % 60),
        spread_minutes=round(candidate.spread, 1),
        weekdays=days,
        sun_event=candidate.sun_event,
        sun_offset_minutes=None if candidate.sun_offset is None else round(candidate.sun_offset),
        occurrences=rows.height,
        days_observed=days_observed,
        days_possible=days_possible,
        adherence=round(adherence, 3),
        notes=_not_needed_note(not_needed, candidate.state)
        + _away_note(sum(1 for day in bunch.away if day.weekday() in days)),
        confidence=round(confidence, 3),
        evidence_times=tuple(rows["time"].sort().to_list()),
        evidence_lags=_sun_offsets(candidate, rows),
        sensitive=is_sensitive(candidate.entity_id, context),
    )


def _recent_minute(candidate: _Candidate, rows: pl.DataFrame) -> float:
    """The habit's clock time now: the centre of its last third, when it clearly drifted there.

    A habit that moved 25 minutes over the month is to be done at today's time, not at the
    month's average; noise alone moves the last third's centre by only a few minutes.
    """
    if candidate.kind is not HabitKind.TIME_OF_DAY:
        return candidate.clock_mean
    recent = rows.sort("time").tail(max(rows.height // 3, 1))
    if recent.height < _DRIFT_MIN_DAYS:
        return candidate.clock_mean
    centre = float(recent.select(circular_mean_minutes(pl.col("minute"))).item())
    half = MINUTES_PER_DAY / 2
    moved = abs((centre - candidate.clock_mean + half) % MINUTES_PER_DAY - half)
    noise = _DRIFT_NOISE_SPREADS * candidate.spread / math.sqrt(recent.height)
    return centre if moved > max(_DRIFT_MIN_MINUTES, noise) else candidate.clock_mean


def _sun_offsets(candidate: _Candidate, rows: pl.DataFrame) -> tuple[float, ...]:
    """For a sun habit: seconds from that day's sun event to each occurrence (time order)."""
    if candidate.kind is not HabitKind.SUN or candidate.sun_event not in rows.columns:
        return ()
    offsets = rows.sort("time").select(
        (circular_diff(pl.col("minute"), pl.col(candidate.sun_event)) * 60).round(1)
    )
    values = offsets.to_series().to_list()
    if any(value is None for value in values):  # a day the sun did not set (far north)
        return ()
    return tuple(float(value) for value in values)


def _not_needed_note(days: int, state: str) -> tuple[str, ...]:
    if days <= 0:
        return ()
    plural = "s" if days > 1 else ""
    return (f"not counted: {days} day{plural} when it was already {state}",)


def _away_note(days: int) -> tuple[str, ...]:
    if days <= 0:
        return ()
    return (f"not counted: {days} day{'s' if days > 1 else ''} away",)


def _count_weekdays(days: list[date]) -> dict[int, int]:
    counts = dict.fromkeys(ALL_DAYS, 0)
    for day in days:
        counts[day.weekday()] += 1
    return counts


def _clearly_left_out(
    days: tuple[int, ...], observed: dict[int, int], possible: dict[int, int]
) -> bool:
    """Whether the person (nearly) never does it on the days a custom set leaves out.

    (Nearly) never, and not by chance: done on a quarter of a left-out weekday's dates at
    most, and that few would happen at the set's own adherence only rarely (one Sunday of
    four at an adherence of 0.7 happens for one weekday in twelve, so it is no reason to
    leave Sundays out; none of five is).
    """
    kept_done = sum(observed.get(day, 0) for day in days)
    kept_could = sum(possible[day] for day in days)
    rate = kept_done / kept_could if kept_could else 0.0
    return all(
        observed.get(day, 0) <= _LEFT_OUT_ADHERENCE * possible[day]
        and _at_most(observed.get(day, 0), possible[day], rate) <= _LEFT_OUT_CHANCE
        for day in ALL_DAYS
        if day not in days and possible[day]
    )


def _at_most(done: int, dates: int, rate: float) -> float:
    """The chance of doing it on `done` of `dates` or fewer, each at `rate` (binomial)."""
    return sum(math.comb(dates, k) * rate**k * (1 - rate) ** (dates - k) for k in range(done + 1))


def _day_set(
    observed: dict[int, int], possible: dict[int, int], *, custom: bool = True
) -> tuple[int, ...]:
    """The day set with the best balance of adherence (done on its days) and coverage."""
    total = sum(observed.values())
    chosen = tuple(
        day
        for day in ALL_DAYS
        if custom and possible[day] and observed.get(day, 0) / possible[day] >= _DAY_KEPT_ADHERENCE
    )
    best: tuple[float, tuple[int, ...]] = (-1.0, ALL_DAYS)
    # on a tie the smaller named set wins: days on which it was never needed nor done (a
    # light already on every weekend morning) are no reason to act on them too
    for days, bonus in (
        (WEEKDAYS, _NAMED_DAY_SET_BONUS),
        (WEEKENDS, _NAMED_DAY_SET_BONUS),
        (ALL_DAYS, _NAMED_DAY_SET_BONUS),
        (chosen, 0.0),
    ):
        done = sum(observed.get(day, 0) for day in days)
        could = sum(possible[day] for day in days)
        if not days or not could or not done:
            continue
        adherence, coverage = done / could, done / total
        if not bonus and (
            coverage < _CUSTOM_SET_MIN_COVERAGE or not _clearly_left_out(days, observed, possible)
        ):
            continue
        balance = 2 * adherence * coverage / (adherence + coverage) + bonus
        if balance > best[0]:
            best = (balance, days)
    return best[1]
