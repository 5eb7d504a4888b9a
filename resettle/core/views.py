import logging
import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from resettle import access

from . import selectors
from .health import database_unreachable, health_report

logger = logging.getLogger(__name__)

# Seconds a browser or monitor is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


@login_required
def home(request):
    """Each role's home page: what that person needs to see first."""
    role = access.primary_role(request.user)
    context = {"role": role, **selectors.home_panels(user=request.user, role=role)}
    return render(request, "core/home.html", context)


@require_GET
@never_cache
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


def error_403(request, exception=None):
    from resettle.access import ExcludedFromRecord

    excluded = isinstance(exception, ExcludedFromRecord)
    return render(request, "403.html", {"excluded": excluded}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # Django calls this while handling the exception, wherever it was raised (a view, or the
    # session and sign-in middleware): an unreachable database is an outage, not a bug.
    error = sys.exc_info()[1]
    if database_unreachable(error):
        return service_unavailable(request, error)
    # No request context: the database may be the thing that failed.
    return HttpResponseServerError(
        loader.get_template("500.html").render({"service_name": "Resettle"})
    )


def service_unavailable(request, error: BaseException) -> HttpResponse:
    """The database is unreachable: a 503 page that needs no database, logged in one line."""
    logger.error(
        "Database unreachable during %s %s (%s: %s): answered 503",
        request.method,
        request.path,
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
    not_saved = request.method == "POST"
    context = {
        "service_name": "Resettle",
        "not_saved": not_saved,
        "entered": _what_they_entered(request) if not_saved else [],
    }
    response = HttpResponse(loader.get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    response._has_been_logged = True  # the line above is the log: no traceback per request
    return response


# Never shown back: secrets, and the form's own machinery.
NOT_ENTERED_BACK = {"csrfmiddlewaretoken", "code", "next"}


def _what_they_entered(request) -> list[tuple[str, str]]:
    """What a form sent, to copy before trying again (they sent it; nothing is looked up)."""
    try:
        data = request.POST
    except Exception:  # an unreadable body: there is nothing to show back
        return []
    entered = []
    for name, values in data.lists():
        if name in NOT_ENTERED_BACK or "password" in name:
            continue
        for value in values:
            if value.strip() and not access.is_uuid(value):
                entered.append((name.replace("_", " ").capitalize(), value.strip()))
    return entered
