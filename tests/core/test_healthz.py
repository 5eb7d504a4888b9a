import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_redis(client):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["status"] == "ok"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["redis"]["ok"] is True


def test_healthz_reports_a_stopped_redis_as_unhealthy_instead_of_crashing(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6399/0"  # nothing listens here: Redis is "stopped"
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["status"] == "unhealthy"
    assert report["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert report["checks"]["database"]["ok"] is True
