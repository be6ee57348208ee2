"""The one search box (SPEC §6 `q`): what a query means, and the ids of the customers it finds.

`records.search` calls `ids_matching(q, region)`; nothing here touches the session. A query finds a
customer by any of:

- **name**: every word of the query is in the name, accent- and case-insensitively, in any order
  ("maria garcia", "GARCIA maría" and "garc mar" find María García). Beside a longer word, a
  word of one or two characters must start a word of the name ("garcia m" finds María García,
  not "Ana García Olmo"); a query of only such words must start the name ("al" finds Alice
  Wong, "wo" does not). A query of 3 characters or more is also tried as one piece, so a name
  with odd spacing or symbols ("100% Cotton" by "0% c") is found.
- **email**: the whole address, in any case.
- **external id**: the whole id, exactly as stored, digits or not ("CRM-7", "48213907").
- **number**: a whole number in any format the region can read, or 4 or more of its digits in
  order, written any way ("555-0130", "(415) 555", "0130", "+1 415-555", full-width digits, en
  dashes). With a leading `+` or `00` the digits are the start of the number, country code
  first; with one leading `0` (a national trunk prefix, "020 7946 0958") the digits after it
  are tried too.

A query the box cannot serve is refused (InvalidInput on `q`), never run: control characters,
nothing left to search once accents and invisible characters are taken out, or a piece of a
number with fewer than 4 digits ("(41", "+1 4").

Every branch is one indexed lookup, joined with UNION so PostgreSQL never scans a table for an
OR: the trigram and prefix indexes on `customers.name_search` (migration 0010), the trigram index
on `phone_numbers.e164` (0004), lower(email) (0002) and the unique external id.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, union

from app.models import Customer, PhoneNumber
from app.models.customer import search_key
from app.services import phone_numbers
from app.services.errors import InvalidInput

MIN_NUMBER_DIGITS = 4
# Shorter name words can't be cut into trigrams: they match the start of a word of the name.
MIN_SUBSTRING_CHARS = 3
# A piece of a phone number as people write one: digits, whitespace, + . ( ) / and dashes of any kind.
NUMBER_PIECE = re.compile(r"[\d\s()+./\-\u2010-\u2015\u2212]+")


@dataclass(frozen=True)
class SearchBoxQuery:
    """One `q`, read: the text as given (trimmed), its name words, and the digits of a number piece."""

    text: str
    name_key: str
    number_patterns: tuple[str, ...]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(f"q: {message}", {"q": [message]})


def _ascii_digits(text: str) -> str:
    """'٠١٣٠' and '０１３０' -> '0130': any script's decimal digits, as stored in E.164."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _number_patterns(text: str) -> tuple[str, ...]:
    """LIKE patterns on E.164 for a query that is a piece of a number, else ()."""
    text = _ascii_digits(unicodedata.normalize("NFKC", text))
    if not NUMBER_PIECE.fullmatch(text):
        return ()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ()
    if len(digits) < MIN_NUMBER_DIGITS:
        if digits == text:
            return ()  # "013": too short for a number, but it may be an external id or a name
        raise _refuse(f"{text!r} looks like part of a phone number but has {len(digits)} "
                      f"digit{'s' if len(digits) > 1 else ''}; type at least {MIN_NUMBER_DIGITS}")
    stripped = text.lstrip(" (")
    if stripped.startswith("+"):
        return (f"+{digits}%",)
    if stripped.startswith("00") and len(digits) - 2 >= MIN_NUMBER_DIGITS:
        return (f"%{digits}%", f"+{digits[2:]}%")
    if stripped.startswith("0") and len(digits) - 1 >= MIN_NUMBER_DIGITS:
        return (f"%{digits}%", f"%{digits[1:]}%")
    return (f"%{digits}%",)


def read(q: str) -> SearchBoxQuery:
    """What `q` asks for; InvalidInput (on `q`, naming the problem) when it cannot be searched."""
    text = q.strip()
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cs")})
    if bad:
        raise _refuse(f"must not contain control characters (found {', '.join(bad)})")
    name_key = search_key(text)
    if not name_key:
        raise _refuse(f"{text!r} has nothing to search for once accents and invisible characters are left out")
    return SearchBoxQuery(text, name_key, _number_patterns(text))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_condition(name_key: str):
    column = Customer.name_search
    whole = column.like(f"%{_like_escape(name_key)}%", escape="\\") if len(name_key) >= MIN_SUBSTRING_CHARS else None
    words = name_key.split(" ")
    if all(len(word) < MIN_SUBSTRING_CHARS for word in words):
        # Only short words: the start of the name (a B-tree range), or the query whole ("0% c").
        # Words that short anywhere in the name would match much of a big customer base, slowly.
        start = column.like(f"{_like_escape(name_key)}%", escape="\\")
        return start if whole is None else or_(start, whole)
    conditions = []
    for word in words:
        pattern = _like_escape(word)
        if len(word) >= MIN_SUBSTRING_CHARS:
            conditions.append(column.like(f"%{pattern}%", escape="\\"))
        else:
            conditions.append(or_(column.like(f"{pattern}%", escape="\\"),
                                  column.like(f"% {pattern}%", escape="\\")))
    every_word = and_(*conditions)
    return every_word if len(words) == 1 else or_(every_word, whole)


def ids_matching(q: str, region: str, whole_numbers_only: bool = False):
    """A SELECT of the ids of every customer `q` finds (see the module docstring), for `IN (…)`;
    `whole_numbers_only`: a number only whole, not by 4+ of its digits (SPEC §13, masked agents)."""
    query = read(q)
    branches = [
        select(Customer.id).where(_name_condition(query.name_key)),
        select(Customer.id).where(func.lower(Customer.email) == query.text.lower()),
        select(Customer.id).where(Customer.external_id == query.text),
    ]
    e164 = phone_numbers.normalize(query.text, region)
    if e164 is not None:
        branches.append(select(PhoneNumber.customer_id).where(PhoneNumber.e164 == e164))
    for pattern in () if whole_numbers_only else query.number_patterns:
        branches.append(select(PhoneNumber.customer_id).where(PhoneNumber.e164.like(pattern)))
    return union(*branches)
