"""Flag reader comments that are spam, from their text alone.

The signals (named tests on the text) and the rules (which signals together make spam) are data,
in extractors/spam_rules.toml; the few tests that need code are CHECKS below. A comment is spam
when one rule matches; its reason lists every signal that fired. Repetition of one comment across
articles is detected in the database, not here.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib import resources

__all__ = ["BASELINE_RULES", "RULES", "SIGNALS", "Rule", "classify_comment", "fired_signals", "matching_rules"]

_URL_OR_DOMAIN = re.compile(
    r"https?://\S+|\bwww\.\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|biz|online|site|xyz|top|club|io|co|me|ly)\b(?:/\S*)?",
    re.IGNORECASE,
)
# Inside a token already written in look-alike letters any TLD is suspicious enough.
_DOMAIN_ANY_TLD = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b", re.IGNORECASE)


def _has_lookalike_link(text: str) -> bool:
    """A token in styled look-alike letters (𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦) whose NFKC form is a domain.

    Spammers use mathematical alphanumerics, fullwidth or circled letters so that link
    filters miss the URL; NFKC folds them back to ASCII. Ellipses and ligatures also
    change under NFKC, so the token must contain letters that fold to ASCII letters/digits.
    """
    return any(
        _count_lookalikes(token) >= 3 and _DOMAIN_ANY_TLD.search(unicodedata.normalize("NFKC", token))
        for token in text.split()
    )


def _count_lookalikes(token: str) -> int:
    """Non-ASCII characters that NFKC folds to an ASCII letter or digit."""
    return sum(
        1
        for char in token
        if not char.isascii() and (folded := unicodedata.normalize("NFKC", char)).isascii() and folded.isalnum()
    )


def _is_link_heavy(text: str) -> bool:
    """Nothing but a link, or links making up most of the comment."""
    links = _URL_OR_DOMAIN.findall(text)
    return len(links) >= 3 or (bool(links) and sum(map(len, links)) > len(text.strip()) / 2)


# The signals of spam_rules.toml that are code rather than patterns.
CHECKS: dict[str, Callable[[str], bool]] = {
    "lookalike_link": _has_lookalike_link,
    "link_heavy": _is_link_heavy,
    "link": lambda text: _URL_OR_DOMAIN.search(text) is not None,
}


@dataclass(frozen=True)
class Rule:
    """Spam when every signal of `all` fired and, if `any` is not empty, at least one of `any`."""

    name: str
    all: frozenset[str]
    any: frozenset[str] = frozenset()
    baseline: bool = False  # one of the rules from before the campaign rules (bench/spam.py)

    def matches(self, fired: Collection[str]) -> bool:
        return self.all <= set(fired) and (not self.any or not self.any.isdisjoint(fired))


def _load_rules() -> tuple[dict[str, Callable[[str], bool]], tuple[Rule, ...]]:
    data = tomllib.loads(resources.files("extractors").joinpath("spam_rules.toml").read_text(encoding="utf-8"))
    signals = {name: _signal_test(name, spec) for name, spec in data["signals"].items()}
    rules = tuple(
        Rule(rule["name"], frozenset(rule["all"]), frozenset(rule.get("any", ())), rule.get("baseline", False))
        for rule in data["rules"]
    )
    unknown = {name for rule in rules for name in rule.all | rule.any} - signals.keys()
    if unknown:
        raise ValueError(f"spam_rules.toml: rules name unknown signals {sorted(unknown)}")
    return signals, rules


def _signal_test(name: str, spec: dict) -> Callable[[str], bool]:
    if "check" in spec:
        return CHECKS[spec["check"]]
    if not spec.get("patterns"):
        raise ValueError(f"spam_rules.toml: signal {name} has neither patterns nor a check")
    compiled = re.compile("|".join(f"(?:{pattern})" for pattern in spec["patterns"]), re.IGNORECASE)
    return lambda text: compiled.search(text) is not None


SIGNALS, RULES = _load_rules()
BASELINE_RULES = tuple(rule for rule in RULES if rule.baseline)


def fired_signals(text: str) -> list[str]:
    """The names of the signals that fire on `text`, in the order of spam_rules.toml."""
    return [name for name, fires in SIGNALS.items() if fires(text)]


def matching_rules(text: str, rules: Collection[Rule] = RULES) -> list[str]:
    fired = fired_signals(text)
    return [rule.name for rule in rules if rule.matches(fired)]


def classify_comment(text: str) -> str | None:
    """None for an ordinary comment, else the fired signal codes, e.g. "obfuscated_link,earnings_offer"."""
    fired = fired_signals(text)
    if any(rule.matches(fired) for rule in RULES):
        return ",".join(fired)
    return None
