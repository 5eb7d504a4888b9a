from django import forms

from resettle.core.forms import GovukDateField, PlainTextMixin

from .models import Formulation, Level, Pillar, RiskAssessment


class AssessmentForm(PlainTextMixin, forms.ModelForm):
    assessed_on = GovukDateField(label="Date of the assessment", not_in_future=True)

    class Meta:
        model = RiskAssessment
        fields = [
            "assessed_on",
            "source_reference",
            "rosh_public",
            "rosh_known_adult",
            "rosh_children",
            "rosh_staff",
            "rosh_prisoners",
            "risk_to_self",
            "reoffending",
            "mappa_category",
            "mappa_level",
            "risk_factors",
            "protective_factors",
            "warning_signs",
            "imminence",
        ]
        widgets = {
            **dict.fromkeys(
                (
                    "rosh_public",
                    "rosh_known_adult",
                    "rosh_children",
                    "rosh_staff",
                    "rosh_prisoners",
                    "risk_to_self",
                    "reoffending",
                ),
                forms.RadioSelect,
            ),
            "mappa_category": forms.Select(attrs={"class": "govuk-select"}),
            "mappa_level": forms.Select(attrs={"class": "govuk-select"}),
            "risk_factors": forms.Textarea(attrs={"rows": 4}),
            "protective_factors": forms.Textarea(attrs={"rows": 4}),
            "warning_signs": forms.Textarea(attrs={"rows": 4}),
            "imminence": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for _name, field in self.fields.items():
            if isinstance(field.widget, forms.RadioSelect):
                field.choices = list(Level.choices)
        self.fields["mappa_category"].choices = list(RiskAssessment.MappaCategory.choices)
        self.fields["mappa_level"].choices = list(RiskAssessment.MappaLevel.choices)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("mappa_category")) != bool(cleaned.get("mappa_level")):
            self.add_error(
                "mappa_level",
                "Give both the MAPPA category and level, or neither if not MAPPA-managed",
            )
        return cleaned


class PlanForm(PlainTextMixin, forms.Form):
    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    expected_days_per_week = forms.TypedChoiceField(
        label="Expected attendance",
        choices=[(n, f"{n} day{'s' if n > 1 else ''} a week") for n in range(1, 5)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Attendance is a licence condition: this sets what counts as compliance",
    )
    contingency_plan = forms.CharField(
        label="Contingency plan",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What to do when the warning signs appear, including out of hours. "
        "The crisis line reads this.",
    )


class ActionForm(PlainTextMixin, forms.Form):
    pillar = forms.ChoiceField(
        label="Pillar",
        choices=[("", "Choose a pillar"), *Pillar.choices],
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    action = forms.CharField(label="Action", max_length=500)
    owner = forms.CharField(label="Who does it", max_length=150)
    due = forms.CharField(
        label="By when", max_length=100, help_text="For example, weekly or by 30 June 2026"
    )


class BaseActionFormSet(forms.BaseFormSet):
    def actions(self) -> list[dict]:
        """Rows kept: every pre-filled row not marked for removal, and extra rows filled in."""
        rows = []
        for index, form in enumerate(self.forms):
            if self.can_delete and self._should_delete_form(form):
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            rows.append({k: form.cleaned_data[k] for k in ("pillar", "action", "owner", "due")})
        return rows


# absolute_max: a post claiming a million rows builds (and shows) at most 60, not 1,060.
ActionFormSet = forms.formset_factory(
    ActionForm,
    formset=BaseActionFormSet,
    extra=2,
    can_delete=True,
    max_num=60,
    validate_max=True,
    absolute_max=60,
)


class DecisionForm(PlainTextMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve the plan"), ("return", "Return it with comments")],
        widget=forms.RadioSelect,
    )
    review_due_on = GovukDateField(
        label="Review date",
        required=False,
        not_in_past=True,
        help_text="Leave blank for the usual three months",
    )
    comment = forms.CharField(
        label="Comments", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you return the plan",
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what needs to change before returning the plan")
        return cleaned


class FormulationForm(PlainTextMixin, forms.ModelForm):
    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    shared_with_him_on = GovukDateField(
        label="Date shared with him", required=False, not_in_future=True
    )

    class Meta:
        model = Formulation
        fields = [
            "presenting_problems",
            "reciprocal_roles",
            "target_problem_procedures",
            "exits",
            "presenting",
            "predisposing",
            "precipitating",
            "perpetuating",
            "protective",
            "his_account",
            "shared_with_him_on",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields[:-1]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lock_version"].initial = self.instance.lock_version
        for name in self.Meta.fields[:-1]:
            self.fields[name].required = False

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
