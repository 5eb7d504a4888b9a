"""A saved value in words: the one home for what a page prints for a field's value outside its
form (the history page's before and after, a plan's versions side by side).

- a choice: its label ("move_on" reads "Move-on");
- a link to another record: that record in words (a person's name, a session's title and
  date), from objects loaded beforehand in one query per kind (`load_related`), never one a line;
- a list of choice codes (a JSON list: a model names its choices in `LIST_CHOICES`): the labels,
  comma-separated; any other list, its items in words, comma-separated;
- dates "3 December 2026", times "3 December 2026, 14:05" (London), booleans Yes or No.

A model may say how one of its fields reads with a static method `<field>_in_words(value)`, and
how a record of it reads, where linked to, with a method `in_words()` (else `str()`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

# (model, primary key) -> the record, as `load_related` returns them.
Related = Mapping[tuple[type, Any], Any]

REMOVED = "a record since removed"


def date_in_words(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"


def iso_date_in_words(value) -> str:
    """A date kept as text in a JSON value ("2026-12-03"), in words; other text as it is."""
    try:
        return date_in_words(datetime.date.fromisoformat(str(value)))
    except ValueError:
        return "" if value is None else str(value)


def datetime_in_words(value: datetime.datetime) -> str:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date_in_words(local)}, {local:%H:%M}"


def record_in_words(record) -> str:
    words = getattr(record, "in_words", None)
    return str(words() if callable(words) else record)


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _target(field) -> type:
    """The model a link points at (the tracked model, for a historical one's copy)."""
    related = field.related_model
    return getattr(related, "instance_type", related)


def related_keys(model, name: str, value) -> list[tuple[type, Any]]:
    """The records a field's value links to, as (model, primary key), to load beforehand."""
    field = _field(model, name)
    if field is None or not field.is_relation or value in (None, ""):
        return []
    if field.many_to_many:
        return [(_target(field), pk) for pk in _m2m_ids(field, value)]
    return [(_target(field), value)]


def _m2m_ids(field, value) -> list:
    """simple-history gives a many-to-many value as its through rows (dicts of ids)."""
    key = _target(field)._meta.model_name
    return [row.get(key) if isinstance(row, dict) else row for row in value or []]


def load_related(keys: Iterable[tuple[type, Any]], known: Related | None = None) -> dict:
    """The records these keys name: one query per kind of record, none for those `known`."""
    loaded: dict[tuple[type, Any], Any] = dict(known or {})
    wanted: dict[type, set] = defaultdict(set)
    for model, pk in keys:
        if pk is not None and (model, pk) not in loaded:
            wanted[model].add(pk)
    for model, pks in wanted.items():
        for pk, record in model._default_manager.in_bulk(pks).items():
            loaded[(model, pk)] = record
    return loaded


def _choice_label(choices, value) -> str | None:
    for code, label in choices:
        if isinstance(label, list | tuple):  # grouped choices
            found = _choice_label(label, value)
            if found is not None:
                return found
        elif code == value:
            return str(label)
    return None


def in_words(model, name: str, value, related: Related | None = None) -> str:
    """`value` of the field `name` of `model` (the tracked model), in words; "" for nothing."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    own = getattr(model, f"{name}_in_words", None)
    if callable(own):
        return own(value)
    field = _field(model, name)
    related = related or {}
    if isinstance(value, models.Model):
        return record_in_words(value)
    if field is not None and field.is_relation:
        if field.many_to_many:
            ids = _m2m_ids(field, value)
            return ", ".join(_linked(_target(field), pk, related) for pk in ids)
        return _linked(_target(field), value, related)
    if field is not None and field.choices:
        label = _choice_label(field.choices, value)
        if label is not None:
            return label
    if isinstance(value, list | tuple):
        choices = getattr(model, "LIST_CHOICES", {}).get(name, ())
        return ", ".join(_item(item, choices) for item in value)
    return plain_in_words(value)


def _linked(model: type, pk, related: Related) -> str:
    record = related.get((model, pk))
    return REMOVED if record is None else record_in_words(record)


def _item(item, choices) -> str:
    if choices:
        label = _choice_label(choices, item)
        if label is not None:
            return label
    if isinstance(item, dict):
        return "; ".join(plain_in_words(v) for v in item.values() if v not in (None, ""))
    return plain_in_words(item)


def plain_in_words(value) -> str:
    """A value with no field to say more about it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return datetime_in_words(value)
    if isinstance(value, datetime.date):
        return date_in_words(value)
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(plain_in_words(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {plain_in_words(v)}" for k, v in value.items())
    if isinstance(value, models.Model):
        return record_in_words(value)
    return str(value)
