import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from resettle import access

from . import outage, selectors
from .health import health_report


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


def error_400(request, exception=None):
    # E.g. a request body over DATA_UPLOAD_MAX_MEMORY_SIZE: nothing of it was read or saved.
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    from resettle.access import ExcludedFromRecord

    excluded = isinstance(exception, ExcludedFromRecord)
    return render(request, "403.html", {"excluded": excluded}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # Django calls this while handling the exception, wherever it was raised (a view, or the
    # session and sign-in middleware): an unreachable database is an outage, not a bug.
    unreachable = outage.unreachable_database_error(sys.exc_info()[1])
    if unreachable is not None:
        return outage.service_unavailable(request, unreachable)
    # No request context: the database may be the thing that failed.
    return HttpResponseServerError(
        loader.get_template("500.html").render({"service_name": "Resettle"})
    )
