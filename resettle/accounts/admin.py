"""Django's admin: for the superuser kept for emergencies only.

Administrators do their work on the Staff accounts pages. The admin site lets in active
superusers alone, and even there every list, form, inline and action goes through the same
rules (`administration`) and the same services as the pages, so nothing done here escapes
them or the account log: nobody changes their own roles or second factor, an administrator
account holds no other role, and no password is ever set or seen by anyone but its owner
(a set-up code is issued instead).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from resettle.core.forms import UKPhoneField

from . import services
from .administration import (
    AdminAction,
    administered_services,
    grant_refusal,
    refusal,
    removal_refusal,
    staff_administered_by,
)
from .models import Membership, Service, SetUpCode, User
from .roles import FIXED_AGENCY


def _superusers_only(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


# The administrator role does not open the admin site: only the emergency superuser does.
admin.site.has_permission = _superusers_only


class SafeHistoryMixin:
    """simple-history's version page, but a version id that is not a number, or an object id
    that is not an id, is a 404 (Django would raise on the lookup and answer 500)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (version_id.isascii() and version_id.isdigit() and len(version_id) < 19):
            raise Http404("No such version")
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError as error:
            raise Http404("No such record") from error
        return super().history_form_view(request, object_id, version_id, extra_context)


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["service", "role", "agency"]

    def __init__(self, *args, actor=None, subject=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.subject = actor, subject
        # The tabular inline heads its columns but labels no box: each is named for axe and
        # screen readers (WCAG 1.3.1, 4.1.2), with the row it is on.
        for field in self.fields.values():
            # The admin wraps a select of services (add and change links): its attrs are
            # shared with the form class's, the wrapped select's are this form's own.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs["aria-label"] = f"{field.label} ({self.row_name})"

    @property
    def row_name(self) -> str:
        row = (self.prefix or "").rsplit("-", 1)[-1]
        return f"role {int(row) + 1}" if row.isdigit() else "new role"

    def clean(self):
        cleaned = super().clean()
        fixed = FIXED_AGENCY.get(cleaned.get("role"))
        if fixed:
            cleaned["agency"] = fixed
        service, role = cleaned.get("service"), cleaned.get("role")
        if self.subject is not None and service is not None and role and self.has_changed():
            reason = grant_refusal(self.actor, self.subject, service, role)
            if reason:
                raise forms.ValidationError(reason)
        return cleaned


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, actor=None, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "actor": self.actor, "subject": self.instance}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remove {form.row_name}"

    def clean(self):
        super().clean()
        roles = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE"):
                reason = form.instance.pk and removal_refusal(self.actor, form.instance)
                if reason:
                    raise forms.ValidationError(reason)
                continue
            if data.get("role"):
                roles.add(data["role"])
        if "administrator" in roles and len(roles) > 1:
            raise forms.ValidationError(
                "An administrator account cannot also hold any other role. Someone who is both "
                "needs two accounts."
            )


class StaffCreationForm(forms.ModelForm):
    """A new account without a password: its owner sets one with a set-up code."""

    class Meta:
        model = User
        fields = ("email", "full_name")


class StaffChangeForm(UserChangeForm):
    work_phone = UKPhoneField(label="Work phone", required=False)

    class Meta:
        model = User
        fields = ("email", "full_name", "work_phone", "is_active")


