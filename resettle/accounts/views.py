import base64
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from resettle.access import role_required
from resettle.core.forms import apply_service_errors
from resettle.core.redirects import local_next

from . import services
from .forms import SignInForm, TwoFactorCodeForm
from .models import Membership, User
from .roles import Role


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Read at request time: tests and the demo switch two-factor sign-in on and off.
        return {**super().get_context_data(**kwargs), "require_two_factor": _two_factor_on()}


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: the sign-in page again, status 429, with
    the same message whether or not the account exists."""
    context = {
        "form": SignInForm(request),
        "lockout_message": services.lockout_message(),
        "next": _safe_next(request, default=""),
        "require_two_factor": _two_factor_on(),
    }
    return render(request, "accounts/login.html", context, status=429)


@sensitive_post_parameters("code")
@never_cache
@csrf_protect
@login_required
def two_factor_setup(request):
    """First sign-in (or after a reset): add Resettle to an authenticator app and confirm it."""
    if not services.two_factor_pending(request.user):
        return redirect(_safe_next(request))
    if services.has_two_factor_device(request.user):
        return redirect(_with_next(reverse("accounts:two_factor_verify"), request))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_two_factor_device(request=request, code=form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Two-factor sign-in is set up")
            return redirect(_safe_next(request))
    device = services.start_two_factor_setup(user=request.user, session=request.session)
    context = {
        "form": form,
        "secret": _grouped_secret(device),
        "qr_code": _qr_code_svg(device),
        "next": _safe_next(request, default=""),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@sensitive_post_parameters("code")
@never_cache
@csrf_protect
@login_required
def two_factor_verify(request):
    """Every sign-in after the first: the code the person's authenticator app shows now."""
    if not services.two_factor_pending(request.user):
        return redirect(_safe_next(request))
    if not services.has_two_factor_device(request.user):
        return redirect(_with_next(reverse("accounts:two_factor_setup"), request))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_two_factor_code(request=request, code=form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect(_safe_next(request))
    context = {"form": form, "next": _safe_next(request, default="")}
    return render(request, "accounts/two_factor_verify.html", context)


@role_required(Role.ADMINISTRATOR)
def staff_list(request):
    """Staff accounts with their roles in each service (administrators only; no case data)."""
    staff = (
        User.objects.exclude(email__endswith="@resettle.invalid")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("service"))
        )
        .order_by("full_name")
    )
    return render(request, "accounts/staff_list.html", {"staff": staff})


def _two_factor_on() -> bool:
    return settings.REQUIRE_TWO_FACTOR


def _safe_next(request, default: str | None = None) -> str:
    """The page to go on to after signing in: only ever one on this site."""
    return local_next(request, reverse(settings.LOGIN_REDIRECT_URL) if default is None else default)


def _with_next(url: str, request) -> str:
    target = _safe_next(request, default="")
    return f"{url}?{urlencode({'next': target})}" if target else url


def _grouped_secret(device) -> str:
    """The secret as an authenticator app expects it typed: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_code_svg(device) -> str:
    """The set-up QR code as inline SVG markup, drawn here: nothing is fetched from elsewhere."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        title="QR code that adds Resettle to your authenticator app",
        svgclass="app-qr-code",
        lineclass=None,
        omitsize=True,
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))
