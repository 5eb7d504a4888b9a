"""The record's change history: every saved version of his details and related records."""

from .models import Participant

TRACKED = (
    ("Personal details", lambda p: Participant.history.filter(id=p.pk)),
    ("Stage", lambda p: p.stage_changes.model.history.filter(participant_id=p.pk)),
    ("Team", lambda p: p.allocations.model.history.filter(participant_id=p.pk)),
    ("Licence", lambda p: p.licences.model.history.filter(participant_id=p.pk)),
    ("Contacts", lambda p: p.contacts.model.history.filter(participant_id=p.pk)),
    ("Goals", lambda p: p.goals.model.history.filter(participant_id=p.pk)),
    ("Pathway needs", lambda p: p.pathway_needs.model.history.filter(participant_id=p.pk)),
    ("Release-day plan", lambda p: p.release_plans.model.history.filter(participant_id=p.pk)),
)

IGNORED_FIELDS = {"version", "updated_at"}


def change_history(participant: Participant, limit: int = 200) -> list[dict]:
    """Newest first: who changed what, when, and the before/after of each field changed."""
    rows = []
    for area, query in TRACKED:
        records = list(
            query(participant).select_related("history_user").order_by("-history_date")[:limit]
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
