import datetime

from django import forms
from django.utils import timezone

from resettle.core.forms import GovukDateField, PlainTextMixin

from .models import ActionTaken, CallerType, RiskIndicator, Urgency

TIME_HELP = "24-hour clock, for example 23:40"


class CallForm(PlainTextMixin, forms.Form):
    # Errors are listed in the order the fields appear on the page.
    field_order = [
        "participant", "presenting_issue", "urgency", "caller_type", "caller_name", "service",
        "started_date", "started_time", "ended_time", "risk_indicators", "actions_taken",
        "follow_up_required", "narrative",
    ]  # fmt: skip

    participant = forms.UUIDField(required=False, widget=forms.HiddenInput)
    service = forms.ModelChoiceField(
        queryset=None, label="Which service's line", empty_label=None,
        widget=forms.RadioSelect,
    )  # fmt: skip
    started_date = GovukDateField(label="Date the call started", not_in_future=True)
    started_time = forms.TimeField(
        label="Time the call started", help_text=TIME_HELP,
        error_messages={"required": "Enter the time the call started",
                        "invalid": "Enter the time the call started as hours and minutes, like 23:40"},
    )  # fmt: skip
    ended_time = forms.TimeField(
        label="Time the call ended",
        required=False,
        help_text=TIME_HELP + ". An evening call that ended after midnight ends the next day.",
    )
    caller_type = forms.ChoiceField(
        label="Who called", choices=CallerType.choices, widget=forms.RadioSelect
    )
    caller_name = forms.CharField(label="Caller's name", required=False, max_length=150)
    presenting_issue = forms.CharField(
        label="What the call is about", max_length=300,
        error_messages={"required": "Enter what the call is about"},
    )  # fmt: skip
    risk_indicators = forms.MultipleChoiceField(
        label="Risk indicators", choices=RiskIndicator.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    urgency = forms.ChoiceField(
        label="Your judgement of urgency", choices=Urgency.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose how urgent the call is"},
    )  # fmt: skip
    actions_taken = forms.MultipleChoiceField(
        label="What you did", choices=ActionTaken.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    follow_up_required = forms.BooleanField(
        label="The day team must follow this up", required=False
    )
    narrative = forms.CharField(
        label="What happened", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, services, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = participants
        self.fields["service"].queryset = services
        if services.count() == 1:
            self.fields["service"].widget = forms.HiddenInput()
            self.fields["service"].initial = services.first().pk
        now = timezone.localtime()
        self.fields["started_date"].initial = now.date()
        self.fields["started_time"].initial = now.strftime("%H:%M")
        self.fields["started_time"].widget.attrs.update(
            {"class": "govuk-input--width-5", "autocomplete": "off"}
        )
        self.fields["ended_time"].widget.attrs.update(
            {"class": "govuk-input--width-5", "autocomplete": "off"}
        )
        self.fields["presenting_issue"].widget.attrs["autofocus"] = True

    def clean_participant(self):
        pk = self.cleaned_data.get("participant")
        if pk is None:
            return None
        participant = self.participants.filter(pk=pk).first()
        if participant is None:
            raise forms.ValidationError("Choose the participant again from the search results")
        return participant

    def clean(self):
        cleaned = super().clean()
        day, start = cleaned.get("started_date"), cleaned.get("started_time")
        if day and start:
            started = timezone.make_aware(datetime.datetime.combine(day, start))
            cleaned["started_at"] = started
            end = cleaned.get("ended_time")
            if end is not None:
                end_day = day
                if end < start:
                    # 23:50 to 00:20 went past midnight; 14:00 to 13:00 is a typing mistake.
                    # 14:05 to 14:05 is a call of under a minute, logged to the minute.
                    if start.hour >= 18 and end.hour < 9:
                        end_day = day + datetime.timedelta(days=1)
                    else:
                        self.add_error("ended_time", "The call must end after it started")
                cleaned["ended_at"] = timezone.make_aware(datetime.datetime.combine(end_day, end))
            else:
                cleaned["ended_at"] = None
        participant, service = cleaned.get("participant"), cleaned.get("service")
        if participant and service and participant.service_id != service.pk:
            self.add_error("participant", "That participant is not in the service you chose")
        return cleaned


class SearchForm(forms.Form):
    """What the crisis-line worker types to find someone: a name, identifier or phone number."""

    q = forms.CharField(
        required=False,
        max_length=100,
        error_messages={
            "max_length": "Search with a name, identifier or phone number of 100 characters "
            "or fewer"
        },
    )

    def query(self) -> str:
        """The search to run: nothing when what was typed cannot be searched for."""
        return self.cleaned_data["q"] if self.is_valid() else ""

    def error(self) -> str:
        return self.errors["q"][0] if self.is_bound and not self.is_valid() else ""


class LinkForm(forms.Form):
    participant = forms.UUIDField(widget=forms.HiddenInput)


class AcknowledgeForm(PlainTextMixin, forms.Form):
    note = forms.CharField(
        label="What the day team is doing about it", widget=forms.Textarea(attrs={"rows": 3})
    )


class BankHolidayForm(PlainTextMixin, forms.Form):
    date = GovukDateField(label="Date")
    name = forms.CharField(label="Name", max_length=100)


class ClosureDayForm(PlainTextMixin, forms.Form):
    date = GovukDateField(label="Date", help_text="For example, 14 7 2027")
    reason = forms.CharField(
        label="Why the service is closed",
        max_length=100,
        help_text="For example, whole-team training day",
        error_messages={"required": "Enter why the service is closed"},
    )
