"""When the database cannot be reached: telling that apart from a bug, and the page people see.

Django turns an exception anywhere in a request (a view, or the session and sign-in middleware
before it) into the server-error page; resettle.core.views.error_500 and the session
middleware hand an unreachable database to `service_unavailable` instead. Nothing here queries
the database: it is what failed.
"""

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

from resettle import access

logger = logging.getLogger(__name__)

# Seconds a browser or monitor is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30
# Never shown back: secrets, and the form's own machinery.
NOT_ENTERED_BACK = {"csrfmiddlewaretoken", "code", "next"}


def unreachable_database_error(error: BaseException | None) -> BaseException | None:
    """The error (or the one it arose from) saying the database cannot be reached: down,
    restarting, connection lost. None for anything else, such as a query that failed on a
    working connection (a deadlock, a statement timeout)."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError) and _says_unreachable(error):
            return error
        error = error.__cause__ or error.__context__
    return None


# PostgreSQL's own words for "not now" (SQLSTATE): connection exceptions, too many clients or
# out of memory, and shutting down or still starting up.
UNAVAILABLE_CLASSES = ("08", "53")
UNAVAILABLE_CODES = ("57P01", "57P02", "57P03")


def _says_unreachable(error: BaseException) -> bool:
    driver_error = error.__cause__  # psycopg2's, which Django wraps
    if hasattr(driver_error, "pgcode"):
        code = driver_error.pgcode  # None: no answer from the server at all
        return code is None or code[:2] in UNAVAILABLE_CLASSES or code in UNAVAILABLE_CODES
    return connection.connection is None  # another database: connecting failed


def service_unavailable(request, error: BaseException) -> HttpResponse:
    """The 503 page, logged in one line (the cause is plain; no traceback per request)."""
    message = str(error).strip().splitlines()
    logger.error(
        "Database unreachable during %s %s (%s: %s): answered 503",
        request.method,
        request.path,
        type(error).__name__,
        message[0] if message else "",
    )
    sent_a_form = request.method == "POST"
    context = {
        "service_name": "Resettle",
        "not_saved": sent_a_form,
        "entered": _what_they_entered(request) if sent_a_form else [],
    }
    response = HttpResponse(loader.get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    response._has_been_logged = True  # Django's own log of a 5xx would add a traceback
    return response


def _what_they_entered(request) -> list[tuple[str, str]]:
    """What the form sent, to copy before trying again (they sent it; nothing is looked up)."""
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
