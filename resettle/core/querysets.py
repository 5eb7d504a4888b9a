"""Query shapes shared by several apps."""

from django.db.models import Count, QuerySet, Window


def first_rows_and_total(queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` rows and how many rows there are in all, in one query.

    The total is a window count over the whole result, read from the first row, so a
    panel that says "showing 15 of 37" costs one query, not two. The queryset must not
    be DISTINCT (the window counts the rows before DISTINCT removes any): express
    "has an X" with Exists rather than a join.
    """
    if queryset.query.is_empty():
        return [], 0
    if queryset.query.distinct:
        raise ValueError("A window count would count the rows DISTINCT later removes")
    rows = list(queryset.annotate(rows_in_all=Window(Count("*")))[:limit])
    return rows, (rows[0].rows_in_all if rows else 0)
