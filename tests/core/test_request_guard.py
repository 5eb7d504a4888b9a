"""Headers and proxies: TRACE and OPTIONS refused, a Permissions-Policy on every answer, the
client's address and HTTPS read from forwarded headers only through the proxies we run, and
a CSRF failure answered with a page that says what happened."""

import pytest
from django.test import Client
from django.urls import reverse

from resettle.core.models import AccessLog
from resettle.core.security import PERMISSIONS_POLICY
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
personas, participant = from_world("personas", "participant")


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PUT", "PATCH", "DELETE", "PROPFIND"])
@pytest.mark.parametrize("path", ["/", "/accounts/sign-in/", "/accounts/sign-out/", "/healthz"])
def test_methods_the_site_does_not_use_are_refused_with_405(client, method, path):
    response = client.generic(method, path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"


def test_trace_never_echoes_the_request(client_for, personas):
    client = client_for(personas["keyworker"])
    response = client.generic("TRACE", "/", HTTP_X_SECRET="echo-me")
    assert response.status_code == 405
    assert b"echo-me" not in response.content
    assert client.cookies["sessionid"].value.encode() not in response.content


@pytest.mark.parametrize("path", ["/", "/accounts/sign-in/", "/healthz", "/no-such-page/"])
def test_every_answer_carries_the_permissions_policy(client, path):
    response = client.get(path)
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in response["Permissions-Policy"]


def test_the_permissions_policy_is_on_refusals_too(client):
    assert client.generic("TRACE", "/")["Permissions-Policy"] == PERMISSIONS_POLICY
    assert client.get("/?q=%00")["Permissions-Policy"] == PERMISSIONS_POLICY


# --- Client address and HTTPS through trusted proxies ------------------------------------------


def open_his_record(client, participant, **headers):
    return client.get(reverse("participants:overview", args=[participant.pk]), **headers)


def test_without_a_trusted_proxy_a_claimed_address_is_ignored(
    client_for, personas, participant, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    client = client_for(personas["keyworker"])
    open_his_record(
        client, participant, REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.66"
    )
    assert AccessLog.objects.get().ip_address == "192.0.2.10"


def test_with_one_trusted_proxy_the_address_it_saw_is_the_client(
    client_for, personas, participant, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_for(personas["keyworker"])
    # The client wrote "203.0.113.66" itself; our proxy appended the address it really saw.
    open_his_record(
        client,
        participant,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7",
    )
    assert AccessLog.objects.get().ip_address == "198.51.100.7"


def test_too_few_forwarded_addresses_leave_the_connecting_address(
    client_for, personas, participant, settings
):
    settings.TRUSTED_PROXY_COUNT = 2
    client = client_for(personas["keyworker"])
    open_his_record(client, participant, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AccessLog.objects.get().ip_address == "10.0.0.2"


def test_the_lockout_counts_the_same_address_as_the_log(personas, settings):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXY_COUNT = 1
    keyworker = personas["keyworker"]
    browser = Client()
    for claimed in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        browser.post(
            reverse("accounts:login"),
            {"username": keyworker.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"{claimed}, 198.51.100.7",
        )
    # Claiming a new address each time does not give a fresh count.
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "198.51.100.7"
    assert attempt.failures_since_start == 5


def test_https_is_believed_only_from_a_trusted_proxy(client, settings):
    from django.http import HttpRequest

    from resettle.core.security import TrustedProxyMiddleware

    seen = {}

    def remember(request: HttpRequest):
        seen["secure"] = request.is_secure()
        seen["address"] = request.META["REMOTE_ADDR"]
        seen["raw"] = request.META.get("HTTP_X_FORWARDED_FOR")
        from django.http import HttpResponse

        return HttpResponse()

    from django.test import RequestFactory

    middleware = TrustedProxyMiddleware(remember)
    factory = RequestFactory()

    settings.TRUSTED_PROXY_COUNT = 0
    middleware(factory.get("/", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="6.6.6.6"))
    assert seen == {"secure": False, "address": "127.0.0.1", "raw": None}

    settings.TRUSTED_PROXY_COUNT = 1
    middleware(factory.get("/", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="6.6.6.6"))
    assert seen == {"secure": True, "address": "6.6.6.6", "raw": None}


def test_the_trusted_proxy_count_is_a_setting_from_the_environment():
    from tests.core.test_settings import manage

    refused = manage("check", env_overrides={"TRUSTED_PROXY_COUNT": "9"})
    assert refused.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be a whole number from 0 to 5" in refused.stderr
    assert manage("check", env_overrides={"TRUSTED_PROXY_COUNT": "1"}).returncode == 0


# --- The CSRF failure page ---------------------------------------------------------------------


def test_a_csrf_failure_gets_a_page_saying_what_happened(personas):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["keyworker"])
    response = browser.post(reverse("accounts:logout"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form could not be sent" in body
    assert "Nothing has been saved" in body
    assert "<title>Your form could not be sent" in body
