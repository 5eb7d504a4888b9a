"""Typed work is not lost at the idle sign-out (issue 19, point 4).

A browser that was signed in carries a signed marker cookie naming the person (SameSite
Strict, so another site's form never carries it). When a form is sent after the sign-in has
ended, what was typed is kept server-side (`KeptWork`) for 30 minutes for that person alone,
and they are sent to sign in with "You were signed out after 30 minutes without activity".
Once they are signed in again as the same person, the same page's form is shown filled in
with it; nothing is saved until they press save again. The CSRF failure page keeps typed
work the same way (`keep_for`). Without JavaScript there is no warning, but the work is kept.
"""

import contextvars
import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import QueryDict
from django.utils import timezone

MARKER = "resettle_signed_in"
# Set while some typed work is waiting, so other page views never look for it (no query).
WAITING = "resettle_kept_work"
SALT = "resettle.core.kept_work"
KEEP_FOR = datetime.timedelta(minutes=30)
# Signing in, setting up and the admin site are never replayed: their posts hold passwords.
NOT_KEPT = ("/accounts/", "/admin/")
LEFT_OUT = {"csrfmiddlewaretoken"}
MAX_CHARACTERS = 500_000  # anything bigger is refused by the form size limits anyway

_kept: contextvars.ContextVar[QueryDict | None] = contextvars.ContextVar("kept", default=None)


def idle_minutes() -> int:
    return max(1, settings.SESSION_COOKIE_AGE // 60)


def signed_out_message() -> str:
    return f"You were signed out after {idle_minutes()} minutes without activity"


def may_keep(request) -> bool:
    return request.method == "POST" and not request.path.startswith(NOT_KEPT)


def keep_for(*, user_id, request) -> bool:
    """Keeps the post's typed values for `user_id` and this page (one page's work a person)."""
    from .models import KeptWork

    data = {k: v for k, v in request.POST.lists() if k not in LEFT_OUT}
    if not data or sum(len(v) for values in data.values() for v in values) > MAX_CHARACTERS:
        return False
    KeptWork.objects.filter(user_id=user_id).delete()
    KeptWork.objects.create(user_id=user_id, path=request.path, data=data)
    return True


def take(*, user, path: str) -> QueryDict | None:
    """The work `user` had kept for `path`, removed as it is handed back (None if none)."""
    from .models import KeptWork

    KeptWork.objects.filter(kept_at__lt=timezone.now() - KEEP_FOR).delete()
    work = KeptWork.objects.filter(user=user, path=path).first()
    if work is None:
        return None
    work.delete()
    kept = QueryDict(mutable=True)
    for key, values in work.data.items():
        kept.setlist(key, [str(value) for value in values])
    return kept


def mark_waiting(response) -> None:
    response.set_cookie(
        WAITING,
        "1",
        max_age=int(KEEP_FOR.total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def current() -> QueryDict | None:
    """The kept work being shown back on this request's page, if any."""
    return _kept.get()


def fill_form(form) -> None:
    """An unbound form on the page being shown back starts from what was typed (not saved)."""
    kept = _kept.get()
    if kept is None or form.is_bound:
        return
    initial = dict(form.initial)
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if field.widget.value_omitted_from_data(kept, {}, key):
            continue
        initial[name] = field.widget.value_from_datadict(kept, {}, key)
    form.initial = initial


def _marked_user_id(request) -> str | None:
    return request.get_signed_cookie(MARKER, default=None, salt=SALT)


class KeptWorkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        marked = _marked_user_id(request)
        if not signed_in and marked:
            return self._after_sign_in_ended(request, marked)
        token = None
        taken = False
        if (
            signed_in
            and WAITING in request.COOKIES
            and request.method == "GET"
            and not request.headers.get("HX-Request")
        ):
            kept = take(user=request.user, path=request.path)
            if kept is not None:
                taken = True
                token = _kept.set(kept)
                messages.info(
                    request,
                    "What you typed before you were signed out is filled in below. Nothing "
                    "has been saved yet: check it and save it again.",
                )
        try:
            response = self.get_response(request)
        finally:
            if token is not None:
                _kept.reset(token)
        if taken:
            response.delete_cookie(WAITING, samesite="Strict")
        if request.user.is_authenticated:
            if marked != str(request.user.pk):
                response.set_signed_cookie(
                    MARKER,
                    str(request.user.pk),
                    salt=SALT,
                    httponly=True,
                    samesite="Strict",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        elif marked:
            response.delete_cookie(MARKER, samesite="Strict")  # signed out by hand
        return response

    def _after_sign_in_ended(self, request, marked: str):
        """The browser was signed in and its sign-in has ended (30 minutes idle)."""
        if may_keep(request) and keep_for(user_id=marked, request=request):
            messages.warning(
                request,
                f"{signed_out_message()}. What you typed has been kept for 30 minutes: sign "
                "in again to see it filled in. Nothing has been saved.",
            )
            response = redirect_to_login(request.path)
            mark_waiting(response)
        else:
            messages.warning(request, signed_out_message())
            response = self.get_response(request)
        response.delete_cookie(MARKER, samesite="Strict")
        return response
