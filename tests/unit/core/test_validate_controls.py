"""Control characters in an ad's text make the item invalid, naming the field; the
whitespace ones (tab, line breaks, vertical tab, form feed) are content everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.core.models import FeedItem, InvalidItem, Origin, RawRecord
from syncd.core.validate.feed import Limits, validate_item
from tests.unit.core.test_validate import car, plain


def check(data: dict[str, Any]) -> FeedItem | InvalidItem:
    """One item validated as feed.json's first record."""
    return validate_item(
        RawRecord(Origin("feed.json", index=0), data),
        api_version=4,
        limits=Limits(max_model_year=2026),
    )


def reasons(data: dict[str, Any]) -> dict[str, str]:
    """The item's issues, field -> reason (it must be invalid)."""
    result = check(data)
    assert isinstance(result, InvalidItem), result
    return {i.field: i.reason for i in result.issues}


@pytest.mark.parametrize("field", ["title", "body"])
@pytest.mark.parametrize(
    "value", ["\x00", "\x00\x00", "\x1b[2J", "\x07", "\x7f", " \x00 "], ids=repr
)
def test_a_text_of_control_characters_is_refused(field: str, value: str) -> None:
    """A title or body of only NUL, ESC, BEL or DEL is no text: the item is invalid,
    the field named, and its source_id kept (its live ad is left as it is)."""
    result = check(plain(**{field: value}))
    assert isinstance(result, InvalidItem)
    assert result.source_id == "laptop-1"
    (issue,) = result.issues
    assert issue.field == field
    assert issue.reason.startswith("must not contain control characters (")


def test_the_reason_says_which_character_and_where() -> None:
    """The reason names the character and its place, a dealer can find it."""
    assert reasons(plain(title="Lap\x00top")) == {
        "title": "must not contain control characters ('\\x00' at character 4)"
    }


def test_a_body_keeps_its_line_breaks_and_tabs() -> None:
    """The body is a text of lines: LF, CR LF and tabs pass as content."""
    result = check(plain(body="Rad ett\r\nRad två\n\tindrag", title="Laptop\tX"))
    assert isinstance(result, FeedItem)
    assert result.payload["body"] == "Rad ett\r\nRad två\n\tindrag"


def test_a_body_with_a_nul_among_its_lines_is_refused() -> None:
    """Line breaks are allowed in the body, other controls are not."""
    assert reasons(plain(body="Rad ett\nRad\x00två")) == {
        "body": "must not contain control characters ('\\x00' at character 12)"
    }


@pytest.mark.parametrize("value", ["Laptop\nX", "Laptop\r\nX", "Laptop\x0bX", "Laptop\x0cX"])
def test_whitespace_controls_are_content_in_a_title_and_a_body(value: str) -> None:
    """Assumption: a line break (an Excel Alt+Enter title), Word's manual line break (VT)
    or a form feed is content, as syncd sent it before: no live ad stops updating."""
    result = check(plain(title=value, body=value))
    assert isinstance(result, FeedItem), result
    assert (result.payload["title"], result.payload["body"]) == (value, value)


def test_contact_and_category_fields_are_checked_too() -> None:
    """Every text field: contact, a category field's string and an array's string."""
    found = reasons(
        plain(
            contact={"name": "An\x00na", "phone": "0701234567", "email": "anna@example.com"},
            category_fields={"color": "r\x1bd", "equipments": ["ok", "\x00"]},
        )
    )
    assert set(found) == {
        "contact.name",
        "category_fields.color",
        "category_fields.equipments[1]",
    }


def test_a_vehicle_field_of_free_text_refuses_controls_but_keeps_lines() -> None:
    """A category field syncd does not know (kept as given) refuses NUL too."""
    fields = {"model_year": 2018, "registration_number": "ABC123", "note": "a\nb\x00"}
    assert reasons(car(category_fields=fields)) == {
        "category_fields.note": "must not contain control characters ('\\x00' at character 4)"
    }
