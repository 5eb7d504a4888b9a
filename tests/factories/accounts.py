import factory

from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import FIXED_AGENCY, Agency
from resettle.accounts.services import grant_membership

PASSWORD = "correct-horse-battery"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Intensive Intervention Service {n}")
    region = factory.Iterator(["North West", "North East", "London", "South West"])
    delivery_model = Service.DeliveryModel.CENTRE
    funded_community_places = 20
    funded_custody_places = 25


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@service.example")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    service = factory.SubFactory(ServiceFactory)
    role = "health_keyworker"
    agency = factory.LazyAttribute(lambda m: FIXED_AGENCY.get(m.role, Agency.HEALTH))


def staff_member(role: str, service: Service, **user_fields) -> User:
    """A member of staff holding `role` in `service`, through the real service function."""
    user = UserFactory(**user_fields)
    grant_membership(
        user=user, service=service, role=role, agency=FIXED_AGENCY.get(role, Agency.HEALTH)
    )
    return user
