"""The record's change history: every saved version of his details and related records."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import Lag

from resettle import access

from .models import Participant, Referral


@dataclass(frozen=True)
class HistoryArea:
    """One kind of record about him: `query(participant, user)` returns its history rows
    that this user may read (restricted notes are filtered out, not redacted)."""

    label: str
    query: Callable


def _own(model_attr: str):
    return lambda p, user: getattr(p, model_attr).model.history.filter(participant_id=p.pk)


def _managers_only(model_attr: str):
    def query(p, user):
        rows = getattr(p, model_attr).model.history.filter(participant_id=p.pk)
        return rows if access.is_service_manager_of(user, p.service_id) else rows.none()

    return query


def _licence_conditions(p, user):
    from .models import Licence, LicenceCondition

    return LicenceCondition.history.filter(
        licence_id__in=Licence.objects.filter(participant=p).values("pk")
    )


_AREAS: list[HistoryArea] = [
    HistoryArea("Personal details", lambda p, user: Participant.history.filter(id=p.pk)),
    HistoryArea("Referral", lambda p, user: Referral.history.filter(participant_id=p.pk)),
    HistoryArea("Stage", _own("stage_changes")),
    HistoryArea("Team", _own("allocations")),
    HistoryArea("Licence", _own("licences")),
    HistoryArea("Licence conditions", _licence_conditions),
    HistoryArea("Contacts", _own("contacts")),
    HistoryArea("Goals", _own("goals")),
    HistoryArea("Pathway needs", _own("pathway_needs")),
    HistoryArea("Outcomes", _own("outcome_snapshots")),
    HistoryArea("Release-day plan", _own("release_plans")),
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


def _with_previous_version(rows):
    """Each version knows which version came before it (a window over the same record's
    versions), so the page can show the before/after of its oldest rows too."""
    order = [F("history_date").asc(), F("history_id").asc()]
    return rows.annotate(
        previous_history_id=Window(Lag("history_id"), partition_by=[F("id")], order_by=order)
    )


def change_history(participant: Participant, user, page: int = 1) -> HistoryPage:
    """Newest first, a page at a time: who changed what, when, and the before/after of each
    field changed, across every record about him that this user may read (one query per kind
    of record, each reading no more rows than the page needs)."""
    wanted = page * PAGE_SIZE + 1
    rows = []
    for history_area in _AREAS:
        records = (
            _with_previous_version(history_area.query(participant, user))
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:wanted]
        )
        rows.extend({"area": history_area.label, "record": record} for record in records)
    rows.sort(key=lambda row: row["record"].history_date, reverse=True)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    previous = _previous_versions(rows, shown)
    for row in shown:
        row["changes"] = _diff(row["record"], previous.get(_key(row["record"])))
    return HistoryPage(rows=shown, number=page, has_next=len(rows) > page * PAGE_SIZE)


def _key(record) -> tuple:
    return (type(record), record.history_id)


def _previous_versions(rows: list[dict], shown: list[dict]) -> dict:
    """The version before each changed row shown: from the rows already read, else one query
    per kind of record (only when a record's earlier versions fell outside what was read)."""
    by_key = {_key(row["record"]): row["record"] for row in rows}
    previous, missing = {}, {}
    for row in shown:
        record = row["record"]
        if record.history_type != "~" or record.previous_history_id is None:
            continue
        wanted = (type(record), record.previous_history_id)
        if wanted in by_key:
            previous[_key(record)] = by_key[wanted]
        else:
            missing.setdefault(type(record), {})[record.previous_history_id] = _key(record)
    for model, keys in missing.items():
        for older in model._default_manager.filter(history_id__in=keys):
            previous[keys[older.history_id]] = older
    return previous


def _diff(record, previous) -> list[dict]:
    if record.history_type != "~" or previous is None:
        return []
    delta = record.diff_against(previous)
    return [
        {"field": _label(record, change.field), "old": change.old, "new": change.new}
        for change in delta.changes
        if change.field not in IGNORED_FIELDS
    ]


def _label(record, field: str) -> str:
    try:
        return str(record.instance_type._meta.get_field(field).verbose_name).capitalize()
    except Exception:
        return field.replace("_", " ").capitalize()
