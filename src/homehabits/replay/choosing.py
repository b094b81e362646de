"""Conditions chosen by replay: each draft tries a few gates and keeps one only when it pays.

A habit's bare automation fires whenever its trigger does; the person acted only some of those
times (the hallway light after the front door, but only when dark). For each draft the bare
automation is replayed, candidate conditions are drawn from its own fires (the good ones, where
it would not have changed anything against the person's will, against the wrong ones), each
candidate is replayed too, and the best is kept only when it halves the wrong fires and keeps
nine in ten of the useful ones. Candidates: dark (the sun, or an illuminance sensor in the
same area), a time window, someone home / nobody home, a day type (weekday sets, the Workday
sensor; public holidays from the `holidays` package name the days a weekday set still gets
wrong), and another entity whose state gates the action (the TV playing).

Pure: everything comes in as the drafts, the EventFrame and the HomeContext.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Final

import holidays
import polars as pl

from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import convert_dialect
from homehabits.automations.draft import Draft, DroppedPattern
from homehabits.automations.kinds import weekday_condition
from homehabits.automations.tree import CONDITION_LIST_KEY, TRIGGER_LIST_KEY
from homehabits.automations.yaml_text import automation_to_yaml
from homehabits.config import Dialect, MiningSettings
from homehabits.context import HomeContext
from homehabits.exceptions import AutomationCheckError
from homehabits.patterns._common import settings_for
from homehabits.patterns.habit import HabitKind
from homehabits.phrasing import ALL_DAYS, WEEKDAYS, WEEKENDS, days_phrase
from homehabits.replay.conditions import holds
from homehabits.replay.engine import DEFAULT_TOLERANCE, replay_automations
from homehabits.replay.history import TIME, History
from homehabits.replay.result import Replay

__all__ = [
    "MOSTLY_WRONG",
    "WRONG_PENALTY",
    "Candidate",
    "choose_conditions",
    "drop_misfiring",
    "rank_drafts",
    "separating_condition",
    "usefulness",
    "with_condition",
]

#: What one wrong fire costs against one saved tap: the owner notices the light on at noon and
#: switches it off again (a tap) and trusts the automation a little less (another).
WRONG_PENALTY: Final = 2.0
#: A condition must at least halve the wrong fires: a smaller cut is within the noise of a
#: month's history, and every condition is one more thing the owner has to read and trust.
_WRONG_CUT: Final = 0.5
#: ... and may lose at most one useful fire in ten: a gate that misses the person's own
#: evenings would trade a visible mistake for an invisible one.
_USEFUL_LOSS: Final = 0.10
#: One or two wrong fires in a month are strays, not a pattern a condition could learn from;
#: and under one fire in ten wrong is within the noise of people's own habits.
_MIN_WRONG: Final = 3
_MIN_WRONG_RATE: Final = 0.1
#: A candidate must hold at nearly all the good fires (all but one in ten, `_nearly_all`): a
#: gating entity in the same state, someone home (or nobody), the day type. A gating entity
#: must also be in that state at no more than a quarter of the wrong ones (else it does not
#: tell them apart).
_GATE_WRONG_SHARE: Final = 0.25
#: How far from sunset (sunrise) a good fire may be and still say how dark "dark" is, minutes.
_SUN_REACH: Final = 120
#: The gating entities tried per draft, best separated first.
_MAX_GATES: Final = 3
#: A clock or sun habit that switches something off is dropped when more than this share of
#: the times it would have switched it off, it was still in use (the person switched it off
#: later, or not at all): cutting someone's light is worse than an early light, and the fires
#: that found it already off say nothing either way.
MOSTLY_WRONG: Final = 0.25

_GATE_DOMAINS: Final = frozenset(
    {
        "media_player",
        "switch",
        "input_boolean",
        "binary_sensor",
        "light",
        "fan",
        "climate",
        "cover",
        "remote",
        "input_select",
        "select",
    }
)
_NOT_A_STATE: Final = frozenset({"unknown", "unavailable", ""})
_SUN_ENTITY: Final = "sun.sun"
_ZONE_HOME: Final = "zone.home"
# the kinds whose trigger a condition may gate: an override changes someone else's automation,
# a presence habit already says who must be away, an auto-off follows the target's own state
_GATED_KINDS: Final = frozenset({HabitKind.TIME_OF_DAY, HabitKind.SUN, HabitKind.SEQUENCE})
# an auto-off of one time slot (ten minutes at lunch) may be gated by a time window: its
# timer must not cut the long dinners of the same light
_SLOT_TIMER: Final = HabitKind.AUTO_OFF


@dataclass(frozen=True, slots=True)
class _Window:
    """The history every automation of a run is replayed over."""

    frame: pl.DataFrame
    context: HomeContext
    start: datetime
    end: datetime
    tolerance: timedelta

    def replay(self, automations: Sequence[Mapping[str, Any]]) -> list[Replay]:
        return replay_automations(
            automations,
            self.frame,
            self.context,
            window_start=self.start,
            window_end=self.end,
            tolerance=self.tolerance,
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A condition to try, and how the owner reads it ('when it is dark')."""

    condition: dict[str, Any]
    words: str


