from django import forms
from django.utils import timezone

from participants.models import Pathway
from resettle.core.forms import GovukDateField, PlainTextMixin
from resettle.core.validators import BRIEF_TEXT, NOTE_TEXT, SHORT_TEXT

from .models import (
    RECORDABLE_OUTCOMES,
    AbsenceReason,
    EnforcementDecision,
    LocationKind,
    Outcome,
    RecallDecision,
    RescheduledBy,
    SessionNote,
    SessionType,
    Visibility,
)

TIME_HELP = "24-hour clock, for example 14:00"
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


# Where a session is: the prison's name is asked under "A prison", the address under "A
# community address" (GOV.UK conditional reveals), and either is kept as `location_detail`.
LOCATION_DETAIL_FIELD: dict[str, str] = {
    LocationKind.PRISON: "prison",
    LocationKind.COMMUNITY: "address",
}
LOCATION_DETAIL_MISSING = {"prison": "Enter the name of the prison", "address": "Enter the address"}


class LocationMixin:
    conditional_fields: dict[str, dict[str, tuple[str, ...]]] = {
        "location_kind": {kind: (field,) for kind, field in LOCATION_DETAIL_FIELD.items()}
    }

    @staticmethod
    def location_initial(kind: str, detail: str) -> dict[str, str]:
        field = LOCATION_DETAIL_FIELD.get(kind)
        return {field: detail} if field else {}

    def clean_location(self: forms.Form, cleaned: dict, *, required: bool) -> None:
        """Set `location_detail` from the box under the place chosen. The other box is
        ignored: with JavaScript off both are shown, and one may hold what was typed before."""
        field = LOCATION_DETAIL_FIELD.get(str(cleaned.get("location_kind", "")))
        cleaned["location_detail"] = cleaned.get(field, "") if field else ""
        if field and required and not cleaned["location_detail"]:
            self.add_error(field, LOCATION_DETAIL_MISSING[field])


