"""The record's change history: every saved version of his details and related records."""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

from resettle import access
from resettle.accounts.models import User
from resettle.core.words import in_words, load_related, related_keys

from .models import (
    Allocation,
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    PathwayNeed,
    Referral,
    ReleasePlan,
    StageChange,
)


@dataclass(frozen=True)
class HistoryArea:
    """One kind of record about him: `query(participant, user)` returns its history rows
    that this user may read (restricted notes are filtered out, not redacted): a queryset,
    or `OwnVersions` for the common case of every version that carries his id."""

    label: str
    query: Callable


@dataclass(frozen=True)
class OwnVersions:
    """Every saved version of a kind of record whose `column` holds his id. The history page
    writes its SQL directly: the ORM took a tenth of a millisecond to build each of 25."""

    model: type  # the historical model
    column: str
    participant_id: object

    def sql_with_params(self, connection) -> tuple[str, list]:
        quote = connection.ops.quote_name
        field = self.model._meta.get_field(self.column)
        return (
            f"SELECT history_id, id, history_date FROM {quote(self.model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(field.column)} = %s",
            [field.get_db_prep_value(self.participant_id, connection)],
        )


def own_versions(model, column: str = "participant_id") -> Callable:
    """An area's query: every version of `model` whose `column` is his id."""
    return lambda p, user: OwnVersions(_historical_model(model), column, p.pk)


@functools.cache
def _historical_model(model):
    return model.history.model


def versions_of(model) -> QuerySet:
    """Every saved version of this kind of record. (`Model.history` builds a new manager
    class on each use, a fifth of a millisecond; the history page asks for 25 kinds.)"""
    return _historical_model(model)._default_manager.all()


def _managers_only(model_attr: str):
    def query(p, user):
        rows = versions_of(getattr(p, model_attr).model).filter(participant_id=p.pk)
        return rows if access.is_service_manager_of(user, p.service_id) else rows.none()

    return query


def _licence_conditions(p, user):
    return versions_of(LicenceCondition).filter(
        licence_id__in=Licence.objects.filter(participant=p).values("pk")
    )


_AREAS: list[HistoryArea] = [
    HistoryArea("Personal details", own_versions(Participant, column="id")),
    HistoryArea("Referral", own_versions(Referral)),
    HistoryArea("Stage", own_versions(StageChange)),
    HistoryArea("Team", own_versions(Allocation)),
    HistoryArea("Licence", own_versions(Licence)),
    HistoryArea("Licence conditions", _licence_conditions),
    HistoryArea("Contacts", own_versions(Contact)),
    HistoryArea("Goals", own_versions(Goal)),
    HistoryArea("Pathway needs", own_versions(PathwayNeed)),
    HistoryArea("Outcomes", own_versions(OutcomeSnapshot)),
    HistoryArea("Release-day plan", own_versions(ReleasePlan)),
    # Who is kept out, and who broke the glass: for service managers' eyes.
    HistoryArea("Exclusions", _managers_only("exclusions")),
    HistoryArea("Temporary access", _managers_only("temporary_access")),
]


def register_history(area: HistoryArea) -> None:
    """Other apps add the history of their records about him (see their AppConfig.ready)."""
    if all(existing.label != area.label for existing in _AREAS):
        _AREAS.append(area)


IGNORED_FIELDS = {"version", "updated_at"}
PAGE_SIZE = 25


@dataclass(frozen=True)
class HistoryPage:
    rows: list[dict]
    number: int
    has_next: bool


