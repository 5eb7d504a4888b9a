"""Nobody can upload a file to Resettle, and no request body is larger than it needs to be.

There are no upload fields today. If one is ever needed it must come with the rules in
UPLOAD_RULES below; until then any FileField, ImageField or file input fails this module.
The one file the app keeps, a report's PDF, is made by the app, never uploaded, and lives in
the private "reports" storage that has no public address.
"""

import importlib
import inspect
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.test import Client
from django.urls import reverse

from reports.models import ReportRequest
from resettle.core.validators import SHORT_TEXT
from tests.core.test_form_fuzzing import FORM_MODULES
from tests.fuzzing import changed_tables, snapshot

UPLOAD_RULES = (
    "Uploads need, before they are added: a size limit checked before the file is read, "
    "its type decided from its content (not its name or Content-Type), storage outside any "
    "public URL (like the 'reports' storage) served only through a view that checks access, "
    "and a test here. Talk to the lead first."
)
GENERATED_FILES = {"reports.ReportRequest.file"}  # made by the app, never uploaded
FILE_WIDGETS = (forms.FileInput, forms.ClearableFileInput)
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_no_model_has_a_file_field_except_the_generated_report():
    found = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)  # ImageField is a FileField
    }
    assert found == GENERATED_FILES, (
        f"File fields {sorted(found - GENERATED_FILES)}. {UPLOAD_RULES}"
    )


def test_the_generated_report_lives_in_the_private_reports_storage():
    storage = ReportRequest._meta.get_field("file").storage
    assert storage is storages["reports"]
    with pytest.raises(ValueError, match="no public address"):  # a view serves each report
        storage.url(f"reports/compliance/{ReportRequest().pk}.pdf")
    location = Path(storage.location).resolve()
    assert location == Path(settings.PRIVATE_STORAGE_ROOT).resolve()
    for public in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.MEDIA_ROOT or None):
        if public:
            assert not location.is_relative_to(Path(public).resolve()), public
    assert storage.file_permissions_mode == 0o600
    assert storage.directory_permissions_mode == 0o700


def form_classes() -> list[type]:
    found = []
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, forms.BaseForm):
                found.append(cls)
    return found


def test_no_form_has_a_file_field_or_file_input():
    offending = []
    classes = form_classes()
    assert len(classes) >= 35
    for cls in classes:
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.FileField) or isinstance(field.widget, FILE_WIDGETS):
                offending.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert not offending, f"Upload fields {offending}. {UPLOAD_RULES}"


def test_no_page_has_a_file_input_or_sends_multipart_forms():
    """Fields some forms add as they are built (pathway needs, the register) are not in
    base_fields: the templates are the last word on what a browser can send."""
    offending = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if 'type="file"' in (text := path.read_text()) or "multipart/form-data" in text
    ]
    assert not offending, f"File inputs in {offending}. {UPLOAD_RULES}"


def test_request_bodies_are_capped_at_sensible_sizes():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000


@pytest.fixture
def keyworker_client(personas):
    client = Client()
    client.force_login(personas["keyworker"])
    return client


@pytest.mark.django_db
def test_a_body_over_the_cap_gets_a_plain_400_page_and_saves_nothing(keyworker_client, participant):
    url = reverse("participants:contact_add", args=[participant.pk])
    notes = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    before = snapshot()
    response = keyworker_client.post(
        url, {"name": "Grace Okoro", "relationship": "Mother", "notes": notes}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Sorry, the page could not use what was sent" in body
    assert "nothing has been saved" in body
    assert changed_tables(before, snapshot()) == {}


@pytest.mark.django_db
def test_a_body_just_under_the_cap_is_read_as_usual(keyworker_client, participant):
    # The body is padded to just under the cap by a field the form does not keep: the request is
    # read whole and the contact saved as usual.
    url = reverse("participants:contact_add", args=[participant.pk])
    padding = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - SHORT_TEXT - 1000)
    notes = "N" * SHORT_TEXT
    response = keyworker_client.post(
        url, {"name": "Grace Okoro", "relationship": "Mother", "notes": notes, "extra": padding}
    )
    assert response.status_code == 302
    assert participant.contacts.get().notes == notes


@pytest.mark.django_db
def test_a_note_over_its_length_limit_is_refused_on_the_form(keyworker_client, participant):
    url = reverse("participants:contact_add", args=[participant.pk])
    before = snapshot()
    response = keyworker_client.post(
        url, {"name": "Grace Okoro", "relationship": "Mother", "notes": "N" * (SHORT_TEXT + 1)}
    )
    assert response.status_code == 200
    assert "govuk-error-message" in response.content.decode()
    assert changed_tables(before, snapshot()) == {}


@pytest.mark.django_db
def test_too_many_fields_or_a_multipart_upload_get_the_400_page(keyworker_client, participant):
    url = reverse("participants:contact_add", args=[participant.pk])
    many = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    assert keyworker_client.post(url, many).status_code == 400
    big_file = b"%PDF-1.7 " + b"0" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = keyworker_client.post(
        url,
        {
            "name": "Grace Okoro",
            "relationship": "Mother",
            "attachment": SimpleUploadedFile("letter.pdf", big_file, "application/pdf"),
        },
    )
    # A file sent anyway is not kept: the form has no such field, and nothing names it.
    assert response.status_code == 302
    contact = participant.contacts.get()
    assert contact.notes == ""
    assert not list(Path(settings.PRIVATE_STORAGE_ROOT).rglob("letter*.pdf"))


def test_an_anonymous_post_over_the_cap_gets_the_400_page_too(db):
    response = Client().post(
        reverse("accounts:login"),
        {"username": "a@b.example", "password": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
    )
    assert response.status_code == 400
    assert "Sorry, the page could not use what was sent" in response.content.decode()
