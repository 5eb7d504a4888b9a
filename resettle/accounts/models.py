import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .roles import FIXED_AGENCY, Agency, Role


class Service(models.Model):
    """An intensive intervention and risk management service (e.g. Resettle, Merseyside).

    One deployment hosts several services; staff see only their own services' people.
    """

    class DeliveryModel(models.TextChoices):
        CENTRE = "centre", "Centre-based"
        OUTREACH = "outreach", "Outreach"

    name = models.CharField(max_length=120, unique=True)
    region = models.CharField(max_length=120)
    delivery_model = models.CharField(max_length=20, choices=DeliveryModel.choices)
    funded_community_places = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    funded_custody_places = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    out_of_hours_route = models.CharField(
        "out-of-hours on-call route",
        max_length=300,
        blank=True,
        help_text="Who the crisis line calls out of hours, e.g. on-call probation manager on 0151 496 0999",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("Staff accounts need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Signs in with a work email address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "may use the admin site",
        default=False,
        help_text="Administrators manage staff accounts through the admin site.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Membership(models.Model):
    """A member of staff working in a service in one role (and for one agency)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    agency = models.CharField(max_length=20, choices=Agency.choices)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "service"], name="one_role_per_service"),
        ]
        ordering = ["service__name"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.service}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        fixed = FIXED_AGENCY.get(self.role)
        if fixed and self.agency and self.agency != fixed:
            raise ValidationError(
                {"agency": f"A {Role(self.role).label.lower()} works for {fixed.label}."}
            )
