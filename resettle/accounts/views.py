import base64
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from resettle.access import role_required
from resettle.core.forms import apply_service_errors
from resettle.core.params import page_number
from resettle.core.redirects import local_next

from . import selectors, services
from .administration import (
    AdminAction,
    administered_services,
    get_staff_for,
    refusal,
    removal_refusal,
    staff_administered_by,
)
from .forms import (
    MembershipForm,
    SetUpForm,
    SignInForm,
    StaffAccountForm,
    TwoFactorCodeForm,
    WorkPhoneForm,
)
from .models import Membership, SetUpCode
from .roles import Role


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Read at request time: tests and the demo switch two-factor sign-in on and off.
        return {**super().get_context_data(**kwargs), "require_two_factor": _two_factor_on()}

    def form_valid(self, form):
        previous_sign_in = form.get_user().last_login
        response = super().form_valid(form)
        _tell_about_account_changes(self.request, form.get_user(), previous_sign_in)
        return response


def _tell_about_account_changes(request, user, since) -> None:
    """What someone else changed on their account since they last signed in."""
    for words in selectors.changes_to_tell(user, since):
        messages.warning(request, words)


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
    if not services.may_enrol(request.user, request.session):
        # No trust on first use: a password alone never adds an authenticator app.
        return render(request, "accounts/two_factor_needs_code.html", status=403)
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


@sensitive_post_parameters("code", "new_password1", "new_password2")
@never_cache
@csrf_protect
def set_up(request):
    """Set your own password, and then add your authenticator app, with the one-time set-up
    code your administrator gave you in person or by phone."""
    form = SetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, code = services.redeem_set_up_code(
                email=form.cleaned_data["email"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            previous_sign_in = user.last_login
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            services.allow_enrolment(session=request.session, set_up_code=code)
            _tell_about_account_changes(request, user, previous_sign_in)
            messages.success(request, "Your password is set")
            if _two_factor_on() and not services.has_two_factor_device(user):
                return redirect("accounts:two_factor_setup")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/set_up.html", {"form": form})


@require_POST
@login_required
def stay_signed_in(request):
    """The idle sign-out warning's "Stay signed in": this request itself restarts the 30
    minutes (SESSION_SAVE_EVERY_REQUEST); nothing else happens."""
    request.session["stayed_signed_in_at"] = timezone.now().isoformat()
    return HttpResponse(status=204)


# --- Staff accounts (administrators) ---------------------------------------------------------


@role_required(Role.ADMINISTRATOR)
def staff_list(request):
    """Staff accounts of the services they administer, with their roles (no case data)."""
    staff = staff_administered_by(request.user).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("service"))
    )
    context = {
        "staff": staff.order_by("full_name"),
        "services": administered_services(request.user),
    }
    return render(request, "accounts/staff_list.html", context)


