from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from resettle.accounts import services as account_services

from . import outage


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, with the database unreachable in mind.

    An error page leaves the session alone: Django saves nothing for one either, but reads the
    session first to decide, and with the database down that read waits out another connect
    timeout and fails again. And a session that cannot be saved because the database went
    away is the "service unavailable" page, not Django's unstyled "Bad Request".
    """

    def process_response(self, request, response):
        if response.status_code >= 500:
            return response
        try:
            return super().process_response(request, response)
        except SessionInterrupted as interrupted:
            unreachable = outage.unreachable_database_error(interrupted)
            if unreachable is None:
                raise
            return outage.service_unavailable(request, unreachable)


class NoStoreForSignedInMiddleware:
    """Pages shown to signed-in staff hold case data: browsers and proxies must not keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Error pages are never kept either, and for them nobody is looked up: the database may
        # be what failed, and looking again would wait for it a second time.
        if response.status_code >= 500 or self._signed_in(request):
            add_never_cache_headers(response)
        return response

    @staticmethod
    def _signed_in(request) -> bool:
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated


def _go_to(request, url: str):
    """A redirect that also works for an htmx request (which would otherwise swap it in)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class SignOutClosedAccountsMiddleware:
    """A closed account, or someone whose last role was removed, is signed out at their next
    request, not whenever their session would have ended."""

    MESSAGE = (
        "You have been signed out: your account is closed or has no role in any service. "
        "Ask your service administrator if you need access."
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_sign_out(request):
            logout(request)
            messages.warning(request, self.MESSAGE)
            return _go_to(request, reverse(settings.LOGIN_URL))
        return self.get_response(request)

    @staticmethod
    def _must_sign_out(request) -> bool:
        user = request.user
        if user.is_authenticated:
            return not account_services.may_stay_signed_in(user)
        # Signed in, but the account is no longer let in (closed): Django shows such a
        # session as anonymous without ending it.
        return SESSION_KEY in request.session


class TwoFactorRequiredMiddleware:
    """With REQUIRE_TWO_FACTOR on, every page for someone signed in with a password only sends
    them to set up their authenticator app, or to enter its code. The only pages left open
    are signing in and out, those two pages, /healthz and static files."""

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def open_paths(self) -> frozenset[str]:
        return frozenset(
            reverse(name)
            for name in (
                "accounts:login",
                "accounts:logout",
                "accounts:two_factor_setup",
                "accounts:two_factor_verify",
                "accounts:set_up",
                "core:healthz",
                "admin:logout",
            )
        )

    def __call__(self, request):
        pending = account_services.two_factor_pending(request.user)
        request.two_factor_pending = pending
        if pending and not self._is_open(request.path_info):
            step = (
                "accounts:two_factor_verify"
                if account_services.has_two_factor_device(request.user)
                else "accounts:two_factor_setup"
            )
            query = urlencode({"next": request.get_full_path()})
            return _go_to(request, f"{reverse(step)}?{query}")
        return self.get_response(request)

    def _is_open(self, path: str) -> bool:
        return path in self.open_paths or path.startswith(settings.STATIC_URL)
