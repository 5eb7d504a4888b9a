"""Issue 27: what a user notices on the pages, read from the HTML they are sent."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse

from tests.crisisline.test_query_budgets import his_record

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def render(source: str, **context) -> str:
    return Template("{% load govuk %}" + source).render(Context(context))


def test_no_template_has_a_multi_line_hash_comment():
    """{# #} is one line only: a multi-line one is printed on the page as it stands."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"\{#(.*?)#\}", path.read_text(), re.S):
            if "\n" in match.group(1):
                offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_phone_numbers_in_free_text_become_tel_links_that_do_not_wrap():
    html = render(
        "{{ text|tel_links }}", text="Ring the on-call manager on 0151 496 0000 <b>or</b> 999"
    )
    assert '<a class="govuk-link app-tel" href="tel:+441514960000">0151 496 0000</a>' in html
    assert "&lt;b&gt;or&lt;/b&gt; 999" in html  # escaped; 999 is not a UK number to rewrite


def test_nhs_numbers_read_3_3_4():
    assert render("{{ n|nhs_number }}", n="4857773456") == "485 777 3456"
    assert render("{{ n|nhs_number }}", n="485 777 3456") == "485 777 3456"
    assert render("{{ n|nhs_number }}", n="12345") == "12345"


@pytest.mark.django_db
def test_crisis_summary_who_to_call_and_contingency_plan(
    client_for, personas, participant, service
):
    his_record(participant, personas, service)
    service.out_of_hours_route = "Duty manager, 0151 496 0123, any hour"
    service.save(update_fields=["out_of_hours_route"])
    html = (
        client_for(personas["crisis_worker"])
        .get(reverse("crisisline:summary", args=[participant.pk]))
        .content.decode()
    )
    who = html[html.index('data-testid="who-to-call"') :]
    who = who[: who.index("</dl>")]
    assert 'href="tel:+441514960123"' in who and "app-tel" in who
    assert "app-who-to-call" in html
    # The contingency plan's paragraphs are in the house font (app-prose), not the default serif.
    assert 'class="app-panel app-contingency app-prose"' in html
    for phone in ("0151 496 0555", "07700 900123"):
        assert re.search(r'href="tel:[^"]+"[^>]*>(<span class="app-tel">)?' + phone, html), phone


def test_the_stylesheet_sets_the_house_font_on_the_body_and_no_serif():
    scss = (TEMPLATES.parent / "static" / "src" / "resettle.scss").read_text()
    assert "body, button, input, select, textarea { font-family: arial, sans-serif; }" in scss
    assert "Times" not in scss


@pytest.mark.parametrize(
    "path, current",
    (
        ("/crisis/handover/", ["Handover"]),
        ("/crisis/", ["Crisis line"]),
        ("/crisis/people/00000000-0000-0000-0000-000000000000/", ["Crisis line"]),
        ("/sessions/", ["My day"]),
        ("/sessions/participants/00000000-0000-0000-0000-000000000000/", ["Caseload"]),
        ("/participants/caseload/", ["Caseload"]),
        ("/", ["Home"]),
    ),
)
def test_the_primary_navigation_marks_one_entry(path, current, personas):
    from resettle.core.navigation import navigation_for

    items = navigation_for(personas["service_manager"], path)
    assert [item["label"] for item in items if item["current"]] == current


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, words",
    (
        ("keyworker", "Do not share outside the team around the person"),
        ("crisis_worker", "Do not share outside the team around the person"),
        ("commissioner", "service figures. Share only with those who commission or run"),
        ("administrator", "staff accounts and service settings"),
    ),
)
def test_the_security_marking_speaks_to_who_reads_it(client_for, personas, persona, words):
    html = client_for(personas[persona]).get(reverse("core:home")).content.decode()
    marking = html[html.index('aria-label="Security marking"') :][:400]
    assert "OFFICIAL-SENSITIVE" in marking and words in marking
    if persona in ("commissioner", "administrator"):
        assert "team around the person" not in marking


def test_the_as_you_type_hint_is_shown_only_with_javascript():
    search = (TEMPLATES / "crisisline" / "search.html").read_text()
    assert '<span class="app-js-only">Results appear as you type</span>' in search
    assert '<span class="app-no-js">Press Search to see who matches</span>' in search
    scss = (TEMPLATES.parent / "static" / "src" / "resettle.scss").read_text()
    assert ".app-js-only { display: none; }" in scss
    assert ".js-enabled .app-no-js { display: none; }" in scss


def test_restricted_notes_keep_their_label_as_written():
    for name in ("participant_sessions.html", "session_detail.html"):
        text = (TEMPLATES / "sessions" / name).read_text()
        assert "get_visibility_display|lower" not in text
        assert "A note marked “{{ note.get_visibility_display }}”" in text


def test_required_messages_and_empty_choices_are_plain_words():
    from django import forms

    from resettle.accounts.models import Service
    from resettle.core.forms import PlainTextMixin

    class Example(PlainTextMixin, forms.Form):
        reason = forms.CharField(label="Reason")
        nhs = forms.CharField(label="NHS number")
        urgency = forms.ChoiceField(label="Urgency", choices=[("", "---------"), ("a", "A")])
        service = forms.ModelChoiceField(label="Service", queryset=Service.objects.none())

    form = Example(data={})
    assert not form.is_valid()
    assert form.errors["reason"] == ["Enter the reason"]
    assert form.errors["nhs"] == ["Enter the NHS number"]
    assert form.errors["urgency"] == ["Choose the urgency"]
    assert form.errors["service"] == ["Choose the service"]
    assert "---------" not in str(form["urgency"]) and "Choose…" in str(form["urgency"])
    assert form.fields["service"].empty_label == "Choose…"


@pytest.mark.django_db
def test_the_timeline_has_filter_controls_for_its_categories(client_for, personas, participant):
    client = client_for(personas["service_manager"])
    url = reverse("participants:timeline", args=[participant.pk])
    html = client.get(url).content.decode()
    assert '<select class="govuk-select" id="timeline-category" name="category">' in html
    assert '<option value="allocation">Team</option>' in html
    html = client.get(url, {"category": "allocation"}).content.decode()
    assert '<option value="allocation" selected>Team</option>' in html
    assert "Show everything" in html


@pytest.mark.django_db
def test_a_plan_in_progress_is_not_read_as_version_2_is_draft(client_for, personas, participant):
    from riskplans import services as plan_services

    plan_services.start_plan(participant=participant, actor=personas["offender_manager"])
    html = (
        client_for(personas["offender_manager"])
        .get(reverse("riskplans:overview", args=[participant.pk]))
        .content.decode()
    )
    text = re.sub(r"<[^>]+>", "", html)
    text = re.sub(r"\s+", " ", text)
    assert "is Draft" not in text
    assert re.search(r"Version 1, by Sarah Okafor, is in progress: Draft ?\.", text), text[-600:]
