from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from simple_history.admin import SimpleHistoryAdmin

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

    def save_related(self, request, form, formsets, change):
        from .services import sync_user_role_groups

        super().save_related(request, form, formsets, change)
        sync_user_role_groups(form.instance)


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "region",
        "delivery_model",
        "funded_community_places",
        "funded_custody_places",
    ]
