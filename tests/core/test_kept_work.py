"""Typed work kept across the idle sign-out and a failed security check (issue 19, point 4),
without JavaScript: kept server-side for 30 minutes for its author alone, shown back filled
in on the same page after signing in again, and nothing saved until they save again."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participants.models import Referral
from resettle.core import kept_work
from resettle.core.models import KeptWork

pytestmark = pytest.mark.django_db

FORM = "/participants/referrals/new/"
TYPED = {"given_name": "Kofi", "family_name": "Mensah", "current_prison": "HMP Typed-Before"}


def signed_in_then_idle(client, user):
    client.force_login(user)
    client.get(reverse("core:home"))  # the browser is marked as signed in
    assert kept_work.MARKER in client.cookies
    Session.objects.all().delete()  # 30 minutes pass without a page being opened


def test_a_form_sent_after_the_sign_in_ended_is_kept_and_shown_back_to_its_author(client, personas):
    officer = personas["offender_manager"]
    signed_in_then_idle(client, officer)
    response = client.post(FORM, TYPED)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={FORM}"
    assert Referral.objects.count() == 0
    page = client.get(response.url).content.decode()
    assert "You were signed out after 30 minutes without activity" in page
    assert "What you typed has been kept for 30 minutes" in page

    client.force_login(officer)
    page = client.get(FORM).content.decode()
    assert 'value="HMP Typed-Before"' in page
    assert "Nothing has been saved yet" in page
    assert Referral.objects.count() == 0
    assert not KeptWork.objects.exists()  # shown once
    assert 'value="HMP Typed-Before"' not in client.get(FORM).content.decode()


def test_kept_work_is_shown_to_nobody_else_on_that_browser(client, personas):
    signed_in_then_idle(client, personas["offender_manager"])
    client.post(FORM, TYPED)
    client.force_login(personas["service_manager"])
    assert 'value="HMP Typed-Before"' not in client.get(FORM).content.decode()
    assert KeptWork.objects.filter(user=personas["offender_manager"]).exists()


def test_kept_work_is_gone_after_30_minutes(client, personas):
    officer = personas["offender_manager"]
    signed_in_then_idle(client, officer)
    client.post(FORM, TYPED)
    KeptWork.objects.update(kept_at=timezone.now() - datetime.timedelta(minutes=31))
    client.force_login(officer)
    assert 'value="HMP Typed-Before"' not in client.get(FORM).content.decode()
    assert not KeptWork.objects.exists()


def test_a_page_opened_after_the_sign_in_ended_says_why(client, personas):
    signed_in_then_idle(client, personas["keyworker"])
    response = client.get(reverse("participants:caseload"), follow=True)
    assert "You were signed out after 30 minutes without activity" in response.content.decode()
    # Said once: the browser is no longer marked as signed in.
    again = client.get(reverse("participants:caseload"), follow=True).content.decode()
    assert "You were signed out after" not in again


def test_after_signing_out_by_hand_nothing_is_kept(client, personas):
    client.force_login(personas["offender_manager"])
    client.get(reverse("core:home"))
    client.post(reverse("accounts:logout"))
    assert client.post(FORM, TYPED).status_code == 302
    assert not KeptWork.objects.exists()


def test_sign_in_posts_are_never_kept(client, personas):
    signed_in_then_idle(client, personas["keyworker"])
    client.post(reverse("accounts:login"), {"username": "x@example.org", "password": "secret"})
    assert not KeptWork.objects.exists()


def test_the_csrf_failure_page_keeps_typed_work_the_same_way(personas):
    officer = personas["offender_manager"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    response = browser.post(FORM, TYPED)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form could not be sent" in page
    assert "What you typed has been kept for 30 minutes" in page
    assert Referral.objects.count() == 0
    assert 'value="HMP Typed-Before"' in browser.get(FORM).content.decode()
