import socket

from celery import Task, shared_task

from resettle.audit import acting_as, system_account


class AuditedTask(Task):
    """A task whose database changes are recorded as made by `actor_id` (or the system)."""

    def __call__(self, *args, **kwargs):
        from resettle.accounts.models import User

        actor_id = kwargs.get("actor_id")
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        with acting_as(actor or system_account()):
            return super().__call__(*args, **kwargs)


@shared_task(name="resettle.health_check", ignore_result=False, soft_time_limit=5, time_limit=10)
def health_check() -> dict:
    """Proves a worker is consuming from the broker: answers with the worker's host name."""
    return {"status": "ok", "worker": socket.gethostname()}
