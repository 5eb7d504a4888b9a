"""Every free-text field has a maximum length fitting its use, enforced on the model and in
the form with a message that names the limit; names refuse control characters and
bidirectional overrides (issue 19, point 5: a 1 MB goal and a 1 MB addendum were stored)."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from participants.forms import GoalForm
from participants.models import Goal, Referral
from resettle.core.validators import NOTE_TEXT, SHORT_TEXT, TextLimit
from sessions.forms import AddendumForm

PROJECT_APPS = ("accounts", "core", "participants", "riskplans", "keywork", "crisisline", "reports")


def free_text_fields():
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in PROJECT_APPS or model.__name__.startswith("Historical"):
            continue
        for field in meta.concrete_fields:
            if isinstance(field, models.TextField) and not isinstance(field, models.JSONField):
                yield pytest.param(field, id=f"{meta.label}.{field.name}")


@pytest.mark.parametrize("field", list(free_text_fields()))
def test_every_free_text_field_has_a_limit_the_model_enforces(field):
    assert field.max_length, "no maximum length"
    limits = [v for v in field.validators if isinstance(v, TextLimit)]
    assert [v.limit_value for v in limits] == [field.max_length]


def test_a_megabyte_goal_is_refused_on_the_model_naming_the_limit():
    goal = Goal(in_his_words="x" * 1_000_000)
    with pytest.raises(ValidationError) as refused:
        goal.clean_fields(exclude=[f.name for f in Goal._meta.fields if f.name != "in_his_words"])
    assert f"{SHORT_TEXT:,} characters or fewer" in str(refused.value)


def test_a_megabyte_goal_is_refused_in_the_form_naming_the_limit():
    form = GoalForm(data={"in_his_words": "x" * 1_000_000, "progress": "under_way"})
    assert not form.is_valid()
    assert form.errors["in_his_words"] == [
        f"His goal, in his own words must be {SHORT_TEXT:,} characters or fewer"
    ]
    assert "maxlength" not in str(form["in_his_words"])  # pasted text is never cut silently


def test_a_megabyte_addendum_is_refused_naming_the_limit():
    form = AddendumForm(data={"text": "x" * 1_000_000})
    assert not form.is_valid()
    assert form.errors["text"] == [f"Addendum must be {NOTE_TEXT:,} characters or fewer"]
    assert AddendumForm(data={"text": "x" * NOTE_TEXT}).is_valid()


@pytest.mark.parametrize(
    "name", ["Jamal\u202elanimirc", "Jamal\x1b[31m", "Ja\x00mal", "Jamal\u2066x\u2069"]
)
def test_names_refuse_control_characters_and_bidi_overrides(name):
    referral = Referral(given_name=name, family_name="Okoro")
    with pytest.raises(ValidationError) as refused:
        referral.clean_fields(
            exclude=[f.name for f in Referral._meta.fields if f.name != "given_name"]
        )
    assert "given_name" in refused.value.message_dict


def test_names_in_other_scripts_are_fine():
    referral = Referral(given_name="جمال", family_name="O'Brien-Smith")
    referral.clean_fields(
        exclude=[
            f.name for f in Referral._meta.fields if f.name not in ("given_name", "family_name")
        ]
    )
