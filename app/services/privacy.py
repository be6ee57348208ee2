"""Private numbers (SPEC §13): with MASK_NUMBERS on, agents never receive a caller's full number.

Who: users whose role is below supervisor (`agent`) are masked; supervisors and admins see every
number whole. With MASK_NUMBERS off nobody is masked and every answer is as before.

The rule, the same in pops, call updates, the queue and every API answer:
- a field that holds a number in E.164 or as the provider sent it — a pop's or a call's `from`,
  `from_raw`, the `to` of an outbound call (the customer's number), any `e164` — is `null`: a
  masked string is not E.164, and a client must not mistake it for one;
- a field that shows a number to a person — `from_display`, any `display` — and a customer's
  `phones` (a list whose length and order pages rely on) hold the masked form from `mask`:
  the national (or, abroad, international) format with its area code and its last two digits
  kept, every other digit replaced by •, the punctuation kept: `(415) •••-••00`;
- the inbound `to` (the company's own line) is not a caller's number and stays as it is.

Numbers still go in: an agent may search by a full number, add one to a customer, and call a
customer back by customer or follow-up (the server dials the stored number). What comes back out
to them is masked. Logs carry numbers masked too, while the setting is on (`app.logs`).
"""
from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException

from app.services import phone_numbers
from app.services.people import roles

MASK = "•"
KEPT_AT_END = 2  # the last digits a masked number keeps, so an agent can tell two numbers apart
MIN_MASKED = 3  # never fewer digits hidden than this, however short the number


def mask(e164: str | None, region: str = "US") -> str | None:
    """`e164` as `phone_numbers.display` writes it, with every digit but the country code (abroad),
    the geographical area code and the last two replaced by •: "(415) •••-••00",
    "+44 20 •••• ••58" seen from the US; a mobile (no area code) keeps only its last two.
    None for no number."""
    if not e164:
        return None
    shown = phone_numbers.display(e164, region) or e164
    try:
        number = phonenumbers.parse(e164, None)
        national = phonenumbers.national_significant_number(number)
        area = phonenumbers.length_of_geographical_area_code(number)
    except NumberParseException:
        national, area = "".join(ch for ch in e164 if ch.isdigit()), 0
    digits = sum(ch.isdigit() for ch in shown)
    hidden = max(len(national) - area - KEPT_AT_END, min(MIN_MASKED, len(national) - KEPT_AT_END), 0)
    # The national significant number ends the display; what comes before it (a country code, a
    # trunk prefix) is kept, then the area code, then `hidden` digits are masked, then the rest.
    first_hidden = digits - KEPT_AT_END - hidden
    out, seen = [], 0
    for ch in shown:
        if ch.isdigit():
            out.append(MASK if first_hidden <= seen < first_hidden + hidden else ch)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


# Something written like a phone number inside a line of text: not inside a word (a CallSid's hex).
_NUMBER_IN_TEXT = re.compile(r"(?<![\w+(])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")


def mask_text(text: str, region: str = "US") -> str:
    """`text` with every valid phone number in it masked, in E.164 or as people write it: for log
    lines, which many people read. Other digits (times, ids) are left as they are."""
    def masked(found: re.Match) -> str:
        e164 = phone_numbers.normalize(found.group(0), region)
        return mask(e164, region) if e164 else found.group(0)

    return _NUMBER_IN_TEXT.sub(masked, text) if any(ch.isdigit() for ch in text) else text


def is_masked(text: object) -> bool:
    """True for a value `mask` made (a client sending back what it was shown)."""
    return isinstance(text, str) and MASK in text


def masks_for(user, mask_numbers: bool) -> bool:
    """Whether `user` (anything with a `.role`) gets numbers masked, MASK_NUMBERS being `mask_numbers`."""
    return mask_numbers and not roles.has_role(user, "supervisor")


def sees_masked(user) -> bool:
    """Whether `user` gets numbers masked in this app (its MASK_NUMBERS): pops, the queue, the API."""
    from app.settings import settings

    return masks_for(user, settings().privacy.mask_numbers)


def without_numbers(shown: dict) -> dict:
    """A copy of a call's shape (a pop, an API call) with the fields that hold a number itself
    emptied: `from`, `from_raw`, and an outbound call's `to` (the customer's number)."""
    blank = {**shown, "from": None, "from_raw": None}
    if shown.get("direction") == "outbound":
        blank["to"] = None
    return blank


def mask_pop(pop: dict, region: str) -> dict:
    """A masked copy of a `screen_pop` payload (`app.services.calls.screen_pop`); the customer card
    and the candidates carry no number. `from_display` is masked from the number it shows."""
    masked = without_numbers(pop)
    shown = pop.get("to") if pop.get("direction") == "outbound" else pop.get("from")
    if shown:
        masked["from_display"] = mask(shown, region)
    elif pop.get("from_display") and pop.get("from_display") != "Number withheld":
        masked["from_display"] = None
    return masked


def keep_masked_phones(sent: list, stored: list[str], region: str) -> list:
    """The `phones` a masked agent sent back, with each masked value standing for the stored number
    it masks (each stored number stands for one masked value, in stored order), so resending what
    the page showed keeps the numbers, and leaving one out removes it. Readable new numbers pass
    through (they are normalised later). A masked value that is none of the customer's numbers
    raises InvalidInput naming `phones`."""
    from app.services.errors import InvalidInput

    free = list(stored)
    kept = []
    for value in sent:
        if not is_masked(value):
            kept.append(value)
            continue
        match = next((e164 for e164 in free if mask(e164, region) == value.strip()), None)
        if match is None:
            message = f"{value!r} is a masked number this customer does not have"
            raise InvalidInput(message, fields={"phones": [message]})
        free.remove(match)
        kept.append(match)
    return kept
