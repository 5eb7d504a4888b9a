from django import forms
from django.contrib.auth.forms import AuthenticationForm

from resettle.core.forms import PlainTextMixin, UKPhoneField
from resettle.core.validators import plain_text

from .roles import FIXED_AGENCY, Agency, Role


class SignInForm(AuthenticationForm):
    """Sign in with a work email address and password."""

    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": (
            "The email address or password is not right. Check them and try again. "
            "Passwords are case-sensitive."
        ),
        "inactive": "This account has been closed. Ask your administrator.",
    }


class TwoFactorCodeForm(forms.Form):
    """The 6-digit code an authenticator app shows. Spaces are ignored ("123 456")."""

    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code, for example 123456",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit()) or len(code) != 6:
            raise forms.ValidationError("The code must be 6 digits, like 123456", code="format")
        return code


class MembershipForm(forms.Form):
    """A role in one of the services the administrator administers."""

    service = forms.ModelChoiceField(
        label="Service",
        queryset=None,
        empty_label=None,
        error_messages={
            "required": "Select the service",
            "invalid_choice": "Select a service you administer",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the role", "invalid_choice": "Select a role"},
    )
    agency = forms.ChoiceField(
        label="Agency they work for",
        help_text="Offender managers work for probation; keyworkers and psychologists for the NHS",
        choices=Agency.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select probation or NHS"},
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        fixed = FIXED_AGENCY.get(role)
        if fixed:
            cleaned["agency"] = fixed
        elif role and not cleaned.get("agency"):
            self.add_error("agency", "Select the agency they work for")
        return cleaned


class StaffAccountForm(PlainTextMixin, MembershipForm):
    """A new staff account: who they are, and their first role."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        validators=[plain_text],
        error_messages={
            "required": "Enter their full name",
            "max_length": "Full name must be 150 characters or fewer",
        },
    )
    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        error_messages={
            "required": "Enter their work email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
            "max_length": "Email address must be 254 characters or fewer",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    work_phone = UKPhoneField(
        label="Work phone (optional)",
        required=False,
        help_text="The crisis line calls this number about the men in their team",
    )
    field_order = ["full_name", "email", "work_phone", "service", "role", "agency"]


class WorkPhoneForm(forms.Form):
    """The number the team and the crisis line reach a member of staff on at work."""

    work_phone = UKPhoneField(
        label="Work phone",
        required=False,
        help_text=(
            "For example 0151 496 0000 or 07700 900 982. Leave it empty if they have no work phone"
        ),
    )


class SetUpForm(forms.Form):
    """Set your own password with the one-time set-up code your administrator gave you."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your work email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    code = forms.CharField(
        label="Set-up code",
        help_text="The 12 letters and numbers your administrator gave you, for example ABCD-EFGH-JKMN",
        max_length=20,
        error_messages={
            "required": "Enter the set-up code your administrator gave you",
            "max_length": "The set-up code is 12 letters and numbers, like ABCD-EFGH-JKMN",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-20"}
        ),
    )
    new_password1 = forms.CharField(
        label="New password",
        help_text="At least 12 characters. A few unrelated words together are easy to remember",
        strip=False,
        max_length=128,
        error_messages={
            "required": "Enter a new password",
            "max_length": "Password must be 128 characters or fewer",
        },
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Confirm new password",
        strip=False,
        max_length=128,
        error_messages={"required": "Enter the new password again"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The passwords do not match")
        return cleaned
