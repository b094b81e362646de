"""The owner's review of suggestions: approve, reject, edit, roll back, deploy, undeploy, export.

The API and the CLI call these same functions; nothing here knows about HTTP or the terminal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from homehabits.automations.checker import check_automation
from homehabits.automations.dialects import choose_dialect, convert_dialect
from homehabits.automations.safety import (
    SafetyLimits,
    SafetyVerdict,
    entities_named,
    judge,
    limits_from,
)
from homehabits.automations.yaml_text import automation_from_yaml, automation_to_yaml
from homehabits.config import Dialect, Settings
from homehabits.context import Entity, HomeContext
from homehabits.exceptions import (
    ConfigError,
    DeployError,
    DeployRefusedError,
    HomeAssistantAuthError,
    HomeAssistantError,
    HomeAssistantTimeoutError,
    HomeAssistantUnreachableError,
    HomeHabitsError,
    StatusChangeError,
    SuggestionNotFoundError,
    UnsafeAutomationError,
)
from homehabits.homeassistant import HaConfig, HaState, HomeAssistantClient
from homehabits.homeassistant.client import has_labels
from homehabits.patterns.habit import HabitKind
from homehabits.store import repository, versions
from homehabits.store.engine import Sessions
from homehabits.store.records import SuggestionRecord, SuggestionStatus
from homehabits.store.suggestions import OWN_HOME, refuse_fleet_home

__all__ = [
    "DEPLOYABLE",
    "DEPLOY_CATEGORY",
    "DEPLOY_LABEL",
    "BulkApproval",
    "approve",
    "approve_all_pending",
    "approve_many",
    "automation_id_for",
    "deploy",
    "edit",
    "export_approved",
    "reject",
    "reopen",
    "rollback",
    "undeploy",
]

_LOGGER = logging.getLogger(__name__)

_OUR_PREFIX = "homehabits_"  # automations homehabits created; others are the owner's

#: What a deployed automation is labelled and filed under, so the owner finds them all.
DEPLOY_LABEL = "homehabits"
DEPLOY_CATEGORY = "Suggested by homehabits"

#: Statuses from which a suggestion may be (re-)deployed.
DEPLOYABLE = frozenset(
    {SuggestionStatus.APPROVED, SuggestionStatus.DEPLOY_FAILED, SuggestionStatus.REMOVED}
)
# How long to wait for Home Assistant to show the automation's entity after a reload.
_ENTITY_WAIT_SECONDS = 20.0


async def approve(
    sessions: Sessions, suggestion_id: int, *, limits: SafetyLimits | None = None
) -> SuggestionRecord:
    """Approve a suggestion (it can then be deployed or exported), after checking it again.

    The stored automation is judged again by the safety rules: a never-rule (a row changed
    behind homehabits' back) is refused with NeverSuggestedError; a new verdict is stored.
    """
    record = await repository.get_suggestion(sessions, suggestion_id)
    refuse_fleet_home(record, "approve")
    await _judged_again(sessions, record, limits)
    return await repository.change_status(sessions, suggestion_id, SuggestionStatus.APPROVED)


@dataclass(frozen=True, slots=True)
class BulkApproval:
    """What approving many suggestions at once did: approved, and left for the owner."""

    approved: list[SuggestionRecord]
    skipped: list[tuple[int, str]]  # (suggestion id, why it was not approved)


async def approve_many(
    sessions: Sessions, suggestion_ids: Sequence[int], *, limits: SafetyLimits | None = None
) -> BulkApproval:
    """Approve several pending suggestions; sensitive ones are never approved in bulk.

    A lock, an alarm, a garage door or heating beyond the limits must be approved one by one,
    after reading its warning; those (and ids that cannot be approved) are skipped with why.
    The verdict is the one the safety rules give the stored automation now, not an old flag.
    """
    approved: list[SuggestionRecord] = []
    skipped: list[tuple[int, str]] = []
    for suggestion_id in dict.fromkeys(suggestion_ids):
        try:
            record = await repository.get_suggestion(sessions, suggestion_id)
            refuse_fleet_home(record, "approve")
            verdict = await _judged_again(sessions, record, limits)
            if verdict.sensitive:
                skipped.append(
                    (suggestion_id, f"sensitive, approve it on its own: {verdict.reason}")
                )
                continue
            approved.append(
                await repository.change_status(sessions, suggestion_id, SuggestionStatus.APPROVED)
            )
        except (SuggestionNotFoundError, StatusChangeError, UnsafeAutomationError) as err:
            skipped.append((suggestion_id, str(err)))
    return BulkApproval(approved=approved, skipped=skipped)


async def approve_all_pending(
    sessions: Sessions, *, limits: SafetyLimits | None = None
) -> BulkApproval:
    """Approve every pending suggestion of the home that is not sensitive, however few."""
    pending = await _all_suggestions(sessions, SuggestionStatus.PENDING)
    return await approve_many(sessions, [record.id for record in pending], limits=limits)


async def reject(sessions: Sessions, suggestion_id: int, reason: str = "") -> SuggestionRecord:
    """Reject a suggestion; its habit is not suggested again for `rejected_days`."""
    return await repository.change_status(
        sessions, suggestion_id, SuggestionStatus.REJECTED, reason=reason.strip() or None
    )


async def reopen(sessions: Sessions, suggestion_id: int) -> SuggestionRecord:
    """Bring a rejected suggestion back to pending (its habit may be suggested again)."""
    return await repository.change_status(sessions, suggestion_id, SuggestionStatus.PENDING)


async def edit(
    sessions: Sessions,
    suggestion_id: int,
    yaml_text: str,
    *,
    limits: SafetyLimits | None = None,
) -> SuggestionRecord:
    """Replace a suggestion's automation by the owner's YAML, checked in its dialect.

    The safety verdict is recomputed and stored with it. Raises AutomationCheckError with the
    reason (the stored automation is then unchanged); its subclass NeverSuggestedError for an
    unlock, a disarm or an opened garage door, UnsafeAutomationError for a template or a
    service outside the allowed domains that the edit brings in.
    """
    record = await repository.get_suggestion(sessions, suggestion_id)
    refuse_fleet_home(record, "edit")
    if record.status is SuggestionStatus.DEPLOYED:
        # Home Assistant runs the deployed version; editing only ours would hide that
        raise StatusChangeError(
            f"suggestion {suggestion_id} is deployed; undeploy it before editing"
        )
    automation, verdict = _checked_edit(record, yaml_text, record.dialect, limits)
    return await repository.update_automation(
        sessions,
        suggestion_id,
        automation,
        yaml_text,
        sensitive=verdict.sensitive,
        sensitive_reason=verdict.reason,
    )


def _checked_edit(
    record: SuggestionRecord, yaml_text: str, dialect: Dialect, limits: SafetyLimits | None
) -> tuple[dict[str, Any], SafetyVerdict]:
    """The door every change of the automation goes through: an edit, and a rollback.

    The YAML is read and checked in its dialect, then judged by the safety rules against the
    automation it replaces; raises AutomationCheckError (or a subclass) with the reason.
    """
    automation = automation_from_yaml(yaml_text, dialect)
    verdict = judge(
        automation, _known_home(record), limits or SafetyLimits(), before=record.automation
    )
    return automation, verdict


async def rollback(
    sessions: Sessions,
    settings: Settings,
    suggestion_id: int,
    number: int,
    *,
    force: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SuggestionRecord:
    """Set a suggestion's automation back to one of its versions; a new version says so.

    The version passes the same door as an edit (checked, judged by the safety rules: an
    unsafe one is refused with the reason, nothing changed). A deployed suggestion is sent to
    Home Assistant again under the same automation id first, checked there as a deploy is
    (`force` as for deploy); if Home Assistant does not take it, the error is raised
    (DeployError or HomeAssistantError with its message) and the stored automation, its
    status and Home Assistant's copy stay as they were. Raises VersionNotFoundError for a
    number the suggestion has no version of.
    """
    record = await repository.get_suggestion(sessions, suggestion_id)
    refuse_fleet_home(record, "roll back")
    version = await versions.get_version(sessions, suggestion_id, number)
    automation, verdict = _checked_edit(
        record, version.yaml, version.dialect, limits_from(settings)
    )
    why = f"rolled back to version {number}"
    message = None
    if record.status is SuggestionStatus.DEPLOYED:
        message = await _redeploy(settings, record, automation, force=force, transport=transport)
        message += f"; {why}"
    return await repository.update_automation(
        sessions,
        suggestion_id,
        automation,
        version.yaml,
        sensitive=verdict.sensitive,
        sensitive_reason=verdict.reason,
        why=why,
        dialect=version.dialect,
        redeployed=message is not None,
        deploy_message=message,
    )


async def _redeploy(
    settings: Settings,
    record: SuggestionRecord,
    automation: dict[str, Any],
    *,
    force: bool,
    transport: httpx.AsyncBaseTransport | None,
) -> str:
    """Send a deployed suggestion's new automation to Home Assistant under its id; the message.

    Judged at the last door as a deploy is. When Home Assistant took it but then does not
    show it, the automation it ran before is put back, so both sides stay as they were.
    """
    url, token = _home_assistant(settings)
    automation_id = record.ha_automation_id or automation_id_for(record)
    async with HomeAssistantClient(
        url, token, timeout=settings.ha_timeout_seconds, transport=transport
    ) as client:
        config = await client.get_config()
        dialect = choose_dialect(settings.dialect, config.version)
        sending = convert_dialect(automation, dialect)
        check_automation(sending, dialect)
        states = await client.get_states()
        warning = _judge_before_sending(sending, config, states, settings, force=force)
        await client.save_automation(automation_id, sending)
        if await client.get_automation(automation_id) is None:
            # what it ran before: the stored automation, which was deployed
            await client.save_automation(automation_id, convert_dialect(record.automation, dialect))
            raise DeployError(
                f"Home Assistant accepted automation {automation_id} but does not show it; "
                "the automation it ran before is back"
            )
    _LOGGER.info("suggestion %s redeployed as %s", record.id, automation_id)
    return f"live in Home Assistant as {automation_id} ({dialect.value} dialect)" + warning


async def _judged_again(
    sessions: Sessions, record: SuggestionRecord, limits: SafetyLimits | None
) -> SafetyVerdict:
    """The safety verdict of the stored automation now; stored when it changed."""
    verdict = judge(record.automation, _known_home(record), limits or SafetyLimits())
    # a flag set when the habit was found (or by the owner's tools) is never taken away here
    sensitive = verdict.sensitive or record.sensitive
    reason = verdict.reason or record.sensitive_reason
    if (sensitive, reason) != (record.sensitive, record.sensitive_reason):
        await repository.store_verdict(sessions, record.id, sensitive, reason)
    return SafetyVerdict(sensitive=sensitive, reason=reason)


def _known_home(record: SuggestionRecord) -> HomeContext:
    """What the review knows of the home without asking it: the habit's own entity."""
    entities: dict[str, Entity] = {}
    target = record.target_entity
    if target.startswith("cover.") and record.habit.sensitive:
        # the miner flagged this cover when the home said it is a garage door
        name = target.split(".", 1)[-1].replace("_", " ").capitalize()
        entities[target] = Entity(entity_id=target, name=name, device_class="garage")
    return HomeContext(time_zone="UTC", entities=entities, temperature_unit=_unit_of(record))


def _unit_of(record: SuggestionRecord) -> str:
    # the habit's own setpoint tells the unit: no thermostat is set above 40 °C or below 40 °F
    setpoint = dict(record.habit.action_attributes).get("temperature")
    if isinstance(setpoint, int | float) and not isinstance(setpoint, bool) and setpoint > 40:
        return "°F"
    return "°C"


def automation_id_for(record: SuggestionRecord) -> str:
    """The id the automation has in Home Assistant.

    An override changes an automation the home already has, and a revision one homehabits
    deployed, so each keeps that one's id; every other suggestion becomes
    `homehabits_<fingerprint>`.
    """
    changes_existing = record.kind in (HabitKind.OVERRIDE, HabitKind.REVISION)
    existing = record.habit.automation_id if changes_existing else None
    if isinstance(existing, str) and existing:
        return existing
    return f"homehabits_{record.fingerprint}"


async def deploy(
    sessions: Sessions,
    settings: Settings,
    suggestion_id: int,
    *,
    force: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    raise_failure: bool = False,
) -> SuggestionRecord:
    """Put an approved suggestion into Home Assistant, in the dialect that Home Assistant speaks.

    Right before sending, the automation is judged again against what Home Assistant shows
    (names, device classes, unit): a never-rule, an entity Home Assistant does not have
    (unless `force`: then it is deployed with a warning) or an override whose original
    Home Assistant cannot show is refused: recorded as `deploy_failed` with why, and raised
    as DeployRefusedError. Returns the suggestion `deployed` with the Home Assistant id, or
    `deploy_failed` with Home Assistant's message (retryable); with `raise_failure`, that
    failure is stored and then raised (DeployError or HomeAssistantError, with the status and
    Home Assistant's message). Raises StatusChangeError when it is not approved and
    ConfigError when no Home Assistant is configured.
    """
    record = await repository.get_suggestion(sessions, suggestion_id)
    refuse_fleet_home(record, "deploy")
    if record.status not in DEPLOYABLE:
        raise StatusChangeError(
            f"suggestion {suggestion_id} is {record.status.value}; approve it before deploying"
        )
    url, token = _home_assistant(settings)
    automation_id = automation_id_for(record)
    warning = ""
    try:
        async with HomeAssistantClient(
            url, token, timeout=settings.ha_timeout_seconds, transport=transport
        ) as client:
            config = await client.get_config()
            dialect = choose_dialect(settings.dialect, config.version)
            automation = convert_dialect(record.automation, dialect)
            check_automation(automation, dialect)
            states = await client.get_states()
            warning = _judge_before_sending(automation, config, states, settings, force=force)
            # an override overwrites one of the owner's automations: keep theirs to give back
            replaced = None
            if not automation_id.startswith(_OUR_PREFIX) or record.kind is HabitKind.REVISION:
                replaced = record.replaced_automation or await client.get_automation(automation_id)
                if replaced is None:
                    raise DeployRefusedError(
                        f"Home Assistant cannot show your automation {automation_id!r} that this "
                        "suggestion changes (deleted, or written in YAML only), so it could not "
                        "be given back on undeploy; change it in Home Assistant instead"
                    )
            await client.save_automation(automation_id, automation)
            if await client.get_automation(automation_id) is None:
                raise DeployError(
                    f"Home Assistant accepted automation {automation_id} but does not show it; "
                    "is automations.yaml included in configuration.yaml?"
                )
            entity_id = await client.wait_for_automation_entity(automation_id, _ENTITY_WAIT_SECONDS)
            warning += await _label_deployed(client, entity_id, config.version)
    except (DeployRefusedError, UnsafeAutomationError) as err:
        message = f"refused before sending: {err}"
        # the caller shows the reason; the log keeps it for the service
        _LOGGER.info("deploying suggestion %s refused: %s", suggestion_id, err)
        await repository.change_status(
            sessions, suggestion_id, SuggestionStatus.DEPLOY_FAILED, deploy_message=message
        )
        raise DeployRefusedError(message) from err
    except (DeployError, HomeAssistantError) as err:
        message = _deploy_failure(err)
        _LOGGER.warning("deploying suggestion %s failed: %s", suggestion_id, message)
        failed = await repository.change_status(
            sessions, suggestion_id, SuggestionStatus.DEPLOY_FAILED, deploy_message=message
        )
        if raise_failure:
            raise
        return failed
    _LOGGER.info("suggestion %s deployed as %s (%s)", suggestion_id, automation_id, entity_id)
    if record.kind is HabitKind.REVISION:
        await _set_revised(sessions, record, automation_id, original_live=False)
    return await repository.change_status(
        sessions,
        suggestion_id,
        SuggestionStatus.DEPLOYED,
        ha_automation_id=automation_id,
        deploy_message=f"live in Home Assistant as {entity_id} ({dialect.value} dialect)" + warning,
        replaced_automation=replaced,
    )


async def _set_revised(
    sessions: Sessions, revision: SuggestionRecord, automation_id: str, *, original_live: bool
) -> None:
    """The suggestion a revision replaced: removed while the revision is live, back after.

    It is the other suggestion whose automation has the revision's id in Home Assistant.
    """
    status = SuggestionStatus.DEPLOYED if original_live else SuggestionStatus.REMOVED
    wanted = SuggestionStatus.REMOVED if original_live else SuggestionStatus.DEPLOYED
    candidates = await repository.list_suggestions(sessions, status=wanted, limit=10_000)
    for record in candidates:
        if record.id == revision.id or record.kind is HabitKind.REVISION:
            continue
        if (record.ha_automation_id or automation_id_for(record)) != automation_id:
            continue
        message = (
            f"replaced in Home Assistant by its revision, suggestion {revision.id}"
            if not original_live
            else f"back in Home Assistant: its revision, suggestion {revision.id}, was undone"
        )
        await repository.change_status(
            sessions, record.id, status, ha_automation_id=automation_id, deploy_message=message
        )


async def _label_deployed(client: HomeAssistantClient, entity_id: str, version: str) -> str:
    """Label and categorise a deployed automation, where the home has labels (2024.4 on).

    Returns a warning for the deploy message when it could not be done; never fails a deploy.
    """
    if not has_labels(version):
        return ""
    try:
        await client.label_automation(entity_id, label=DEPLOY_LABEL, category=DEPLOY_CATEGORY)
    except HomeHabitsError as err:
        _LOGGER.warning("labelling %s failed: %s", entity_id, err)
        return f"; warning: the label {DEPLOY_LABEL!r} and category could not be set: {err}"
    return ""


def _judge_before_sending(
    automation: dict[str, Any],
    config: HaConfig,
    states: list[HaState],
    settings: Settings,
    *,
    force: bool,
) -> str:
    """The last door: the safety rules against the home as Home Assistant shows it now.

    Returns a warning to keep with the deploy ("" when none); raises NeverSuggestedError
    or DeployRefusedError.
    """
    entities = {
        state.entity_id: Entity(
            entity_id=state.entity_id,
            name=state.friendly_name or state.entity_id,
            device_class=state.device_class,
        )
        for state in states
    }
    home = HomeContext(
        time_zone=config.time_zone or "UTC",
        entities=entities,
        temperature_unit=config.temperature_unit,
    )
    # sensitive but approved is fine: the owner read the warning; a never-rule never is
    judge(automation, home, limits_from(settings))
    unknown = sorted(entity for entity in entities_named(automation) if entity not in entities)
    if not unknown:
        return ""
    names = ", ".join(unknown)
    if not force:
        raise DeployRefusedError(
            f"Home Assistant has no entity {names}; is this the home the suggestion was "
            "found in? (deploy with --force / force=true to send it all the same)"
        )
    return f"; warning: deployed with --force although Home Assistant has no entity {names}"


async def undeploy(
    sessions: Sessions,
    settings: Settings,
    suggestion_id: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SuggestionRecord:
    """Take a deployed suggestion out of Home Assistant; it becomes `removed`.

    A new automation is deleted. An override replaced one of the owner's own automations: that
    one is put back as it was before the deploy (never deleted, which would lose it).
    """
    record = await repository.get_suggestion(sessions, suggestion_id)
    refuse_fleet_home(record, "undeploy")
    if record.status is not SuggestionStatus.DEPLOYED:
        raise StatusChangeError(
            f"suggestion {suggestion_id} is {record.status.value}; only a deployed one can be removed"
        )
    automation_id = record.ha_automation_id or automation_id_for(record)
    # a revision, like an override, gives back what it replaced: the deployed suggestion
    ours = automation_id.startswith(_OUR_PREFIX) and record.kind is not HabitKind.REVISION
    original = None if ours else record.replaced_automation
    if not ours and original is None:
        raise StatusChangeError(
            f"suggestion {suggestion_id} changed your own automation {automation_id!r} and its "
            "earlier version is not known; change it back in Home Assistant's automation editor"
        )
    url, token = _home_assistant(settings)
    async with HomeAssistantClient(
        url, token, timeout=settings.ha_timeout_seconds, transport=transport
    ) as client:
        if original is None:
            await client.delete_automation(automation_id)
            done = f"removed from Home Assistant ({automation_id})"
        else:
            await client.save_automation(automation_id, original)
            done = f"your automation {automation_id!r} is back as it was before"
    _LOGGER.info("suggestion %s taken out of Home Assistant: %s", suggestion_id, done)
    if record.kind is HabitKind.REVISION:
        await _set_revised(sessions, record, automation_id, original_live=True)
    return await repository.change_status(
        sessions, suggestion_id, SuggestionStatus.REMOVED, deploy_message=done
    )


async def export_approved(
    sessions: Sessions,
    settings: Settings,
    path: Path,
    *,
    dialect: Dialect | None = None,
    include_approved: bool = True,
    include_deployed: bool = False,
) -> int:
    """Write the approved (and/or deployed) automations as one YAML list Home Assistant includes.

    Use it with `automation homehabits: !include homehabits.yaml`. The dialect is the given
    one, else the settings' (legacy when it is `auto`: no Home Assistant is asked, and every
    Home Assistant reads the legacy dialect).
    Returns how many automations were written.
    """
    target = dialect or choose_dialect(settings.dialect, None)
    statuses = [SuggestionStatus.APPROVED] if include_approved else []
    if include_deployed:
        statuses.append(SuggestionStatus.DEPLOYED)
    automations: list[dict[str, Any]] = []
    for status in statuses:
        for record in await _all_suggestions(sessions, status):
            automation = convert_dialect(record.automation, target)
            check_automation(automation, target)
            automations.append(_with_id(automation, record))
    text = _export_header(len(automations), target) + (
        "".join(_list_item(automation) for automation in automations) or "[]\n"
    )
    await asyncio.to_thread(_write_atomically, path, text)
    return len(automations)


async def _all_suggestions(sessions: Sessions, status: SuggestionStatus) -> list[SuggestionRecord]:
    found: list[SuggestionRecord] = []
    page = 500
    while True:
        # the service's own home's: a fleet home's are never approved or exported here
        batch = await repository.list_suggestions(
            sessions, status=status, limit=page, offset=len(found), home_id=OWN_HOME
        )
        found.extend(batch)
        if len(batch) < page:
            return found


def _with_id(automation: dict[str, Any], record: SuggestionRecord) -> dict[str, Any]:
    # `id` first and `alias` next, as Home Assistant's own editor writes them
    ordered: dict[str, Any] = {"id": automation_id_for(record)}
    ordered["alias"] = automation.get("alias") or record.title
    ordered.update((key, value) for key, value in automation.items() if key not in ordered)
    return ordered


def _list_item(automation: dict[str, Any]) -> str:
    # one automation's block YAML, indented as an item of the file's top-level list
    lines = automation_to_yaml(automation).splitlines()
    return "".join(("- " if index == 0 else "  ") + line + "\n" for index, line in enumerate(lines))


def _export_header(count: int, dialect: Dialect) -> str:
    return (
        f"# {count} automation{'' if count == 1 else 's'} from homehabits "
        f"({dialect.value} dialect).\n"
        "# Include in configuration.yaml:  automation homehabits: !include homehabits.yaml\n"
    )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _home_assistant(settings: Settings) -> tuple[str, str]:
    if not settings.ha_url or not settings.ha_token:
        missing = " and ".join(
            name
            for name, value in (
                ("HOMEHABITS_HA_URL", settings.ha_url),
                ("HOMEHABITS_HA_TOKEN", settings.ha_token),
            )
            if not value
        )
        raise ConfigError(f"no Home Assistant to deploy to: set {missing}")
    return settings.ha_url, settings.ha_token


def _deploy_failure(err: Exception) -> str:
    if isinstance(err, HomeAssistantAuthError):
        return (
            "Home Assistant refused the access token (HOMEHABITS_HA_TOKEN); "
            f"use a long-lived token of an administrator: {err}"
        )
    if isinstance(err, HomeAssistantTimeoutError):
        return f"Home Assistant did not answer in time: {err}"
    if isinstance(err, HomeAssistantUnreachableError):
        return f"Home Assistant did not answer: {err}"
    return str(err)
