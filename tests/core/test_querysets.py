"""The first rows of a list and its total, in one query."""

import pytest

from participants.models import Participant
from resettle.core.querysets import first_rows_and_total
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def test_the_first_rows_in_order_and_the_total_of_all_in_one_query(
    service, django_assert_num_queries
):
    for name in ("Evans", "Adams", "Dunn", "Brown", "Clark"):
        ParticipantFactory(service=service, family_name=name)
    with django_assert_num_queries(1):
        rows, total = first_rows_and_total(Participant.objects.order_by("family_name"), 3)
    assert [p.family_name for p in rows] == ["Adams", "Brown", "Clark"]
    assert total == 5


def test_fewer_rows_than_the_limit_and_none_at_all(service):
    ParticipantFactory(service=service, family_name="Adams")
    assert first_rows_and_total(Participant.objects.all(), 3)[1] == 1
    assert first_rows_and_total(Participant.objects.none(), 3) == ([], 0)
    assert first_rows_and_total(Participant.objects.filter(family_name="Nobody"), 3) == ([], 0)


def test_a_distinct_list_is_refused_because_the_window_would_count_duplicates(service):
    with pytest.raises(ValueError, match="DISTINCT"):
        first_rows_and_total(Participant.objects.distinct(), 3)
