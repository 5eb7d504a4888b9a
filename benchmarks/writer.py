"""Fast, bounded-memory inserts for the benchmark dataset.

Rows are plain tuples in a column order the generator registers once per model. On
PostgreSQL each batch goes in with one COPY (CSV); elsewhere (SQLite for `make run`) with
bulk_create. Integer primary keys are handed out here, so the generator can refer to rows
before they are written and the same seed gives the same ids; the sequences are moved past
them at the end. Historical rows (django-simple-history) are built from the same tuple as
the record they describe, so a version can never disagree with its record.
"""

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable

from django.core.management.color import no_style
from django.db import models

BATCH_ROWS = 5000
HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type")


class Table:
    """One model's column order, the defaults of the columns left out, and its buffer."""

    def __init__(self, model: type[models.Model], columns: Iterable[str]):
        self.model = model
        self.columns = list(columns)
        concrete = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [name for name in self.columns if name not in concrete]
        if unknown:
            raise ValueError(f"{model.__name__} has no column(s) {unknown}")
        self.extra_columns, self.extra_values = [], []
        for attname, field in concrete.items():
            if attname in self.columns:
                continue
            if field.has_default() and not callable(field.default):
                self.extra_columns.append(attname)
                self.extra_values.append(field.get_default())
            elif field.null or (field.primary_key and isinstance(field, models.AutoField)):
                continue
            else:
                raise ValueError(f"{model.__name__}.{attname} needs a value from the generator")
        self.all_columns = self.columns + self.extra_columns
        self.extra = tuple(self.extra_values)
        fields = [concrete[name] for name in self.all_columns]
        self.json_positions = [
            i for i, field in enumerate(fields) if isinstance(field, models.JSONField)
        ]
        self.not_null = [field.column for field in fields if not field.null]
        self.db_columns = [field.column for field in fields]
        self.rows: list[tuple] = []


class DatasetWriter:
    """Buffers rows per model and writes them in batches; counts what it wrote."""

    def __init__(self, connection, batch_rows: int = BATCH_ROWS):
        self.connection = connection
        self.batch_rows = batch_rows
        self.use_copy = connection.vendor == "postgresql"
        self.tables: dict[type[models.Model], Table] = {}
        self.history_maps: dict[type[models.Model], tuple] = {}
        self.next_ids: dict[type[models.Model], int] = {}
        self.counts: Counter = Counter()
        self.on_write: Callable[[int], None] = lambda rows: None

    # --- Registration ---------------------------------------------------------------------

    def register(self, model, columns: Iterable[str]) -> Callable[[tuple], None]:
        """Declare the column order of `model`'s rows; returns a fast `add(row)`."""
        table = Table(model, columns)
        self.tables[model] = table
        rows, batch, flush, extra = table.rows, self.batch_rows, self.flush, table.extra

        if extra:

            def add(row: tuple) -> None:
                rows.append(row + extra)
                if len(rows) >= batch:
                    flush(model)

        else:

            def add(row: tuple) -> None:
                rows.append(row)
                if len(rows) >= batch:
                    flush(model)

        return add

    def register_history(self, model) -> Callable:
        """`add(row, history_type, history_date, history_user_id)` for `model`'s history,
        where `row` is in the column order registered for `model` itself."""
        historical = model.history.model
        source = self.tables[model]
        tracked = [
            f.attname for f in historical._meta.concrete_fields if f.attname not in HISTORY_FIELDS
        ]
        tracked.remove("history_user_id")
        positions = [source.columns.index(name) for name in tracked]
        add = self.register(historical, [*tracked, *HISTORY_FIELDS, "history_user_id"])
        next_id = self.id_counter(historical)

        def add_history(row: tuple, history_type: str, when, user_id) -> int:
            history_id = next_id()
            add((*[row[i] for i in positions], history_id, when, None, history_type, user_id))
            return history_id

        return add_history

    def id_counter(self, model) -> Callable[[], int]:
        """Hands out the next integer primary key of `model` (continuing from the database)."""
        if model not in self.next_ids:
            top = model._default_manager.aggregate(top=models.Max(model._meta.pk.attname))["top"]
            self.next_ids[model] = (top or 0) + 1

        def next_id() -> int:
            value = self.next_ids[model]
            self.next_ids[model] = value + 1
            return value

        return next_id

    # --- Writing --------------------------------------------------------------------------

    def flush(self, model) -> None:
        table = self.tables[model]
        if not table.rows:
            return
        rows = table.rows
        if self.use_copy:
            if table.json_positions:
                rows = [_dump_json(row, table.json_positions) for row in rows]
            self._copy(table, rows)
        else:
            self._bulk_create(table, rows)
        written = len(rows)
        table.rows.clear()
        self.counts[model._meta.label] += written
        self.on_write(written)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def flush_all(self) -> None:
        for model in list(self.tables):
            self.flush(model)

    def _copy(self, table: Table, rows: list[tuple]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(c) for c in table.db_columns)
        options = "FORMAT csv"
        if table.not_null:
            options += f", FORCE_NOT_NULL ({', '.join(quote(c) for c in table.not_null)})"
        sql = f"COPY {quote(table.model._meta.db_table)} ({columns}) FROM STDIN WITH ({options})"
        with self.connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer, 1 << 20)

    def _bulk_create(self, table: Table, rows: list[tuple]) -> None:
        model, names = table.model, table.all_columns
        model._default_manager.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=500
        )

    def check_foreign_keys(self) -> None:
        """Every foreign key of every row written points at a row that exists.

        Used when the database's own (row by row) checks were switched off for speed: one
        anti-join per foreign key proves the same thing in a fraction of the time.
        """
        quote = self.connection.ops.quote_name
        broken = []
        with self.connection.cursor() as cursor:
            for model in self.tables:
                for field in model._meta.concrete_fields:
                    if not field.is_relation or not field.db_constraint:
                        continue
                    target = field.target_field
                    # Table and column names come from the models, never from input.
                    sql = (
                        f"SELECT count(*) FROM {quote(model._meta.db_table)} AS c "  # noqa: S608
                        f"WHERE c.{quote(field.column)} IS NOT NULL AND NOT EXISTS ("
                        f"SELECT 1 FROM {quote(target.model._meta.db_table)} AS p "
                        f"WHERE p.{quote(target.column)} = c.{quote(field.column)})"
                    )
                    cursor.execute(sql)
                    missing = cursor.fetchone()[0]
                    if missing:
                        broken.append(f"{model._meta.label}.{field.name}: {missing} rows")
        if broken:
            raise RuntimeError("Rows point at rows that do not exist: " + "; ".join(broken))

    def reset_sequences(self) -> None:
        """Move each id sequence past the ids handed out here."""
        written = [model for model in self.tables if model in self.next_ids]
        statements = self.connection.ops.sequence_reset_sql(no_style(), written)
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _dump_json(row: tuple, positions: list[int]) -> tuple:
    values = list(row)
    for i in positions:
        if values[i] is not None:
            values[i] = json.dumps(values[i])
    return tuple(values)
