"""What every request passes before any page sees it: the client's address and HTTPS flag read
only through the proxies we run, only the methods the site answers, no control characters in
the address, and the Permissions-Policy header on every answer.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponseNotAllowed
from django.shortcuts import render

# Methods the site answers. TRACE echoes a request back (cookies included) and OPTIONS is not
# needed: nothing here is called across origins.
ALLOWED_METHODS = ("GET", "HEAD", "POST")

# Browser features no page of the site uses: a page (or anything injected into one) may not ask.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

# C0 controls other than tab and newline, DEL, and the C1 controls. A NUL in particular is
# refused by PostgreSQL in any string it is given; a carriage return starts header injection.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def client_address(request) -> str | None:
    """The client's address, as the trusted proxies saw it (see `TrustedProxyMiddleware`).

    The one answer for the access log and for the sign-in lockout (AXES_CLIENT_IP_CALLABLE).
    """
    return request.META.get("REMOTE_ADDR") or None


def _forwarded_value(header: str | None, proxies: int) -> str | None:
    """The value the outermost trusted proxy added: the `proxies`-th from the right.

    Each proxy appends what it received from; anything to the left of what our own proxies
    added was written by the client and proves nothing.
    """
    if not header or proxies < 1:
        return None
    values = [value.strip() for value in header.split(",")]
    if len(values) < proxies:
        return None
    value = values[-proxies]
    return value or None


class TrustedProxyMiddleware:
    """Reads X-Forwarded-For and X-Forwarded-Proto only through TRUSTED_PROXY_COUNT proxies.

    With no trusted proxy (the default) both headers are ignored: REMOTE_ADDR is the client,
    and HTTPS is whatever the server was told. With N proxies, the address and scheme the
    N-th proxy from us received are used. Either way the raw headers are removed, so nothing
    later can read a client's claim by mistake.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        proxies = settings.TRUSTED_PROXY_COUNT
        meta = request.META
        forwarded_for = meta.pop("HTTP_X_FORWARDED_FOR", None)
        forwarded_proto = meta.pop("HTTP_X_FORWARDED_PROTO", None)
        address = _forwarded_value(forwarded_for, proxies)
        if address:
            meta["REMOTE_ADDR"] = address
        scheme = (_forwarded_value(forwarded_proto, proxies) or "").lower()
        if scheme in {"http", "https"}:
            environ = getattr(request, "environ", None)
            if environ is not None:
                environ["wsgi.url_scheme"] = scheme
            meta["wsgi.url_scheme"] = scheme
        return self.get_response(request)


class RequestGuardMiddleware:
    """Refuses what no page of the site can use, before any page sees it.

    - methods other than GET, HEAD and POST (TRACE, OPTIONS, PUT…): 405;
    - control characters (a NUL above all) in the path or in any query parameter: 400, the
      same clear page as for any other unusable request, never a 500 from the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS:
            response = HttpResponseNotAllowed(ALLOWED_METHODS)
            response["Permissions-Policy"] = PERMISSIONS_POLICY
            return response
        if self._has_control_characters(request):
            return render(request, "400.html", {"address_refused": True}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_control_characters(request) -> bool:
        if _CONTROL.search(request.path):
            return True
        for key, values in request.GET.lists():
            if _CONTROL.search(key) or any(_CONTROL.search(value) for value in values):
                return True
        return False


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
