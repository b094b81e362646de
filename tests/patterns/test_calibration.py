"""Calibration: the owner's decisions weigh each kind and domain of habit, gently at first."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from homehabits.patterns.calibration import (
    FACTOR_HIGH,
    FACTOR_LOW,
    Calibration,
    DecisionCounts,
    PastRejection,
    calibrate,
    rejection_note,
    rejection_notes,
    remember_rejection,
)
from homehabits.patterns.habit import HabitKind, Pattern

BERLIN = ZoneInfo("Europe/Berlin")


def _habit(
    kind: HabitKind = HabitKind.SUN, target: str = "light.porch", **changes: object
) -> Pattern:
    values: dict[str, object] = {"confidence": 0.8, "score": 0.5}
    values.update(changes)
    return Pattern(kind=kind, target_entity=target, target_state="on", **values)  # type: ignore[arg-type]


def test_a_kind_the_owner_always_rejects_ranks_lower() -> None:
    learned = calibrate({"sun": DecisionCounts(rejected=5)}, {})

    assert learned.kind["sun"].factor == pytest.approx(0.71)
    sun, clock = _habit(), _habit(HabitKind.TIME_OF_DAY)
    assert learned.apply(sun).score == pytest.approx(0.5 * 0.71)
    assert learned.apply(clock) == clock
    assert sorted([sun, clock], key=learned.rank_key) == [clock, sun]
    assert learned.lines() == ["sun habits ranked ×0.71: 0 of 5 approved"]


def test_few_decisions_change_nothing() -> None:
    learned = calibrate(
        {"sun": DecisionCounts(rejected=2, reasons=("only in winter",))},
        {"light": DecisionCounts(approved=1, rejected=1)},
    )

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
    }


def test_the_prior_weighs_less_as_decisions_add_up() -> None:
    factors = [
        calibrate({"sun": DecisionCounts(rejected=n)}, {}).kind["sun"].factor for n in (3, 5, 8)
    ]

    assert factors == sorted(factors, reverse=True)
    assert factors[0] < 1.0
    assert calibrate({"sun": DecisionCounts(rejected=40)}, {}).kind["sun"].factor == FACTOR_LOW


def test_approvals_raise_a_kind_only_a_little() -> None:
    learned = calibrate(
        {"auto_off": DecisionCounts(approved=3)}, {"fan": DecisionCounts(approved=30)}
    )

    assert 1.0 < learned.kind["auto_off"].factor <= FACTOR_HIGH
    assert learned.domain["fan"].factor == FACTOR_HIGH
    assert learned.factor(_habit(HabitKind.AUTO_OFF, "fan.bathroom")) == FACTOR_HIGH


def test_reverts_of_deployed_automations_count_against_their_kind() -> None:
    kept = DecisionCounts(approved=4, deployed=4, fires=40, reverts=0)
    undone = DecisionCounts(approved=4, deployed=4, fires=40, reverts=30)
    removed = DecisionCounts(approved=4, removed=4)

    factors = calibrate({"kept": kept, "undone": undone, "removed": removed}, {}).kind

    assert factors["kept"].factor > factors["undone"].factor
    assert factors["kept"].factor > factors["removed"].factor
    assert factors["undone"].words("sequence habits") == (
        f"sequence habits ranked ×{factors['undone'].factor:.2f}: 4 of 4 approved, "
        "4 deployed, undone 30 of 40 fires"
    )


def test_kind_and_domain_multiply_within_the_clip() -> None:
    learned = calibrate({"sun": DecisionCounts(rejected=5)}, {"light": DecisionCounts(rejected=5)})

    assert learned.factor(_habit()) == pytest.approx(max(0.71 * 0.71, FACTOR_LOW))
    assert learned.factor(_habit(target="cover.blinds")) == pytest.approx(0.71)
    assert learned.lines() == [
        "sun habits ranked ×0.71: 0 of 5 approved",
        "light suggestions ranked ×0.71: 0 of 5 approved",
    ]


def test_each_reason_is_kept_once_newest_first() -> None:
    said = [DecisionCounts(rejected=1, reasons=(reason,)) for reason in ("a", "b", "a", "c", "d")]
    total = DecisionCounts()
    for one in said:
        total = total.add(one)

    assert (total.rejected, total.reasons) == (5, ("a", "b", "c"))


def test_the_calibration_reads_back_from_the_run_record() -> None:
    learned = calibrate(
        {"sun": DecisionCounts(rejected=4, approved=1, reasons=("only in winter", "too early"))},
        {"light": DecisionCounts(approved=2, deployed=2, fires=9, reverts=3)},
    )

    again = Calibration.from_dict(learned.as_dict())

    assert again == learned
    assert again.lines()[0] == "sun habits ranked ×0.82: 1 of 5 approved (“only in winter”)"
    assert Calibration.from_dict({}).lines() == []
    assert Calibration.from_dict(None).factor(_habit()) == 1.0


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