class MembershipInline(admin.TabularInline):
    """Roles are granted and removed here, by the same rules as the Staff accounts pages."""

    model = Membership
    form = MembershipInlineForm
    formset = MembershipInlineFormSet
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        actor = request.user

        class Scoped(formset):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=actor, **inner)

        return Scoped

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            kwargs["queryset"] = administered_services(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_change_roles(self, request, obj) -> bool:
        if obj is None:
            return True
        return refusal(request.user, obj, AdminAction.GIVE_ROLE) is None

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._may_change_roles(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_change_roles(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_change_roles(request, obj)


@admin.register(User)
class UserAdmin(SafeHistoryMixin, SimpleHistoryAdmin, BaseUserAdmin):
    add_form = StaffCreationForm
    form = StaffChangeForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__service", "memberships__role"]
    search_fields = ["full_name", "email"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "full_name", "work_phone")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name")}),)
    readonly_fields = ["last_login", "date_joined"]
    actions = ["disable_leavers", "issue_set_up_codes", "reset_two_factor", "unlock_sign_in"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=staff_administered_by(request.user).values("pk"))
        )

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        # Their own account: seen, not changed (roles, second factor, status).
        return refusal(request.user, obj, AdminAction.CLOSE) is None

    def has_delete_permission(self, request, obj=None):
        # Leavers are disabled, never deleted: their name stays on every record they touched.
        return False

    def user_change_password(self, request, id, form_url=""):
        # Nobody sets another person's password: "Issue a set-up code" instead.
        raise PermissionDenied("Passwords are set only by their owner, with a set-up code.")

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.is_active = True  # closed through the service, so the log has it
            super().save_model(request, obj, form, change)
            services.disable_account(user=obj, actor=request.user)
            return
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Through the services, so each change is checked and kept in the account log.
        subject = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for removed in formset.deleted_forms:
            if removed.instance.pk:
                services.revoke_membership(membership=removed.instance, actor=request.user)
        for each in formset.forms:
            if each in formset.deleted_forms or not each.has_changed():
                continue
            data = each.cleaned_data
            if not data.get("service") or not data.get("role"):
                continue
            if each.instance.pk and each.instance.service_id != data["service"].pk:
                original = Membership.objects.get(pk=each.instance.pk)
                services.revoke_membership(membership=original, actor=request.user)
            services.grant_membership(
                user=subject,
                service=data["service"],
                role=data["role"],
                agency=data.get("agency") or "",
                actor=request.user,
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_user_role_groups(form.instance)

    def _each_allowed(self, request, queryset, action: AdminAction):
        """The accounts the rules allow; a message for each refused (left unchanged)."""
        allowed = []
        for user in queryset:
            reason = refusal(request.user, user, action)
            if reason:
                self.message_user(request, f"{user}: {reason} Nothing was changed.", messages.ERROR)
            else:
                allowed.append(user)
        return allowed

    @admin.action(description="Disable (leaver)", permissions=["change"])
    def disable_leavers(self, request, queryset):
        closed = 0
        for user in self._each_allowed(request, queryset, AdminAction.CLOSE):
            if services.disable_account(user=user, actor=request.user):
                self.log_change(request, user, "Disabled (leaver)")
                closed += 1
        self.message_user(
            request,
            f"{closed} account{'s' if closed != 1 else ''} disabled. "
            "They are signed out at their next page.",
            messages.SUCCESS,
        )

    def _show_codes(self, request, issued, title):
        context = {**self.admin_site.each_context(request), "title": title, "issued": issued}
        response = TemplateResponse(request, "admin/accounts/set_up_codes.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Issue a set-up code (forgotten password)", permissions=["change"])
    def issue_set_up_codes(self, request, queryset):
        issued = []
        for user in self._each_allowed(request, queryset, AdminAction.ISSUE_SET_UP_CODE):
            code = services.issue_set_up_code(
                user=user, actor=request.user, purpose=SetUpCode.Purpose.PASSWORD_RESET
            )
            self.log_change(request, user, "Set-up code issued")
            issued.append((user, code))
        if not issued:
            return None
        return self._show_codes(request, issued, "Set-up codes issued")

    @admin.action(description="Reset two-factor sign-in", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        issued = []
        for user in self._each_allowed(request, queryset, AdminAction.RESET_TWO_FACTOR):
            code = services.reset_two_factor(user=user, actor=request.user)
            self.log_change(request, user, "Two-factor sign-in reset")
            issued.append((user, code))
        if not issued:
            return None
        return self._show_codes(request, issued, "Two-factor sign-in reset")

    @admin.action(
        description="Unlock sign-in (after too many failed attempts)", permissions=["change"]
    )
    def unlock_sign_in(self, request, queryset):
        unlocked = self._each_allowed(request, queryset, AdminAction.UNLOCK)
        for user in unlocked:
            services.unlock_sign_in(user=user, actor=request.user)
            self.log_change(request, user, "Sign-in unlocked")
        count = len(unlocked)
        self.message_user(
            request,
            f"Sign-in unlocked for {count} account{'s' if count != 1 else ''}.",
            messages.SUCCESS,
        )


@admin.register(Service)
class ServiceAdmin(SafeHistoryMixin, SimpleHistoryAdmin):
    list_display = [
        "name",
        "region",
        "delivery_model",
        "funded_community_places",
        "funded_custody_places",
    ]

    def has_delete_permission(self, request, obj=None):
        # A service's people and records keep it: it is never deleted.
        return False


# Leavers are disabled, never deleted, so there is no "delete" anywhere for staff accounts.
# django-otp's own device admin would show secrets and allow edits: the "Reset two-factor
# sign-in" action on a staff account is used instead.
def _unregister_otp_device_admin() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if admin.site.is_registered(TOTPDevice):
        admin.site.unregister(TOTPDevice)


_unregister_otp_device_admin()