def usefulness(replay: Replay | None) -> float:
    """Saved taps less a penalty per wrong fire: how much the automation would have helped."""
    if replay is None:
        return 0.0
    return replay.saved - WRONG_PENALTY * replay.wrong


def choose_conditions(
    drafts: Sequence[Draft],
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> list[Draft]:
    """Each draft with its replay, and with a condition added where one clearly pays."""
    if not drafts:
        return []
    window = _Window(frame, context, window_start, window_end, tolerance)
    bare = window.replay([d.automation for d in drafts])
    evidence: _Evidence | None = None  # read only when some draft is wrong often enough
    chosen: list[Draft] = []
    for draft, before in zip(drafts, bare, strict=True):
        draft = replace(draft, replay=before)
        if (
            _may_be_gated(draft)
            and not _secures(draft)
            and before.wrong >= _MIN_WRONG
            and before.wrong_rate >= _MIN_WRONG_RATE
        ):
            evidence = evidence or _Evidence(frame, context, window_start, window_end)
            draft = _try_candidates(draft, before, evidence, window)
        chosen.append(draft)
    return chosen


def rank_drafts(drafts: Iterable[Draft]) -> list[Draft]:
    """Drafts by confidence (to the hundredth), then by replayed usefulness."""
    return sorted(drafts, key=lambda d: (-round(d.pattern.confidence, 2), -usefulness(d.replay)))


def drop_misfiring(
    drafts: Iterable[Draft], context: HomeContext, settings: MiningSettings | None = None
) -> tuple[list[Draft], list[DroppedPattern]]:
    """The drafts whose replay says they would do more than the person does, left out.

    Three rules, read off the replay after its condition was chosen: a clock or sun habit
    that switches something off while, by its replay, it was still in use more than a quarter
    of the times it would have acted; any automation wrong more often than it did as the
    person did (at least a few times: strays are not a verdict; days away do not count, as
    they do not in the habit's own days); and a timer whose fires
    matched fewer of the person's switch-offs than a habit needs days (`min_occurrences`, per
    domain): each of its fires is one of the sessions it claims to explain.
    """
    own = settings or MiningSettings()
    kept: list[Draft] = []
    dropped: list[DroppedPattern] = []
    for draft in drafts:
        domain = draft.pattern.target_entity.split(".", 1)[0]
        reason = _misfire(draft, context, settings_for(own, domain).min_occurrences)
        if reason is None:
            kept.append(draft)
        else:
            dropped.append(DroppedPattern(pattern=draft.pattern, reason=reason))
    return kept, dropped


def _misfire(draft: Draft, context: HomeContext, least_days: int) -> str | None:
    """Why the draft's replay says it would misfire, or None."""
    pattern, replay = draft.pattern, draft.replay
    if replay is None or not replay.fires:
        return None
    acted = replay.useful + replay.wrong  # the fires that found it not yet as the call leaves it
    name = context.friendly_name(pattern.target_entity)
    if (
        pattern.kind in (HabitKind.TIME_OF_DAY, HabitKind.SUN)
        and pattern.target_state == "off"
        and acted
        and replay.wrong / acted > MOSTLY_WRONG
    ):
        return (
            f"its replay says it would have switched {name} off while it was still in use: "
            f"{replay.wrong} of the {acted} times it would have switched it off"
        )
    # a holiday is no evidence against a habit: its wrong fires do not count here
    wrong_at_home = replay.wrong - replay.wrong_away
    if wrong_at_home >= _MIN_WRONG and wrong_at_home > replay.useful:
        away = f" ({replay.wrong_away} more on days away)" if replay.wrong_away else ""
        return (
            f"its replay says it would have been wrong more often than right: {wrong_at_home} "
            f"of {replay.fires} fires changed {name} when you did not{away}, {replay.useful} "
            "did as you did"
        )
    if pattern.kind is HabitKind.AUTO_OFF and replay.useful < least_days:
        return (
            f"its replay matched only {replay.useful} of the times you switched {name} off "
            f"(a habit needs {least_days})"
        )
    return None


def separating_condition(
    draft: Draft,
    good: Sequence[datetime],
    wrong: Sequence[datetime],
    frame: pl.DataFrame,
    context: HomeContext,
    *,
    window_start: datetime,
    window_end: datetime,
) -> tuple[Candidate, int, int] | None:
    """The condition that tells the fires people kept from those they undid, if one does.

    For a deployed automation: `good` are its fires nobody undid, `wrong` those a person set
    back (UTC). The candidates are those a new draft tries (dark, a time window, someone home,
    a day type, a gating entity), each judged at those moments; one is kept when it holds at
    no more than half the undone fires and at nine in ten of the kept ones, the best by kept
    fires less the penalty per undone fire it still lets through. Returns it with how many of
    the kept and of the undone fires it lets through.
    """
    if not good or len(wrong) < _MIN_WRONG:
        return None
    good_times = pl.Series("t", sorted(good), dtype=TIME)
    wrong_times = pl.Series("t", sorted(wrong), dtype=TIME)
    evidence = _Evidence(frame, context, window_start, window_end)
    best: tuple[float, Candidate, int, int] | None = None
    for candidate in evidence.candidates(draft, good_times, wrong_times):
        kept, undone = (
            int(evidence.holds(candidate.condition, times).sum())
            for times in (good_times, wrong_times)
        )
        if undone > len(wrong) * _WRONG_CUT or not _nearly_all(kept, len(good)):
            continue
        value = kept - WRONG_PENALTY * undone
        if best is None or value > best[0]:
            best = (value, candidate, kept, undone)
    return None if best is None else best[1:]


def _may_be_gated(draft: Draft) -> bool:
    """Whether a condition may gate the draft's trigger (see _GATED_KINDS and _SLOT_TIMER)."""
    kind = draft.pattern.kind
    return kind in _GATED_KINDS or (kind is _SLOT_TIMER and draft.pattern.time_of_day is not None)


def _try_candidates(
    draft: Draft,
    before: Replay,
    evidence: _Evidence,
    window: _Window,
) -> Draft:
    good, wrong = _good_and_wrong(before)
    candidates = evidence.candidates(draft, good, wrong)
    if not candidates:
        return draft
    automations = [with_condition(draft, candidate.condition) for candidate in candidates]
    trials = window.replay(automations)
    best: tuple[float, Candidate, dict[str, Any], Replay] | None = None
    for candidate, automation, after in zip(candidates, automations, trials, strict=True):
        if not _pays(before, after):
            continue
        value = usefulness(after)
        if best is None or value > best[0]:
            best = (value, candidate, automation, after)
    if best is None:
        return draft
    _, candidate, automation, after = best
    try:
        check_automation(automation, draft.dialect)
    except AutomationCheckError:
        return draft  # a condition Home Assistant would refuse is no condition to suggest
    note = (
        f"only {candidate.words}: without it {_percent(before.wrong_rate)} of its fires were "
        f"wrong, with it {_percent(after.wrong_rate)}"
    )
    still_good, still_wrong = _good_and_wrong(after)
    holiday_note = evidence.holiday_note(candidate, still_good, still_wrong)
    if holiday_note:
        note = f"{note}; {holiday_note}"
    pattern = replace(draft.pattern, notes=(*draft.pattern.notes, note))
    return replace(
        draft,
        pattern=pattern,
        automation=automation,
        yaml=automation_to_yaml(automation),
        replay=after,
        condition_note=note,
    )


def _pays(before: Replay, after: Replay) -> bool:
    """Halves the wrong fires, keeps nine useful fires in ten, and helps more in all."""
    return (
        after.wrong <= before.wrong * _WRONG_CUT
        and _nearly_all(after.useful, before.useful)
        and usefulness(after) > usefulness(before)
    )


def _nearly_all(kept: int, of: int) -> bool:
    """Whether `kept` of `of` is all but one in ten of them, rounded: one of eight may go.

    A share of nine in ten would allow no stray at all below ten fires, and a month's history
    gives a habit eight or nine of them; rounded, one of five to fourteen may go, two of
    fifteen to twenty-four.
    """
    return kept >= of - math.floor(of * _USEFUL_LOSS + 0.5)


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


def with_condition(draft: Draft, condition: dict[str, Any]) -> dict[str, Any]:
    """The draft's automation with one more condition, built modern and given its dialect."""
    modern = convert_dialect(draft.automation, Dialect.MODERN)
    key = CONDITION_LIST_KEY[Dialect.MODERN]
    conditions = [*_as_list(modern.get(key)), condition]
    built: dict[str, Any] = {}
    for name, value in modern.items():
        if name == key:
            continue
        built[name] = value
        if name == TRIGGER_LIST_KEY[Dialect.MODERN]:
            built[key] = conditions
    if key not in built:
        built[key] = conditions
    return convert_dialect(built, draft.dialect)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _good_and_wrong(replay: Replay) -> tuple[pl.Series, pl.Series]:
    """The fires that changed nothing against the person's will, and the wrong ones (UTC).

    A wrong action runs at its fire plus any delay: each is matched to the fire before it.
    """
    fires = pl.DataFrame({"t": list(replay.fire_times)}, schema={"t": TIME})
    wrong_at = pl.DataFrame({"w": list(replay.wrong_times)}, schema={"w": TIME}).sort("w")
    if wrong_at.is_empty() or fires.is_empty():
        return fires["t"], pl.Series("t", [], dtype=TIME)
    matched = wrong_at.join_asof(fires.sort("t"), left_on="w", right_on="t", strategy="backward")
    wrong = matched["t"].drop_nulls().unique().sort()
    good = fires.filter(~pl.col("t").is_in(wrong.implode()))["t"]
    return good, wrong


class _Evidence:
    """What the home looked like at each fire: the sun, the people, the sensors, the day."""

    def __init__(
        self,
        frame: pl.DataFrame,
        context: HomeContext,
        window_start: datetime,
        window_end: datetime,
    ) -> None:
        self._context = context
        self._zone = context.zone
        present = frame.select("entity_id", "domain").unique()
        self._people = bool(present.filter(pl.col("domain") == "person").height)
        self._gates = sorted(
            present.filter(pl.col("domain").is_in(sorted(_GATE_DOMAINS)))["entity_id"].to_list()
        )
        self._illuminance = {
            entity.entity_id: context.area_id(entity.entity_id)
            for entity in context.entities.values()
            if entity.device_class == "illuminance"
        }
        wanted = {_SUN_ENTITY, _ZONE_HOME, *self._gates, *self._illuminance}
        self._history = History(
            frame, context, wanted, window_start=window_start, window_end=window_end
        )
        self._window = (window_start, window_end)

    def candidates(self, draft: Draft, good: pl.Series, wrong: pl.Series) -> list[Candidate]:
        """Every condition worth replaying for this draft, simplest first."""
        if good.is_empty() or wrong.is_empty():
            return []
        found: list[Candidate] = []
        kind = draft.pattern.kind
        if kind is _SLOT_TIMER:
            # a timer of one time slot is gated by its hours only: a day set or the dark
            # chosen from a dozen of its fires would be fitted to chance
            return self._time_window(good)
        if kind is not HabitKind.SUN:
            found += self._dark(good)
        found += self._illuminance_below(draft, good, wrong)
        if kind in (HabitKind.SEQUENCE, _SLOT_TIMER):
            found += self._time_window(good)
        found += self._home_or_away(good)
        if not _has_weekdays(draft.automation):
            found += self._day_types(good, wrong)
        found += self._gating(draft, good, wrong)
        return found

    def holds(self, condition: Mapping[str, Any], times: pl.Series) -> pl.Series:
        """Whether the condition held at each moment (UTC), as the replay judges it."""
        skipped: list[str] = []
        return holds(condition, pl.DataFrame({"t": times}), self._history, skipped)

    def holiday_note(self, candidate: Candidate, good: pl.Series, wrong: pl.Series) -> str | None:
        """Public holidays a chosen weekday set still fires on wrongly, and on none rightly."""
        weekdays = candidate.condition.get("weekday")
        if not weekdays or not self._holidays:  # the country's calendar is read only then
            return None
        on_holidays = [day for day in self._local_dates(wrong) if day in self._holidays]
        if not on_holidays or any(day in self._holidays for day in self._local_dates(good)):
            return None
        days = ", ".join(sorted({f"{day:%Y-%m-%d}" for day in on_holidays})[:3])
        return f"it was wrong on public holidays too ({days}): a Workday sensor would skip them"

    @cached_property
    def _holidays(self) -> frozenset[date]:
        return _public_holidays(self._context, *self._window)

    def _local(self, times: pl.Series) -> pl.Series:
        return times.dt.convert_time_zone(self._context.time_zone)

    def _local_dates(self, times: pl.Series) -> list[date]:
        return list(self._local(times).dt.date().to_list())

    def _dark(self, good: pl.Series) -> list[Candidate]:
        sun = self._history.sun
        if sun is None:
            return []
        here = pl.col("t").dt.convert_time_zone(self._context.time_zone)
        local = pl.DataFrame({"t": good}).with_columns(date=here.dt.date(), hour=here.dt.hour())
        days = local.join(sun, on="date", how="inner").drop_nulls(["sunset", "sunrise"])
        evening = days.filter(pl.col("hour") >= 12)
        morning = days.filter(pl.col("hour") < 12)
        after = _minutes(evening["t"] - evening["sunset"]) if evening.height else []
        before = _minutes(morning["t"] - morning["sunrise"]) if morning.height else []
        if not after and not before:
            return []
        # dark is after sunset *or* before sunrise: Home Assistant's sun condition with both
        plain: dict[str, Any] = {"condition": "sun", "after": "sunset", "before": "sunrise"}
        found = [Candidate(plain, "when it is dark")]
        shifted = dict(plain)
        # how dark: the earliest good evening fire near sunset, the latest near sunrise
        near_sunset = [value for value in after if abs(value) <= _SUN_REACH]
        if near_sunset:
            offset = _floor15(_quantile(near_sunset, 0.05))
            if offset:
                shifted["after_offset"] = _offset_text(offset)
        near_sunrise = [value for value in before if abs(value) <= _SUN_REACH]
        if near_sunrise:
            offset = _ceil15(_quantile(near_sunrise, 0.95))
            if offset:
                shifted["before_offset"] = _offset_text(offset)
        if shifted != plain:
            found.append(Candidate(shifted, "when it is dark (or nearly)"))
        return found

    def _illuminance_below(
        self, draft: Draft, good: pl.Series, wrong: pl.Series
    ) -> list[Candidate]:
        areas = {
            self._context.area_id(entity)
            for entity in (draft.pattern.target_entity, draft.pattern.trigger_entity)
            if entity
        } - {None}
        found: list[Candidate] = []
        for sensor, area in self._illuminance.items():
            if area not in areas:
                continue
            lit_good = self._numbers(sensor, good)
            lit_wrong = self._numbers(sensor, wrong)
            if not lit_good or not lit_wrong:
                continue
            good_high = _quantile(lit_good, 0.9)
            wrong_low = _quantile(lit_wrong, 0.1)
            if good_high >= wrong_low:
                continue  # the light level does not tell the good fires from the wrong ones
            level = round((good_high + wrong_low) / 2)
            name = self._context.friendly_name(sensor)
            found.append(
                Candidate(
                    {"condition": "numeric_state", "entity_id": sensor, "below": level},
                    f"when {name} reads below {level} lx",
                )
            )
        return found

    def _time_window(self, good: pl.Series) -> list[Candidate]:
        """The hours of the good fires: nearly all of them (a stray or two left out), and all."""
        local = self._local(good)
        minutes = (local.dt.hour().cast(pl.Int32) * 60 + local.dt.minute().cast(pl.Int32)).to_list()
        if len(minutes) < 3:
            return []
        found: list[Candidate] = []
        for share in (0.025, 0.0):
            straight = (_quantile(minutes, share), _quantile(minutes, 1 - share))
            turned = [(m + 720) % 1440 for m in minutes]
            across = (_quantile(turned, share) - 720, _quantile(turned, 1 - share) - 720)
            low, high = min(straight, across, key=lambda span: span[1] - span[0])
            start = _floor15(low) % 1440
            end = (_ceil15(high) + 15) % 1440  # the last good fire's own quarter, whole
            if (end - start) % 1440 > 20 * 60 or start == end:
                continue
            after, before = _clock(start), _clock(end)
            condition = {"condition": "time", "after": f"{after}:00", "before": f"{before}:00"}
            if all(known.condition != condition for known in found):
                found.append(Candidate(condition, f"between {after} and {before}"))
        return found

    def _home_or_away(self, good: pl.Series) -> list[Candidate]:
        if not self._people:
            return []
        counts = [
            _number(state) for state in self._history.state_at(_ZONE_HOME, good)["state"].to_list()
        ]
        known = [count for count in counts if count is not None]
        if not known:
            return []
        home = sum(1 for count in known if count > 0)
        if _nearly_all(home, len(known)):
            condition = {"condition": "numeric_state", "entity_id": _ZONE_HOME, "above": 0}
            return [Candidate(condition, "when someone is home")]
        if _nearly_all(len(known) - home, len(known)):
            condition = {"condition": "numeric_state", "entity_id": _ZONE_HOME, "below": 1}
            return [Candidate(condition, "when nobody is home")]
        return []

    def _day_types(self, good: pl.Series, wrong: pl.Series) -> list[Candidate]:
        good_days = self._local(good).dt.weekday().to_list()  # Monday = 1
        wrong_days = self._local(wrong).dt.weekday().to_list()
        found: list[Candidate] = []
        sets: list[tuple[int, ...]] = []
        own = tuple(
            day
            for day in ALL_DAYS
            if good_days.count(day + 1) and good_days.count(day + 1) >= wrong_days.count(day + 1)
        )
        for days in (own, WEEKDAYS, WEEKENDS):
            on_them = sum(1 for day in good_days if day - 1 in days)
            wanted = days and days != ALL_DAYS and days not in sets
            if wanted and _nearly_all(on_them, len(good_days)):
                sets.append(days)
        for days in sets:
            found.append(Candidate(weekday_condition(days), days_phrase(days)))
        for sensor in self._gates:
            if sensor.startswith("binary_sensor.workday"):
                states = self._history.state_at(sensor, good)["state"].to_list()
                on = sum(1 for state in states if state == "on")
                if _nearly_all(on, len(states)) or _nearly_all(len(states) - on, len(states)):
                    state = "on" if _nearly_all(on, len(states)) else "off"
                    words = "on workdays" if state == "on" else "on days off"
                    condition = {"condition": "state", "entity_id": sensor, "state": state}
                    found.append(Candidate(condition, words))
        return found

    def _gating(self, draft: Draft, good: pl.Series, wrong: pl.Series) -> list[Candidate]:
        pattern = draft.pattern
        own = {pattern.target_entity, pattern.trigger_entity, *pattern.related_entities}
        areas = {self._context.area_id(entity) for entity in own if entity} - {None}
        scored: list[tuple[float, str, str]] = []
        for entity in self._gates:
            if entity in own or entity.startswith("binary_sensor.workday"):
                continue
            area = self._context.area_id(entity)
            if area is not None and areas and area not in areas:
                continue  # a thermostat upstairs does not gate the porch light, however it looks
            at_good = self._history.state_at(entity, good)["state"].to_list()
            states = [state for state in at_good if state not in _NOT_A_STATE and state]
            if not states:
                continue
            usual = max(set(states), key=states.count)
            share_good = at_good.count(usual) / len(at_good)
            if not _nearly_all(at_good.count(usual), len(at_good)):
                continue
            at_wrong = self._history.state_at(entity, wrong)["state"].to_list()
            share_wrong = at_wrong.count(usual) / len(at_wrong)
            if share_wrong > _GATE_WRONG_SHARE:
                continue
            scored.append((share_good - share_wrong, entity, usual))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [
            Candidate(
                {"condition": "state", "entity_id": entity, "state": state},
                f"while {self._context.friendly_name(entity)} is {state.replace('_', ' ')}",
            )
            for _, entity, state in scored[:_MAX_GATES]
        ]

    def _numbers(self, entity_id: str, times: pl.Series) -> list[float]:
        states = self._history.state_at(entity_id, times)["state"].to_list()
        return [value for value in (_number(state) for state in states) if value is not None]


def _secures(draft: Draft) -> bool:
    """Locking or arming: no condition may ever stand between the home and being secured."""
    domain = draft.pattern.target_entity.split(".", 1)[0]
    state = draft.pattern.target_state
    return (domain == "lock" and state == "locked") or (
        domain == "alarm_control_panel" and state.startswith("armed")
    )


def _has_weekdays(automation: Mapping[str, Any]) -> bool:
    conditions = automation.get(CONDITION_LIST_KEY[Dialect.MODERN])
    if conditions is None:
        conditions = automation.get(CONDITION_LIST_KEY[Dialect.LEGACY])
    return any(
        isinstance(item, Mapping) and item.get("condition") == "time" and "weekday" in item
        for item in _as_list(conditions)
    )


def _number(state: Any) -> float | None:
    try:
        value = float(state)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _minutes(deltas: pl.Series) -> list[float]:
    return [value / 60 for value in deltas.dt.total_seconds().to_list() if value is not None]


def _quantile(values: Sequence[float], share: float) -> float:
    result = pl.Series(values, dtype=pl.Float64).quantile(share, "linear")
    return float(result) if result is not None else 0.0


def _floor15(minutes: float) -> int:
    return int(math.floor(minutes / 15) * 15)


def _ceil15(minutes: float) -> int:
    return int(math.ceil(minutes / 15) * 15)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _offset_text(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    return f"{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}:00"


def _public_holidays(
    context: HomeContext, window_start: datetime, window_end: datetime
) -> frozenset[date]:
    """The public holidays of the home's country in the window; none when it is not known."""
    country = getattr(context, "country", None) or _country_of_zone(context.time_zone)
    if not country:
        return frozenset()
    years = range(window_start.year, window_end.year + 1)
    try:
        known = holidays.country_holidays(str(country).upper(), years=list(years))
    except NotImplementedError:
        return frozenset()  # a country the package does not know
    return frozenset(known.keys())


@lru_cache(maxsize=64)
def _country_of_zone(time_zone: str) -> str | None:
    """The country of a time zone, from the tz database's zone.tab where the system has it."""
    for root in zoneinfo.TZPATH:
        table = Path(root) / "zone.tab"
        if not table.is_file():
            continue
        for line in table.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and not line.startswith("#") and parts[2] == time_zone:
                return parts[0]
    return None
