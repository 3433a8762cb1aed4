from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import pytest

from extractors.errors import BinaryInput, EmptyInput, NoArticleText
from extractors.lineage import EXTRACTORS_REVISION
from extractors.records import ParsedComment, ParsedPage
from extractors.text_dump import parse_text_dump

SEEDS = Path(__file__).parents[2] / "seeds"

BODY = "The defence secretary confirmed that talks with European partners are continuing this week."
LONG_BODY = (
    "Britain and France are edging toward a fresh military pact in response to what officials describe "
    "as mounting threats from Russia, with the goal of strengthening joint security against hostile actors."
)


def _parse(text: str) -> ParsedPage:
    return parse_text_dump(text.encode("utf-8"), "dump.txt")


def _seed(name: str) -> ParsedPage:
    path = SEEDS / name
    return parse_text_dump(path.read_bytes(), str(path))


def _comment_starting(page: ParsedPage, prefix: str) -> ParsedComment:
    (comment,) = [comment for comment in page.comments if comment.text.startswith(prefix)]
    return comment


# --- seed 000: no headline, author block, 42 comments ------------------------------------


def test_seed_000_page_fields() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    assert page.title is None
    assert page.author == "George Allison"
    assert page.comment_count_stated == 62
    assert page.extraction_method == "text_dump"
    assert page.url is None
    assert page.language == "en"
    assert page.source.endswith("000_b3c46d5755a19dff.txt")


def test_seed_000_text_is_the_article_only() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    assert page.text.startswith("The UK government has reaffirmed its commitment")
    assert page.text.endswith(
        "“Yes. Last week I met with High Representative Kallas and spoke with Commissioner Kubilius, "
        "and that was exactly the subject of our conversations,” he said."
    )
    assert "George has a degree" not in page.text
    assert "George Allison" not in page.text
    assert "COMMENTS" not in page.text
    assert "LEAVE A REPLY" not in page.text
    assert all(comment.text[:40] not in page.text for comment in page.comments)


def test_seed_000_comment_tree() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    assert len(page.comments) == 42
    assert sum(comment.depth == 0 for comment in page.comments) == 12
    assert sum(comment.parent_position is not None for comment in page.comments) == 30
    assert max(comment.depth for comment in page.comments) == 4
    assert [comment.position for comment in page.comments] == list(range(42))
    for comment in page.comments:
        assert (comment.depth == 0) == (comment.parent_position is None)
        if comment.parent_position is not None:
            assert page.comments[comment.parent_position].depth < comment.depth


def test_seed_000_exactly_the_three_money_offers_are_spam() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    spam = [comment.text.split(".")[0] for comment in page.comments if comment.is_spam]
    assert spam == [
        "The Best opportunities To Earn $22,000/Month",
        "I make up to $220 an hour working from my home",
        "Earning over $15k monthly through a simple online job has been a game-changer for me",
    ]
    assert all("obfuscated_link" in comment.spam_reason for comment in page.comments if comment.is_spam)


def test_seed_000_numbered_lists_stay_in_comment_9() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    comment_9 = _comment_starting(page, "Oohh the new order")
    assert "\n1) Russia sees the Uk as essentially enemy number one" in comment_9.text
    assert "\n4) the U.S. is going to be pretty hostile to that European Superstate." in comment_9.text
    assert "\n\n1) sail along in grand isolation and try to ignore everything\n2) double down" in comment_9.text
    assert not any(comment.text.startswith(("1)", "2)", "3)", "4)")) for comment in page.comments)


def test_seed_000_replies_that_skip_a_level() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    comment_9 = _comment_starting(page, "Oohh the new order")
    nice_easy_way = _comment_starting(page, "Well it’s a nice easy way")
    assert (nice_easy_way.depth, nice_easy_way.parent_position) == (2, comment_9.position)

    well_aside = _comment_starting(page, "Well aside from the mutual defence")
    earning = _comment_starting(page, "Earning over $15k monthly")
    assert well_aside.depth == 1
    assert (earning.depth, earning.parent_position) == (3, well_aside.position)


