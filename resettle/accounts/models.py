import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from resettle.core.validators import plain_text, uk_phone, uk_phone_display

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
    full_name = models.CharField(max_length=150, validators=[plain_text])
    # Kept in international form (+441514960000); shown to staff only, never to commissioners.
    work_phone = models.CharField(
        "work phone",
        max_length=16,
        blank=True,
        validators=[uk_phone],
        help_text="A UK number the team and the crisis line can reach them on at work",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "may use the admin site",
        default=False,
        help_text=(
            "Only the superuser kept for emergencies uses the admin site; administrators "
            "manage staff accounts on the Staff accounts pages."
        ),
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

    @property
    def work_phone_display(self) -> str:
        """Their work phone as people in the UK read it ("0151 496 0000"); "" for none."""
        return uk_phone_display(self.work_phone) if self.work_phone else ""


class Membership(models.Model):
    """A member of staff working in a service in one role (and for one agency)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    agency = models.CharField(max_length=20, choices=Agency.choices)
    # One role per service, so a psychologist who manages the service holds the manager's
    # role; this says they are a psychologist too (they may agree formulations).
    is_psychologist = models.BooleanField(
        "a psychologist",
        default=False,
        help_text="A service manager who is a psychologist may agree formulations",
    )
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


class AccountEvent(models.Model):
    """One change to a staff account: who did it, to whose account, what, when, from where.

    Append-only (on PostgreSQL a trigger refuses UPDATE and DELETE). Shown to the
    administrators and service managers of `service`, and told to the person at their next
    sign-in. A change to the whole account (a two-factor reset) is kept once for each service
    the person works in, so each service's log is complete on its own.
    """

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", "Account created"
        ROLE_GIVEN = "role_given", "Role given"
        ROLE_CHANGED = "role_changed", "Role changed"
        ROLE_REMOVED = "role_removed", "Role removed"
        SET_UP_CODE_ISSUED = "set_up_code_issued", "Set-up code issued"
        SET_UP_CODE_USED = "set_up_code_used", "Set-up code used"
        TWO_FACTOR_RESET = "two_factor_reset", "Two-factor sign-in reset"
        CLOSED = "closed", "Account closed"
        UNLOCKED = "unlocked", "Sign-in unlocked"
        WORK_PHONE_CHANGED = "work_phone_changed", "Work phone changed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="account_events"
    )
    detail = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["service", "-at"]),
            models.Index(fields=["subject", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} by {self.actor}"


class SetUpCode(models.Model):
    """A one-time code an administrator hands to a member of staff by phone or in person.

    With it, and only with it, the person sets their own password and adds their
    authenticator app: after a new account, a forgotten password or a two-factor reset. Only
    a hash is kept; the code is shown once, works once and expires after 24 hours.
    """

    class Purpose(models.TextChoices):
        NEW_ACCOUNT = "new_account", "New account"
        PASSWORD_RESET = "password_reset", "Password reset"
        TWO_FACTOR_RESET = "two_factor_reset", "Two-factor reset"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="set_up_codes"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} code for {self.user}"

    def is_live(self, now) -> bool:
        from .setup_codes import MAX_FAILED_ATTEMPTS

        return (
            self.used_at is None
            and self.withdrawn_at is None
            and self.expires_at > now
            and self.failed_attempts < MAX_FAILED_ATTEMPTS
        )
