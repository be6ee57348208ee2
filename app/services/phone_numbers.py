"""Phone numbers at the edge: everything we store or match is E.164, made here and only here."""
from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

# What Twilio (and carriers) put in `From` when the caller hides their number.
WITHHELD_WORDS = frozenset(
    {"", "anonymous", "restricted", "private", "unknown", "unavailable", "withheld", "blocked"}
)
# Twilio's placeholders for a withheld number: they look like E.164 but belong to nobody.
WITHHELD_PLACEHOLDERS = frozenset(
    {"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}
)
# Longer than any phone number with an extension; refused before phonenumbers does any work.
MAX_INPUT_LENGTH = 64


def load_metadata() -> None:
    """Load every region's metadata now, so the first call of the day is not the slow one."""
    phonenumbers.PhoneMetadata.load_all()
    phonenumbers.parse("+14155550100")


def _compact(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit() or ch == "+")


def is_withheld(raw: str | None) -> bool:
    """True when the provider tells us the caller hid their number."""
    if raw is None:
        return True
    text = raw.strip()
    if text.lower() in WITHHELD_WORDS:
        return True
    compact = _compact(text)
    return compact in WITHHELD_PLACEHOLDERS or ("+" + compact.lstrip("+")) in WITHHELD_PLACEHOLDERS


def normalize(raw: str | None, region: str = "US") -> str | None:
    """The E.164 form of `raw`, or None when it is not a valid phone number.

    Accepts national and international forms, `00` international prefixes, spaces, dashes, dots,
    parentheses and extensions (the extension is dropped: calls arrive without one). SIP URIs,
    Twilio Client identities, withheld placeholders and anything unreadable give None. Never raises.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > MAX_INPUT_LENGTH or ":" in text or "@" in text:
        return None
    if is_withheld(text):
        return None
    candidates = [text]
    if text.startswith("00"):
        # "00" is the international prefix in most of the world, but not in the default region
        # of every installation (the US dials 011), so read it as "+" when the region would not.
        candidates.append("+" + text[2:])
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


def display(e164: str | None, region: str = "US") -> str | None:
    """How a person reads the number: national form for home numbers, international otherwise."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


# The kinds of number a text message reaches: a mobile, or (as in the US and Canada) a number whose
# kind the numbering plan cannot tell from a landline.
_SMS_KINDS = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def can_take_sms(e164: str | None) -> bool:
    """True when `e164` may receive an SMS: phonenumbers says mobile, or fixed-line-or-mobile."""
    if not e164:
        return False
    try:
        return phonenumbers.number_type(phonenumbers.parse(e164, None)) in _SMS_KINDS
    except NumberParseException:
        return False


def normalize_or_raise(raw: str | None, region: str, field: str = "phones") -> str:
    """For writes: the E.164 form, or an InvalidInput that names the number it could not read."""
    from app.services.errors import InvalidInput

    e164 = normalize(raw, region)
    if e164 is None:
        message = f"{raw!r} is not a valid phone number (region {region})"
        raise InvalidInput(message, fields={field: [message]})
    return e164