def test_seed_000_comment_paragraphs_and_continuation_lines() -> None:
    page = _seed("000_b3c46d5755a19dff.txt")
    tango = _comment_starting(page, "Tango Man")
    assert tango.text == (
        "Tango Man is certainly putting the Cat amongst the Pigeons !\n"
        "V.A.G and BMW must be worried too.\n"
        "Still if it leads to a unification of European states then the combined armed forces "
        "will certainly be a major force to be reckoned with.\n\n"
        "Maybe we all should reclaim the Colonies."
    )
    offer = _comment_starting(page, "The Best opportunities")
    assert offer.text.endswith("…\n\nHERE →→→→ 𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦")


# --- seed 003: headline repeated, furniture, no comments ---------------------------------


def test_seed_003_headline_and_text() -> None:
    page = _seed("003_5aa4fa2d1d728a8d.txt")
    assert page.title == "UK-France Move Toward a New Security Pact Amid Russia Threats"
    assert page.comment_count_stated is None
    assert page.comments == ()
    assert page.text.startswith("Britain and France are edging toward")
    assert page.text.endswith("cooperative security planning with North American allies.")
    for furniture in (
        "No time to read?",
        "Get a summary",
        "Previous Article",
        "Next Article",
        "Hungary and NATO discuss long-range missiles and security in Europe",
        "Oleksandr Usyk: Krakow detainment and Fury victory redefine a boxing year",
        "Britain and France Move Toward a New Security Pact Amid Russia Threats",
        "UK-France Move Toward",
    ):
        assert furniture not in page.text


# --- headline, byline, date, author block -------------------------------------------------


def test_short_first_line_is_the_headline() -> None:
    page = _parse(f"Talks Continue on UK-EU Pact\n\n{BODY}\n")
    assert page.title == "Talks Continue on UK-EU Pact"
    assert page.text == BODY


def test_first_line_that_is_a_sentence_means_no_headline() -> None:
    page = _parse(f"{BODY}\n\nA second paragraph follows here.\n")
    assert page.title is None
    assert page.text == f"{BODY}\n\nA second paragraph follows here."


def test_repeated_headline_in_other_words_is_not_text() -> None:
    page = _parse(f"UK-EU Defence Pact Talks Continue\n\nBritain and EU Defence Pact Talks Continue\n\n{BODY}\n")
    assert page.title == "UK-EU Defence Pact Talks Continue"
    assert page.text == BODY


def test_repeated_headline_in_other_capitalisation_is_not_text() -> None:
    page = _parse(f"Talks continue on UK-EU pact\n\nTALKS CONTINUE ON UK-EU PACT\n\n{BODY}\n")
    assert page.text == BODY


def test_other_short_line_after_headline_stays_text() -> None:
    page = _parse(f"Talks Continue on UK-EU Pact\n\nMinisters meet in Brussels on Monday\n\n{BODY}\n")
    assert page.text == f"Ministers meet in Brussels on Monday\n\n{BODY}"


def test_byline_and_date_line() -> None:
    page = _parse(f"Talks Continue on UK-EU Pact\nBy Jane Smith\nPublished: 3 March 2025 10:14\n\n{BODY}\n")
    assert page.title == "Talks Continue on UK-EU Pact"
    assert page.author == "Jane Smith"
    assert page.published_at == datetime(2025, 3, 3, 10, 14)
    assert page.text == BODY


def test_lineage_names_the_extractor_and_where_the_date_came_from() -> None:
    dated = _parse(f"Talks Continue on UK-EU Pact\nPublished: 3 March 2025 10:14\n\n{BODY}\n")
    undated = _parse(f"{BODY}\n")
    assert dated.extractor_version == undated.extractor_version == f"newsmon text_dump {EXTRACTORS_REVISION}"
    assert (dated.date_source, undated.date_source) == ("text-dump", None)


def test_furniture_lines_with_trailing_marks_are_dropped() -> None:
    page = _parse(f"{BODY}\n\nShare this:\n\nRelated: Ministers to meet again in May\n\n{LONG_BODY}\n")
    assert page.text == f"{BODY}\n\n{LONG_BODY}"


