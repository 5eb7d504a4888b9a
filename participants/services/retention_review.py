"""Retention reviews: keeping a record past its retention period (with a reason and the next
review date) or deleting it, for a participant whose time ended or a referral declined."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from resettle.accounts.models import User
from resettle.audit import records_actor

from .. import erasure, retention
from ..models import Participant, Referral, RetentionDecision, retention_reference


def _decision_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for your decision"})
    return reason.strip()


def _check_next_review(next_review_on: datetime.date | None, today: datetime.date) -> None:
    if next_review_on is None:
        raise ValidationError({"next_review_on": "Enter the date of the next review"})
    if next_review_on <= today:
        raise ValidationError({"next_review_on": "The next review date must be in the future"})
    if next_review_on > retention.years_after(today, retention.NEXT_REVIEW_MAX_YEARS):
        raise ValidationError(
            {
                "next_review_on": f"The next review must be within {retention.NEXT_REVIEW_MAX_YEARS} years: "
                "review the record again then"
            }
        )


NOT_DUE_MESSAGE = (
    "This record is no longer due for review (someone may have decided on it, or something "
    "new was recorded about him). Nothing has been changed"
)


def _participant_still_due(participant: Participant, today: datetime.date) -> Participant:
    try:
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
    except Participant.DoesNotExist as error:
        raise ValidationError("This record has already been deleted", code="gone") from error
    due = retention.participant_due(locked, today)
    if due is None:
        raise ValidationError(NOT_DUE_MESSAGE, code="not_due")
    return due


def _referral_still_due(referral: Referral, today: datetime.date) -> Referral:
    try:
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
    except Referral.DoesNotExist as error:
        raise ValidationError("This referral has already been deleted", code="gone") from error
    due = retention.referral_due(locked, today)
    if due is None:
        raise ValidationError(NOT_DUE_MESSAGE, code="not_due")
    return due


def _participant_reference(due: Participant) -> dict:
    return {
        "service_id": due.service_id,
        "subject_kind": RetentionDecision.Subject.PARTICIPANT,
        "subject_id": due.pk,
        "reference": retention_reference(due.pk),
        "involvement_ended_on": due.stage_since,
        "how_ended": retention.ending_label(due),
    }


def _referral_reference(due: Referral) -> dict:
    return {
        "service_id": due.service_id,
        "subject_kind": RetentionDecision.Subject.REFERRAL,
        "subject_id": due.pk,
        "reference": retention_reference(due.pk),
        "involvement_ended_on": due.decided_on,
        "how_ended": retention.referral_ending_label(due),
    }


@records_actor
@transaction.atomic
def keep_participant_record(
    *, participant: Participant, actor: User, reason: str, next_review_on: datetime.date | None
):
    """Keep his record for now: it leaves the review list until `next_review_on`."""
    today = timezone.localdate()
    reason = _decision_reason(reason)
    _check_next_review(next_review_on, today)
    due = _participant_still_due(participant, today)
    return RetentionDecision.objects.create(
        **_participant_reference(due),
        decision=RetentionDecision.Decision.KEEP,
        reason=reason,
        next_review_on=next_review_on,
        decided_by=actor,
    )


@records_actor
@transaction.atomic
def keep_referral_record(
    *, referral: Referral, actor: User, reason: str, next_review_on: datetime.date | None
):
    today = timezone.localdate()
    reason = _decision_reason(reason)
    _check_next_review(next_review_on, today)
    due = _referral_still_due(referral, today)
    return RetentionDecision.objects.create(
        **_referral_reference(due),
        decision=RetentionDecision.Decision.KEEP,
        reason=reason,
        next_review_on=next_review_on,
        decided_by=actor,
    )


def _refuse_if_held(due) -> None:
    if due.holds:
        raise ValidationError(
            "This record must be kept: " + "; ".join(due.holds) + ". Nothing has been deleted",
            code="held",
        )


@records_actor
@transaction.atomic
def delete_participant_record(*, participant: Participant, actor: User, reason: str):
    """Delete his record across every app, with its change history, after the service
    manager's decision; the decision row, with counts and no personal data, is what remains.

    His row is locked and the rule checked again here, so a record that stopped being due
    (or became held) after the confirmation page was shown is refused, not deleted. The access
    log of who opened his record stays: it holds his record's internal id, no personal data.
    """
    reason = _decision_reason(reason)
    due = _participant_still_due(participant, timezone.localdate())
    _refuse_if_held(due)
    summary = retention.deletion_summary(due)
    reference = _participant_reference(due)
    for eraser in retention.erasers():
        eraser.erase(due)
    return RetentionDecision.objects.create(
        **reference,
        decision=RetentionDecision.Decision.DELETE,
        reason=reason,
        deleted_counts={**summary["counts"], retention.VERSIONS_LABEL: summary["versions"]},
        decided_by=actor,
    )


@records_actor
@transaction.atomic
def delete_referral_record(*, referral: Referral, actor: User, reason: str):
    """Delete a referral that was never taken on, with its change history."""
    reason = _decision_reason(reason)
    due = _referral_still_due(referral, timezone.localdate())
    _refuse_if_held(due)
    summary = retention.referral_deletion_summary(due)
    reference = _referral_reference(due)
    erasure.erase_referral(due)
    return RetentionDecision.objects.create(
        **reference,
        decision=RetentionDecision.Decision.DELETE,
        reason=reason,
        deleted_counts={**summary["counts"], retention.VERSIONS_LABEL: summary["versions"]},
        decided_by=actor,
    )
