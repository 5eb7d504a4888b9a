import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import outage
from .health import health_report
from .home import home_panels


@login_required
def home(request):
    """Each role's home page: what that person needs to see first."""
    role = request.access.primary_role
    context = {"role": role, **home_panels(request.access, role)}
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


def csrf_failure(request, reason=""):
    """A form whose CSRF check failed: a clear page, nothing saved (CSRF_FAILURE_VIEW). What
    its author typed is kept for 30 minutes and shown back on the form (as at the idle
    sign-out), when the service knows who they are."""
    from . import kept_work

    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    user_id = user_id or request.get_signed_cookie(
        kept_work.MARKER, default=None, salt=kept_work.SALT
    )
    kept = bool(
        user_id
        and kept_work.may_keep(request)
        and kept_work.keep_for(user_id=user_id, request=request)
    )
    context = {"kept": kept, "kept_url": request.path}
    response = render(request, "403_csrf.html", context, status=403)
    if kept:
        kept_work.mark_waiting(response)
    return response


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