def test_byline_with_date_on_the_same_line() -> None:
    page = _parse(f"By Jane Smith | March 3, 2025\n\n{BODY}\n")
    assert (page.author, page.published_at) == ("Jane Smith", datetime(2025, 3, 3))
    assert page.title is None


def test_sentence_starting_with_by_is_not_a_byline() -> None:
    page = _parse("Talks Continue\n\nBy the end of 2025 troops will leave the region, officials said.\n")
    assert page.author is None
    assert page.text == "By the end of 2025 troops will leave the region, officials said."


def test_author_block_gives_author_and_biography_is_not_text() -> None:
    page = _parse(
        f"{BODY}\n\nJane Smith\nJane has covered defence for a decade. Jane is on Twitter at @jane\n\n2 COMMENTS\n"
    )
    assert page.author == "Jane Smith"
    assert page.text == BODY


def test_byline_author_wins_over_author_block() -> None:
    page = _parse(f"By J. Smith\n\n{BODY}\n\nJane Smith\nJane has covered defence for a decade.\n")
    assert page.author == "J. Smith"
    assert page.text == BODY


def test_name_line_without_biography_stays_text() -> None:
    page = _parse(f"{BODY}\n\nJane Smith\nThe minister did not comment.\n")
    assert page.author is None
    assert page.text == f"{BODY}\n\nJane Smith\nThe minister did not comment."


# --- comments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "count"),
    [("62 COMMENTS", 62), ("1 COMMENT", 1), ("1 comment", 1), ("No comments", 0), ("NO COMMENTS", 0)],
)
def test_comments_header_gives_stated_count(header: str, count: int) -> None:
    page = _parse(f"{BODY}\n\n{header}\n\nLEAVE A REPLY\n")
    assert page.comment_count_stated == count
    assert page.text == BODY


def test_no_comments_header_means_no_stated_count() -> None:
    assert _parse(f"{BODY}\n").comment_count_stated is None


NESTED = f"""{BODY}

3 COMMENTS

  1. First top-level comment.

    • A reply to the first.

      • A reply to the reply.

    • A second reply to the first.

  2. Second top-level comment.

        • A reply whose parent was deleted.
"""


def test_nested_replies_get_depth_and_parent() -> None:
    comments = _parse(NESTED).comments
    assert [(c.position, c.depth, c.parent_position, c.text) for c in comments[:4]] == [
        (0, 0, None, "First top-level comment."),
        (1, 1, 0, "A reply to the first."),
        (2, 2, 1, "A reply to the reply."),
        (3, 1, 0, "A second reply to the first."),
    ]
    assert (comments[4].depth, comments[4].parent_position) == (0, None)


def test_reply_that_skips_a_level_attaches_to_nearest_shallower_comment() -> None:
    skipped = _parse(NESTED).comments[5]
    assert skipped.text == "A reply whose parent was deleted."
    assert (skipped.depth, skipped.parent_position) == (3, 4)


def test_numbered_lines_inside_a_comment_are_comment_text() -> None:
    page = _parse(
        f"{BODY}\n\n2 COMMENTS\n\n"
        "  1. Two options:\n\n"
        "    1) sign a treaty\n    2) pay in like Norway\n\n"
        "    • Or three:\n"
        "      1. rejoin\n      2. do nothing\n"
    )
    assert [comment.text for comment in page.comments] == [
        "Two options:\n\n1) sign a treaty\n2) pay in like Norway",
        "Or three:\n1. rejoin\n2. do nothing",
    ]


def test_multi_paragraph_comment_keeps_paragraphs_and_lines() -> None:
    page = _parse(
        f"{BODY}\n\n1 COMMENT\n\n"
        "  1. First paragraph, line one.\n    line two.\n\n    Second paragraph.\n\n\n    Third paragraph.\n"
    )
    (comment,) = page.comments
    assert comment.text == "First paragraph, line one.\nline two.\n\nSecond paragraph.\n\nThird paragraph."