class SessionForm(LocationMixin, PlainTextMixin, forms.Form):
    conditional_fields = {
        **LocationMixin.conditional_fields,
        "repeat": {"on": ("weekdays", "last_day")},
    }

    session_type = forms.ChoiceField(
        label="Type",
        choices=SessionType.choices,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    title = forms.CharField(
        label="Title", required=False, max_length=150, help_text="For example, Cooking group"
    )
    date = GovukDateField(label="Date")
    start_time = forms.TimeField(
        label="Starts at",
        help_text=TIME_HELP,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    end_time = forms.TimeField(
        label="Ends at",
        help_text=TIME_HELP,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    location_kind = forms.ChoiceField(
        label="Where", choices=LocationKind.choices, widget=forms.RadioSelect
    )
    prison = forms.CharField(label="Which prison", required=False, max_length=200)
    address = forms.CharField(label="Address", required=False, max_length=200)
    enforceable = forms.BooleanField(
        label="Attendance is a licence requirement", required=False, initial=True
    )
    participants = forms.ModelMultipleChoiceField(
        label="Who is expected", queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose participants of this service", "invalid_pk_value": "Choose participants of this service"},
    )  # fmt: skip
    staff = forms.ModelMultipleChoiceField(
        label="Staff present", queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leave blank if it is only you",
    )  # fmt: skip
    repeat = forms.BooleanField(label="Repeat every week (a series)", required=False)
    weekdays = forms.TypedMultipleChoiceField(
        label="On these days",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    last_day = GovukDateField(label="Last date of the series", required=False)

    def __init__(self, *args, participants, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = participants
        self.fields["staff"].queryset = staff
        self.fields["participants"].label_from_instance = lambda p: (
            f"{p.full_name} ({p.stage_label})"
        )
        self.fields["staff"].label_from_instance = lambda u: u.full_name

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The session must end after it starts")
        self.clean_location(cleaned, required=True)
        if cleaned.get("repeat"):
            if not cleaned.get("weekdays"):
                self.add_error("weekdays", "Choose the days of the week")
            if not cleaned.get("last_day"):
                self.add_error("last_day", "Enter the last date of the series")
        return cleaned


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", choices=RECORDABLE_OUTCOMES, widget=forms.RadioSelect
    )
    absence_reason = forms.ChoiceField(
        label="Reason the absence is acceptable", required=False,
        choices=[("", "Choose a reason"), *AbsenceReason.choices], widget=forms.Select(attrs={"class": "govuk-select"}),
    )  # fmt: skip
    rescheduled_by = forms.ChoiceField(
        label="Who asked to reschedule", required=False,
        choices=[("", "Choose"), *RescheduledBy.choices], widget=forms.Select(attrs={"class": "govuk-select"}),
    )  # fmt: skip


class CorrectionForm(PlainTextMixin, forms.Form):
    """The outcome as it should have been recorded, and why it is being corrected."""

    outcome = forms.ChoiceField(
        label="What should the outcome be?",
        choices=RECORDABLE_OUTCOMES,
        widget=forms.RadioSelect,
    )
    absence_reason = forms.ChoiceField(
        label="Reason the absence is acceptable", required=False,
        choices=AbsenceReason.choices, widget=forms.RadioSelect,
    )  # fmt: skip
    rescheduled_by = forms.ChoiceField(
        label="Who asked to reschedule", required=False,
        choices=RescheduledBy.choices, widget=forms.RadioSelect,
    )  # fmt: skip
    reason = forms.CharField(
        label="Why is the outcome being corrected?",
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, he was marked absent by mistake: he signed in at 10:05",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["required"] = "Choose what the outcome should be"
        self.fields["reason"].error_messages["required"] = "Give the reason for the correction"

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome == Outcome.ACCEPTABLE_ABSENCE and not cleaned.get("absence_reason"):
            self.add_error("absence_reason", "Give the reason the absence is acceptable")
        if outcome == Outcome.RESCHEDULED and not cleaned.get("rescheduled_by"):
            self.add_error("rescheduled_by", "Say who asked for the session to be moved")
        return cleaned


class RegisterForm(forms.Form):
    """The whole group's outcomes on one form: a row per man expected."""

    def __init__(self, *args, attendances, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for attendance in attendances:
            prefix = f"a{attendance.pk}"
            self.fields[f"{prefix}_outcome"] = forms.ChoiceField(
                label=f"Outcome for {attendance.participant.full_name}", required=False,
                choices=[("", "Not recorded yet"), *RECORDABLE_OUTCOMES],
                widget=forms.Select(attrs={"class": "govuk-select"}),
                initial=attendance.outcome,
            )  # fmt: skip
            self.fields[f"{prefix}_reason"] = forms.ChoiceField(
                label=f"Reason (acceptable absence) for {attendance.participant.full_name}", required=False,
                choices=[("", "No reason"), *AbsenceReason.choices],
                widget=forms.Select(attrs={"class": "govuk-select"}), initial=attendance.absence_reason,
            )  # fmt: skip
            self.fields[f"{prefix}_rescheduled"] = forms.ChoiceField(
                label=f"Who asked to reschedule, for {attendance.participant.full_name}", required=False,
                choices=[("", "Not rescheduled"), *RescheduledBy.choices],
                widget=forms.Select(attrs={"class": "govuk-select"}), initial=attendance.rescheduled_by,
            )  # fmt: skip
            self.rows.append((attendance, prefix))

    def bound_rows(self):
        return [
            {
                "attendance": a,
                "outcome": self[f"{p}_outcome"],
                "reason": self[f"{p}_reason"],
                "rescheduled": self[f"{p}_rescheduled"],
            }
            for a, p in self.rows
        ]

    def clean(self):
        """Each man's row checked on its own, so an error names him and links to his field
        (the services check the same again, but their errors know no row)."""
        cleaned = super().clean()
        for attendance, prefix in self.rows:
            if attendance.outcome:
                continue
            name = attendance.participant.full_name
            outcome = cleaned.get(f"{prefix}_outcome", "")
            if outcome == Outcome.ACCEPTABLE_ABSENCE and not cleaned.get(f"{prefix}_reason"):
                self.add_error(
                    f"{prefix}_reason", f"Give the reason {name}'s absence is acceptable"
                )
            if outcome == Outcome.RESCHEDULED and not cleaned.get(f"{prefix}_rescheduled"):
                self.add_error(
                    f"{prefix}_rescheduled", f"Say who asked for {name}'s session to be moved"
                )
        return cleaned

    def outcomes(self) -> dict[int, tuple[str, str, str]]:
        """New outcomes only: men already recorded keep theirs."""
        result = {}
        for attendance, prefix in self.rows:
            if attendance.outcome:
                continue
            outcome = self.cleaned_data.get(f"{prefix}_outcome", "")
            if outcome:
                result[attendance.pk] = (
                    outcome,
                    self.cleaned_data.get(f"{prefix}_reason", ""),
                    self.cleaned_data.get(f"{prefix}_rescheduled", ""),
                )
        return result


class NoteForm(PlainTextMixin, forms.ModelForm):
    pathways = forms.MultipleChoiceField(
        label="Resettlement pathways worked on", choices=Pathway.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = SessionNote
        fields = [
            "summary",
            "narrative",
            "pathways",
            "risk_concern",
            "visibility",
            "risk_concern_shared",
        ]
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 6}),
            "risk_concern": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
            "risk_concern_shared": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"risk_concern_shared": "What the offender manager needs to know"}
        help_texts = {
            "visibility": "Health-only notes are read by NHS staff; probation-only by probation staff. Others see that a restricted note exists.",
            "risk_concern": "Raising a concern alerts his offender manager",
            "risk_concern_shared": (
                f"Needed when the note has a risk concern and is not shared with probation: "
                f"his offender manager cannot read the concern itself. Everyone in his team can "
                f"read this. {BRIEF_TEXT} characters or fewer"
            ),
        }

    def __init__(self, *args, agency: str | None, **kwargs):
        """`agency`: the writer's in the note's service. They are offered only the
        visibilities that let them read their own note."""
        super().__init__(*args, **kwargs)
        allowed = Visibility.open_to(agency)
        self.fields["visibility"].choices = [
            (value, label) for value, label in Visibility.choices if value in allowed
        ]
        self.fields["visibility"].error_messages["invalid_choice"] = (
            "Choose who can read the note: you cannot give it a visibility that leaves you out"
        )

    def clean(self):
        cleaned = super().clean()
        note = SessionNote(
            risk_concern=cleaned.get("risk_concern", ""),
            visibility=cleaned.get("visibility", Visibility.SHARED),
        )
        if note.concern_hidden_from_om and not cleaned.get("risk_concern_shared", "").strip():
            self.add_error(
                "risk_concern_shared",
                "Say what the offender manager needs to know: this note is not shared with "
                "probation, so he cannot read the risk concern itself",
            )
        return cleaned


class AddendumForm(PlainTextMixin, forms.Form):
    text = forms.CharField(
        label="Addendum", max_length=NOTE_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )


class EnforcementForm(PlainTextMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            (code, EnforcementDecision.Decision(code).label) for code in EnforcementDecision.CHOSEN
        ],
        widget=forms.RadioSelect,
    )
    decided_on = GovukDateField(label="Date of the decision", not_in_future=True)
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed for no further action",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()


class RecallDecisionForm(PlainTextMixin, forms.Form):
    why = forms.ChoiceField(
        label="Why recall is being considered",
        choices=RecallDecision.Why.choices,
        widget=forms.RadioSelect,
    )
    alternatives_tried = forms.MultipleChoiceField(
        label="Alternatives tried", choices=RecallDecision.Alternative.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    senior_manager_rationale = forms.CharField(
        label="Senior manager's rationale", widget=forms.Textarea(attrs={"rows": 5})
    )
    outcome = forms.ChoiceField(
        label="Decision", choices=RecallDecision.Outcome.choices, widget=forms.RadioSelect
    )
    decided_on = GovukDateField(label="Date of the decision", not_in_future=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()


class SessionChangeForm(LocationMixin, PlainTextMixin, forms.Form):
    """Change one session (one of a series changes alone)."""

    date = GovukDateField(label="Date")
    start_time = forms.TimeField(
        label="Starts at",
        help_text=TIME_HELP,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    end_time = forms.TimeField(
        label="Ends at",
        help_text=TIME_HELP,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    location_kind = forms.ChoiceField(
        label="Where", choices=LocationKind.choices, widget=forms.RadioSelect
    )
    prison = forms.CharField(label="Which prison", required=False, max_length=200)
    address = forms.CharField(label="Address", required=False, max_length=200)
    enforceable = forms.BooleanField(label="Attendance is a licence requirement", required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The session must end after it starts")
        # Unchanged in meaning: a change may leave the place's details blank.
        self.clean_location(cleaned, required=False)
        return cleaned


class PolicyForm(forms.Form):
    warning_threshold = forms.IntegerField(
        label="Unacceptable absences before a warning is considered", min_value=1, max_value=10
    )
    recall_review_threshold = forms.IntegerField(
        label="Unacceptable absences before recall is reviewed", min_value=1, max_value=20
    )
    window_months = forms.IntegerField(label="Rolling window in months", min_value=1, max_value=36)

    def clean(self):
        cleaned = super().clean()
        warning, recall = cleaned.get("warning_threshold"), cleaned.get("recall_review_threshold")
        if warning and recall and recall < warning:
            self.add_error(
                "recall_review_threshold", "The recall review must come at or after the warning"
            )
        return cleaned
