"""Fast, bounded-memory inserts for the benchmark dataset.

Rows are plain tuples in a column order the generator registers once per model. On
PostgreSQL each batch goes in with one COPY (CSV); elsewhere (SQLite for `make run`) with
bulk_create. Integer primary keys are handed out here, so the generator can refer to rows
before they are written and the same seed gives the same ids; the sequences are moved past
them at the end. Historical rows (django-simple-history) are built from the same tuple as
the record they describe, so a version can never disagree with its record.
"""

import csv
import hashlib
import io
import json
import operator
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable

from django.core.management.color import no_style
from django.db import connection, models

BATCH_ROWS = 5000
FULL_EVERY = 7
HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type")


def column_of(field: models.Field) -> str:
    """Its database column (every concrete field has one)."""
    assert field.column is not None
    return field.column


class Table:
    """One model's column order, the defaults of the columns left out, and its buffer."""

    def __init__(self, model: type[models.Model], columns: Iterable[str]):
        self.model = model
        self.columns = list(columns)
        concrete = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [name for name in self.columns if name not in concrete]
        if unknown:
            raise ValueError(f"{model.__name__} has no column(s) {unknown}")
        self.extra_columns, self.extra_values = self._defaults(concrete)
        self.all_columns = self.columns + self.extra_columns
        self.extra = tuple(self.extra_values)
        fields = [concrete[name] for name in self.all_columns]
        self.json_positions = [
            i for i, field in enumerate(fields) if isinstance(field, models.JSONField)
        ]
        self.not_null = [column_of(field) for field in fields if not field.null]
        self.db_columns = [column_of(field) for field in fields]
        self.rows: list[tuple] = []
        self.copy_sql = self._copy_sql()

    def _defaults(self, concrete: dict[str, models.Field]) -> tuple[list[str], list]:
        """The columns the generator leaves out, with their (constant) defaults."""
        columns, values = [], []
        for attname, field in concrete.items():
            if attname in self.columns:
                continue
            if field.has_default() and not callable(field.default):
                columns.append(attname)
                values.append(field.get_default())
            elif not (field.null or (field.primary_key and isinstance(field, models.AutoField))):
                raise ValueError(
                    f"{self.model.__name__}.{attname} needs a value from the generator"
                )
        return columns, values

    def _copy_sql(self) -> str:
        quote = connection.ops.quote_name
        options = "FORMAT csv"
        if self.not_null:
            options += f", FORCE_NOT_NULL ({', '.join(quote(c) for c in self.not_null)})"
        table = quote(self.model._meta.db_table)
        return (
            f"COPY {table} ({', '.join(quote(c) for c in self.db_columns)}) "
            f"FROM STDIN WITH ({options})"
        )


class DatasetWriter:
    """Buffers rows per model and writes them in batches; counts what it wrote."""

    def __init__(
        self,
        connection,
        batch_rows: int = BATCH_ROWS,
        *,
        dry_run: bool = False,
        fingerprints: bool = False,
    ):
        self.connection = connection
        self.batch_rows = batch_rows
        self.use_copy = connection.vendor == "postgresql"
        # A dry run builds and counts every row but writes none (see focus_fingerprint).
        self.dry_run = dry_run
        # With fingerprints, the rows added are fed, in order, to `self.fingerprint` (a
        # hashlib object the caller replaces, e.g. once per service): every row's primary
        # key (each comes from the seeded stream, so any drift changes all that follow) and
        # every FULL_EVERY-th row in full (a full repr of each would double the run time).
        self.fingerprints = fingerprints
        self.fingerprint = hashlib.sha256()
        self.fingerprinted = 0
        self._queue: queue.Queue = queue.Queue(maxsize=8)  # bounded: memory stays bounded
        self._thread: threading.Thread | None = None
        self._error: Exception | None = None
        self.tables: dict[type[models.Model], Table] = {}
        self.history_maps: dict[type[models.Model], tuple] = {}
        self.next_ids: dict[type[models.Model], int] = {}
        self.counts: Counter = Counter()
        self.on_write: Callable[[int], None] = lambda rows: None

    def start_fingerprint(self) -> None:
        self.fingerprint = hashlib.sha256()
        self.fingerprinted = 0

    # --- Registration ---------------------------------------------------------------------

    def register(self, model, columns: Iterable[str]) -> Callable[[tuple], None]:
        """Declare the column order of `model`'s rows; returns a fast `add(row)`."""
        table = Table(model, columns)
        self.tables[model] = table
        rows, batch, flush, extra = table.rows, self.batch_rows, self.flush, table.extra
        label = model._meta.label.encode()

        if self.fingerprints:

            def add(row: tuple) -> None:
                self.fingerprinted += 1
                sample = row if self.fingerprinted % FULL_EVERY == 0 else row[0]
                self.fingerprint.update(label + repr(sample).encode())
                rows.append(row + extra)
                if len(rows) >= batch:
                    flush(model)

        elif extra:

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
        pick = operator.itemgetter(*[source.columns.index(name) for name in tracked])
        add = self.register(historical, [*tracked, *HISTORY_FIELDS, "history_user_id"])
        next_id = self.id_counter(historical)

        def add_history(row: tuple, history_type: str, when, user_id) -> int:
            history_id = next_id()
            add((*pick(row), history_id, when, None, history_type, user_id))
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
        rows = list(table.rows)
        table.rows.clear()
        if self.dry_run:
            pass
        elif self.use_copy:
            self._send(table, rows)
        else:
            self._bulk_create(table, rows)
        self.counts[model._meta.label] += len(rows)
        self.on_write(len(rows))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def flush_all(self) -> None:
        """Write every buffered row; on return all of them are in the database."""
        for model in list(self.tables):
            self.flush(model)
        self.wait()

    # On PostgreSQL a background thread formats and COPYs each batch while the generator
    # makes the next rows, so the database's work overlaps Python's. It uses the same
    # connection (so the same transaction); the main thread waits for it (flush_all)
    # before it touches the database itself.

    def _send(self, table: Table, rows: list[tuple]) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self._thread = threading.Thread(target=self._copy_loop, daemon=True)
            self._thread.start()
        self.connection.ensure_connection()
        self._queue.put((self.connection.connection, table, rows))

    def _copy_loop(self) -> None:
        while True:
            raw_connection, table, rows = self._queue.get()
            try:
                if self._error is None:
                    self._copy(raw_connection, table, rows)
            except Exception as error:  # handed to the main thread at its next step
                self._error = error
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        self._queue.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _copy(self, raw_connection, table: Table, rows: list[tuple]) -> None:
        if table.json_positions:
            rows = [_dump_json(row, table.json_positions) for row in rows]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        # The DB-API connection of the main thread (Django's wrappers are per thread).
        with raw_connection.cursor() as cursor:
            cursor.copy_expert(table.copy_sql, buffer, 1 << 20)

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
                    # django-stubs does not declare ForeignKey.db_constraint.
                    if not isinstance(field, models.ForeignKey) or not field.db_constraint:  # type: ignore[attr-defined]
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

    def drop_secondary_indexes(self) -> list[str]:
        """Drop the non-unique indexes of the tables this writer fills; returns the SQL that
        creates them again. Building an index once after a bulk load is far cheaper than
        keeping it up to date row by row (PostgreSQL only; for an empty database)."""
        tables = [table.model._meta.db_table for table in self.tables.values()]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [tables],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        return [definition for _name, definition in indexes]

    def create_indexes(self, definitions: list[str]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '256MB'")
            for definition in definitions:
                cursor.execute(definition)
                self.on_write(0)
            cursor.execute("RESET maintenance_work_mem")

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
