"""Revisions that move a deployed automation's time, sun offset or delay to where the person acts.

Three shapes, read off the deployed automation's one trigger:

- a clock (`time`) automation whose misses or reverts show the person doing it by hand at a
  steady other time of day (switching the light on at 06:40 while it fires at 07:00): the
  same automation at the person's time;
- a sun automation, the same for its offset from sunset or sunrise;
- an auto-off (a `state` trigger with `for:`, or a `delay` before its calls) people keep
  undoing soon after it switched something off: a longer delay, from how long the person's
  own sessions (on by hand, off by hand) last.

The candidates are replayed (replay/engine.py, as new suggestions are) against the deployed
automation over the window as it would have been without the deployed automation's undone
fires: those fires' changes and the person's undoing of them are taken out, the fires nobody
undid stay (the person let them be). A candidate is kept only when it loses none of the
deployed one's useful fires, is wrong no more often (one or two strays a month aside), and
helps more in all (replay/choosing.py `usefulness`); the best one is the revision.

Pure: the watch, the deployed draft, the EventFrame and the HomeContext come in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from homehabits.automations.dialects import convert_dialect
from homehabits.automations.draft import Draft
from homehabits.automations.fields import duration_to_seconds
from homehabits.automations.tree import TRIGGER_LIST_KEY
from homehabits.config import Dialect, WatchSettings
from homehabits.context import HomeContext
from homehabits.domains import phrase_for
from homehabits.events import MANUAL_ORIGINS
from homehabits.patterns._common import clock_minutes, real_changes, with_local_time
from homehabits.phrasing import duration
from homehabits.replay.choosing import usefulness
from homehabits.replay.engine import replay_automations
from homehabits.replay.history import History
from homehabits.replay.plan import Plan, read_plan
from homehabits.replay.result import Replay
from homehabits.watch.fires import Targets, automation_changes, changes_of_fires, targets_of
from homehabits.watch.result import AutomationWatch

__all__ = ["LEAST_MOVE_MINUTES", "Retimed", "retime", "without_undone"]

#: A move of less than this is within a person's own day-to-day spread: not worth a revision.
LEAST_MOVE_MINUTES: Final = 10.0
#: The person's times make a time of their own when this share lies within _SPREAD of their
#: middle (the watch reads an automation's usual time the same way, watch/undone.py).
_STEADY_SHARE: Final = 0.8
_SPREAD: Final = 20.0
#: ... and when the person did it on at least this share of the days it was watched.
_DAYS_SHARE: Final = 0.5
#: One or two wrong fires in a month are strays (the condition search counts them so too).
_STRAYS: Final = 2
#: A session longer than this is a light left on, not a session to learn a delay from.
_LONGEST_SESSION: Final = timedelta(hours=12)
_MANUAL: Final = sorted(origin.value for origin in MANUAL_ORIGINS)


@dataclass(frozen=True, slots=True)
class Retimed:
    """A deployed automation moved to where the person acts, with the facts its words need."""

    automation: dict[str, Any]  # in the deployed one's dialect
    change: str  # "move it from 07:00 to 06:40, when you turn it on yourself"
    effect: str  # why, in figures
    evidence: tuple[datetime, ...]  # the person's own actions it learned from (UTC)
    confidence: float
    before: Replay
    after: Replay
    # the new parameters, for the revision's habit
    minute: float | None = None  # local minute of the day (clock)
    offset_minutes: float | None = None  # from the sun event (sun)
    delay_seconds: float | None = None  # before switching off (timer)


@dataclass(frozen=True, slots=True)
class _Candidate:
    automation: dict[str, Any]
    words: str  # the new time, offset or delay, as the change says it
    minute: float | None = None
    offset_minutes: float | None = None
    delay_seconds: float | None = None


def retime(
    watch: AutomationWatch,
    current: Draft,
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
    settings: WatchSettings,
) -> Retimed | None:
    """The deployed automation at the person's time, offset or delay, when that replays better."""
    modern = convert_dialect(current.automation, Dialect.MODERN)
    triggers = [t for t in _items(modern.get("triggers")) if isinstance(t, Mapping)]
    if len(triggers) != 1 or triggers[0].get("enabled") is False:
        return None
    trigger = triggers[0]
    plan = read_plan(modern)
    targets = targets_of(plan)
    if targets.states.is_empty():
        return None
    # only the rows the automation reads (and the people's, for someone home): a big home's
    # history is read once per revision, not once per candidate
    wanted = sorted(plan.entity_ids() | targets.entities)
    frame = frame.filter(pl.col("entity_id").is_in(wanted) | (pl.col("domain") == "person"))
    lived = without_undone(frame, watch, plan, targets)
    platform = trigger.get("trigger")
    if platform == "time":
        found = _clock(watch, modern, trigger, targets, lived, context, settings)
    elif platform == "sun":
        window = (window_start, window_end)
        found = _sun(watch, modern, trigger, targets, lived, context, window, settings)
    elif platform == "state":
        found = _timer(watch, modern, trigger, plan, targets, lived, context, settings)
    else:
        return None
    if found is None:
        return None
    candidates, evidence, facts, steady = found
    if not candidates:
        return None
    replays = replay_automations(
        [modern, *(candidate.automation for candidate in candidates)],
        lived,
        context,
        window_start=window_start,
        window_end=window_end,
    )
    before, trials = replays[0], replays[1:]
    best: tuple[float, _Candidate, Replay] | None = None
    for candidate, after in zip(candidates, trials, strict=True):
        if _pays(before, after) and (best is None or usefulness(after) > best[0]):
            best = (usefulness(after), candidate, after)
    if best is None:
        return None
    _, chosen, after = best
    old = _old_words(modern, trigger, plan)
    change = facts.change.format(old=old, new=chosen.words)
    effect = (
        f"{facts.effect}; replayed over the window, with {chosen.words} it would have done "
        f"as you did {_counted(after)}, with {old} {_counted(before)}"
    )
    return Retimed(
        automation=convert_dialect(_renamed(chosen.automation, old, chosen.words), current.dialect),
        change=change,
        effect=effect,
        evidence=evidence,
        confidence=round(steady * after.useful / max(after.fires, 1), 3),
        before=before,
        after=after,
        minute=chosen.minute,
        offset_minutes=chosen.offset_minutes,
        delay_seconds=chosen.delay_seconds,
    )


