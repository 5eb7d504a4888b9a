"""Every form of the project is fuzzed, and the fuzzing itself notices what it claims to.

The fuzzing lives beside each app's other tests (tests/<app>/test_form_fuzzing.py): each
form's case needs that app's records (a session, a plan, a referral...), and per-app files
spread over pytest-xdist workers. This module is the guard that a new form gets a case, as
tests/core/test_url_matrix.py is for a new page.
"""

import importlib
import inspect

import pytest
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.test import Client

from tests.fuzzing import _PageReader, changed_tables, snapshot, strip

FORM_MODULES = (
    "participants.forms",
    "sessions.forms",
    "riskplans.forms",
    "crisisline.forms",
    "reports.forms",
    "resettle.accounts.forms",
    "resettle.core.forms",
)
CASE_MODULES = (
    "tests.participants.test_form_fuzzing",
    "tests.sessions.test_form_fuzzing",
    "tests.riskplans.test_form_fuzzing",
    "tests.crisisline.test_form_fuzzing",
    "tests.reports.test_form_fuzzing",
    "tests.accounts.test_form_fuzzing",
)
# Forms fuzzed other than by a FormCase, and where.
FUZZED_ELSEWHERE = {
    "participants.forms.CaseloadFilterForm": "test_no_typed_search_or_filter_breaks_the_caseload",
    "crisisline.forms.SearchForm": "test_no_typed_search_breaks_the_crisis_line_search",
    "riskplans.forms.ActionForm": "the rows of the 'plan' case",
    "riskplans.forms.BaseActionFormSet": "the 'plan' case (its management form too)",
}


def project_forms() -> set[str]:
    found = set()
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, forms.BaseForm | forms.BaseFormSet):
                found.add(f"{name}.{cls.__name__}")
    return found


def fuzzed_forms() -> set[str]:
    covered = set(FUZZED_ELSEWHERE)
    for name in CASE_MODULES:
        for case in importlib.import_module(name).CASES:
            covered.add(f"{case.form.__module__}.{case.form.__name__}")
    return covered


def test_every_form_of_the_project_is_fuzzed_through_its_view():
    missing = project_forms() - fuzzed_forms()
    assert not missing, (
        f"Forms without a fuzzing case: {sorted(missing)}. Add a FormCase to its app's "
        "tests/<app>/test_form_fuzzing.py (see tests/fuzzing.py)."
    )
    assert len(project_forms()) >= 40


def test_django_refuses_nul_in_every_char_field_and_strips_unicode_spaces():
    """What the fuzzing relies on: PostgreSQL cannot store NUL, and Django 5.2's CharField
    refuses it ("Null characters are not allowed."); what it keeps is str.strip()'d."""
    field = forms.CharField()
    assert any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators)
    with pytest.raises(forms.ValidationError, match="Null characters are not allowed"):
        field.clean("Jamal\x00Okoro")
    # Unicode whitespace goes at both ends (tabs, NBSP, ideographic space, \x1c-\x1f) ...
    assert field.clean("\t\xa0\u3000\x1c Jamal \x1f\n") == "Jamal" == strip("\t\xa0 Jamal \x1f")
    # ... but not zero-width characters or other controls, which are kept as typed.
    assert field.clean("\u200bJamal\x01") == "\u200bJamal\x01"
    assert forms.CharField(strip=False).clean("  secret  ") == "  secret  "


def test_the_page_reader_sees_markup_the_site_did_not_write():
    reader = _PageReader()
    reader.feed(
        '<script src="/static/app.js"></script><p>Fine &lt;script&gt;</p>'
        '<img src="file:///etc/passwd" onerror="x()"><div style="font-size:1e9px">'
        '<script>alert(1)</script><iframe src="https://evil.example/"></iframe>'
    )
    assert reader.injected == [
        "<img> with an event handler",
        "<img src='file:///etc/passwd'>",
        "<div> with a style attribute",
        "<script> that is not the site's own",
        "<iframe>",
    ]
    assert "Fine <script>" in "".join(reader.text)


@pytest.mark.django_db
def test_the_snapshot_notices_a_changed_row_not_only_a_new_one(participant):
    before = snapshot()
    type(participant).objects.filter(pk=participant.pk).update(phone="0151 496 0999")
    assert changed_tables(before, snapshot()) == {"participants.Participant": 0}
    participant.contacts.create(name="Grace", relationship="Mother")
    assert changed_tables(before, snapshot())["participants.Contact"] == 1


@pytest.mark.django_db
def test_a_plain_get_changes_nothing_the_snapshot_watches(personas, participant):
    """Reading pages writes only the access log, which the snapshot leaves out by design."""
    client = Client()
    client.force_login(personas["keyworker"])
    before = snapshot()
    assert client.get(f"/participants/{participant.pk}/").status_code == 200
    assert changed_tables(before, snapshot()) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        # A lone surrogate (U+D800), percent-encoded as a browser never would: U+FFFD each.
        (b"%ED%A0%80", "Grace\ufffd\ufffd\ufffd"),
        (b"%FF%FE", "Grace\ufffd\ufffd"),  # bytes that are not UTF-8 at all
        # Not percent-encoded: Django reads a body that is not UTF-8 as Latin-1.
        (b"\xed\xa0\x80", "Grace\xed\xa0\x80"),
    ],
)
def test_text_that_is_not_utf_8_is_read_without_error(personas, participant, raw, stored):
    """Hypothesis cannot send a lone surrogate (it cannot be encoded), so the bytes are sent
    by hand. Nothing fails: the text is kept as Django decodes it."""
    client = Client()
    client.force_login(personas["keyworker"])
    response = client.post(
        f"/participants/{participant.pk}/contacts/new/",
        b"name=Grace" + raw + b"&relationship=Mother",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert participant.contacts.get().name == stored
