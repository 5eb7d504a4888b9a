from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import Membership, Service, User
from .roles import FIXED_AGENCY


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["service", "role", "agency"]

    def clean(self):
        cleaned = super().clean()
        fixed = FIXED_AGENCY.get(cleaned.get("role"))
        if fixed:
            cleaned["agency"] = fixed
        return cleaned


class StaffCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "is_active")


class MembershipInline(admin.TabularInline):
    """Roles are granted and removed here. Removing someone's last role signs them out at
    their next page; the account itself is closed with the "Disable (leaver)" action."""

    model = Membership
    form = MembershipInlineForm
    extra = 0


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    add_form = StaffCreationForm
    form = StaffChangeForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__service", "memberships__role"]
    search_fields = ["full_name", "email"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["disable_leavers", "reset_two_factor", "unlock_sign_in"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_user_role_groups(form.instance)

    def has_delete_permission(self, request, obj=None):
        # Leavers are disabled, never deleted: their name stays on every record they touched.
        return False

    @admin.action(description="Disable (leaver)", permissions=["change"])
    def disable_leavers(self, request, queryset):
        closed = 0
        for user in queryset:
            if services.disable_account(user=user, actor=request.user):
                self.log_change(request, user, "Disabled (leaver)")
                closed += 1
        self.message_user(
            request,
            f"{closed} account{'s' if closed != 1 else ''} disabled. "
            "They are signed out at their next page.",
            messages.SUCCESS,
        )

    @admin.action(description="Reset two-factor sign-in", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            services.reset_two_factor(user=user, actor=request.user)
            self.log_change(request, user, "Two-factor sign-in reset")
        count = len(queryset)
        self.message_user(
            request,
            f"Two-factor sign-in reset for {count} account{'s' if count != 1 else ''}. "
            "They set up their authenticator app again at their next sign-in.",
            messages.SUCCESS,
        )

    @admin.action(
        description="Unlock sign-in (after too many failed attempts)", permissions=["change"]
    )
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            services.unlock_sign_in(user=user, actor=request.user)
            self.log_change(request, user, "Sign-in unlocked")
        count = len(queryset)
        self.message_user(
            request,
            f"Sign-in unlocked for {count} account{'s' if count != 1 else ''}.",
            messages.SUCCESS,
        )


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "region",
        "delivery_model",
        "funded_community_places",
        "funded_custody_places",
    ]


# Leavers are disabled, never deleted, so there is no "delete" anywhere for staff accounts.
# django-otp's own device admin would show secrets and allow edits: administrators use the
# "Reset two-factor sign-in" action on a staff account instead.
def _unregister_otp_device_admin() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if admin.site.is_registered(TOTPDevice):
        admin.site.unregister(TOTPDevice)


_unregister_otp_device_admin()
