"""The offline template writer: deterministic words for every kind of habit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homehabits.automations.draft import Draft
from homehabits.automations.override import OverrideChange, override_change
from homehabits.context import HomeContext
from homehabits.domains import state_after
from homehabits.exceptions import AutomationError
from homehabits.patterns.habit import ALL_DAYS, HabitKind, Pattern
from homehabits.writers import phrases
from homehabits.writers.phrases import Action, capitalise
from homehabits.writers.words import Words

__all__ = ["TEMPLATE_AUTHOR", "TITLE_MAX_CHARS", "sensitive_note", "template_words"]

TEMPLATE_AUTHOR = "template"
TITLE_MAX_CHARS = 80


def template_words(draft: Draft, context: HomeContext, *, window_days: int | None = None) -> Words:
    """Words for a draft from fixed templates: offline, deterministic, in the home's time zone."""
    pattern = draft.pattern
    name = phrases.names_of(context, pattern)  # a group's names, all of them
    action = phrases.action_for(pattern.target_entity.split(".", 1)[0], pattern.target_state)
    writer = _WRITERS[pattern.kind]
    title, description, rationale = writer(pattern, context, name, action, window_days)
    rationale += phrases.group_evidence(context, pattern)
    rationale += phrases.last_seen(pattern.evidence_times, context.zone)
    note = sensitive_note(draft)
    if note:
        description += f" {note}"
    return Words(
        title=_shorten(capitalise(title), TITLE_MAX_CHARS),
        description=capitalise(description),
        rationale=capitalise(rationale),
        category=draft.category,
        author=TEMPLATE_AUTHOR,
    )


def sensitive_note(draft: Draft) -> str:
    """The warning a sensitive draft's description ends with, or nothing."""
    if not draft.sensitive:
        return ""
    reason = (draft.sensitive_reason or "it acts on a lock, an alarm or the heating").strip()
    if "check" in reason.lower():  # the reason already asks for a look: say it once
        return capitalise(reason.rstrip(".")) + "."
    return f"Check it with care: {reason.rstrip('.')}."


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _in_window(window_days: int | None) -> str:
    return f" in the last {window_days} days" if window_days else ""


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _settings(pattern: Pattern) -> str:
    return phrases.attributes_phrase(dict(pattern.action_attributes))


def _title_settings(pattern: Pattern) -> str:
    """' at 30 %', ' at 19.5 °C': the settings in a title's few words."""
    return phrases.attributes_phrase(dict(pattern.action_attributes), short=True)


def _days_suffix(pattern: Pattern) -> str:
    """' on weekdays' unless the habit holds every day, where saying so adds nothing to a title."""
    if tuple(sorted(set(pattern.weekdays))) == ALL_DAYS:
        return ""
    return f" {phrases.days_phrase(pattern.weekdays)}"


_Texts = tuple[str, str, str]


