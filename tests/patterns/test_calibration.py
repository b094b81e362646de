"""Calibration: the owner's decisions weigh each kind and domain of habit, gently at first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from homehabits.patterns.calibration import (
    FACTOR_HIGH,
    FACTOR_LOW,
    PRIOR_APPROVED,
    PRIOR_REJECTED,
    Calibration,
    Decision,
    DecisionCounts,
    PastRejection,
    age_weight,
    calibrate,
    rejection_note,
    rejection_notes,
    remember_rejection,
)
from homehabits.patterns.habit import HabitKind, Pattern

BERLIN = ZoneInfo("Europe/Berlin")


NOW = datetime(2026, 11, 20, tzinfo=UTC)
HALF_LIFE = 180.0


def _habit(
    kind: HabitKind = HabitKind.SUN, target: str = "light.porch", **changes: object
) -> Pattern:
    values: dict[str, object] = {"confidence": 0.8, "score": 0.5}
    values.update(changes)
    return Pattern(kind=kind, target_entity=target, target_state="on", **values)  # type: ignore[arg-type]


def _decided(
    kind: str, domain: str, count: int = 1, *, days_ago: float = 0.0, **counts: Any
) -> list[Decision]:
    """`count` suggestions of one cell, each decided so (rejected unless told), `days_ago`."""
    one = DecisionCounts(**counts) if counts else DecisionCounts(rejected=1)
    return [Decision(kind, domain, one, NOW - timedelta(days=days_ago))] * count


def _calibrate(decisions: list[Decision], **extra: Any) -> Calibration:
    return calibrate(decisions, now=NOW, half_life_days=HALF_LIFE, **extra)


def _single_cell(successes: float, decided: float) -> float:
    """The factor of a cell from its own decisions alone, the prior at its mean."""
    rate = (successes + PRIOR_APPROVED) / (decided + PRIOR_APPROVED + PRIOR_REJECTED)
    return round(max(FACTOR_LOW, min(FACTOR_HIGH, rate / 0.5)), 2)


def test_a_kind_the_owner_always_rejects_ranks_lower() -> None:
    learned = _calibrate(_decided("sun", "light", 5))

    assert learned.kind["sun"].factor == pytest.approx(0.71)
    sun, clock = _habit(), _habit(HabitKind.TIME_OF_DAY)
    assert learned.factor(sun) == pytest.approx(0.71)
    assert learned.apply(sun).score == pytest.approx(0.5 * 0.71)
    # the light clock habit leans on the sun lights only a little: it is not the cell decided
    assert 0.71 < learned.factor(clock) < 1.0
    assert sorted([sun, clock], key=learned.rank_key) == [clock, sun]
    assert learned.lines() == [
        "light sun habits ranked ×0.71: 0 of 5 approved",
        "each decision counted half as much every 180 days of age",
    ]


def test_a_rejected_light_clock_habit_lowers_light_clock_habits_once_not_twice() -> None:
    learned = _calibrate(_decided("time_of_day", "light", 4))

    clock_light = _habit(HabitKind.TIME_OF_DAY, "light.hall")
    # one cell's factor from its own four rejections, not the kind's times the domain's
    assert learned.factor(clock_light) == _single_cell(0.0, 4.0) == 0.75
    assert learned.kind["time_of_day"].factor == learned.domain["light"].factor == 0.75
    assert learned.factor(clock_light) > learned.kind["time_of_day"].factor ** 2


def test_a_decision_one_half_life_old_counts_half() -> None:
    old = _calibrate(_decided("sun", "light", 6, days_ago=HALF_LIFE))
    new = _calibrate(_decided("sun", "light", 3))

    aged = old.cell["sun/light"]
    assert aged.weighed_decided == pytest.approx(3.0)
    assert aged.counts.rejected == 6
    # six rejections a half-life ago rank a habit as three made today do
    assert old.factor(_habit()) == new.factor(_habit()) == _single_cell(0.0, 3.0)
    assert age_weight(NOW - timedelta(days=2 * HALF_LIFE), NOW, HALF_LIFE) == pytest.approx(0.25)
    assert age_weight(NOW + timedelta(days=1), NOW, HALF_LIFE) == 1.0  # never more than new
    assert "counted as 3.0 by their age" in old.lines()[0]


def test_few_decisions_change_nothing() -> None:
    decisions = [
        *_decided("sun", "light", 2, rejected=1, reasons=("only in winter",)),
    ]
    learned = _calibrate(decisions)

    assert learned.factor(_habit()) == 1.0
    assert learned.apply(_habit()) == _habit()
    assert learned.lines() == []
    # the counts are kept with the factor all the same, for the run record
    assert learned.as_dict()["kind"]["sun"] == {
        "factor": 1.0,
        "approved": 0,
        "rejected": 2,
        "deployed": 0,
        "fires": 0,
        "reverts": 0,
        "removed": 0,
        "reasons": ["only in winter"],
        "weighed_successes": 0.0,
        "weighed_decided": 2.0,
        "related": 0,
    }


def test_the_prior_weighs_less_as_decisions_add_up() -> None:
    factors = [_calibrate(_decided("sun", "light", n)).factor(_habit()) for n in (3, 5, 8)]

    assert factors == sorted(factors, reverse=True)
    assert factors[0] < 1.0
    assert _calibrate(_decided("sun", "light", 40)).factor(_habit()) == FACTOR_LOW


def test_approvals_raise_a_cell_only_a_little() -> None:
    learned = _calibrate(_decided("auto_off", "fan", 30, approved=1))

    assert 1.0 < learned.kind["auto_off"].factor <= FACTOR_HIGH
    assert learned.factor(_habit(HabitKind.AUTO_OFF, "fan.bathroom")) == FACTOR_HIGH


def test_reverts_of_deployed_automations_count_against_their_cell() -> None:
    kept = _decided("sequence", "light", 4, approved=1, deployed=1, fires=10, reverts=0)
    undone = _decided("sequence", "cover", 4, approved=1, deployed=1, fires=10, reverts=8)
    removed = _decided("sequence", "fan", 4, approved=1, removed=1)

    learned = _calibrate([*kept, *undone, *removed])

    factors = {domain: learned.cell[f"sequence/{domain}"] for domain in ("light", "cover", "fan")}
    assert factors["light"].factor > factors["cover"].factor
    assert factors["light"].factor > factors["fan"].factor
    assert factors["cover"].words("cover sequence habits") == (
        f"cover sequence habits ranked ×{factors['cover'].factor:.2f}: 4 of 4 approved, "
        "4 deployed, undone 32 of 40 fires, leaning on 8 related decisions"
    )


def test_a_cell_leans_on_its_kind_and_its_domain_each_decision_once() -> None:
    decisions = [*_decided("sun", "cover", 5), *_decided("time_of_day", "light", 3)]
    learned = _calibrate(decisions, cells=[("sun", "light")])

    # sun lights were never decided: they lean on sun covers and clock lights, eight decisions
    # at half the weight of a cell's own
    sun_light = learned.cell["sun/light"]
    assert sun_light.related == 8
    assert sun_light.counts.decided == 0
    assert learned.factor(_habit()) == sun_light.factor
    assert learned.factor(_habit(HabitKind.SUN, "cover.blinds")) < sun_light.factor < 1.0
    # and a cell nobody named is worked out the same way when a habit of it is ranked
    assert learned.factor(_habit(HabitKind.SUN, "switch.fountain")) < 1.0
    assert learned.factor(_habit(HabitKind.PRESENCE, "switch.fountain")) == 1.0


def test_each_reason_is_kept_once_newest_first() -> None:
    said = [DecisionCounts(rejected=1, reasons=(reason,)) for reason in ("a", "b", "a", "c", "d")]
    total = DecisionCounts()
    for one in said:
        total = total.add(one)

    assert (total.rejected, total.reasons) == (5, ("a", "b", "c"))


def test_the_calibration_reads_back_from_the_run_record() -> None:
    learned = _calibrate(
        [
            *_decided("sun", "light", 2, rejected=1, reasons=("only in winter",)),
            *_decided("sun", "light", 2, rejected=1, reasons=("too early",), days_ago=30),
            *_decided("sun", "light", 1, approved=1),
            *_decided("time_of_day", "light", 2, approved=1, deployed=1, fires=9, reverts=3),
        ]
    )

    again = Calibration.from_dict(learned.as_dict())

    assert again == learned
    assert again.half_life_days == HALF_LIFE
    assert again.lines()[0].startswith("light sun habits ranked ×0.8")
    assert "1 of 5 approved" in again.lines()[0]
    assert again.lines()[0].endswith("(“only in winter”)")
    assert Calibration.from_dict({}).lines() == []
    assert Calibration.from_dict(None).factor(_habit()) == 1.0
    # a run stored before the cells reads its kinds and domains as unaged
    before = Calibration.from_dict({"kind": {"sun": {"factor": 0.71, "rejected": 5}}})
    assert before.kind["sun"].weighed_decided == 5.0
    assert before.lines() == []


def test_a_returning_habit_carries_the_owners_words_once() -> None:
    rejection = PastRejection(datetime(2026, 11, 1, 23, 30, tzinfo=UTC), "only in winter")

    noted = remember_rejection(_habit(notes=("not counted: 2 days away",)), rejection, BERLIN)
    again = remember_rejection(noted, rejection, BERLIN)

    # 23:30 UTC is already the next day in Berlin
    assert rejection_notes(again) == ["You rejected this on 2026-11-02: 'only in winter'"]
    assert again.notes[0] == "not counted: 2 days away"
    assert remember_rejection(_habit(), None, BERLIN) == _habit()
    without = PastRejection(datetime(2026, 11, 2, 9, tzinfo=UTC), None)
    assert rejection_note(without, BERLIN) == "You rejected this on 2026-11-02 (no reason given)"
