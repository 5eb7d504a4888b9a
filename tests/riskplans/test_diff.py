"""The word-by-word marks of the comparison, without a database."""

from riskplans.diff import marked


def test_unchanged_text_is_shown_plainly_with_its_line_breaks():
    old, new = marked("Ring him.\nThen his OM.", "Ring him.\nThen his OM.")
    assert old == new == "Ring him.<br>\nThen his OM."


def test_only_the_changed_words_are_marked_and_a_lone_common_word_joins_a_rewrite():
    old, new = marked("Ring the duty manager first", "Ring the police and the duty OM first")
    # "duty" alone between two changes is part of the rewrite, not a word kept.
    assert old == (
        'Ring the <del class="app-diff__removed"><span class="govuk-visually-hidden">removed: '
        '</span>duty manager<span class="govuk-visually-hidden"> (end of removed text)</span>'
        "</del> first"
    )
    assert new.startswith('Ring the <ins class="app-diff__added">')
    assert "</span>police and the duty OM<span" in new and new.endswith("</ins> first")


def test_text_that_looks_like_markup_is_escaped_inside_and_outside_the_marks():
    old, new = marked("<b>Call</b> & wait", "<b>Call</b> & <i>run</i>")
    assert old.startswith("&lt;b&gt;Call&lt;/b&gt; &amp; <del")
    assert "&lt;i&gt;run&lt;/i&gt;" in new
    assert "<b>" not in old + new and "<i>" not in new


def test_a_whole_value_is_marked_at_once():
    old, new = marked("3 March 2026", "3 June 2026", whole=True)
    assert old.count("<del") == 1 and "3 March 2026" in old
    assert new.count("<ins") == 1 and "3 June 2026" in new


def test_screen_readers_are_told_what_was_added_and_removed():
    old, new = marked("", "Call the police")
    assert old == ""
    assert '<span class="govuk-visually-hidden">added: </span>Call the police' in new
    assert "(end of added text)" in new
