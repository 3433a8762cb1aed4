from warehouse.revisions import readable_diff, text_change


def test_text_change_counts_words_added_and_removed():
    change = text_change(
        "the minister said on Monday that talks would resume",
        "the minister said on Tuesday that talks would resume soon",
    )
    assert (change.words_added, change.words_removed) == (2, 1)
    assert 0.8 < change.similarity < 1
    assert text_change("same words", "same words").similarity == 1.0


def test_readable_diff_shows_the_edited_line_only():
    old = "First paragraph stays.\nSecond paragraph says 40 people were hurt."
    new = "First paragraph stays.\nSecond paragraph says 14 people were hurt."
    diff = readable_diff(old, new, "revision 1", "revision 2")
    assert "-Second paragraph says 40 people were hurt." in diff
    assert "+Second paragraph says 14 people were hurt." in diff
    assert "-First paragraph" not in diff and "+First paragraph" not in diff
