"""Dates that pages state, for readers or in machine attributes. Pure: text in, datetime or None out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dateutil import parser as date_parser

_UNIX_SECONDS = re.compile(r"\d{9,10}")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def parse_published_date(text: str | None, *, fuzzy: bool = False) -> datetime | None:
    """The date a text written for readers states ("March 3, 2025 at 9:12 am", "3 March 2025 10:14"), else None.

    The text must name a year: dateutil would turn "Reply", "May", "Sunday" or "2 days ago" into a
    date near today. `fuzzy` lets the date stand among other words ("Submitted by Maureen on
    Fri, 03/21/2025 - 10:14"); without it the whole text must be a date, so that a line such as
    "The 2025 budget" stays text. Numeric dates are read month first (dateutil's default), as
    WordPress and Drupal print them in US locales.
    """
    if not text or not _YEAR.search(text):
        return None
    try:
        return date_parser.parse(text, fuzzy=fuzzy)
    except (ValueError, OverflowError):
        return None  # the text only looked like a date


def parse_machine_date(value: str | None) -> datetime | None:
    """A machine value (a `datetime` / `content` attribute, a JSON-LD or htmldate field): ISO 8601 or,
    as tagDiv writes it, Unix seconds; other values are read as a reader's date, words around it allowed."""
    value = (value or "").strip()
    if not value:
        return None
    if _UNIX_SECONDS.fullmatch(value):
        return datetime.fromtimestamp(int(value), tz=UTC)
    try:
        return date_parser.isoparse(value)
    except ValueError:
        return parse_published_date(value, fuzzy=True)  # "2025-03-03 10:14:00" and other non-ISO values
