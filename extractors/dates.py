"""Dates that pages state, for readers or in machine attributes, or inside a commenter's name.
Pure: text in, dates out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from dateutil import parser as date_parser

_UNIX_SECONDS = re.compile(r"\d{9,10}")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


@dataclass(frozen=True)
class StatedDate:
    """A date as the page states it (`raw`: an attribute value or the text shown) and as read."""

    raw: str
    value: datetime


def parse_published_date(text: str | None, *, fuzzy: bool = False) -> datetime | None:
    """The date a text written for readers states ("March 3, 2025 at 9:12 am", "3 March 2025 10:14",
    "29.07.2020 // 12:56", "29. Juli 2020 um 12:56 Uhr"), else None.

    The text must name a year: dateutil would turn "Reply", "May", "Sunday" or "2 days ago" into a
    date near today. `fuzzy` lets the date stand among other words ("Submitted by Maureen on
    Fri, 03/21/2025 - 10:14"); without it the whole text must be a date, so that a line such as
    "The 2025 budget" stays text. Numeric dates with slashes are read month first (dateutil's
    default), as WordPress and Drupal print them in US locales; with dots or dashes (29.07.2020,
    29-07-2020) day first, as German, Dutch or Polish pages print them. German month names are read as English ones.
    """
    if not text or not _YEAR.search(text):
        return None
    try:
        return date_parser.parse(_as_english(text), fuzzy=fuzzy, dayfirst=bool(_DAY_FIRST_DATE.search(text)))
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


def stated_published_date(text: str | None, *, fuzzy: bool = False) -> StatedDate | None:
    """`parse_published_date` with the text it read."""
    date = parse_published_date(text, fuzzy=fuzzy)
    return StatedDate(" ".join(text.split()), date) if text and date else None


def stated_machine_date(value: str | None) -> StatedDate | None:
    """`parse_machine_date` with the value it read."""
    date = parse_machine_date(value)
    return StatedDate(value.strip(), date) if value and date else None


# --- a date written into a name ------------------------------------------------------------

# German names first: "Juni"/"Juli" must not be read as English "Jun"/"Jul" + "i".
_GERMAN_MONTHS = {
    "januar": "January", "jänner": "January", "februar": "February", "märz": "March", "maerz": "March",
    "mai": "May", "juni": "June", "juli": "July", "oktober": "October", "dezember": "December",
    "mär": "March", "okt": "October", "dez": "December",
}  # fmt: skip
# Only before a year ("29. Juli 2020"): "Mai" or "Juli" elsewhere is more likely a name.
_GERMAN_MONTH = re.compile(rf"\b({'|'.join(_GERMAN_MONTHS)})\b\.?(?=,?\s+(?:19|20)\d{{2}}\b)", re.IGNORECASE)
# What German and other pages put between date and time or after the time: not parts of a date.
_TIME_WORDS = re.compile(r"\s+um\s+|\s*//\s*|\s+Uhr\b", re.IGNORECASE)
_DAY_FIRST_DATE = re.compile(r"\b\d{1,2}([.-])\d{1,2}\1(?:\d{4}|\d{2})\b")

_MONTH = (
    r"(?:jan(?:uary|uar)?|jänner|feb(?:ruary|ruar)?|mar(?:ch)?|märz|maerz|mär|apr(?:il)?|may|mai|june?|juni"
    r"|july?|juli|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|dez(?:ember)?)\.?"
)
_WEEKDAY = (
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?|(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)"
    r"|(?:mo|di|mi|do|fr|sa|so)\.),?\s+"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th|\.)?"
_DATE = (
    rf"(?:{_WEEKDAY})?"
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}"  # 2020-07-29
    rf"|\d{{1,2}}[./-]\d{{1,2}}[./-](?:\d{{4}}|\d{{2}})"  # 29.07.2020, 07/29/2020, 29-07-2020, 29.07.20
    rf"|{_DAY}\s*(?:of\s+)?{_MONTH},?\s+\d{{4}}"  # 29 July 2020, 29. Juli 2020
    rf"|{_MONTH}\s+{_DAY},?\s+\d{{4}})"  # July 29, 2020
)
_TIME = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*(?:[ap]\.?m\.?|uhr|h)\b\.?)?"
_BETWEEN = r"\s*(?:,|at|um|à|@|//|/|-|–|—|\||·|•|T)?\s*"
_DATETIME = rf"(?:{_DATE}(?:{_BETWEEN}{_TIME})?|{_TIME}{_BETWEEN}{_DATE})"
# What joins a name and a date: "Name on <date>", "Name am <date>", "Name – <date>", "Name // <date>".
_JOIN = r"(?:\s+(?:on|am|le|el|il|op|at)\s+|\s*(?:[-–—|,·•@:]|//)\s*|\s+)"
_VERB = r"(?:says|said|sagt|sagte|schrieb|schreibt|wrote|writes|dice|dijo|dit|disse|zegt|schreef)\s*:?"
_TRAILING_VERB = re.compile(rf"\s+{_VERB}\s*$", re.IGNORECASE)
_TRAILING_DATE = re.compile(rf"^(?P<name>.*?){_JOIN}(?P<date>{_DATETIME})\s*$", re.IGNORECASE)
_LEADING_DATE = re.compile(rf"^\s*(?P<date>{_DATETIME}){_JOIN}(?P<name>.*)$", re.IGNORECASE)
_ONLY_DATE = re.compile(rf"^\s*(?P<date>{_DATETIME})\s*$", re.IGNORECASE)
_EDGE_PUNCTUATION = " \t-–—|,·•@:/"


def split_author_date(text: str | None) -> tuple[str | None, StatedDate | None]:
    """A commenter's name without the date and time some themes print inside the author element
    ("Rolf Buckpesch 29.07.2020 // 12:56", "Milan on September 12, 2018 at 4:47 pm said:",
    "Anna 29. Juli 2020 um 12:56 Uhr", "2020-07-29 12:56 – Anna"), and that date when it reads as one.

    "says:"/"sagt:"-style verbs after the name go too. A date-like part that does not parse stays
    in the name: the name is what the page shows, only a real date is moved out of it.
    """
    if not text:
        return None, None
    name = _TRAILING_VERB.sub("", text.strip())
    stated = None
    for pattern in (_ONLY_DATE, _TRAILING_DATE, _LEADING_DATE):
        match = pattern.match(name)
        if match and (date := parse_published_date(match["date"], fuzzy=True)):
            stated = StatedDate(" ".join(match["date"].split()), date)
            name = match.groupdict().get("name") or ""
            break
    name = _TRAILING_VERB.sub("", name).strip(_EDGE_PUNCTUATION)
    return name or None, stated


def _as_english(text: str) -> str:
    """German month names and time words for dateutil: "29. Juli 2020 um 12:56 Uhr" → "29. July 2020 12:56"."""
    text = _GERMAN_MONTH.sub(lambda match: _GERMAN_MONTHS[match[1].lower()], text)
    return _TIME_WORDS.sub(" ", text)