def _time_of_day(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    when = phrases.clock(pattern.time_of_day) if pattern.time_of_day else "the usual time"
    days = phrases.days_phrase(pattern.weekdays)
    title = f"{name} {action.state_word}{_title_settings(pattern)} at {when} {days}"
    description = f"{action.does(name)}{_settings(pattern)} at {when} {days}."
    # the words give the band the days were counted in (the times of the counted actions),
    # not a standard deviation next to a count made within a wider band
    band = phrases.counted_band(pattern, context.zone)
    each_time = f", each time {band}" if band else ""
    rationale = (
        f"{action.was_done(name)} at about {when} "
        f"{phrases.day_count(pattern.days_observed, pattern.days_possible, pattern.weekdays)}"
        f"{each_time}, always by hand{_uncounted(pattern)}."
    )
    return title, description, rationale


def _uncounted(pattern: Pattern) -> str:
    """' (not counted: 4 days when it was already off)': why the day count is below the window's."""
    uncounted = [note for note in pattern.notes if note.startswith("not counted")]
    return f" ({'; '.join(uncounted)})" if uncounted else ""


def _sun(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    offset = phrases.sun_offset(pattern.sun_event, pattern.sun_offset_minutes)
    days = phrases.days_phrase(pattern.weekdays)
    title = f"{name} {action.state_word}{_title_settings(pattern)} {offset}{_days_suffix(pattern)}"
    description = f"{action.does(name)}{_settings(pattern)} {offset} {days}."
    about = phrases.counted_band(pattern, context.zone) or (
        f"around {pattern.sun_event or 'sunset'}" if offset.startswith("at ") else f"about {offset}"
    )
    rationale = (
        f"{action.was_done(name)} {about} "
        f"{phrases.day_count(pattern.days_observed, pattern.days_possible, pattern.weekdays)}, "
        f"always by hand{_uncounted(pattern)}."
    )
    return title, description, rationale


def _sequence(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    trigger = pattern.trigger_entity or ""
    happens = phrases.trigger_event(context, trigger, pattern.trigger_state, past=False)
    happened = phrases.trigger_event(context, trigger, pattern.trigger_state, past=True)
    title = (
        f"{name} {action.state_word}{_title_settings(pattern)} when {happens}"
        f"{_days_suffix(pattern)}"
    )
    description = f"{action.does(name)}{_settings(pattern)} when {happens}{_days_suffix(pattern)}."
    lag = phrases.duration(pattern.lag_seconds or 0.0)
    if pattern.support:
        how_often = f"{pattern.occurrences} of {pattern.support} times"
    else:
        how_often = _times(pattern.occurrences)
    within = phrases.counted_within(pattern.evidence_lags)
    counted = f"{within} after {happened} (typically {lag})" if within else None
    rationale = (
        f"{action.was_done(name)} by hand {counted or f'within about {lag} after {happened}'}, "
        f"{how_often}{_in_window(window_days)}."
    )
    return title, description, rationale


def _auto_off(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    after = phrases.duration(pattern.duration_seconds or 0.0)
    past = "switched off" if pattern.target_state == "off" else f"{action.past}{action.suffix}"
    if pattern.trigger_entity:
        quiet = phrases.trigger_condition(context, pattern.trigger_entity, pattern.trigger_state)
        title = f"{name} {action.state_word} after {after} without activity"
        description = f"{action.does(name)} when {quiet} for {after}."
    else:
        title = f"{name} {action.state_word} after {after}"
        description = f"{action.does(name)} {after} after it was {action.undo_past}."
    band = phrases.duration_band(pattern.evidence_lags)
    since = "after motion stopped" if pattern.trigger_entity else f"after it was {action.undo_past}"
    counted = f"{band} {since} (typically {after})" if band else f"about {after} {since}"
    # a timer of one time slot counted only that slot's sessions: say so
    slot = [note for note in pattern.notes if note.startswith("only sessions")]
    rationale = (
        f"{name} {past} by hand {counted}, {_times(pattern.occurrences)}{_in_window(window_days)}"
        f"{f' ({slot[0]})' if slot else ''}."
    )
    return title, description, rationale


def _override(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    alias = _automation_alias(pattern, context)
    domain = pattern.target_entity.split(".", 1)[0]
    set_to = pattern.trigger_state or _state_set_by(pattern, context)
    automation_did = phrases.action_for(domain, set_to) if set_to else None
    # the words follow the change that is compiled: skipping some days, or turning it off
    change = _change_of(pattern, context)
    days = phrases.days_phrase(change.skipped_days if change.skipped_days else pattern.weekdays)
    if automation_did is not None:
        instead = f"instead of letting '{alias}' {_infinitive(automation_did, name)}"
        set_by_automation = f"'{alias}' {automation_did.did(name)}"
    else:
        instead = f"instead of letting '{alias}' change it"
        set_by_automation = f"'{alias}' changed the {name}"
    if change.turns_off:
        title = f"Turn off '{alias}'"
        undone = (
            _lower_first(automation_did.does(name))
            if automation_did is not None
            else f"changes the {name}"
        )
        description = (
            f"Disables the triggers of '{alias}', so it no longer {undone}; switch it back on "
            "in Home Assistant whenever you like."
        )
    else:
        title = f"Let '{alias}' leave the {name} {action.state_word} {days}"
        description = f"Keeps the {name} {action.state_word} {days} {instead}."
    within = phrases.counted_within(pattern.evidence_lags) or (
        f"within {phrases.duration(pattern.lag_seconds or 0.0)}"
    )
    rationale = (
        f"{set_by_automation} and someone set it back to {action.state_word} {within} "
        f"{phrases.day_count(pattern.days_observed, pattern.days_possible, pattern.weekdays)}."
    )
    return title, description, rationale


def _revision(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    """A deployed automation people keep undoing: a condition added, or turned off."""
    change, effect, revises = (*pattern.notes, "", "", "")[:3]
    # the deployed automation's alias, as the revision's third note quotes it
    quoted = revises.partition("('")[2].removesuffix("')")
    alias = quoted or _automation_alias(pattern, context)
    if change == "turn it off":
        title = f"Turn off '{alias}'"
        description = (
            f"Disables the triggers of '{alias}', so it no longer changes the {name}; switch "
            "it back on in Home Assistant whenever you like."
        )
    elif change.startswith("move it "):  # watch/retime.py: "move it from 07:00 to 06:40, when…"
        moved = change.removeprefix("move it ")
        title = f"Move '{alias}' {moved.split(',', 1)[0]}"
        description = f"Moves '{alias}' {moved}."
    elif change.startswith("wait "):  # "wait 20 min instead of 5 min before switching it off"
        title = f"Let '{alias}' {change.split(' instead of ', 1)[0]}"
        description = f"Waits {change.removeprefix('wait ')}: the {name} stays on longer."
    else:
        title = f"Run '{alias}' {change}"
        description = (
            f"Adds a condition to '{alias}': it still {_lower_first(action.does(name))}, {change}."
        )
    rationale = f"Since it was deployed it was {effect}." if effect else ""
    return title, description, rationale


def _presence(
    pattern: Pattern, context: HomeContext, name: str, action: Action, window_days: int | None
) -> _Texts:
    people = [context.friendly_name(entity_id) for entity_id in pattern.related_entities]
    who = ""
    if 1 < len(people) <= 4:
        who = f" ({', '.join(people[:-1])} and {people[-1]})"
    title = f"{name} {action.state_word}{_title_settings(pattern)} when everyone leaves"
    description = f"{action.does(name)}{_settings(pattern)} when everyone{who} has left home."
    within = phrases.counted_within(pattern.evidence_lags) or (
        f"within {phrases.duration(pattern.lag_seconds or 0.0)}"
    )
    if pattern.support:
        how_often = f"on {pattern.occurrences} of {pattern.support} departures"
    else:
        how_often = _times(pattern.occurrences)
    past = "switched off" if pattern.target_state == "off" else f"{action.past}{action.suffix}"
    rationale = (
        f"{name} {past} by hand {within} after everyone left, {how_often}{_in_window(window_days)}."
    )
    return title, description, rationale


def _change_of(pattern: Pattern, context: HomeContext) -> OverrideChange:
    """The change compile_override makes; skipping the habit's days when it cannot tell."""
    try:
        return override_change(pattern, context)
    except AutomationError:
        return OverrideChange(skipped_days=pattern.weekdays)


def _automation_alias(pattern: Pattern, context: HomeContext) -> str:
    if pattern.trigger_entity:
        found = context.automation_by_entity(pattern.trigger_entity)
        if found is not None:
            return found.alias
    for automation in context.automations:
        if pattern.automation_id and automation.automation_id == pattern.automation_id:
            return automation.alias
    if pattern.trigger_entity:
        return context.friendly_name(pattern.trigger_entity)
    return "an automation"


def _state_set_by(pattern: Pattern, context: HomeContext) -> str | None:
    """The state the overridden automation puts the target in, read from its actions."""
    automation = None
    if pattern.trigger_entity:
        automation = context.automation_by_entity(pattern.trigger_entity)
    if automation is None:
        automation = next(
            (a for a in context.automations if a.automation_id == pattern.automation_id), None
        )
    if automation is None:
        return None
    for step in automation.actions:
        service = str(step.get("action") or step.get("service") or "")
        if "." not in service or pattern.target_entity not in _targets(step):
            continue
        data = step.get("data")
        found = state_after(
            service, data if isinstance(data, Mapping) else None, entity_id=pattern.target_entity
        )
        if found:
            return found
    return None


def _targets(step: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for holder in (step.get("target"), step.get("data"), step):
        if not isinstance(holder, Mapping):
            continue
        value = holder.get("entity_id")
        if isinstance(value, str):
            found.update(part.strip() for part in value.split(","))
        elif isinstance(value, list | tuple):
            found.update(str(part) for part in value)
    return found


def _infinitive(phrase: Action, name: str) -> str:
    """'turn on the Space Heater' (for 'letting it …'): every verb of the table ends in -s."""
    first, _, rest = phrase.verb.partition(" ")
    verb = " ".join(part for part in (first.lower().removesuffix("s"), rest) if part)
    return f"{verb} the {name}{phrase.suffix}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


_WRITERS = {
    HabitKind.TIME_OF_DAY: _time_of_day,
    HabitKind.SUN: _sun,
    HabitKind.SEQUENCE: _sequence,
    HabitKind.AUTO_OFF: _auto_off,
    HabitKind.OVERRIDE: _override,
    HabitKind.PRESENCE: _presence,
    HabitKind.REVISION: _revision,
}
