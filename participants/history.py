"""The record's change history: every saved version of his details and related records."""

from collections.abc import Callable
from dataclasses import dataclass

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


def change_history(participant: Participant, user, limit: int = 200) -> list[dict]:
    """Newest first: who changed what, when, and the before/after of each field changed,
    across every record about him that this user may read (one query per kind of record)."""
    rows = []
    for history_area in _AREAS:
        area = history_area.label
        records = list(
            history_area.query(participant, user)
            .select_related("history_user")
            .order_by("-history_date")[:limit]
        )
        # Pair each version with the one before it in memory: no query per row.
        previous_of = {}
        latest_seen = {}
        for record in reversed(records):
            previous_of[record.history_id] = latest_seen.get(record.id)
            latest_seen[record.id] = record
        for record in records:
            changes = _diff(record, previous_of[record.history_id])
            rows.append({"area": area, "record": record, "changes": changes})
    rows.sort(key=lambda row: row["record"].history_date, reverse=True)
    return rows[:limit]


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
