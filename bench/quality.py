"""How well mine() finds the habits planted in the simulated home, and how right its automations are.

Run: python bench/quality.py [--seeds 5] [--verbose]. Prints a table per noise level on
random homes (--randomize); asserts nothing. Goal at default noise (issue 12): precision and
recall ≥ 0.95, conditions and attributes right on ≥ 90 % of the habits that have them,
replayed wrong-fire rate ≤ 10 %.

A found habit matches a planted one when it has the same kind, target entity (or, for a
group, any of its members) and target state, and: the same trigger entity (sequence,
auto_off); clock habits within 20 minutes and on the same day set; sun habits on the same
sun event with the offset within 15 minutes. A found habit that matches nothing planted is a
false positive, and so is one that matches a habit the household stopped (it must not be
suggested) and every further member of a group found on its own (one automation is right).

For the matched habits that compile (some, like opening a garage door, never do), the automation compiled from the found habit is read:
- conditions: every planted condition is there — "dark" a sun condition (after sunset /
  before sunrise, or sun.sun below the horizon) or an illuminance below a level; "night" a
  time window that crosses midnight or starts in the evening; "home"/"away" a state of a
  person or zone.home; "weekdays"/"weekend" a weekday set; "state:E=S" a state condition;
- attributes: the service data sets each planted attribute (brightness as brightness or
  brightness_pct, temperature, position, …) to about the planted value;
- group: the action targets every member.
The replayed wrong-fire rate is wrong fires / fires of every suggestion's automation,
through homehabits.replay (printed as "not available" where that module is missing). Beside
it ("as planted"), the same rate for the planted habits themselves, compiled with their exact
time, lag, settings and conditions: the baseline of the same run, how often the household's
own habits are "wrong" under the replay's judge (the days they skip them, the minutes they
stray beyond its 15-minute tolerance).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from homehabits.automations import compile_pattern
from homehabits.automations.compile import compile_patterns
from homehabits.config import Dialect
from homehabits.context import HomeContext
from homehabits.exceptions import AutomationError
from homehabits.patterns import HabitKind, Pattern, mine
from homehabits.patterns.habit import GroupMember
from homehabits.sources.simulator import (
    PlantedHabit,
    SimulatedHome,
    SimulationConfig,
    simulate_home,
)

__all__ = ["Score", "has_attributes", "has_condition", "main", "matches", "score_home"]

NOISE_LEVELS = ("low", "default", "high")
CLOCK_MINUTES = 20
SUN_MINUTES = 15
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _members(planted: PlantedHabit) -> tuple[str, ...]:
    return (planted.target_entity, *planted.group)


def matches(found: Pattern, planted: PlantedHabit) -> bool:
    """Whether a found habit is the planted one (the rule in this module's docstring)."""
    if found.kind != planted.kind or found.target_state != planted.target_state:
        return False
    if found.target_entity not in _members(planted):
        return False
    if found.kind in (HabitKind.SEQUENCE, HabitKind.AUTO_OFF):
        return found.trigger_entity == planted.trigger_entity
    if found.kind is HabitKind.TIME_OF_DAY:
        if found.time_of_day is None or planted.time_of_day is None:
            return False
        gap = _minutes(found.time_of_day) - _minutes(planted.time_of_day)
        near = abs((gap + 720) % 1440 - 720) <= CLOCK_MINUTES
        return near and tuple(sorted(found.weekdays)) == tuple(sorted(planted.weekdays))
    if found.kind is HabitKind.SUN:
        return (
            found.sun_event == planted.sun_event
            and found.sun_offset_minutes is not None
            and planted.sun_offset_minutes is not None
            and abs(found.sun_offset_minutes - planted.sun_offset_minutes) <= SUN_MINUTES
        )
    return True  # presence, override: the same target and state


def _minutes(clock: object) -> int:
    return clock.hour * 60 + clock.minute  # type: ignore[attr-defined,no-any-return]


# --- reading a compiled automation ------------------------------------------------------


def _dicts(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping in the automation, depth first."""
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _dicts(item)


def _conditions(automation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every condition, nested ones (and/or/not, if, choose) too; triggers left out."""
    parts = [value for key, value in automation.items() if key not in ("trigger", "triggers")]
    return [item for item in _dicts(parts) if "condition" in item]


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def _clock_minutes(text: Any) -> int | None:
    try:
        hours, minutes = str(text).split(":")[:2]
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _is_dark(condition: Mapping[str, Any], context: HomeContext) -> bool:
    kind = condition.get("condition")
    if kind == "sun":
        return condition.get("after") == "sunset" or condition.get("before") == "sunrise"
    if kind == "state" and "sun.sun" in _listed(condition.get("entity_id")):
        return "below_horizon" in _listed(condition.get("state"))
    if kind == "numeric_state" and "below" in condition:
        for entity_id in _listed(condition.get("entity_id")):
            entity = context.entities.get(entity_id)
            if "illuminance" in entity_id or (entity and entity.device_class == "illuminance"):
                return True
    return False


def _is_night(condition: Mapping[str, Any]) -> bool:
    if condition.get("condition") != "time":
        return False
    after, before = _clock_minutes(condition.get("after")), _clock_minutes(condition.get("before"))
    if after is None or before is None:
        return False
    return after > before or after >= 18 * 60


def _is_presence(condition: Mapping[str, Any], home: bool) -> bool:
    entities = _listed(condition.get("entity_id"))
    kind = condition.get("condition")
    if kind == "state" and any(e.startswith(("person.", "group.", "zone.")) for e in entities):
        states = _listed(condition.get("state"))
        if any(e.startswith("zone.") for e in entities):
            return ("0" in states) != home
        return ("home" in states) == home
    if kind == "numeric_state" and "zone.home" in entities:
        return ("above" in condition) == home
    return False


def _is_days(condition: Mapping[str, Any], wanted: tuple[str, ...]) -> bool:
    if condition.get("condition") != "time" or "weekday" not in condition:
        return False
    return tuple(sorted(_listed(condition["weekday"]), key=_WEEKDAY_NAMES.index)) == wanted


def has_condition(automation: Mapping[str, Any], word: str, context: HomeContext) -> bool:
    """Whether the automation has the condition a planted habit names in words."""
    conditions = _conditions(automation)
    if word == "dark":
        return any(_is_dark(c, context) for c in conditions)
    if word == "night":
        return any(_is_night(c) for c in conditions)
    if word in ("home", "away"):
        return any(_is_presence(c, home=word == "home") for c in conditions)
    if word == "weekdays":
        return any(_is_days(c, _WEEKDAY_NAMES[:5]) for c in conditions)
    if word == "weekend":
        return any(_is_days(c, _WEEKDAY_NAMES[5:]) for c in conditions)
    if word == "workday":
        return any(
            any("workday" in e for e in _listed(c.get("entity_id"))) for c in conditions
        ) or any(c.get("condition") == "time" and "weekday" in c for c in conditions)
    if word.startswith("state:") and "=" in word:
        entity_id, state = word.removeprefix("state:").split("=", 1)
        return any(
            c.get("condition") == "state"
            and entity_id in _listed(c.get("entity_id"))
            and state in _listed(c.get("state"))
            for c in conditions
        )
    return False


def _calls(automation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    actions = automation.get("actions", automation.get("action", []))
    return [item for item in _dicts(actions) if "action" in item or "service" in item]


def _targets(automation: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for call in _calls(automation):
        for place in (call.get("target") or {}, call.get("data") or {}, call):
            if isinstance(place, Mapping):
                found.update(_listed(place.get("entity_id")))
    return found


def _near(value: Any, wanted: float, tolerance: float) -> bool:
    try:
        return abs(float(value) - wanted) <= tolerance
    except (TypeError, ValueError):
        return False


def has_attributes(automation: Mapping[str, Any], attributes: Iterable[tuple[str, Any]]) -> bool:
    """Whether some call of the automation sets every planted attribute to about its value."""
    datas = [dict(call.get("data") or {}) for call in _calls(automation)]
    for name, value in attributes:
        if name == "brightness":
            ok = any(
                _near(data.get("brightness"), float(value), 3)
                or _near(data.get("brightness_pct"), float(value) / 2.55, 1.5)
                for data in datas
            )
        elif isinstance(value, int | float):
            ok = any(_near(data.get(name), float(value), 0.26) for data in datas)
        else:
            ok = any(data.get(name) == value for data in datas)
        if not ok:
            return False
    return True


# --- scoring a home ----------------------------------------------------------------------


@dataclass
class Score:
    """What one or more homes scored, per habit kind."""

    hits: Counter[str] = field(default_factory=Counter)
    false: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    # [right, of] for matched habits that have conditions, attributes, a group
    conditions: list[int] = field(default_factory=lambda: [0, 0])
    attributes: list[int] = field(default_factory=lambda: [0, 0])
    groups: list[int] = field(default_factory=lambda: [0, 0])
    fires: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    # the planted habits' own automations replayed: the baseline of the same run
    planted_fires: Counter[str] = field(default_factory=Counter)
    planted_wrong: Counter[str] = field(default_factory=Counter)
    replayed: bool = True
    mistakes: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Add another home's score to this one."""
        self.hits += other.hits
        self.false += other.false
        self.missed += other.missed
        for mine_, theirs in (
            (self.conditions, other.conditions),
            (self.attributes, other.attributes),
            (self.groups, other.groups),
        ):
            mine_[0] += theirs[0]
            mine_[1] += theirs[1]
        self.fires += other.fires
        self.wrong += other.wrong
        self.planted_fires += other.planted_fires
        self.planted_wrong += other.planted_wrong
        self.replayed = self.replayed and other.replayed
        self.mistakes += other.mistakes


def _compiled(pattern: Pattern, context: HomeContext) -> dict[str, Any] | None:
    try:
        return compile_pattern(pattern, context, dialect=Dialect.MODERN).automation
    except AutomationError:
        return None


def suggest(
    found: Sequence[Pattern], home: SimulatedHome
) -> tuple[list[Pattern], dict[str, dict[str, Any]]]:
    """What the daily run suggests from the found habits, as `job.py` does after mining.

    Compiled, given the conditions their replay chooses, and without the clock habits the
    replay says would switch things off while in use. Returns the habits still suggested
    (the ones the compiler drops for a never rule stay in: mining found them) and each
    suggested habit's automation by fingerprint.
    """
    from homehabits.event_cleaning import clean_events
    from homehabits.replay import choose_conditions, drop_misfiring

    compiled = compile_patterns(found, home.context, dialect=Dialect.MODERN)
    chosen = choose_conditions(
        compiled.drafts,
        clean_events(home.frame),  # as the job replays: no bounce or restart is a person's
        home.context,
        window_start=home.window_start,
        window_end=home.window_end,
    )
    kept, misfiring = drop_misfiring(chosen, home.context)
    left_out = {dropped.pattern.fingerprint for dropped in misfiring}
    automations = {draft.pattern.fingerprint: draft.automation for draft in kept}
    return [p for p in found if p.fingerprint not in left_out], automations


def score_home(
    found: Sequence[Pattern],
    home: SimulatedHome,
    *,
    replay: bool = True,
    automations: Mapping[str, dict[str, Any]] | None = None,
) -> Score:
    """Precision, recall and the rightness of the automations for one simulated home.

    `automations` are the suggested automations by fingerprint (from `suggest`); a habit
    without one is compiled bare.
    """
    chosen = automations or {}

    def automation_of(pattern: Pattern) -> dict[str, Any] | None:
        return chosen.get(pattern.fingerprint) or _compiled(pattern, home.context)

    score = Score()
    left = list(home.truth)
    matched: list[tuple[Pattern, PlantedHabit]] = []
    taken: list[PlantedHabit] = []
    for pattern in found:
        twin = next((habit for habit in left if matches(pattern, habit)), None)
        kind = pattern.kind.value
        if twin is None:
            again = next(
                (habit for habit in taken if habit.group and matches(pattern, habit)), None
            )
            score.false[kind] += 1
            why = "a group member on its own" if again else "false positive"
            score.mistakes.append(f"  {why}: {_describe(pattern)}")
        elif twin.stopped:
            score.false[kind] += 1
            left.remove(twin)
            score.mistakes.append(f"  suggested a stopped habit: {_describe(pattern)}")
        else:
            score.hits[kind] += 1
            left.remove(twin)
            taken.append(twin)
            matched.append((pattern, twin))
    for habit in left:
        if habit.stopped:
            continue  # not suggesting it is right
        score.missed[habit.kind.value] += 1
        score.mistakes.append(
            f"  missed: {habit.kind.value} {habit.target_entity} → {habit.target_state}"
            f" ({habit.description})"
        )
    for pattern, habit in matched:
        automation = automation_of(pattern)
        if automation is None:
            continue  # never suggested as an automation (a garage door opening): no action
        for label, wanted, tally, right in (
            ("conditions", habit.conditions, score.conditions, _conditions_right),
            ("attributes", habit.attributes, score.attributes, _attributes_right),
            ("group", habit.group, score.groups, _group_right),
        ):
            if not wanted:
                continue
            tally[1] += 1
            if right(automation, habit, home.context):
                tally[0] += 1
            else:
                score.mistakes.append(
                    f"  without the planted {label} {wanted}: {_describe(pattern)}"
                )
    score.replayed = replay and _replay(found, home, score, automation_of)
    return score


def _conditions_right(
    automation: dict[str, Any], habit: PlantedHabit, context: HomeContext
) -> bool:
    return all(has_condition(automation, word, context) for word in habit.conditions)


def _attributes_right(automation: dict[str, Any], habit: PlantedHabit, _: HomeContext) -> bool:
    return has_attributes(automation, habit.attributes)


def _group_right(automation: dict[str, Any], habit: PlantedHabit, _: HomeContext) -> bool:
    return set(_members(habit)) <= _targets(automation)


def _replay(
    found: Sequence[Pattern],
    home: SimulatedHome,
    score: Score,
    automation_of: Callable[[Pattern], dict[str, Any] | None],
) -> bool:
    """Add every suggestion's replayed fires and wrong fires; False when replay is missing."""
    try:
        from homehabits.replay import replay_automations
    except ImportError:
        return False
    compiled = [(pattern, automation_of(pattern)) for pattern in found]
    kept = [(pattern, automation) for pattern, automation in compiled if automation is not None]
    from homehabits.event_cleaning import clean_events

    replays = replay_automations(
        [automation for _, automation in kept],
        clean_events(home.frame),
        home.context,
        window_start=home.window_start,
        window_end=home.window_end,
    )
    for (pattern, _), replayed in zip(kept, replays, strict=True):
        score.fires[pattern.kind.value] += replayed.fires
        score.wrong[pattern.kind.value] += replayed.wrong
    planted = [
        (habit, automation)
        for habit in home.truth
        if not habit.stopped and (automation := planted_automation(habit, home.context))
    ]
    floors = replay_automations(
        [automation for _, automation in planted],
        clean_events(home.frame),
        home.context,
        window_start=home.window_start,
        window_end=home.window_end,
    )
    for (habit, _), replayed in zip(planted, floors, strict=True):
        score.planted_fires[habit.kind.value] += replayed.fires
        score.planted_wrong[habit.kind.value] += replayed.wrong
    return True


def planted_automation(habit: PlantedHabit, context: HomeContext) -> dict[str, Any] | None:
    """The automation of the planted habit itself: its exact time, lag, settings, conditions.

    Replayed, it is the baseline of the same run: how wrong the household's own habits are
    under the replay's judge (the days they skip them, the minutes they stray beyond its
    tolerance), before any condition or drop chosen by replay.
    """
    pattern = Pattern(
        kind=habit.kind,
        target_entity=habit.target_entity,
        target_state=habit.target_state,
        trigger_entity=habit.trigger_entity,
        trigger_state=habit.trigger_state,
        related_entities=habit.related_entities,
        time_of_day=habit.time_of_day,
        weekdays=habit.weekdays,
        sun_event=habit.sun_event,
        sun_offset_minutes=habit.sun_offset_minutes,
        lag_seconds=habit.lag_seconds,
        duration_seconds=habit.duration_seconds,
        action_attributes=habit.attributes,
        automation_id=habit.automation_id,
        group_members=tuple(GroupMember(entity_id=member) for member in habit.group),
        confidence=1.0,
    )
    automation = _compiled(pattern, context)
    if automation is None:
        return None
    extra = [_planted_condition(word) for word in habit.conditions]
    if any(condition is None for condition in extra):
        return automation
    if extra:
        automation["conditions"] = [*automation.get("conditions", []), *extra]
    return automation


def _planted_condition(word: str) -> dict[str, Any] | None:
    """The condition a planted habit names in words (the night as the simulator's widest)."""
    if word == "dark":
        return {"condition": "sun", "after": "sunset", "before": "sunrise"}
    if word == "night":
        return {"condition": "time", "after": "21:30:00", "before": "06:30:00"}
    if word in ("home", "away"):
        side = "above" if word == "home" else "below"
        return {
            "condition": "numeric_state",
            "entity_id": "zone.home",
            side: 0 if word == "home" else 1,
        }
    if word in ("weekdays", "workday"):
        return {"condition": "time", "weekday": list(_WEEKDAY_NAMES[:5])}
    if word == "weekend":
        return {"condition": "time", "weekday": list(_WEEKDAY_NAMES[5:])}
    if word.startswith("state:") and "=" in word:
        entity_id, state = word.removeprefix("state:").split("=", 1)
        return {"condition": "state", "entity_id": entity_id, "state": state}
    return None


def _describe(pattern: Pattern) -> str:
    when = pattern.time_of_day.strftime("%H:%M") if pattern.time_of_day else ""
    trigger = (
        f" after {pattern.trigger_entity}→{pattern.trigger_state}" if pattern.trigger_entity else ""
    )
    sun = f" {pattern.sun_event}{pattern.sun_offset_minutes:+d}" if pattern.sun_event else ""
    return (
        f"{pattern.kind.value} {pattern.target_entity} → {pattern.target_state}{trigger} "
        f"{when}{sun} {pattern.day_type} (confidence {pattern.confidence:.2f})"
    )


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "  - "


def _share(tally: list[int]) -> str:
    return f"{_ratio(tally[0], tally[1])} ({tally[0]}/{tally[1]})"


def _print_table(noise: str, seeds: int, seconds: float, total: Score) -> None:
    print(f"\nnoise {noise}: {seeds} random homes, mine() {seconds / seeds:.2f} s a home")
    print(
        f"{'kind':<12} {'found':>5} {'false+':>6} {'missed':>6} {'precision':>9} {'recall':>6}"
        f" {'wrong fires':>11} {'as planted':>10}"
    )
    for kind in [*(kind.value for kind in HabitKind), "overall"]:
        if kind == "overall":
            tp, fp, fn = (sum(c.values()) for c in (total.hits, total.false, total.missed))
            fires, wrong = sum(total.fires.values()), sum(total.wrong.values())
            planted = sum(total.planted_fires.values()), sum(total.planted_wrong.values())
        else:
            tp, fp, fn = total.hits[kind], total.false[kind], total.missed[kind]
            fires, wrong = total.fires[kind], total.wrong[kind]
            planted = total.planted_fires[kind], total.planted_wrong[kind]
        replayed = _ratio(wrong, fires) if total.replayed else "n/a"
        baseline = _ratio(planted[1], planted[0]) if total.replayed else "n/a"
        print(
            f"{kind:<12} {tp:>5} {fp:>6} {fn:>6} {_ratio(tp, tp + fp):>9}"
            f" {_ratio(tp, tp + fn):>6} {replayed:>11} {baseline:>10}"
        )
    print(
        f"right on matched habits: conditions {_share(total.conditions)}, "
        f"attributes {_share(total.attributes)}, groups {_share(total.groups)}"
    )
    if total.replayed:
        fires, wrong = sum(total.fires.values()), sum(total.wrong.values())
        floor_fires = sum(total.planted_fires.values())
        floor_wrong = sum(total.planted_wrong.values())
        print(
            f"replay: {wrong} wrong of {fires} fires ({_ratio(wrong, fires)}); the planted "
            f"habits compiled as planted (their exact times, lags and conditions): "
            f"{floor_wrong} wrong of {floor_fires} ({_ratio(floor_wrong, floor_fires)})"
        )
    else:
        print("replay: not available")


def main() -> None:
    """Simulate, mine and score every seed at every noise level; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--noise", nargs="+", default=list(NOISE_LEVELS), choices=NOISE_LEVELS)
    parser.add_argument("--no-replay", action="store_true", help="skip the replay")
    parser.add_argument(
        "--bare", action="store_true", help="score mine() alone: no conditions chosen by replay"
    )
    parser.add_argument("--verbose", action="store_true", help="list every mistake")
    args = parser.parse_args()
    for noise in args.noise:
        total = Score()
        seconds = 0.0
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            home = simulate_home(SimulationConfig(seed=seed, noise=noise, randomize=True))
            started = time.perf_counter()
            found = mine(
                home.frame, home.context, window_start=home.window_start, window_end=home.window_end
            )
            seconds += time.perf_counter() - started
            automations: dict[str, dict[str, Any]] = {}
            if not args.bare:
                found, automations = suggest(found, home)
            score = score_home(found, home, replay=not args.no_replay, automations=automations)
            if args.verbose and score.mistakes:
                print(f"seed {seed}, noise {noise}:")
                print("\n".join(score.mistakes))
            total.add(score)
        _print_table(noise, args.seeds, seconds, total)


if __name__ == "__main__":
    main()
