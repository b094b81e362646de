"""The suggestion's fields are defined once (store.records); the table keeps a column for each."""

from __future__ import annotations

from dataclasses import fields
from typing import get_type_hints

from homehabits.api.schemas import SuggestionDetail
from homehabits.store.records import NewSuggestion, SuggestionRecord
from homehabits.store.tables import SuggestionRow


def test_the_suggestions_table_has_a_column_for_every_field_of_a_stored_suggestion() -> None:
    columns = set(SuggestionRow.__table__.columns.keys())

    assert {field.name for field in fields(SuggestionRecord)} == columns


def test_a_stored_suggestion_has_every_field_of_a_new_one() -> None:
    new = {field.name for field in fields(NewSuggestion)}

    assert new <= {field.name for field in fields(SuggestionRecord)}


def test_the_api_shows_each_field_with_the_records_type() -> None:
    types = get_type_hints(SuggestionRecord)
    shown = dict(SuggestionDetail.model_fields)
    shown.pop("evidence")  # the stored habit, under the name the API has always used
    shown.pop("track_record")  # a deployed one's record: the watch's, not the suggestion's

    assert {name: field.annotation for name, field in shown.items()} == {
        name: types[name] for name in shown
    }