def test_continuation_deeper_than_the_text_column_is_tolerated() -> None:
    page = _parse(f"{BODY}\n\n1 COMMENT\n\n  1. Start of comment.\n          oddly indented end.\n")
    assert page.comments[0].text == "Start of comment.\noddly indented end."


def test_unindented_lines_after_comments_are_neither_comment_nor_article() -> None:
    page = _parse(f"{BODY}\n\n1 COMMENT\n\n  1. A comment.\n\nPrivacy policy | Contact us\n  (c) 2025 Defence Weekly\n")
    assert page.comments[0].text == "A comment."
    assert page.text == BODY


def test_comments_without_header_start_at_first_top_level_comment() -> None:
    page = _parse(f"{BODY}\n\n  1. A comment.\n")
    assert page.comment_count_stated is None
    assert [comment.text for comment in page.comments] == ["A comment."]
    assert page.text == BODY


def test_spam_comments_are_flagged() -> None:
    page = _parse(
        f"{BODY}\n\n2 COMMENTS\n\n  1. I think the pact is worth €150bn to us 😀\n\n"
        "    • I make up to $220 an hour working from my home. HERE→ 𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦\n"
    )
    assert page.comments[0].spam_reason is None
    assert "earnings_offer" in page.comments[1].spam_reason


# --- furniture --------------------------------------------------------------------------------


def test_comment_form_and_summary_widgets_are_dropped() -> None:
    page = _parse(
        f"no time to read?\n  Get a Summary  \n\n{BODY}\nShare this article\n\n"
        "LEAVE A REPLY\n\nPlease enter your comment!\nPlease enter your name here\n"
    )
    assert page.text == BODY


def test_navigation_markers_and_following_headlines_are_dropped() -> None:
    page = _parse(
        f"{BODY}\n\nPrevious Article\n\nHungary and NATO discuss long-range missiles\n\n"
        "Next Article\n\nOleksandr Usyk: a boxing year\n"
    )
    assert page.text == BODY


def test_related_list_with_several_headlines_is_dropped_until_real_text() -> None:
    page = _parse(
        f"{BODY}\n\nRelated articles\nFirst linked headline\nSecond linked headline\n\n"
        "More from Defence Weekly\nThird linked headline\n\nA closing paragraph of article text.\n"
    )
    assert page.text == f"{BODY}\n\nA closing paragraph of article text."


def test_only_furniture_is_no_article_text() -> None:
    with pytest.raises(NoArticleText) as rejected:
        _parse("No time to read?\nGet a summary\n\nLEAVE A REPLY\nPlease enter your comment!\n")
    assert rejected.value.reason == "no_article_text"


def test_headline_and_comments_without_article_is_no_article_text() -> None:
    with pytest.raises(NoArticleText):
        _parse("Talks Continue on UK-EU Pact\n\n1 COMMENT\n\n  1. Where is the article?\n")


# --- decoding and language ----------------------------------------------------------------------


def test_utf8_bom_and_crlf() -> None:
    page = parse_text_dump(codecs.BOM_UTF8 + f"Talks Continue\r\n\r\n{BODY}\r\nsecond line.\r\n".encode(), "x.txt")
    assert page.title == "Talks Continue"
    assert page.text == f"{BODY}\nsecond line."


def test_cp1252_dump() -> None:
    page = parse_text_dump(f"Le café – “quoted” est très bon.\r\n\r\n{BODY}\r\n".encode("cp1252"), "x.txt")
    assert page.text == f"Le café – “quoted” est très bon.\n\n{BODY}"


def test_empty_file_is_empty_input() -> None:
    with pytest.raises(EmptyInput):
        parse_text_dump(b"", "empty.txt")


def test_binary_file_is_binary_input() -> None:
    with pytest.raises(BinaryInput):
        parse_text_dump(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image.txt")


def test_language_is_detected_on_long_text_only() -> None:
    assert _parse(f"{LONG_BODY}\n").language == "en"
    assert _parse(f"{BODY}\n").language is None
