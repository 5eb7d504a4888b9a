"""Forms validate and normalise what staff type; services make the changes."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from resettle.accounts.roles import Role
from resettle.core.forms import GovukDateField, PlainTextMixin

from . import identifiers
from .models import (
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    Pathway,
    PathwayNeed,
    Referral,
    ReleasePlan,
    StageChange,
)


class IdentifierFieldsMixin:
    """Normalises and checks the national identifiers wherever they are typed."""

    identifier_checks = {
        "prison_number": identifiers.validate_prison_number,
        "crn": identifiers.validate_crn,
        "pnc_number": identifiers.validate_pnc_number,
        "nhs_number": identifiers.validate_nhs_number,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # People type spaces ("A1234 BC"): the length is checked after normalising.
        for name in self.identifier_checks:
            if name in self.fields:
                field = self.fields[name]
                field.validators = [
                    v for v in field.validators if not isinstance(v, MaxLengthValidator)
                ]
                field.widget.attrs["maxlength"] = "20"
                field.widget.attrs["spellcheck"] = "false"

    def _clean_identifier(self, name: str) -> str:
        value = identifiers.normalise(self.cleaned_data.get(name))
        if value:
            self.identifier_checks[name](value)
        return value

    def clean_prison_number(self):
        return self._clean_identifier("prison_number")

    def clean_crn(self):
        return self._clean_identifier("crn")

    def clean_pnc_number(self):
        return self._clean_identifier("pnc_number")

    def clean_nhs_number(self):
        return self._clean_identifier("nhs_number")


IDENTIFIER_HELP = {
    "prison_number": "For example, A1234BC",
    "crn": "Probation case reference number, for example X123456",
    "pnc_number": "Police National Computer ID, for example 2012/0052494X",
    "nhs_number": "10 digits, for example 943 476 5919",
}


class ReferralForm(PlainTextMixin, IdentifierFieldsMixin, forms.ModelForm):
    received_on = GovukDateField(label="Date received", not_in_future=True)
    date_of_birth = GovukDateField(label="Date of birth", not_in_future=True)
    expected_release_date = GovukDateField(label="Expected release date", required=False)

    class Meta:
        model = Referral
        fields = [
            "service",
            "received_on",
            "source",
            "given_name",
            "family_name",
            "date_of_birth",
            "prison_number",
            "crn",
            "pnc_number",
            "nhs_number",
            "current_prison",
            "expected_release_date",
            "sentence_type",
            "sentence_length_months",
            "index_offence",
            "screened_into_opd",
        ]
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "sentence_length_months": "Sentence length in months",
            "index_offence": "Index offence category",
            "screened_into_opd": "Screened into the OPD pathway",
        }
        help_texts = {
            **IDENTIFIER_HELP,
            "sentence_length_months": "For a determinate sentence only",
        }
        widgets = {
            "source": forms.RadioSelect,
            "sentence_type": forms.RadioSelect,
        }

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["service"].empty_label = None
        if len(services) == 1:
            self.fields["service"].widget = forms.HiddenInput()
            self.fields["service"].initial = services.first().pk
        for name in ("source", "sentence_type"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        self.fields["prison_number"].required = True

    def clean(self):
        cleaned = super().clean()
        sentence = cleaned.get("sentence_type")
        length = cleaned.get("sentence_length_months")
        if sentence == Referral.SentenceType.DETERMINATE and not length:
            self.add_error("sentence_length_months", "Enter the length of the determinate sentence")
        if sentence and sentence != Referral.SentenceType.DETERMINATE:
            cleaned["sentence_length_months"] = None
        born = cleaned.get("date_of_birth")
        received = cleaned.get("received_on")
        if born and received and (received.year - born.year) < 18:
            self.add_error("date_of_birth", "The service works with men aged 18 and over")
        return cleaned


class DecisionForm(PlainTextMixin, forms.Form):
    decided_on = GovukDateField(label="Date of the decision", not_in_future=True)
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()


class DeclineForm(DecisionForm):
    category = forms.ChoiceField(
        label="Main reason for declining",
        help_text="Counted in the commissioner report; the reason below stays in the record",
        choices=Referral.DeclineCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the main reason for declining"},
    )
    field_order = ["decided_on", "category", "reason"]


class AcceptForm(forms.Form):
    decided_on = GovukDateField(label="Date accepted", not_in_future=True)
    offer = forms.ChoiceField(
        label="What happens next",
        choices=[
            ("in_reach", "Offer an in-reach place now"),
            ("waiting", "Put him on the waiting list"),
        ],
        initial="in_reach",
        widget=forms.RadioSelect,
        help_text="If no custody place is free he goes on the waiting list either way",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()


class ParticipantDetailsForm(PlainTextMixin, IdentifierFieldsMixin, forms.ModelForm):
    date_of_birth = GovukDateField(label="Date of birth", not_in_future=True)
    expected_release_date = GovukDateField(
        label="Expected release date",
        required=False,
        help_text="While he is in custody: the date he is due out. For example, 27 3 2027",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Participant
        fields = [
            "given_name",
            "family_name",
            "preferred_name",
            "date_of_birth",
            "prison_number",
            "crn",
            "pnc_number",
            "nhs_number",
            "phone",
            "gp_practice",
            "current_accommodation",
            "prison",
            "expected_release_date",
        ]
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "prison": "Prison he is held in",
        }
        help_texts = {**IDENTIFIER_HELP, "preferred_name": "What he likes to be called"}
        error_messages = {
            "prison_number": {"unique": "This prison number belongs to someone else"},
            "crn": {"unique": "This CRN belongs to someone else"},
            "pnc_number": {"unique": "This PNC number belongs to someone else"},
            "nhs_number": {"unique": "This NHS number belongs to someone else"},
        }
        widgets = {"current_accommodation": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ContactForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "relationship", "phone", "is_next_of_kin", "notes"]
        help_texts = {"relationship": "For example, mother, partner, housing officer, GP"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class GoalForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["in_his_words", "progress", "progress_note"]
        labels = {"in_his_words": "His goal, in his own words", "progress_note": "How it is going"}
        widgets = {
            "in_his_words": forms.Textarea(attrs={"rows": 3}),
            "progress": forms.RadioSelect,
            "progress_note": forms.Textarea(attrs={"rows": 3}),
        }


class StageChangeForm(PlainTextMixin, forms.Form):
    effective_on = GovukDateField(label="Date", not_in_future=True)
    recall_type = forms.ChoiceField(
        label="Type of recall", choices=StageChange.RecallType.choices, widget=forms.RadioSelect
    )
    ending = forms.ChoiceField(
        label="Why his time with the service ended",
        choices=StageChange.Ending.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason or notes", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != StageChange.Kind.RECALLED:
            del self.fields["recall_type"]
        else:
            self.fields["reason"].label = "Reason for the recall"
            self.fields["reason"].required = True
        if kind != StageChange.Kind.ENDED:
            del self.fields["ending"]
        labels = {
            StageChange.Kind.RELEASED: "Date of release",
            StageChange.Kind.RE_RELEASED: "Date of re-release",
            StageChange.Kind.RECALLED: "Date of recall",
            StageChange.Kind.MOVED_ON: "Date of move-on",
            StageChange.Kind.ENDED: "Date his time with the service ended",
            StageChange.Kind.OFFERED_PLACE: "Date the place was offered",
        }
        self.fields["effective_on"].label = labels[kind]
        self.fields["effective_on"].initial = timezone.localdate()


class ReleasePlanForm(PlainTextMixin, forms.ModelForm):
    planned_release_date = GovukDateField(label="Planned release date", required=False)

    class Meta:
        model = ReleasePlan
        fields = [
            "planned_release_date",
            "collected_by",
            "collection_done",
            "first_night",
            "first_night_done",
            "benefits",
            "benefits_done",
            "gp",
            "gp_done",
            "first_appointments",
            "first_appointments_done",
        ]
        help_texts = {
            "collected_by": "Who will meet him at the prison gate, and when",
            "first_night": "Address or approved premises",
            "first_appointments": "Probation, the service, GP, housing: dates and times",
        }
        widgets = {"first_appointments": forms.Textarea(attrs={"rows": 3})}


class LicenceForm(forms.ModelForm):
    starts_on = GovukDateField(label="Licence start date")
    ends_on = GovukDateField(label="Licence expiry date (LED)")
    sentence_expiry_on = GovukDateField(label="Sentence expiry date (SED)", required=False)

    class Meta:
        model = Licence
        fields = ["starts_on", "ends_on", "sentence_expiry_on", "standard_conditions"]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends <= starts:
            self.add_error("ends_on", "The licence expiry date must be after the start date")
        expiry = cleaned.get("sentence_expiry_on")
        if starts and expiry and expiry < starts:
            self.add_error("sentence_expiry_on", "The sentence expiry date must be after the start")
        return cleaned


class LicenceConditionForm(PlainTextMixin, forms.ModelForm):
    starts_on = GovukDateField(label="Start date")
    ends_on = GovukDateField(label="End date", required=False)

    class Meta:
        model = LicenceCondition
        fields = ["category", "text", "starts_on", "ends_on"]
        widgets = {"category": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [c for c in self.fields["category"].choices if c[0]]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The end date must be on or after the start date")
        return cleaned


# Each role of his team as the allocation form asks for it: label, hint, empty choice.
TEAM_FIELDS = {
    Role.OFFENDER_MANAGER: (
        "Offender manager",
        "Probation: reviews his risk plans, watches his licence and decides on recall",
        "Choose an offender manager",
    ),
    Role.HEALTH_KEYWORKER: (
        "Health keyworker",
        "NHS: meets him for key-work sessions and works on his resettlement needs",
        "Choose a health keyworker",
    ),
    Role.PSYCHOLOGIST: (
        "Clinical psychologist",
        "NHS: leads his formulation with him and the team",
        "Choose a clinical psychologist",
    ),
}


class TeamAllocationForm(forms.Form):
    """His whole team on one page: a select per role, listing only the staff of his service
    who hold that role and are not excluded from his record. A role already allocated stays
    required (his team is changed, never emptied, here)."""

    def __init__(self, *args, candidates: dict, holders: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.holders = holders
        for role, (label, hint, empty) in TEAM_FIELDS.items():
            holder = holders.get(role)
            field = forms.ModelChoiceField(
                queryset=candidates[role],
                required=holder is not None,
                label=label,
                help_text=hint,
                empty_label=empty,
                initial=holder.pk if holder is not None else None,
            )
            what = label[0].lower() + label[1:]
            field.error_messages["required"] = (
                f"Choose his {what}: a role once allocated cannot be left empty"
            )
            field.error_messages["invalid_choice"] = (
                f"Choose his {what} from the list: only {what}s of his service who are not "
                "excluded from his record can be allocated"
            )
            self.fields[role] = field
        self.fields["started_on"] = GovukDateField(
            label="Date the changes start",
            help_text="For example, 27 3 2026. Roles you leave as they are keep their date",
            not_in_future=True,
            initial=timezone.localdate(),
        )

    def team(self) -> dict:
        """The person chosen for each role (None where none was chosen)."""
        return {role: self.cleaned_data.get(role) for role in TEAM_FIELDS}

    def changed_roles(self) -> list[str]:
        return [
            role
            for role, staff in self.team().items()
            if staff is not None and staff != self.holders.get(role)
        ]


class PathwayNeedsForm(PlainTextMixin, forms.Form):
    """All eight resettlement pathways on one page: a level and notes for each."""

    def __init__(self, *args, needs: dict[str, PathwayNeed], **kwargs):
        super().__init__(*args, **kwargs)
        for pathway in Pathway:
            need = needs.get(pathway.value)
            self.fields[f"{pathway.value}_level"] = forms.ChoiceField(
                label=pathway.label,
                choices=PathwayNeed.Level.choices,
                widget=forms.RadioSelect,
                initial=need.level if need else PathwayNeed.Level.NONE,
            )
            self.fields[f"{pathway.value}_notes"] = forms.CharField(
                label=f"{pathway.label}: notes",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=need.notes if need else "",
            )

    def needs(self) -> list[tuple[str, str, str]]:
        return [
            (p.value, self.cleaned_data[f"{p.value}_level"], self.cleaned_data[f"{p.value}_notes"])
            for p in Pathway
        ]


class OutcomeSnapshotForm(PlainTextMixin, forms.ModelForm):
    taken_on = GovukDateField(label="Date", not_in_future=True)

    class Meta:
        model = OutcomeSnapshot
        fields = ["point", "taken_on", "accommodation", "occupation", "notes"]
        widgets = {
            "point": forms.RadioSelect,
            "accommodation": forms.RadioSelect,
            "occupation": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("point", "accommodation", "occupation"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        self.fields["taken_on"].initial = timezone.localdate()


class CaseloadFilterForm(forms.Form):
    q = forms.CharField(label="Name or identifier", required=False)
    stage = forms.ChoiceField(
        required=False, label="Stage", widget=forms.Select(attrs={"class": "govuk-select"})
    )
    keyworker = forms.ChoiceField(
        required=False, label="Allocated to", widget=forms.Select(attrs={"class": "govuk-select"})
    )
    risk = forms.ChoiceField(
        required=False,
        label="Highest RoSH",
        choices=[
            ("", "Any"),
            ("low", "Low"),
            ("medium", "Medium"),
            ("high", "High"),
            ("very_high", "Very high"),
        ],
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    review_overdue = forms.BooleanField(required=False, label="Plan review overdue")
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Stage
        from .selectors import RECALLED

        stages = list(Stage.choices)
        after_in_reach = stages.index((Stage.IN_REACH, Stage.IN_REACH.label)) + 1
        stages.insert(after_in_reach, (RECALLED, "Recalled (back in custody)"))
        self.fields["stage"].choices = [("", "All current stages"), *stages]
        self.fields["keyworker"].choices = [("", "Anyone")] + [
            (str(person.pk), person.full_name) for person in staff
        ]


class ExclusionForm(PlainTextMixin, forms.Form):
    staff = forms.ModelChoiceField(
        label="Member of staff to exclude",
        queryset=None,
        empty_label="Choose someone",
        error_messages={
            "required": "Choose who to exclude",
            "invalid_choice": "Choose someone who works in his service and is not in his team",
        },
    )
    reason = forms.CharField(
        label="Why they must not see his record",
        help_text="For example: knows him or his family personally. Only service managers see this.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why they are excluded"},
        validators=[MaxLengthValidator(1000)],
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff


class TemporaryAccessForm(PlainTextMixin, forms.Form):
    HOURS = [(4, "4 hours"), (12, "12 hours"), (24, "24 hours"), (72, "3 days")]

    reason = forms.CharField(
        label="Why do you need access to his record?",
        help_text="For example: covering Aisha Rahman's caseload while she is on leave. "
        "Your service manager sees this.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why you need access"},
        validators=[MaxLengthValidator(1000)],
    )
    hours = forms.TypedChoiceField(
        label="For how long",
        choices=HOURS,
        coerce=int,
        initial=24,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long you need access for"},
    )


# --- Retention ------------------------------------------------------------------------------

KEPT_REASON_HINT = (
    "This reason is kept with the decision, even if the record is deleted later: do not write "
    "his name or any identifier."
)


class RetentionDecisionForm(PlainTextMixin, forms.Form):
    """Keep the record for now (reason and next review date) or delete it (reason).

    Each choice reveals its own fields; without JavaScript all are shown and only the chosen
    choice's fields are read.
    """

    decision = forms.ChoiceField(
        label="What do you want to do with this record?",
        choices=[("keep", "Keep for now"), ("delete", "Delete the record")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to keep the record or delete it"},
    )
    keep_reason = forms.CharField(
        label="Why keep it?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=KEPT_REASON_HINT,
    )
    next_review_on = GovukDateField(
        label="Next review date",
        required=False,
        help_text="He leaves the review list until this date. Usually a year from now, "
        "and at most 5 years.",
    )
    delete_reason = forms.CharField(
        label="Why delete it?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=KEPT_REASON_HINT,
    )

    def __init__(self, *args, may_delete: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_delete = may_delete
        if not may_delete:
            self.fields["decision"].choices = [("keep", "Keep for now")]
            self.fields["decision"].error_messages["invalid_choice"] = (
                "This record must be kept: it cannot be deleted while something holds it"
            )

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "keep":
            if not (cleaned.get("keep_reason") or "").strip():
                self.add_error("keep_reason", "Give the reason for keeping the record")
            if cleaned.get("next_review_on") is None and "next_review_on" not in self.errors:
                self.add_error("next_review_on", "Enter the date of the next review")
        elif decision == "delete" and not (cleaned.get("delete_reason") or "").strip():
            self.add_error("delete_reason", "Give the reason for deleting the record")
        return cleaned


class RetentionDeleteForm(PlainTextMixin, forms.Form):
    """The confirmation step before a record is deleted for good."""

    reason = forms.CharField(
        label="Why delete it?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=KEPT_REASON_HINT,
        error_messages={"required": "Give the reason for deleting the record"},
    )
    confirm = forms.BooleanField(
        label="I understand that this record and its history will be deleted for good, "
        "and cannot be brought back",
        error_messages={
            "required": "Confirm that you understand the record cannot be brought back"
        },
    )
