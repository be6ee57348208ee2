"""Phone numbers become E.164 at the edge, and nothing a caller ID can hold makes them crash."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import phone_numbers
from app.services.errors import InvalidInput

NORMALIZE_TABLE = [
    # (raw, region, expected E.164 or None)
    ("+14155550100", "US", "+14155550100"),
    ("4155550100", "US", "+14155550100"),
    ("(415) 555-0100", "US", "+14155550100"),
    ("415-555-0100", "US", "+14155550100"),
    ("415.555.0100", "US", "+14155550100"),
    ("1 415 555 0100", "US", "+14155550100"),
    ("  +1 (415) 555 0100  ", "US", "+14155550100"),
    ("+1 415 555 0100 ext. 12", "US", "+14155550100"),
    ("415-555-0100 x99", "US", "+14155550100"),
    ("011 44 20 7946 0000", "US", "+442079460000"),
    ("0044 20 7946 0000", "US", "+442079460000"),
    ("0044 20 7946 0000", "GB", "+442079460000"),
    ("020 7946 0000", "GB", "+442079460000"),
    ("+44 (0)20 7946 0000", "US", "+442079460000"),
    ("138 0013 8000", "CN", "+8613800138000"),
    ("+86 138-0013-8000", "US", "+8613800138000"),
    ("0086 138 0013 8000", "US", "+8613800138000"),
    ("555-0100", "US", None),  # too short without an area code
    ("12", "US", None),
    ("+1 999 555 0100", "US", None),  # no such area code
    ("not a number", "US", None),
    ("", "US", None),
    ("   ", "US", None),
    ("anonymous", "US", None),
    ("+266696687", "US", None),
    ("sip:alice@example.com", "US", None),
    ("sip:+14155550100@example.com", "US", None),
    ("client:agent_7", "US", None),
    ("1" * 500, "US", None),
    ("+1" + "4" * 40, "US", None),
]


@pytest.mark.parametrize(("raw", "region", "expected"), NORMALIZE_TABLE)
def test_normalize_table(raw, region, expected):
    assert phone_numbers.normalize(raw, region) == expected


@pytest.mark.parametrize("raw", [None, 14155550100, b"+14155550100"])
def test_normalize_refuses_non_text(raw):
    assert phone_numbers.normalize(raw, "US") is None


WITHHELD = ["", "  ", "anonymous", "Anonymous", "ANONYMOUS", "restricted", "Private", "unknown", "UNAVAILABLE",
            "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253", "266696687", None]


@pytest.mark.parametrize("raw", WITHHELD)
def test_withheld_words_and_placeholders(raw):
    assert phone_numbers.is_withheld(raw)


@pytest.mark.parametrize("raw", ["+14155550100", "client:bob", "sip:a@b.c", "garbage", "+44 20 7946 0000"])
def test_real_and_unreadable_numbers_are_not_withheld(raw):
    assert not phone_numbers.is_withheld(raw)


@pytest.mark.parametrize(("e164", "region", "shown"), [
    ("+14155550100", "US", "(415) 555-0100"),
    ("+442079460000", "US", "+44 20 7946 0000"),
    ("+442079460000", "GB", "020 7946 0000"),
    ("+8613800138000", "US", "+86 138 0013 8000"),
    (None, "US", None),
])
def test_display_is_national_at_home_and_international_abroad(e164, region, shown):
    assert phone_numbers.display(e164, region) == shown


def test_normalize_or_raise_names_the_number():
    with pytest.raises(InvalidInput) as error:
        phone_numbers.normalize_or_raise("555-CALL-ME-NOW", "US")
    assert "555-CALL-ME-NOW" in error.value.message
    assert "555-CALL-ME-NOW" in error.value.fields["phones"][0]


caller_ids = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\+?[0-9 ()\-.]{0,30}", fullmatch=True),
    st.builds(lambda d: "+1" + d, st.from_regex(r"[2-9][0-9]{9}", fullmatch=True)),
    st.sampled_from([w for w in WITHHELD if w is not None] + ["client:x", "sip:y@z"]),
)


@settings(max_examples=400, deadline=None)
@given(raw=caller_ids, region=st.sampled_from(["US", "GB", "CN", "DE", "IN", "BR"]))
def test_normalize_never_raises_and_is_idempotent(raw, region):
    first = phone_numbers.normalize(raw, region)
    phone_numbers.is_withheld(raw)
    if first is not None:
        assert first.startswith("+") and first[1:].isdigit()
        assert phone_numbers.normalize(first, region) == first
        assert phone_numbers.normalize(first, "US") == first  # E.164 reads the same from anywhere
