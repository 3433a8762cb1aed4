from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import trafilatura

from extractors.comments import FAMILIES, CommentExtraction, comment_tree_of, extract_comment_tree
from extractors.comments.flat_text import _trafilatura_paragraph, flat_text_comments
from extractors.dates import split_author_date
from extractors.errors import EmptyInput
from extractors.html_page import extract_html_page
from extractors.records import ParsedComment

PAGES_DIR = Path(__file__).parent / "comment_pages"
PAGE_NAMES = sorted(path.stem for path in PAGES_DIR.glob("*.html"))


def _page(name: str) -> bytes:
    return (PAGES_DIR / f"{name}.html").read_bytes()


def _label(name: str) -> dict:
    return json.loads((PAGES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _document(body: str, head: str = "") -> str:
    """A whole page around `body`: the HTML loader rejects bare fragments."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Test page</title>{head}</head>"
        f"<body><article><h1>Headline</h1><p>Article text about the harbour and the ferry.</p></article>"
        f"{body}</body></html>"
    )


def _as_labelled(comment: ParsedComment, entry: dict) -> dict:
    labelled = {
        "page_comment_id": comment.page_comment_id,
        "author": comment.author,
        "published_at": comment.published_at.isoformat() if comment.published_at else None,
        "parent": comment.parent_position,
        "depth": comment.depth,
        "kind": comment.kind,
        "spam": comment.is_spam,
    }
    # Labels written since `published_raw` exists state it; older labels do not.
    return labelled | ({"published_raw": comment.published_raw} if "published_raw" in entry else {})


def _expected(entry: dict) -> dict:
    fields = ("page_comment_id", "author", "published_at", "parent", "depth", "kind")
    optional = {"published_raw": entry["published_raw"]} if "published_raw" in entry else {}
    return {field: entry[field] for field in fields} | {"spam": entry.get("spam", False)} | optional


def test_every_family_and_status_is_in_the_labelled_set() -> None:
    families = {_label(name)["family"] for name in PAGE_NAMES}
    assert families == {status for status, _ in FAMILIES} | {"flat_text", "not_in_html", "none"}
    assert {status for status, _ in FAMILIES} == {
        "wordpress",
        "wpdiscuz",
        "schema_microdata",
        "schema_jsonld",
        "drupal",
    }


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_labelled_page_gives_the_expected_tree(name: str) -> None:
    label = _label(name)
    result = extract_comment_tree(_page(name))

    assert result.status == label["family"]
    assert len(result.comments) == len(label["comments"])
    labelled = [_as_labelled(comment, entry) for comment, entry in zip(result.comments, label["comments"], strict=True)]
    assert labelled == [_expected(entry) for entry in label["comments"]]
    for position, (comment, entry) in enumerate(zip(result.comments, label["comments"], strict=True)):
        assert comment.position == position
        assert comment.text.startswith(entry["text_startswith"]), (position, comment.text)
        assert comment.text.endswith(entry["text_endswith"]), (position, comment.text)


@pytest.mark.parametrize(
    ("name", "position", "text", "not_in_text"),
    [
        pytest.param(
            "wp_html5_pingbacks",
            0,
            "Finally! I have cycled down Mill Road every weekday for six years and the potholes alone are a hazard,"
            " never mind the lorries.\n\nWhatever the opposition says, my kids will be able to ride to school on their"
            " own.",
            ["Six years is nothing", "Reply", "Marta Quinlan", "says:", "March 3, 2025"],
            id="wordpress-html5",
        ),
        pytest.param(
            "wp_twentyten_inner_div",
            5,
            "The gearbox was replaced in 2019 as well. Maybe it is time the council stopped renewing the contract.",
            ["Angus Dewar", "says:", "awaiting moderation", "March 5, 2025", "Reply"],
            id="wordpress-body-without-content-element",
        ),
        pytest.param(
            "wpdiscuz_nested",
            1,
            "Agreed. The residents’ association is asking for exactly that in its consultation response, plus a cap"
            " on the number of homes sold off-plan overseas.",
            ["Where can we read", "Reply", "Raj Mehta", "Ingrid Solberg", "days ago"],
            id="wpdiscuz",
        ),
        pytest.param(
            "drupal7_bartik",
            0,
            "Saturday is the only day working parents can bring children in. Closing at one means a rushed half hour"
            " after football.\n\nCould they not close on a Monday morning instead?",
            ["Monday mornings are", "reply", "Permalink", "Maureen", "03/21/2025"],
            id="drupal",
        ),
    ],
)
def test_comment_text_is_only_its_own_paragraphs(name: str, position: int, text: str, not_in_text: list[str]) -> None:
    comment = extract_comment_tree(_page(name)).comments[position]

    assert comment.text == text
    for furniture_or_reply in not_in_text:
        assert furniture_or_reply not in comment.text


def test_lookalike_link_with_earnings_offer_is_flagged_as_spam() -> None:
    comments = extract_comment_tree(_page("wp_html5_pingbacks")).comments

    spam = next(comment for comment in comments if "𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦" in comment.text)
    assert {"obfuscated_link", "earnings_offer"} <= set(spam.spam_reason.split(","))
    assert [comment.position for comment in comments if comment.is_spam] == [spam.position]


def test_pingbacks_and_trackbacks_are_kept_with_their_kind() -> None:
    comments = extract_comment_tree(_page("wp_html5_pingbacks")).comments

    assert [(comment.kind, comment.page_comment_id) for comment in comments if comment.kind != "comment"] == [
        ("pingback", "comment-108"),
        ("trackback", "comment-109"),
    ]
    assert comments[-2].text == "Pingback: Weekly roundup: bike lanes across the valley | Valley Cycling"


@pytest.mark.parametrize(
    ("shown", "name", "raw", "date"),
    [
        ("Rolf Buckpesch 29.07.2020 // 12:56", "Rolf Buckpesch", "29.07.2020 // 12:56", datetime(2020, 7, 29, 12, 56)),
        ("Jutta 05.08.2020 // 09:15", "Jutta", "05.08.2020 // 09:15", datetime(2020, 8, 5, 9, 15)),  # day first
        (
            "Priya on July 29, 2020 at 12:56 pm said:",
            "Priya",
            "July 29, 2020 at 12:56 pm",
            datetime(2020, 7, 29, 12, 56),
        ),
        ("Anna sagt: 29. Juli 2020 um 13:40 Uhr", "Anna", "29. Juli 2020 um 13:40 Uhr", datetime(2020, 7, 29, 13, 40)),
        ("Tomasz Nowak 2020-07-31 18:02", "Tomasz Nowak", "2020-07-31 18:02", datetime(2020, 7, 31, 18, 2)),
        ("Sanne – 29-07-2020 14:10", "Sanne", "29-07-2020 14:10", datetime(2020, 7, 29, 14, 10)),
        ("29.07.2020, 12:56 Uhr · Jens Vogt", "Jens Vogt", "29.07.2020, 12:56 Uhr", datetime(2020, 7, 29, 12, 56)),
        ("Mo., 29. Juli 2020 – Elif Kaya", "Elif Kaya", "Mo., 29. Juli 2020", datetime(2020, 7, 29)),
        ("Marta Quinlan says:", "Marta Quinlan", None, None),
        ("Klaus Meier sagt:", "Klaus Meier", None, None),
    ],
)
def test_author_text_gives_the_name_and_the_date_apart(
    shown: str, name: str, raw: str | None, date: datetime | None
) -> None:
    found_name, stated = split_author_date(shown)

    assert found_name == name
    assert ((stated.raw, stated.value) if stated else None) == ((raw, date) if raw else None)


@pytest.mark.parametrize(
    "shown", ["Jan Smith", "May 2020 Graduate", "Juli Meyer", "Class of 2019", "Agent 99.99.2020", "Mai 68"]
)
def test_names_with_no_real_date_in_them_are_kept_whole(shown: str) -> None:
    assert split_author_date(shown) == (shown, None)


def test_date_in_the_author_is_only_used_when_the_page_gives_none_elsewhere() -> None:
    html = _document(
        "<ol class='comment-list'><li id='comment-1' class='comment'>"
        "<div class='comment-author'><strong>Ann Roe</strong> 01.02.2020 // 10:00</div>"
        "<div class='comment-metadata'><time datetime='2020-02-03T08:00:00+00:00'>3 Feb</time></div>"
        "<div class='comment-content'><p>Typo in the second paragraph.</p></div></li></ol>"
    )
    comment = extract_comment_tree(html).comments[0]

    assert (comment.author, comment.published_raw) == ("Ann Roe", "2020-02-03T08:00:00+00:00")
    assert comment.published_at == datetime(2020, 2, 3, 8, tzinfo=UTC)


def test_linkback_classes_count_in_every_family_that_reads_markup() -> None:
    # A WordPress theme built on `div.comment` blocks is read by the Drupal family.
    html = _document(
        "<section class='comments'>"
        "<div class='comment' id='comment-1'><span class='username'>Ruth</span>"
        "<div class='content'><p>Good to see this covered.</p></div></div>"
        "<div class='comment' id='comment-2'><div class='comment-type-pingback'><span class='username'>Roundup</span>"
        "<div class='content'><p>Pingback: Roundup</p></div></div></div></section>"
    )
    result = extract_comment_tree(html)

    assert result.status == "drupal"
    assert [comment.kind for comment in result.comments] == ["comment", "pingback"]


def test_jsonld_linkback_is_known_by_its_label() -> None:
    comments = [
        {"@type": "Comment", "author": {"name": "Ana"}, "text": "Well put."},
        {"@type": "Comment", "author": {"name": "Trackback: Harbour roundup"}, "text": "Harbour roundup"},
    ]
    script = json.dumps({"@type": "BlogPosting", "comment": comments})
    result = extract_comment_tree(_document("", head=f"<script type='application/ld+json'>{script}</script>"))

    assert [(comment.kind, comment.author) for comment in result.comments] == [
        ("comment", "Ana"),
        ("trackback", "Harbour roundup"),
    ]


def test_excerpt_shaped_reader_comment_without_an_outside_link_stays_a_comment() -> None:
    html = _document(
        "<ol class='comment-list'><li id='comment-1' class='comment'>"
        "<div class='comment-author'><b class='fn'>Ola</b></div>"
        "<div class='comment-content'><p>[…] the ferry will run hourly […]</p>"
        "<a href='https://news.example/story#comment-1'>Permalink</a></div></li></ol>"
    )
    assert extract_comment_tree(html).comments[0].kind == "comment"


def test_linkbacks_are_not_judged_as_reader_spam() -> None:
    # A pingback is an excerpt of the linking page with its link: the reader-comment spam rules
    # (link-only, link-heavy) would flag every one of them.
    comments = extract_comment_tree(_page("wp_linkbacks_no_class")).comments
    pingback = next(comment for comment in comments if comment.kind == "pingback")

    assert pingback.spam_reason is None


def test_depth_comes_from_nesting_not_from_the_depth_class() -> None:
    # A theme that caps its depth-N classes: the li is nested three lists deep but says depth-1.
    html = _document(
        "<ol class='comment-list'>"
        "<li id='comment-1' class='comment depth-1'><div class='comment-content'><p>Top.</p></div>"
        "<ul class='children'><li id='comment-2' class='comment depth-1'>"
        "<div class='comment-content'><p>Reply.</p></div>"
        "<ul class='children'><li id='comment-3' class='comment depth-1'>"
        "<div class='comment-content'><p>Deeper.</p></div>"
        "</li></ul></li></ul></li></ol>"
    )
    comments = extract_comment_tree(html).comments

    assert [(comment.depth, comment.parent_position) for comment in comments] == [(0, None), (1, 0), (2, 1)]


def test_wpdiscuz_reply_whose_parent_was_deleted_attaches_to_nearest_shallower_comment() -> None:
    comments = extract_comment_tree(_page("wpdiscuz_flat_levels")).comments

    orphan = next(comment for comment in comments if comment.page_comment_id == "comment-7015")
    assert (orphan.depth, orphan.parent_position) == (2, 4)
    assert comments[4].depth == 0


def test_malformed_jsonld_block_is_skipped_and_the_others_are_read() -> None:
    broken = '<script type=\'application/ld+json\'>{"@type": "NewsArticle", "comment": [</script>'
    comment = {
        "@type": "Comment",
        "author": {"name": "Ana"},
        "dateCreated": "2025-03-01T10:00:00Z",
        "text": "Well put.",
    }
    good = f"<script type='application/ld+json'>{json.dumps({'@type': 'BlogPosting', 'comment': [comment]})}</script>"

    assert extract_comment_tree(_document("", head=broken)).status == "none"
    result = extract_comment_tree(_document("", head=broken + good))
    assert result.status == "schema_jsonld"
    assert [(comment.author, comment.text) for comment in result.comments] == [("Ana", "Well put.")]


@pytest.mark.parametrize("name", ["disqus_embed", "openweb_embed"])
def test_labelled_js_embed_pages_are_not_in_html(name: str) -> None:
    assert extract_comment_tree(_page(name)) == CommentExtraction((), "not_in_html")


@pytest.mark.parametrize(
    "embed",
    [
        "<div id='coral_thread'></div><script src='https://talk.example.com/assets/js/embed.js'></script>"
        "<script>Coral.createStreamEmbed({id: 'coral_thread'});</script>",
        "<div class='fb-comments' data-href='https://news.example/a' data-numposts='10'></div>",
        "<div id='commento'></div><script defer src='https://cdn.commento.io/js/commento.js'></script>",
        "<hyvor-talk-comments website-id='1234' page-id='a'></hyvor-talk-comments>"
        "<script async src='https://talk.hyvor.com/embed/embed.js' type='module'></script>",
    ],
    ids=["coral", "facebook", "commento", "hyvor"],
)
def test_js_comment_embeds_are_not_in_html(embed: str) -> None:
    discussion = f"<section class='discussion'><h2>Join the discussion</h2>{embed}</section>"
    result = extract_comment_tree(_document(discussion))

    assert (result.comments, result.status) == ((), "not_in_html")


def test_page_with_only_a_comment_form_has_no_comments() -> None:
    assert extract_comment_tree(_page("no_comments")).status == "none"
    assert extract_comment_tree(_document("<aside><h2>Most read</h2></aside>")).status == "none"


def test_str_and_bytes_give_the_same_result() -> None:
    html = _page("wp_classic_div_comment")
    from_bytes = extract_comment_tree(html)

    assert from_bytes.status == "wordpress" and from_bytes.comments
    assert extract_comment_tree(html.decode("utf-8")) == from_bytes


def test_blank_input_is_rejected() -> None:
    with pytest.raises(EmptyInput):
        extract_comment_tree(b"  \n")


def _folded(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_article_text_holds_no_comment_text_and_the_page_has_the_comments(name: str) -> None:
    # Through newsmon's page extractor: the comments (the flat-text fallback included) come as the
    # page's comment tree, and none of their text is left in the article body.
    label = _label(name)
    page = extract_html_page(_page(name), f"{name}.html")
    article_text = _folded(page.text)

    assert page.comments_status == label["family"]
    assert len(page.comments) == len(label["comments"])
    for entry in label["comments"]:
        assert _folded(entry["text_startswith"]) not in article_text
        assert _folded(entry["text_endswith"]) not in article_text


def _trafilatura_flat_paragraphs(html: bytes) -> list[str]:
    """The flat fallback as trafilatura's own comment extraction gives it: a whole second extraction."""
    document = trafilatura.bare_extraction(html, include_comments=True, with_metadata=False, fast=True)
    zone = document.commentsbody if document is not None and document.commentsbody is not None else []
    paragraphs = (_trafilatura_paragraph(element) for element in zone if element.tag != "head")
    return [paragraph for paragraph in paragraphs if paragraph]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_flat_text_reads_the_comment_zone_trafilatura_extracts(name: str) -> None:
    # flat_text runs only trafilatura's cleaning and comment capture, not its whole extraction; after a
    # trafilatura upgrade this shows whether those steps still give what the whole extraction gives.
    html = _page(name)
    found = flat_text_comments(trafilatura.load_html(html))

    assert [comment.fields.text for comment in found] == _trafilatura_flat_paragraphs(html)


def test_comment_readers_leave_the_shared_tree_unchanged() -> None:
    # extract_html_page shares one parsed tree between the comment readers and the language lookup.
    root = trafilatura.load_html(_page("flat_generic_section"))
    before = lxml.html.tostring(root)

    assert comment_tree_of(root).status == "flat_text"
    assert lxml.html.tostring(root) == before
