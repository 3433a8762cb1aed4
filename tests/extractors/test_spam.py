from __future__ import annotations

import pytest

from extractors.spam import classify_comment


def _codes(text: str) -> set[str]:
    reason = classify_comment(text)
    assert reason is not None, f"not flagged: {text!r}"
    return set(reason.split(","))


@pytest.mark.parametrize(
    "text",
    [
        "HERE →→→→ 𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦",  # mathematical bold
        "Open This——➤ 𝐖𝐰𝐰.𝐖𝐨𝐫𝐤𝐬𝐩𝐫𝐨𝐟𝐢𝐭𝟏.𝐨𝐧𝐥𝐢𝐧𝐞/",  # any TLD once the letters are disguised
        "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ",  # fullwidth
    ],
)
def test_lookalike_letters_spelling_a_domain_are_an_obfuscated_link(text: str) -> None:
    assert "obfuscated_link" in _codes(text)


def test_styled_letters_that_spell_no_domain_are_not_spam() -> None:
    assert classify_comment("𝐁𝐫𝐞𝐱𝐢𝐭 𝐦𝐞𝐚𝐧𝐬 𝐁𝐫𝐞𝐱𝐢𝐭") is None


def test_money_offer_with_call_to_action_is_an_earnings_offer() -> None:
    text = "The Best opportunities To Earn $22,000/Month. It appears unbelievable but do check it…"
    assert _codes(text) == {"earnings_offer", "call_to_action"}


@pytest.mark.parametrize(
    "text",
    [
        "I make up to $220 an hour working from my home.",
        "Earning over $15k monthly through a simple online job has been a game-changer.",
        "Last month alone, I earned $17,529 by dedicating a few hours, see cash-now.example.com",
    ],
)
def test_earnings_claims_with_home_work_or_a_link_are_spam(text: str) -> None:
    assert "earnings_offer" in _codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Nurses earn $30 an hour in the US, far more than here.",  # a rate alone is not an offer
        "this fund is €150bn. So if Poland wanted Typhoons for €5bn per deal…",
        "That conglomerate stole £149Bn net from UK taxpayers over 40 years.",
        "Doesn’t matter if the fund doesn’t allow its money to be spent on it 🤦🏻‍♂️",
        "47 may be the last president. We will make Harry the Duke of America 😀",
        "it’s called NATO…that’s why we have no specific agreement with the EU.",
        "The statement is at https://www.gov.uk/government/news/uk-eu-pact if you want to read the whole thing.",
    ],
)
def test_ordinary_comments_with_money_emoji_or_one_link_are_not_spam(text: str) -> None:
    assert classify_comment(text) is None


@pytest.mark.parametrize("text", ["https://bit.ly/3xYz", "www.cheap-pills.com www.cheap-pills.net www.cheap-pills.org"])
def test_link_only_or_link_heavy_comments_are_spam(text: str) -> None:
    assert "link_heavy" in _codes(text)
