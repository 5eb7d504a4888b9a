"""Exclusions keep a member of staff out of one man's record; break-glass lets a member of his
service in for a while, with a reason, and ends by itself."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crisisline import selectors as crisis_selectors
from crisisline import services as crisis_services
from participants import services
from participants.access import may_recall
from participants.models import Exclusion, Participant, Referral, TemporaryAccess, TimelineEvent
from reports.access import compliance_report_participants
from resettle.access import Access
from resettle.core.models import AccessLog
from tests.crisisline.test_calls import a_call
from tests.factories import UserFactory
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, personas, participant = from_world("service", "personas", "participant")


@pytest.fixture
def excluded(participant, personas):
    """Tom (a keyworker of the service, not in Jamal's team) knows Jamal's family."""
    return services.exclude_staff(
        participant=participant,
        staff=personas["colleague"],
        reason="Went to school with his brother",
        actor=personas["service_manager"],
    )


def test_an_excluded_person_is_told_so_and_the_attempt_is_logged(
    client_for, personas, participant, excluded
):
    tom = personas["colleague"]
    for name in ("overview", "timeline", "history", "edit_details"):
        response = client_for(tom).get(reverse(f"participants:{name}", args=[participant.pk]))
        assert response.status_code == 403
        body = response.content.decode()
        assert "You are excluded from this record" in body
        assert "Okoro" not in body
    refused = AccessLog.objects.filter(user=tom, participant_id=participant.pk)
    assert refused.exists()
    assert not refused.filter(allowed=True).exists()


def test_he_is_not_in_their_lists_searches_or_counts(
    client_for, personas, participant, excluded, service
):
    tom = personas["colleague"]
    assert participant not in Participant.objects.visible_to(tom)
    caseload = client_for(tom).get(reverse("participants:caseload")).content.decode()
    assert "Okoro" not in caseload
    assert participant.referral not in Referral.objects.visible_to(tom)
    assert crisis_selectors.search(tom, "Okoro") == []
    assert participant not in compliance_report_participants(tom)
    # Others still see him.
    aisha = personas["keyworker"]
    assert participant in Participant.objects.visible_to(aisha)
    assert crisis_selectors.search(aisha, "Okoro") == [participant]


def test_crisis_summary_and_calls_about_him_are_hidden_from_them(
    client_for, personas, participant, excluded, service
):
    call = crisis_services.log_call(
        call=a_call(service, participant, hours_ago=3), actor=personas["crisis_worker"]
    )
    tom = personas["colleague"]
    assert call not in crisis_selectors.calls_visible_to(tom)
    assert call in crisis_selectors.calls_visible_to(personas["keyworker"])
    response = client_for(tom).get(reverse("crisisline:summary", args=[participant.pk]))
    assert response.status_code == 403
    assert "You are excluded from this record" in response.content.decode()
    refused = client_for(tom).get(reverse("crisisline:call_detail", args=[call.pk]))
    assert refused.status_code == 403
    assert "excluded from this record" in refused.content.decode()


def test_the_exclusion_condition_is_in_a_list_only_for_someone_who_has_one(personas, participant):
    """Most staff are excluded from no one: their lists carry no exclusion subquery, and knowing
    so costs no query (it comes with their memberships)."""
    tom, aisha = personas["colleague"], personas["keyworker"]
    services.exclude_staff(
        participant=participant,
        staff=tom,
        reason="Went to school with his brother",
        actor=personas["service_manager"],
    )
    assert Access(tom).has_exclusions
    assert "participants_exclusion" in str(Participant.objects.visible_to(tom).query)
    assert not Access(aisha).has_exclusions
    assert "participants_exclusion" not in str(Participant.objects.visible_to(aisha).query)
    assert "participants_exclusion" not in str(crisis_selectors.calls_visible_to(aisha).query)


def test_an_exclusion_takes_effect_for_someone_whose_memberships_were_already_read(
    personas, participant
):
    tom, manager = personas["colleague"], personas["service_manager"]
    assert participant in Participant.objects.visible_to(tom)  # his memberships are now read
    exclusion = services.exclude_staff(
        participant=participant, staff=tom, reason="Knows his family", actor=manager
    )
    assert participant not in Participant.objects.visible_to(tom)
    assert participant.referral not in Referral.objects.visible_to(tom)
    services.lift_exclusion(exclusion=exclusion, actor=manager)
    assert participant in Participant.objects.visible_to(tom)


def test_someone_with_no_memberships_still_has_the_condition_applied(participant):
    nobody = UserFactory()
    assert Access(nobody).has_exclusions
    assert list(Participant.objects.visible_to(nobody)) == []


def test_staff_of_another_service_still_get_not_found(client_for, personas, participant):
    response = client_for(personas["outsider"]).get(
        reverse("participants:overview", args=[participant.pk])
    )
    assert response.status_code == 404


def test_exclusion_refusals_change_nothing(personas, participant):
    manager = personas["service_manager"]
    cases = [
        (personas["keyworker"], "Knows him", "allocate someone else first"),
        (manager, "Knows him", "cannot exclude yourself"),
        (personas["outsider"], "Knows him", "works in his service"),
        (personas["colleague"], "   ", "Say why"),
    ]
    for staff, reason, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.exclude_staff(
                participant=participant, staff=staff, reason=reason, actor=manager
            )
    assert not Exclusion.objects.exists()


def test_the_service_manager_excludes_and_lifts_through_the_page(client_for, personas, participant):
    manager = client_for(personas["service_manager"])
    url = reverse("participants:record_access", args=[participant.pk])
    tom = personas["colleague"]
    response = manager.post(url, {"staff": tom.pk, "reason": "<b>knows</b> him"})
    assert "must not contain HTML" in response.content.decode() or response.status_code == 200
    assert not Exclusion.objects.exists()
    response = manager.post(url, {"staff": tom.pk, "reason": "Knows his family"})
    assert response.status_code == 302
    exclusion = Exclusion.objects.get()
    assert exclusion.staff == tom and exclusion.created_by == personas["service_manager"]
    # An allocated member of the team is not offered.
    page = manager.get(url).content.decode()
    assert "Aisha Rahman</option>" not in page
    manager.post(reverse("participants:exclusion_lift", args=[participant.pk, exclusion.pk]))
    exclusion.refresh_from_db()
    assert exclusion.lifted_at is not None
    assert participant in Participant.objects.visible_to(tom)


# --- Break-glass ----------------------------------------------------------------------------


def test_break_glass_gives_the_team_rights_for_a_while_and_is_shown(
    client_for, personas, participant
):
    tom = personas["colleague"]
    browser = client_for(tom)
    edit = reverse("participants:edit_details", args=[participant.pk])
    assert browser.get(edit).status_code == 403
    page = reverse("participants:temporary_access", args=[participant.pk])
    response = browser.post(page, {"reason": "Too short", "hours": 24})
    assert "Say why you need access" in response.content.decode()
    response = browser.post(page, {"reason": "Covering Aisha's caseload", "hours": 99})
    assert "Select a valid choice" in response.content.decode()
    assert not TemporaryAccess.objects.exists()

    response = browser.post(
        page, {"reason": "Covering Aisha Rahman's caseload while she is on leave", "hours": 24}
    )
    assert response.status_code == 302
    grant = TemporaryAccess.objects.get()
    assert grant.staff == tom
    assert abs((grant.expires_at - grant.granted_at) - datetime.timedelta(hours=24)) < (
        datetime.timedelta(seconds=1)
    )
    assert client_for(tom).get(edit).status_code == 200
    assert TimelineEvent.objects.filter(participant=participant, category="access").exists()
    home = client_for(personas["service_manager"]).get(reverse("core:home")).content.decode()
    assert "Temporary (break-glass) access" in home
    assert "Covering Aisha Rahman" in home


def test_break_glass_expires_by_itself(client_for, personas, participant):
    tom = personas["colleague"]
    grant = services.grant_temporary_access(
        participant=participant, actor=tom, reason="Covering the duty desk tonight", hours=4
    )
    edit = reverse("participants:edit_details", args=[participant.pk])
    assert client_for(tom).get(edit).status_code == 200
    # Four hours and a second later:
    TemporaryAccess.objects.filter(pk=grant.pk).update(
        granted_at=timezone.now() - datetime.timedelta(hours=4, seconds=1),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert client_for(tom).get(edit).status_code == 403


def test_the_service_manager_ends_break_glass_early(client_for, personas, participant):
    tom = personas["colleague"]
    grant = services.grant_temporary_access(
        participant=participant, actor=tom, reason="Covering the duty desk tonight", hours=24
    )
    client_for(personas["service_manager"]).post(
        reverse("participants:temporary_access_end", args=[participant.pk, grant.pk])
    )
    grant.refresh_from_db()
    assert grant.ended_by == personas["service_manager"]
    edit = reverse("participants:edit_details", args=[participant.pk])
    assert client_for(tom).get(edit).status_code == 403


def test_the_team_is_told_it_needs_no_break_glass(client_for, personas, participant):
    response = client_for(personas["keyworker"]).get(
        reverse("participants:temporary_access", args=[participant.pk])
    )
    assert "You can already change his record" in response.content.decode()
    with pytest.raises(ValidationError):
        services.grant_temporary_access(
            participant=participant,
            actor=personas["keyworker"],
            reason="Just because I want to",
            hours=24,
        )
    assert not TemporaryAccess.objects.exists()


def test_an_excluded_person_cannot_break_the_glass(client_for, personas, participant, excluded):
    response = client_for(personas["colleague"]).post(
        reverse("participants:temporary_access", args=[participant.pk]),
        {"reason": "Covering Aisha Rahman's caseload", "hours": 24},
    )
    assert response.status_code == 403
    assert not TemporaryAccess.objects.exists()


def test_an_offender_manager_covering_with_break_glass_may_ask_for_his_compliance_report(
    personas, participant, service
):
    from tests.factories import staff_member

    covering = staff_member("offender_manager", service, full_name="Dev Patel")
    assert participant not in compliance_report_participants(covering)
    services.grant_temporary_access(
        participant=participant, actor=covering, reason="Covering Sarah's caseload this week"
    )
    assert may_recall(covering, participant)
    assert participant in compliance_report_participants(covering)