def _page_rows(readable: dict[int, QuerySet | OwnVersions], page: int) -> list[tuple]:
    """One query across every kind of record this user may read: which versions fall on the
    page, newest first, each with the version of the same record that came before it (a
    window over that record's versions, so the page's oldest rows still show their before).

    Each kind's own queryset says which of its rows he may read; the window and the union
    around them are written here (the ORM took 6 ms to build the same thing for 25 kinds)."""
    connection = connections["default"]
    parts, params = [], []
    for index, rows in readable.items():
        if isinstance(rows, OwnVersions):
            sql, row_params = rows.sql_with_params(connection)
        else:
            picked = rows.order_by().values_list("history_id", "id", "history_date")
            sql, row_params = picked.query.sql_with_params()
        parts.append(
            f"SELECT {int(index)} AS area_index, v.history_id, "  # noqa: S608 (no user text)
            "LAG(v.history_id) OVER (PARTITION BY v.id ORDER BY v.history_date, v.history_id)"
            f" AS previous_history_id, v.history_date FROM ({sql}) v"
        )
        params.extend(row_params)
    if not parts:
        return []
    newest_first = (
        " UNION ALL ".join(parts)
        + " ORDER BY history_date DESC, area_index, history_id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(newest_first, [*params, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE])
        return cursor.fetchall()


def change_history(participant: Participant, user, page: int = 1) -> HistoryPage:
    """Newest first, a page at a time: who changed what, when, and the before/after of each
    field changed, across every record about him that this user may read. One query picks
    the page's rows; then one per kind of record on the page reads those versions in full,
    and one more their authors (never one per row)."""
    readable = {
        index: rows
        for index, area in enumerate(_AREAS)
        if isinstance(rows := area.query(participant, user), OwnVersions)
        or not rows.query.is_empty()
    }
    picked = _page_rows(readable, page)
    shown = picked[:PAGE_SIZE]
    wanted: dict[int, set[int]] = {}
    for area_index, history_id, previous_id, _ in shown:
        wanted.setdefault(area_index, set()).update({history_id, previous_id} - {None})
    versions = {
        (area_index, version.history_id): version
        for area_index, history_ids in wanted.items()
        for version in _versions_by_id(readable[area_index].model, history_ids)
    }
    raw = []
    for area_index, history_id, previous_id, _ in shown:
        record = versions[(area_index, history_id)]
        previous = versions.get((area_index, previous_id))
        raw.append((area_index, record, _raw_changes(record, previous, participant)))
    # Every record the page names (its authors, and whoever or whatever a changed field
    # links to) read in one query per kind; he is the one in hand.
    keys = [(User, record.history_user_id) for _, record, _ in raw]
    keys += [
        key
        for _, record, changes in raw
        for field, old, new in changes
        for value in (old, new)
        for key in related_keys(record.instance_type, field, value)
    ]
    related = load_related(keys, known={(Participant, participant.pk): participant})
    rows = []
    for area_index, record, changes in raw:
        model = record.instance_type
        rows.append(
            {
                "area": _AREAS[area_index].label,
                "record": record,
                "who": related.get((User, record.history_user_id)),
                "changes": [
                    {
                        "field": _label(record, field),
                        "old": in_words(model, field, old, related),
                        "new": in_words(model, field, new, related),
                    }
                    for field, old, new in changes
                ],
            }
        )
    return HistoryPage(rows=rows, number=page, has_next=len(picked) > PAGE_SIZE)


def _versions_by_id(historical_model, history_ids):
    # Written out: the ORM's query for a historical model took a millisecond to build.
    connection = connections[historical_model._default_manager.db]
    table = connection.ops.quote_name(historical_model._meta.db_table)
    placeholders = ", ".join(["%s"] * len(history_ids))
    return historical_model._default_manager.raw(
        f"SELECT * FROM {table} WHERE history_id IN ({placeholders})",  # noqa: S608
        list(history_ids),
    )


def _raw_changes(record, previous, participant) -> list[tuple[str, object, object]]:
    """(field, before, after) as saved: each field changed since the version before, or, for
    a record just created, each field it was created with (blank ones, its own id and his link
    left out)."""
    if record.history_type == "+":
        return [
            (field.name, None, value)
            for field in record.tracked_fields
            if field.editable
            and field.name not in IGNORED_FIELDS
            and not field.primary_key
            and (value := getattr(record, field.attname)) not in (None, "", [], {})
            and not (field.is_relation and value == participant.pk)
        ]
    if record.history_type != "~" or previous is None:
        return []
    delta = record.diff_against(previous)
    return [
        (change.field, change.old, change.new)
        for change in delta.changes
        if change.field not in IGNORED_FIELDS
    ]


def _label(record, field: str) -> str:
    try:
        label = str(record.instance_type._meta.get_field(field).verbose_name)
    except Exception:
        label = field.replace("_", " ")
    return label[:1].upper() + label[1:]
