import datetime

from django import forms
from django.utils import timezone

from resettle.core.forms import GovukDateField
from riskplans.services import add_months

from .quarters import Quarter, completed_quarters


class ComplianceReportForm(forms.Form):
    participant = forms.ModelChoiceField(
        label="Who is the report about",
        queryset=None,
        empty_label="Choose a man on your caseload",
        error_messages={
            "required": "Choose who the report is about",
            "invalid_choice": "Choose a man whose offender manager you are",
        },
    )
    start = GovukDateField(label="Start date", not_in_future=True)
    end = GovukDateField(
        label="End date", not_in_future=True, help_text="Today or earlier, for example 27 3 2026"
    )

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants
        self.fields["participant"].label_from_instance = lambda p: (
            f"{p.full_name} ({p.prison_number or p.crn or 'no prison number'})"
        )
        today = timezone.localdate()
        self.fields["end"].initial = today
        self.fields["start"].initial = add_months(today, -3)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        return cleaned


def quarter_choices() -> list[tuple[str, str]]:
    return [(q.key, q.label) for q in completed_quarters(timezone.localdate())]


class QuarterField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            label="Quarter",
            choices=quarter_choices,
            coerce=lambda key: Quarter.starting(datetime.date.fromisoformat(key)),
            widget=forms.RadioSelect,
            error_messages={
                "required": "Choose a quarter",
                "invalid_choice": "Choose one of the quarters that have ended",
            },
            **kwargs,
        )


class CommissionerReportForm(forms.Form):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": "Choose a service you manage"},
    )
    quarter = QuarterField()

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        if len(services) == 1:
            self.fields["service"].widget = forms.HiddenInput()
            self.fields["service"].initial = services[0].pk


class NationalRollupForm(forms.Form):
    quarter = QuarterField()


class ApprovalForm(forms.Form):
    confirmed = forms.BooleanField(
        label="I have read this draft and its figures are right to share with commissioners",
        error_messages={"required": "Confirm that you have read the draft before approving it"},
    )
