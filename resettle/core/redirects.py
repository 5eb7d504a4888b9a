"""Where a page sends people next: only ever a page of this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def local_next(request, default: str = "") -> str:
    """The `next` address a form or link carries if it is a path on this site, else `default`.

    Only a path from the root is taken: redirect() reads a bare word ("home") as the name of
    a view, so `next=home` used to end in a server error, and a relative path would depend on
    the page the form happened to be on.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