@role_required(Role.ADMINISTRATOR)
def staff_add(request):
    """A new account with its first role; its owner sets it up with the code shown once."""
    form = StaffAccountForm(request.POST or None, services=administered_services(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_staff_account(
                email=data["email"],
                full_name=data["full_name"],
                memberships=[(data["service"], data["role"], data["agency"])],
                actor=request.user,
                work_phone=data["work_phone"],
            )
            code = services.issue_set_up_code(
                user=user, actor=request.user, purpose=SetUpCode.Purpose.NEW_ACCOUNT
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _show_code(request, user, code, "Account created")
    return render(request, "accounts/staff_add.html", {"form": form})


@role_required(Role.ADMINISTRATOR)
def staff_detail(request, pk):
    person = get_staff_for(request.user, pk)
    administered = {service.pk for service in administered_services(request.user)}
    memberships = [
        {"membership": m, "may_remove": removal_refusal(request.user, m) is None}
        for m in person.memberships.select_related("service")
    ]
    account_refusal = refusal(request.user, person, AdminAction.ISSUE_SET_UP_CODE)
    context = {
        "person": person,
        "memberships": memberships,
        "account_refusal": account_refusal,
        "may_give_role": refusal(request.user, person, AdminAction.GIVE_ROLE) is None,
        "may_change_work_phone": (
            refusal(request.user, person, AdminAction.CHANGE_WORK_PHONE) is None
        ),
        "has_two_factor": services.has_two_factor_device(person),
        "events": person.account_events.filter(service_id__in=administered)
        .select_related("actor", "service")
        .order_by("-at")[:50],
    }
    return render(request, "accounts/staff_detail.html", context)


@role_required(Role.ADMINISTRATOR)
def staff_work_phone(request, pk):
    """Set, change or clear the number the team and the crisis line reach them on at work."""
    person = get_staff_for(request.user, pk, may=AdminAction.CHANGE_WORK_PHONE)
    form = WorkPhoneForm(request.POST or None, initial={"work_phone": person.work_phone})
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.set_work_phone(
                user=person, work_phone=form.cleaned_data["work_phone"], actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if changed:
                messages.success(request, f"{person.full_name}'s work phone is saved")
            return redirect("accounts:staff_detail", pk=person.pk)
    return render(request, "accounts/staff_work_phone.html", {"form": form, "person": person})


@role_required(Role.ADMINISTRATOR)
def membership_add(request, pk):
    person = get_staff_for(request.user, pk, may=AdminAction.GIVE_ROLE)
    form = MembershipForm(request.POST or None, services=administered_services(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_membership(
                user=person,
                service=data["service"],
                role=data["role"],
                agency=data["agency"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{person.full_name}'s role in {data['service']} is saved")
            return redirect("accounts:staff_detail", pk=person.pk)
    return render(request, "accounts/membership_form.html", {"form": form, "person": person})


@role_required(Role.ADMINISTRATOR)
def membership_remove(request, pk, membership_id):
    person = get_staff_for(request.user, pk, may=AdminAction.REMOVE_ROLE)
    membership = get_object_or_404(
        Membership.objects.select_related("service"), pk=membership_id, user=person
    )
    reason = removal_refusal(request.user, membership)
    if reason:
        raise PermissionDenied(reason)
    if request.method == "POST":
        services.revoke_membership(membership=membership, actor=request.user)
        messages.success(
            request, f"{person.full_name} no longer has a role in {membership.service.name}"
        )
        return redirect("accounts:staff_detail", pk=person.pk)
    return render(
        request,
        "accounts/staff_confirm.html",
        {
            "person": person,
            "heading": f"Remove {person.full_name}'s role in {membership.service.name}?",
            "explanation": (
                f"They are {membership.get_role_display().lower()} there now. Without a role in "
                "any service they are signed out at their next page."
            ),
            "button": "Remove role",
            "warning": True,
        },
    )


ACCOUNT_ACTIONS = {
    "set-up-code": {
        "may": AdminAction.ISSUE_SET_UP_CODE,
        "heading": "Issue a set-up code for {name}?",
        "explanation": (
            "Use this when they have forgotten their password. Their password stops working "
            "now. You will see a one-time code to give them by phone or in person: with it "
            "they choose a new password themselves. The code works once and expires after 24 "
            "hours."
        ),
        "button": "Issue a set-up code",
    },
    "two-factor": {
        "may": AdminAction.RESET_TWO_FACTOR,
        "heading": "Reset {name}'s two-factor sign-in?",
        "explanation": (
            "Use this when they have lost or replaced their phone. Their authenticator app "
            "stops working now. You will see a one-time code to give them by phone or in "
            "person: with it they set a new password and add their new phone. They are told "
            "who reset it when they next sign in."
        ),
        "button": "Reset two-factor sign-in",
    },
    "close": {
        "may": AdminAction.CLOSE,
        "heading": "Close {name}'s account?",
        "explanation": (
            "Use this when someone leaves. They are signed out at their next page and cannot "
            "sign in again. The account is kept, with their name on everything they recorded."
        ),
        "button": "Close account",
    },
    "unlock": {
        "may": AdminAction.UNLOCK,
        "heading": "Unlock {name}'s sign-in?",
        "explanation": (
            "Use this when they are locked out after too many wrong passwords, and you have "
            "checked with them that it was them."
        ),
        "button": "Unlock sign-in",
    },
}


@role_required(Role.ADMINISTRATOR)
@never_cache
def account_action(request, pk, action):
    """Confirm, then do, one change to the whole account."""
    spec = ACCOUNT_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    person = get_staff_for(request.user, pk, may=spec["may"])
    if request.method == "POST":
        try:
            return _do_account_action(request, person, action)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:staff_detail", pk=person.pk)
    return render(
        request,
        "accounts/staff_confirm.html",
        {
            "person": person,
            "heading": spec["heading"].format(name=person.full_name),
            "explanation": spec["explanation"],
            "button": spec["button"],
            "warning": action in {"close", "two-factor"},
        },
    )


def _do_account_action(request, person, action):
    actor = request.user
    if action == "set-up-code":
        code = services.issue_set_up_code(
            user=person, actor=actor, purpose=SetUpCode.Purpose.PASSWORD_RESET
        )
        return _show_code(request, person, code, "Set-up code issued")
    if action == "two-factor":
        code = services.reset_two_factor(user=person, actor=actor)
        return _show_code(request, person, code, "Two-factor sign-in reset")
    if action == "close":
        services.disable_account(user=person, actor=actor)
        messages.success(request, f"{person.full_name}'s account is closed")
    else:
        services.unlock_sign_in(user=person, actor=actor)
        messages.success(request, f"{person.full_name}'s sign-in is unlocked")
    return redirect("accounts:staff_detail", pk=person.pk)


def _show_code(request, person, code: str, title: str):
    """The one time a set-up code is shown: not stored, not kept by the browser."""
    response = render(
        request, "accounts/set_up_code.html", {"person": person, "code": code, "title": title}
    )
    add_never_cache_headers(response)
    return response


@role_required(Role.ADMINISTRATOR, Role.SERVICE_MANAGER)
def account_log(request):
    """Every change to the staff accounts of their services: who, whom, what, when, where."""
    page = Paginator(
        selectors.account_log_for(request.user), selectors.ACCOUNT_LOG_PAGE_SIZE
    ).get_page(page_number(request.GET.get("page")))
    return render(request, "accounts/account_log.html", {"page": page, "events": page.object_list})


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