def _renamed(automation: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """Its alias saying the new time: 'Hall light on at 07:00' would say the old one."""
    revised = dict(automation)
    alias = revised.get("alias")
    if isinstance(alias, str) and old in alias:
        # a bare sun event: "on at sunset" becomes "on 30 min before sunset"
        said = f"at {old}" if old in ("sunset", "sunrise") and f"at {old}" in alias else old
        revised["alias"] = alias.replace(said, new, 1)
    return revised


def without_undone(
    frame: pl.DataFrame, watch: AutomationWatch, plan: Plan, targets: Targets
) -> pl.DataFrame:
    """The history as it would have been without the automation's undone fires.

    Their changes go, and so does the person's setting back of each; the fires nobody undid
    stay, as the person let them be.
    """
    if not watch.reverts:
        return frame
    undone = pl.Series("fired_at", sorted({r.fired_at for r in watch.reverts}))
    fires = pl.Series("time", list(watch.fire_times), dtype=frame.schema["time"])
    changes = changes_of_fires(automation_changes(frame, targets), fires, plan)
    theirs = changes.filter(pl.col("fired_at").is_in(undone.cast(frame.schema["time"]).implode()))
    gone = pl.concat(
        [
            theirs.select("entity_id", "time"),
            pl.DataFrame(
                {
                    "entity_id": [r.entity_id for r in watch.reverts],
                    "time": [r.undone_at for r in watch.reverts],
                },
                schema={"entity_id": pl.String(), "time": frame.schema["time"]},
            ),
        ]
    )
    return frame.join(gone, on=["entity_id", "time"], how="anti").sort("time")


@dataclass(frozen=True, slots=True)
class _Facts:
    change: str  # with {old} and {new}
    effect: str


_Found = tuple[list[_Candidate], tuple[datetime, ...], _Facts, float]


def _clock(
    watch: AutomationWatch,
    modern: Mapping[str, Any],
    trigger: Mapping[str, Any],
    targets: Targets,
    lived: pl.DataFrame,
    context: HomeContext,
    settings: WatchSettings,
) -> _Found | None:
    clocks = clock_minutes(trigger.get("at"))
    if len(clocks) != 1 or "weekday" in trigger:
        return None
    at = clocks[0]
    by_hand = _by_hand_near(lived, targets, context, at, settings.miss_minutes)
    steady = _steady(by_hand, watch, context, settings)
    if steady is None:
        return None
    shifts, share = steady
    middle = _quantile(shifts, 0.5)
    if abs(middle) < LEAST_MOVE_MINUTES:
        return None
    candidates = []
    for shift in dict.fromkeys(round(_quantile(shifts, q)) for q in (0.5, 0.25)):
        minute = (at + shift) % 1440
        moved = {**trigger, "at": f"{_clock_text(minute)}:00"}
        candidates.append(
            _Candidate(_with_trigger(modern, moved), _clock_text(minute), minute=minute)
        )
    you = _you_do(targets)
    facts = _Facts(
        change=f"move it from {{old}} to {{new}}, when you {you} yourself",
        effect=(
            f"{'done by hand before it fired' if middle < 0 else 'done by hand after it'} "
            f"on {len(by_hand)} days, at about {_clock_text((at + middle) % 1440)}"
        ),
    )
    return candidates, tuple(by_hand["time"].to_list()), facts, share


def _sun(
    watch: AutomationWatch,
    modern: Mapping[str, Any],
    trigger: Mapping[str, Any],
    targets: Targets,
    lived: pl.DataFrame,
    context: HomeContext,
    window: tuple[datetime, datetime],
    settings: WatchSettings,
) -> _Found | None:
    event = trigger.get("event")
    offset = duration_to_seconds(trigger.get("offset", 0))
    if event not in ("sunrise", "sunset") or offset is None or "weekday" in trigger:
        return None
    sun = History(lived, context, (), window_start=window[0], window_end=window[1]).sun
    if sun is None:
        return None  # no location: no sun times to measure the person's offset from
    done = _manual_to_target(lived, targets)
    if done.is_empty():
        return None
    local = with_local_time(done, context.time_zone).with_columns(
        pl.col("local").dt.date().alias("date")
    )
    fires_at = pl.col(event) + timedelta(seconds=offset)
    near = (
        local.join(sun.select("date", event), on="date", how="inner")
        .with_columns(((pl.col("time") - fires_at).dt.total_seconds() / 60).alias("shift"))
        .filter(pl.col("shift").abs() <= settings.miss_minutes)
        .unique("date", keep="first", maintain_order=True)
    )
    steady = _steady(near, watch, context, settings)
    if steady is None:
        return None
    shifts, share = steady
    middle = _quantile(shifts, 0.5)
    if abs(middle) < LEAST_MOVE_MINUTES:
        return None
    candidates = []
    for shift in dict.fromkeys(round(_quantile(shifts, q)) for q in (0.5, 0.25)):
        new_offset = round(offset / 60 + shift)
        moved = {**trigger, "offset": _offset_text(new_offset)}
        if new_offset == 0:
            moved.pop("offset")
        candidates.append(
            _Candidate(
                _with_trigger(modern, moved),
                _sun_words(event, new_offset),
                offset_minutes=float(new_offset),
            )
        )
    you = _you_do(targets)
    facts = _Facts(
        change=f"move it from {{old}} to {{new}}, when you {you} yourself",
        effect=(
            f"done by hand {'before' if middle < 0 else 'after'} it on {near.height} days, "
            f"at about {_sun_words(event, round(offset / 60 + middle))}"
        ),
    )
    return candidates, tuple(near["time"].to_list()), facts, share


def _timer(
    watch: AutomationWatch,
    modern: Mapping[str, Any],
    trigger: Mapping[str, Any],
    plan: Plan,
    targets: Targets,
    lived: pl.DataFrame,
    context: HomeContext,
    settings: WatchSettings,
) -> _Found | None:
    """A longer delay for an auto-off people keep switching back on soon after it acted.

    Only the timer on its own target ("off 5 minutes after it was switched on"): the
    person's sessions are that entity's; a motion sensor's quiet spells are no session.
    """
    if len(watch.reverts) < settings.undone_at_least:
        return None
    held = duration_to_seconds(trigger["for"]) if "for" in trigger else 0.0
    waited = plan.delay
    if held is None or (held <= 0 and waited <= 0):
        return None  # no timer to lengthen
    entities = _entities(trigger.get("entity_id"))
    to = trigger.get("to")
    if len(entities) != 1 or entities[0] not in targets.entities or not isinstance(to, str):
        return None
    sessions = _sessions(lived, entities[0], to)
    if sessions.len() < settings.undone_at_least:
        return None
    current = held + waited
    seconds: list[float] = []
    for share in (0.5, 0.75, 0.9):
        value = _round_delay(_quantile(sessions.to_list(), share))
        if value >= current + 60 and value not in seconds:
            seconds.append(value)
    candidates = []
    for value in seconds:
        revised = _with_delay(modern, trigger, held, value - waited if held > 0 else value)
        candidates.append(_Candidate(revised, _minutes_words(value), delay_seconds=value))
    undone = len(watch.reverts)
    lags = sorted(revert.seconds for revert in watch.reverts)
    name = context.friendly_name(entities[0])
    facts = _Facts(
        change="wait {new} instead of {old} before switching it off",
        effect=(
            f"switched back on {undone} of the {watch.fires} times it switched the {name} off, "
            f"usually {duration(lags[len(lags) // 2], spelled_out=True)} after it; your own "
            f"sessions lasted {_minutes_words(_quantile(sessions.to_list(), 0.1))} to "
            f"{_minutes_words(_quantile(sessions.to_list(), 0.9))}"
        ),
    )
    steady = undone / max(watch.fires, 1)  # how often it was undone
    return candidates, tuple(r.undone_at for r in watch.reverts), facts, steady


def _pays(before: Replay, after: Replay) -> bool:
    """Loses no useful fire, is wrong no more often (strays aside), and helps more in all."""
    fewer_wrong = after.wrong <= before.wrong or after.wrong <= _STRAYS
    return after.useful >= before.useful and fewer_wrong and usefulness(after) > usefulness(before)


def _manual_to_target(frame: pl.DataFrame, targets: Targets) -> pl.DataFrame:
    """The person's own changes of a target to the state the automation sets it to."""
    done = real_changes(frame).filter(pl.col("origin").cast(pl.String).is_in(_MANUAL))
    return done.join(targets.states, on=["entity_id", "state"], how="semi").sort("time")


def _by_hand_near(
    frame: pl.DataFrame, targets: Targets, context: HomeContext, at: float, reach: float
) -> pl.DataFrame:
    """The first such change each local day within `reach` minutes of `at`, with `shift`."""
    done = _manual_to_target(frame, targets)
    if done.is_empty():
        return done.with_columns(pl.lit(0.0).alias("shift"))
    half = 720.0
    local = with_local_time(done, context.time_zone).with_columns(
        (((pl.col("minute") - at + half) % 1440) - half).alias("shift"),
        pl.col("local").dt.date().alias("date"),
    )
    return local.filter(pl.col("shift").abs() <= reach).unique(
        "date", keep="first", maintain_order=True
    )


def _steady(
    near: pl.DataFrame, watch: AutomationWatch, context: HomeContext, settings: WatchSettings
) -> tuple[list[float], float] | None:
    """The person's shifts from the automation's time, when they are steady and frequent."""
    if near.height < settings.undone_at_least:
        return None
    days = {moment.astimezone(context.zone).date() for moment in watch.fire_times}
    days |= set(near["date"].to_list())
    if near.height < _DAYS_SHARE * len(days):
        return None
    shifts = [float(value) for value in near["shift"].to_list()]
    middle = _quantile(shifts, 0.5)
    share = sum(1 for value in shifts if abs(value - middle) <= _SPREAD) / len(shifts)
    return (shifts, share) if share >= _STEADY_SHARE else None


def _sessions(frame: pl.DataFrame, entity_id: str, on_state: str) -> pl.Series:
    """How long (seconds) each of the person's sessions lasted: on, then off by hand."""
    rows = (
        real_changes(frame)
        .filter(pl.col("entity_id") == entity_id)
        .sort("time")
        .with_columns(
            pl.col("time").shift(-1).alias("ended"),
            pl.col("origin").cast(pl.String).shift(-1).alias("ended_by"),
        )
    )
    ended = rows.filter(
        pl.col("state") == on_state,
        pl.col("origin").cast(pl.String).is_in(_MANUAL),
        pl.col("ended_by").is_in(_MANUAL),
        (pl.col("ended") - pl.col("time")) <= _LONGEST_SESSION,
    )
    return (ended["ended"] - ended["time"]).dt.total_seconds().cast(pl.Float64)


def _with_trigger(modern: Mapping[str, Any], trigger: Mapping[str, Any]) -> dict[str, Any]:
    return {**modern, TRIGGER_LIST_KEY[Dialect.MODERN]: [dict(trigger)]}


def _with_delay(
    modern: Mapping[str, Any], trigger: Mapping[str, Any], held: float, seconds: float
) -> dict[str, Any]:
    """The timer lengthened where it is: the trigger's `for`, else the delay before its calls."""
    if held > 0:
        return _with_trigger(modern, {**trigger, "for": _hms(seconds)})
    actions = list(_items(modern.get("actions")))
    for index, action in enumerate(actions):
        if isinstance(action, Mapping) and "delay" in action:
            actions[index] = {**action, "delay": _hms(seconds)}
            break
    return {**modern, "actions": actions}


def _old_words(modern: Mapping[str, Any], trigger: Mapping[str, Any], plan: Plan) -> str:
    """The deployed time, offset or delay, as the change says it."""
    platform = trigger.get("trigger")
    if platform == "time":
        return _clock_text(clock_minutes(trigger.get("at"))[0])
    if platform == "sun":
        offset = duration_to_seconds(trigger.get("offset", 0)) or 0.0
        return _sun_words(str(trigger.get("event")), round(offset / 60))
    held = duration_to_seconds(trigger["for"]) if "for" in trigger else 0.0
    return _minutes_words((held or 0.0) + plan.delay)


def _counted(replay: Replay) -> str:
    """'28 times', '3 times (12 wrong)': its useful fires, and its wrong ones."""
    wrong = f" ({replay.wrong} wrong)" if replay.wrong else ""
    return f"{_times(replay.useful)}{wrong}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _you_do(targets: Targets) -> str:
    """'turn it on': what the person does that the automation does, addressed to them."""
    entity, state = targets.states.row(0)
    phrase = phrase_for(str(entity).split(".", 1)[0], str(state))
    first, *rest = phrase.verb.lower().split()
    if first.endswith("es") and first[:-2].endswith(("ss", "sh", "ch", "x")):
        base = first[:-2]  # "presses"
    else:
        base = first.removesuffix("s")  # "turns", "closes", "sets"
    after = " ".join(rest) + phrase.suffix
    return f"{base} it{' ' + after.strip() if after.strip() else ''}"


def _clock_text(minute: float) -> str:
    whole = round(minute) % 1440
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _offset_text(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    return f"{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}:00"


def _sun_words(event: str, minutes: int) -> str:
    if minutes == 0:
        return f"{event}"
    side = "before" if minutes < 0 else "after"
    return f"{duration(abs(minutes) * 60)} {side} {event}"


def _minutes_words(seconds: float) -> str:
    return duration(seconds)


def _round_delay(seconds: float) -> float:
    """To the nearest 5 minutes from 10 minutes on, else to the minute: a delay people read."""
    minutes = seconds / 60
    step = 5 if minutes >= 10 else 1
    return float(max(1, round(minutes / step)) * step * 60)


def _hms(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _entities(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return []


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _quantile(values: Sequence[float], share: float) -> float:
    result = pl.Series(values, dtype=pl.Float64).quantile(share, "linear")
    return float(result) if result is not None else 0.0
