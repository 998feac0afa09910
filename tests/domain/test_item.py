from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.item import Applied, StockItem, Versioned, apply_update
from domain.stock import Field, StockUpdate

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
EARLIER, LATER = NOON - timedelta(microseconds=1), NOON + timedelta(microseconds=1)
DEFAULT = 2

# One update of each field, and where the item keeps it.
SETTING: dict[Field, tuple[dict[str, Any], str, object]] = {
    Field.LEVEL: ({"level": 7}, "level", 7),
    Field.REORDER_POINT: ({"reorder_point": 4}, "reorder_point", 4),
    Field.ALERTS: ({"low_stock_alerts": False}, "low_stock_alerts", False),
}


def _stored(**versions: datetime) -> StockItem:
    """An item with each field set to a value other than those of SETTING, as of the time given by its name."""
    return StockItem(
        "A1",
        level=Versioned(1, versions["level"]) if "level" in versions else None,
        reorder_point=Versioned(9, versions["reorder_point"]) if "reorder_point" in versions else None,
        low_stock_alerts=Versioned(True, versions["low_stock_alerts"]) if "low_stock_alerts" in versions else None,
        default_reorder_point=1,
        listed_low=True,
    )


def test_an_item_knows_when_each_field_was_set_and_none_for_one_never_set():
    item = StockItem("A1", level=Versioned(3, NOON), low_stock_alerts=Versioned(False, LATER))
    assert [item.version(field) for field in Field] == [NOON, None, LATER]


@pytest.mark.parametrize(
    ("setting", "on"), [(None, True), (Versioned(True, NOON), True), (Versioned(False, NOON), False)]
)
def test_alerts_are_on_unless_the_item_turned_them_off(setting, on):
    assert StockItem("A1", low_stock_alerts=setting).alerts_on is on


def test_a_first_update_makes_the_item_with_its_fields_and_the_default_in_force():
    update = StockUpdate("A1", 3, NOON, reorder_point=None, low_stock_alerts=True)
    assert apply_update(None, update, DEFAULT) == Applied(
        StockItem(
            "A1",
            level=Versioned(3, NOON),
            reorder_point=Versioned(None, NOON),
            low_stock_alerts=Versioned(True, NOON),
            default_reorder_point=DEFAULT,
        ),
        frozenset(Field),
        frozenset(),
    )


@pytest.mark.parametrize("field", list(Field))
@pytest.mark.parametrize(("stored_at", "applies"), [(None, True), (EARLIER, True), (NOON, False), (LATER, False)])
def test_each_field_applies_only_over_no_version_or_an_older_one(field, stored_at, applies):
    raw, name, value = SETTING[field]
    stored = _stored(**({} if stored_at is None else {name: stored_at}))
    outcome = apply_update(stored, StockUpdate("A1", as_of=NOON, **raw), DEFAULT)
    if applies:
        assert (outcome.applied, outcome.stale) == (frozenset({field}), frozenset())
        assert outcome.item == StockItem(**(vars(stored) | {name: Versioned(value, NOON), "default_reorder_point": 2}))
    else:
        assert (outcome.applied, outcome.stale) == (frozenset(), frozenset({field}))
        assert outcome.item == stored


@pytest.mark.parametrize("field", list(Field))
def test_a_field_applied_leaves_every_other_field_and_the_list_mark_as_stored(field):
    raw, name, value = SETTING[field]
    stored = _stored(level=EARLIER, reorder_point=EARLIER, low_stock_alerts=EARLIER)
    item = apply_update(stored, StockUpdate("A1", as_of=NOON, **raw), DEFAULT).item
    assert vars(item) == vars(stored) | {name: Versioned(value, NOON), "default_reorder_point": DEFAULT}


def test_of_fields_set_together_the_newer_ones_apply_and_the_stale_ones_are_named_and_kept():
    stored = _stored(level=LATER, reorder_point=EARLIER, low_stock_alerts=NOON)
    update = StockUpdate("A1", 5, NOON, reorder_point=3, low_stock_alerts=False)
    outcome = apply_update(stored, update, DEFAULT)
    assert (outcome.applied, outcome.stale) == (
        frozenset({Field.REORDER_POINT}),
        frozenset({Field.LEVEL, Field.ALERTS}),
    )
    assert outcome.item == StockItem(
        "A1",
        level=Versioned(1, LATER),
        reorder_point=Versioned(3, NOON),
        low_stock_alerts=Versioned(True, NOON),
        default_reorder_point=DEFAULT,
        listed_low=True,
    )


def test_the_default_in_force_is_written_whenever_anything_applies():
    stored = StockItem("A1", level=Versioned(1, EARLIER), reorder_point=Versioned(9, LATER))
    outcome = apply_update(stored, StockUpdate("A1", 0, NOON, reorder_point=4), 6)
    assert outcome.applied == {Field.LEVEL}
    assert outcome.item.default_reorder_point == 6


def test_nothing_is_written_when_every_field_is_stale_not_even_the_default():
    stored = _stored(level=NOON, reorder_point=LATER)
    outcome = apply_update(stored, StockUpdate("A1", 5, NOON, reorder_point=3), DEFAULT + 10)
    assert (outcome.applied, outcome.stale) == (frozenset(), frozenset({Field.LEVEL, Field.REORDER_POINT}))
    assert outcome.item == stored


def test_a_reorder_point_set_back_to_the_default_keeps_its_time_so_an_older_number_cannot_return():
    own = apply_update(None, StockUpdate("A1", reorder_point=8, as_of=NOON - timedelta(hours=1)), DEFAULT).item
    back = apply_update(own, StockUpdate("A1", reorder_point=None, as_of=NOON), DEFAULT)
    assert back.applied == {Field.REORDER_POINT}
    assert back.item.reorder_point == Versioned(None, NOON)
    late = apply_update(back.item, StockUpdate("A1", reorder_point=6, as_of=NOON - timedelta(minutes=1)), DEFAULT)
    assert late.stale == {Field.REORDER_POINT}
    assert late.item.reorder_point == Versioned(None, NOON)
    newer = apply_update(back.item, StockUpdate("A1", reorder_point=5, as_of=LATER), DEFAULT)
    assert newer.item.reorder_point == Versioned(5, LATER)


def test_a_new_item_takes_its_id_from_the_update():
    assert apply_update(None, StockUpdate("B2", low_stock_alerts=False, as_of=NOON), DEFAULT).item.stock_id == "B2"


def test_an_update_without_its_time_cannot_be_applied():
    with pytest.raises(ValueError, match="stamped"):
        apply_update(None, StockUpdate("A1", 3), DEFAULT)


def test_an_update_not_yet_stamped_with_its_time_is_refused_naming_why():
    with pytest.raises(ValueError, match=r"^an update must be stamped with its time before it is applied$"):
        apply_update(None, StockUpdate("A1", 4), default_reorder_point=1)
