import pytest

from resettle.core.tasks import health_check

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_health_task_runs_through_a_real_worker_over_redis(celery_through_worker):
    result = health_check.delay()
    answer = result.get(timeout=30)
    assert answer["status"] == "ok"
    assert result.successful()


def test_tasks_use_json_only_and_acknowledge_late(celery_through_worker):
    conf = celery_through_worker.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
