import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessLog(models.Model):
    """Who opened which participant's record, when, from where, and whether it was allowed.

    Never the content. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=30, blank=True)
    participant_id = models.UUIDField(db_index=True)
    page = models.CharField(max_length=300)
    view_name = models.CharField(max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    allowed = models.BooleanField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["participant_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.user} {'opened' if self.allowed else 'was refused'} {self.page}"


class KeptWork(models.Model):
    """What someone typed into a form they sent after their sign-in had ended (or whose
    security check failed): kept for 30 minutes for them alone, and shown back filled in on
    the same page once they are signed in again. Nothing in it is saved anywhere else until
    they press save again; it is deleted when shown, or when 30 minutes have passed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=2000)
    data = models.JSONField()
    kept_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-kept_at"]

    def __str__(self) -> str:
        return f"Typed work kept at {self.kept_at:%H:%M} for {self.path}"
