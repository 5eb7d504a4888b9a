"""The demo services and staff that `seed_demo` creates. Made-up people only."""

from collections.abc import Callable
from dataclasses import dataclass

from resettle.accounts.models import Service, User
from resettle.accounts.roles import Agency, Role
from resettle.accounts.services import grant_membership
from resettle.core.validators import normalise_uk_phone

DEMO_PASSWORD = "demo-Resettle-2026"  # noqa: S105 - published in the README for the demo only


@dataclass(frozen=True)
class DemoService:
    key: str
    name: str
    region: str
    delivery_model: str
    community_places: int
    custody_places: int
    out_of_hours_route: str


DEMO_SERVICES = (
    DemoService(
        "mersey",
        "Resettle Merseyside",
        "North West",
        "centre",
        20,
        25,
        "On-call probation manager via the approved premises, 0151 496 0999",
    ),
    DemoService(
        "northumbria",
        "Rebuilding Lives Northumbria",
        "North East",
        "outreach",
        15,
        20,
        "On-call senior probation officer, 0191 498 0777",
    ),
)

# (email local part, name, role, agency). Each service gets one of each; the first of each
# role is the documented demo login, the rest make the team believable.
DEMO_STAFF = {
    "mersey": (
        ("om", "Sarah Okafor", Role.OFFENDER_MANAGER, Agency.PROBATION),
        ("om2", "Daniel Price", Role.OFFENDER_MANAGER, Agency.PROBATION),
        ("keyworker", "Aisha Rahman", Role.HEALTH_KEYWORKER, Agency.HEALTH),
        ("keyworker2", "Tom Gallagher", Role.HEALTH_KEYWORKER, Agency.HEALTH),
        ("psychologist", "Dr Helen Marsh", Role.PSYCHOLOGIST, Agency.HEALTH),
        ("manager", "Joanne Kirkby", Role.SERVICE_MANAGER, Agency.HEALTH),
        ("crisis", "Marcus Bell", Role.CRISIS_LINE_WORKER, Agency.HEALTH),
        ("admin", "Priya Shah", Role.ADMINISTRATOR, Agency.HEALTH),
        ("commissioner", "Graham Lowe", Role.COMMISSIONER, Agency.HEALTH),
    ),
    "northumbria": (
        ("om", "Rebecca Tait", Role.OFFENDER_MANAGER, Agency.PROBATION),
        ("om2", "Lee Armstrong", Role.OFFENDER_MANAGER, Agency.PROBATION),
        ("keyworker", "Nadia Hussain", Role.HEALTH_KEYWORKER, Agency.HEALTH),
        ("keyworker2", "Chris Robson", Role.HEALTH_KEYWORKER, Agency.HEALTH),
        ("psychologist", "Dr Owen Fenwick", Role.PSYCHOLOGIST, Agency.HEALTH),
        ("manager", "Karen Dodds", Role.SERVICE_MANAGER, Agency.PROBATION),
        ("crisis", "Jamie Charlton", Role.CRISIS_LINE_WORKER, Agency.PROBATION),
        ("admin", "Ian Milburn", Role.ADMINISTRATOR, Agency.HEALTH),
        ("commissioner", "Fiona Hall", Role.COMMISSIONER, Agency.HEALTH),
    ),
}


# Work phones of the demo team, from Ofcom's ranges kept for drama (they ring nobody). The
# crisis-line worker, administrator and commissioner have none: "No work phone recorded".
DEMO_PREFIX = {"mersey": "0151 496 0", "northumbria": "0191 498 0"}
DEMO_EXTENSION = {
    "om": "101",
    "om2": "102",
    "keyworker": "201",
    "keyworker2": "202",
    "psychologist": "301",
    "manager": "401",
}


def demo_work_phone(local: str, service_key: str) -> str:
    extension = DEMO_EXTENSION.get(local)
    if extension is None:
        return ""
    return normalise_uk_phone(DEMO_PREFIX[service_key] + extension)


def demo_email(local: str, service_key: str) -> str:
    return f"{local}@{service_key}.example"


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, service) for the README table and `make run`'s banner."""
    rows = []
    for service in DEMO_SERVICES:
        for local, _name, role, _agency in DEMO_STAFF[service.key]:
            if not local[-1].isdigit():
                rows.append((demo_email(local, service.key), Role(role).label, service.name))
    return rows


def seed_services_and_staff() -> dict[str, Service]:
    services = {}
    for spec in DEMO_SERVICES:
        service, _ = Service.objects.update_or_create(
            name=spec.name,
            defaults={
                "region": spec.region,
                "delivery_model": spec.delivery_model,
                "funded_community_places": spec.community_places,
                "funded_custody_places": spec.custody_places,
                "out_of_hours_route": spec.out_of_hours_route,
            },
        )
        services[spec.key] = service
        for local, name, role, agency in DEMO_STAFF[spec.key]:
            email = demo_email(local, spec.key)
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, full_name=name, password=DEMO_PASSWORD)
            work_phone = demo_work_phone(local, spec.key)
            if user.work_phone != work_phone:
                user.work_phone = work_phone
                user.save(update_fields=["work_phone"])
            grant_membership(user=user, service=service, role=role, agency=agency)
    return services


_SEEDERS: dict[str, tuple[int, Callable]] = {}


def register_seeder(order: int, seeder: Callable) -> None:
    """A case app's demo builder (taking the services by key), run in `order` after the
    services and staff: each app registers its own in ready(), so this module knows none."""
    _SEEDERS[f"{seeder.__module__}.{seeder.__name__}"] = (order, seeder)


def extra_seeders() -> list[Callable]:
    """Demo builders of the case apps, in order."""
    return [seeder for _order, seeder in sorted(_SEEDERS.values(), key=lambda item: item[0])]
