"""The staff roles, the agency each works for, and the model permissions each role holds.

Model permissions say what a role may do to a kind of record at all; the access module
(`resettle.access`) narrows that to the services a person belongs to and, for changes to a
participant's record, to the allocated team. Data migrations create one auth Group per role
from ROLE_PERMISSIONS; later apps add their codenames here and a migration that re-syncs.
"""

from django.db import models


class Role(models.TextChoices):
    OFFENDER_MANAGER = "offender_manager", "Offender manager"
    HEALTH_KEYWORKER = "health_keyworker", "Health keyworker"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    SERVICE_MANAGER = "service_manager", "Service manager"
    CRISIS_LINE_WORKER = "crisis_line_worker", "Crisis-line worker"
    ADMINISTRATOR = "administrator", "Administrator"
    COMMISSIONER = "commissioner", "Commissioner"


class Agency(models.TextChoices):
    PROBATION = "probation", "Probation"
    HEALTH = "health", "NHS"


# The agency a role works for when it can only be one; the others choose per membership.
FIXED_AGENCY = {
    Role.OFFENDER_MANAGER: Agency.PROBATION,
    Role.HEALTH_KEYWORKER: Agency.HEALTH,
    Role.PSYCHOLOGIST: Agency.HEALTH,
}

# Roles that work with case records (participants, plans, sessions) of their services.
CASE_ROLES = frozenset(
    {Role.OFFENDER_MANAGER, Role.HEALTH_KEYWORKER, Role.PSYCHOLOGIST, Role.SERVICE_MANAGER}
)
# Roles that may open the crisis summary of a participant of their services.
CRISIS_SUMMARY_ROLES = CASE_ROLES | {Role.CRISIS_LINE_WORKER}
# Roles that are allocated to a participant as his keyworker team.
ALLOCATABLE_ROLES = (Role.OFFENDER_MANAGER, Role.HEALTH_KEYWORKER, Role.PSYCHOLOGIST)


def group_name(role: str) -> str:
    return Role(role).label


_CASE_READ = [
    "accounts.view_service",
    "participants.view_participant",
    "participants.view_referral",
    "riskplans.view_riskassessment",
    "riskplans.view_riskmanagementplan",
    "riskplans.view_formulation",
]
_TEAM_WRITE = [
    "participants.change_participant",
    "participants.add_contact",
    "participants.change_contact",
    "participants.add_goal",
    "participants.change_goal",
    "participants.add_pathwayneed",
    "participants.change_pathwayneed",
    "participants.add_outcomesnapshot",
    "participants.add_licence",
    "participants.change_licence",
    "participants.add_licencecondition",
    "participants.change_licencecondition",
    "participants.add_stagechange",
    "participants.add_releaseplan",
    "participants.change_releaseplan",
    "riskplans.add_riskassessment",
    "riskplans.add_riskmanagementplan",
    "riskplans.change_riskmanagementplan",
    "riskplans.add_formulation",
    "riskplans.change_formulation",
    "crisisline.view_crisiscall",
    "crisisline.add_crisiscall",
    "crisisline.change_crisiscall",
    "keywork.view_session",
    "keywork.add_session",
    "keywork.change_session",
    "keywork.view_attendance",
    "keywork.change_attendance",
    "keywork.view_sessionnote",
    "keywork.add_sessionnote",
    "keywork.change_sessionnote",
    "keywork.add_noteaddendum",
    "keywork.view_enforcementdecision",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OFFENDER_MANAGER: [
        *_CASE_READ,
        *_TEAM_WRITE,
        "participants.add_referral",
        "keywork.add_enforcementdecision",
        "keywork.add_recalldecision",
        "reports.view_reportrequest",
        "reports.add_reportrequest",
    ],
    Role.HEALTH_KEYWORKER: [*_CASE_READ, *_TEAM_WRITE],
    Role.PSYCHOLOGIST: [*_CASE_READ, *_TEAM_WRITE],
    Role.SERVICE_MANAGER: [
        *_CASE_READ,
        *_TEAM_WRITE,
        "participants.add_referral",
        "participants.change_referral",
        "participants.add_allocation",
        "participants.change_allocation",
        "keywork.add_enforcementdecision",
        "keywork.add_recalldecision",
        "keywork.change_compliancepolicy",
        "reports.view_reportrequest",
        "reports.add_reportrequest",
        "reports.approve_reportrequest",
    ],
    Role.CRISIS_LINE_WORKER: [
        "accounts.view_service",
        "crisisline.view_crisiscall",
        "crisisline.add_crisiscall",
        "crisisline.change_crisiscall",
    ],
    Role.ADMINISTRATOR: [
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_service",
        "accounts.add_service",
        "accounts.change_service",
        "accounts.view_membership",
        "accounts.add_membership",
        "accounts.change_membership",
        "accounts.delete_membership",
    ],
    Role.COMMISSIONER: [
        "accounts.view_service",
        "reports.view_reportrequest",
        "reports.add_reportrequest",
    ],
}


def sync_role_groups(apps, schema_editor) -> None:
    """Data-migration step: one Group per role holding exactly ROLE_PERMISSIONS[role]."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
