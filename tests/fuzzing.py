"""Fuzzing the app's forms through their real views, shared by tests/<app>/test_form_fuzzing.py.

Each form is described once (a `FormCase`: who posts it, where, a valid post, and what a
valid post writes). Hypothesis then posts what people and attackers type: control
characters, 100,000-character text, HTML and <script>, SQL-looking text, emoji and
right-to-left text, impossible and far-off dates, huge and non-numbers, IDs of other
services' records, and fields left out. For every post:

- the answer is never a server error (the test client re-raises any exception a view raises);
- the page never carries the typed markup unescaped;
- a refused post changes nothing (every domain table is fingerprinted, history included),
  and its page shows the GOV.UK error summary;
- an accepted post writes exactly the rows it should, stores each text as typed (after
  the form's strip of leading and trailing whitespace) and the page that shows it
  prints it as text.

Each example runs in a transaction that is rolled back, so every example starts from the
same records and the fixtures are built once per form.
"""

import functools
import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from resettle.core.templatetags.govuk import nhs_number

# --- What is typed ----------------------------------------------------------------------------

# Markup that must never come back unescaped. Each is distinctive enough that finding it
# verbatim in a page can only mean it was printed without escaping.
HOSTILE_MARKUP = (
    "<script>alert(1)</script>",
    '<img src="file:///etc/passwd" onerror="alert(1)">',
    '<link rel=attachment href="file:///etc/passwd">',
    "<style>@import url(http://169.254.169.254/)</style>",
    '<div style="font-size:1e9px">huge</div>',
    '<iframe src="https://evil.example/"></iframe>',
    '"><svg onload=alert(1)>',
    "<a href=\"javascript:alert('x')\">click</a>",
    "<!-- comment --><b>bold</b>",
    '<p style="background:url(data:image/svg+xml;base64,PHN2Zz4=)">x</p>',
)
SQL_LIKE = (
    "'; DROP TABLE participants_participant;--",
    "1' OR '1'='1",
    "Robert'); DROP TABLE students;--",
    "%' UNION SELECT password FROM accounts_user--",
    "\\'; SELECT pg_sleep(10);--",
)
# Text a person may really type, or that looks like code to some layer: all of it acceptable.
ODD_BUT_FINE = (
    "Jamal 👨‍👩‍👧 🔥 ✅",
    "جمال أوكورو",
    "שלום עליכם",
    "\u202eexe.txt",  # right-to-left override
    "a\u200bb\u200dc\ufeff",  # zero-width characters, byte-order mark
    "Zalgo Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "Tom & Jerry; 100% < 200% > 50%",
    "{{ 7*7 }} {% debug %} ${7*7} #{7*7}",
    "C:\\Windows\\System32 \\x00 %00 %s %n",
    "line one\r\nline two\nline three\rline four",
    "\t  indented with tabs and spaces  \t",
    "O'Brien-Smith “quoted” ‘single’",
    "ＦＵＬＬＷＩＤＴＨ ﬁ ligature Å vs Å",
)
# Every C0 control character, and DEL. NUL must be refused (PostgreSQL cannot store it).
CONTROL = "".join(chr(code) for code in range(0x20)) + "\x7f"
LONG_TEXT = (
    "A" * 100_000,
    "é" * 100_000,  # two bytes each in UTF-8
    ("Jamal said he would come back next week. " * 2500)[:100_000],
    "\u202e" * 50_000,
)

# Dates: impossible, at the edges of what Python or PostgreSQL hold, or not numbers at all.
ODD_DATES = (
    ("31", "2", "2024"),
    ("29", "2", "2023"),
    ("0", "1", "2020"),
    ("1", "13", "2020"),
    ("1", "1", "0000"),
    ("1", "1", "0001"),
    ("31", "12", "9999"),
    ("1", "1", "9999"),
    ("1", "1", "1899"),
    ("1", "1", "1900"),
    ("1", "1", "10000"),
    ("1", "1", "-999"),
    ("٣", "٢", "٢٠٢٠"),  # Arabic-Indic digits
    ("²", "1", "2020"),  # a superscript: isdigit() but not int()
    ("1", "1", "20 20"),
    ("first", "May", "twenty"),
    ("1.0", "1", "2020"),
    ("-1", "1", "2020"),
    ("1", "1", "1e3"),
    ("1\x00", "1", "2020"),
    ("", "", ""),
    ("1", "", ""),
    ("99999999999999999999", "1", "2020"),
)
NUMBERS = (
    "-1",
    "0",
    "1",
    "10" + "0" * 29,  # 10**30
    "1e400",
    "NaN",
    "inf",
    "-inf",
    "1.5",
    "0x1A",
    "1_000",
    "٣",
    "²",
    " 2 ",
    "2147483648",  # one more than PostgreSQL's integer
    "9223372036854775808",  # one more than bigint
    "32768",  # one more than smallint
    "",
)
# Identifiers of things that do not exist, or exist elsewhere (filled in per case).
# National identifiers typed oddly: other scripts' digits, full-width letters, spaces, case.
ODD_IDENTIFIERS = (
    "A١٢٣٤BC",
    "a1234bc",
    " A 1234 BC ",
    "Ａ1234BC",
    "A1234BÇ",
    "ı1234BC",
    "X١٢٣٤٥٦",
    "٩٤٣٤٧٦٥٩١٩",
    "943 476 5919",
    "2012/0052494x",
    "2012/٠٠٥٢٤٩٤X",
)
ODD_IDS = ("0", "-1", "10" + "0" * 29, "abc", "00000000-0000-0000-0000-000000000000", "1 OR 1=1")


def _text_pieces(*, markup: bool, nul: bool) -> st.SearchStrategy[str]:
    control = CONTROL if nul else CONTROL.replace("\x00", "")
    chars = st.characters(codec="utf-8")  # lone surrogates cannot be sent as UTF-8
    if not markup:
        chars = st.characters(codec="utf-8", exclude_characters="<\x00")
    options = [
        st.sampled_from(SQL_LIKE + ODD_BUT_FINE),
        st.text(chars, max_size=30),
        st.text(st.sampled_from(control), min_size=1, max_size=4),
    ]
    if markup:
        options.append(st.sampled_from(HOSTILE_MARKUP))
    return st.one_of(options)


def typed_text(*, markup: bool = True, nul: bool = True) -> st.SearchStrategy[str]:
    """Text a field may receive: odd, hostile, very long, or a mixture."""
    short = st.lists(_text_pieces(markup=markup, nul=nul), min_size=1, max_size=4).map("".join)
    return st.one_of(short, st.sampled_from(LONG_TEXT))


def acceptable_text() -> st.SearchStrategy[str]:
    """Text with no markup and no NUL: a plain-text field should take it (length allowing)."""
    return typed_text(markup=False, nul=False)


# --- Describing a form ------------------------------------------------------------------------


def strip(value: str) -> str:
    """What Django's CharField keeps: str.strip(), i.e. Unicode whitespace removed at both
    ends (space, tab, CR, LF, \\x0b, \\x0c, \\x1c-\\x1f, NBSP and the other Unicode spaces)."""
    return value.strip()


@dataclass
class Field:
    """One field of a form and what to throw at it.

    kind: "text" (free text), "ident" (a national identifier), "date" (GOV.UK day/month/year),
    "number", "choice" (one of `choices`), "multi" (several of `choices`), "bool", "id" (a
    record's key), "time".
    """

    name: str
    kind: str
    valid: object
    choices: tuple = ()
    # Text only: where the typed value is stored, and how the form changes it before storing.
    stored_in: str | None = None
    stored_as: Callable[[str], object] = strip
    # Text only: whether text without markup or NUL must be accepted (length allowing).
    max_length: int | None = None
    shown: bool = True  # printed in full on the case's `shown_on` page
    # Text only: whether the post's other values mean this text is kept at all.
    kept_when: Callable[[dict], bool] = lambda values: True

    def post(self, value) -> dict:
        if self.kind == "date":
            day, month, year = value
            return {f"{self.name}_day": day, f"{self.name}_month": month, f"{self.name}_year": year}
        return {self.name: value}

    def odd_values(self) -> st.SearchStrategy:
        others = st.sampled_from(tuple(self.choices) + ODD_IDS + NUMBERS[:6])
        if self.kind == "text":
            return typed_text()
        if self.kind == "ident":
            return st.one_of(st.sampled_from(ODD_IDENTIFIERS), typed_text())
        if self.kind == "date":
            part = st.one_of(
                st.integers(-1, 10_000).map(str), st.sampled_from(NUMBERS), typed_text()
            )
            return st.one_of(st.sampled_from(ODD_DATES), st.tuples(part, part, part))
        if self.kind == "number":
            return st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), typed_text())
        if self.kind == "time":
            return st.one_of(
                st.sampled_from(("24:00", "23:60", "-1:00", "12", "noon", "12:00:61", "٢:٠٠")),
                typed_text(),
            )
        if self.kind == "multi":
            return st.lists(st.one_of(others, typed_text()), max_size=5)
        return st.one_of(others, typed_text())


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # the field is left out of the post
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def key_of(thing) -> object:
    return getattr(thing, "pk", thing)


@dataclass
class FormCase:
    """A form as its view receives it: who may post it, where, and what a valid post does."""

    id: str
    form: type
    persona: str
    url: Callable[[dict], str]
    fields: list[Field]
    # Rows a valid post adds, by model label ("participants.Contact": 1, and 0 for a table
    # whose rows change but do not grow); every other table of the project must be unchanged.
    # A function of the values posted where that depends on them.
    writes: dict[str, int] | Callable[[dict], dict[str, int]]
    # The record a valid post wrote or changed (text fields are read back from it).
    saved: Callable[[dict], object] | None = None
    # The page that shows that record, where its text must appear as typed (None: not shown
    # to this reader).
    shown_on: Callable[[dict], str | None] | None = None
    shown_by: str | None = None  # who reads that page, if not the person who posted
    fixed: dict = field(default_factory=dict)  # posted as they are (buttons, hidden fields)
    # Views that answer a refused post with a redirect and a message, not the form again.
    redirects_on_error: bool = False
    # A refused post is answered with this status and the form's error summary.
    error_status: int = 200
    # A page that is neither an error nor a write (e.g. "confirm the deletion" after a
    # valid first step): nothing may have changed.
    next_step: Callable[[object], bool] = lambda response: False
    max_examples: int = 10  # on top of the ~17 hostile_examples() always tried
    # A client made afresh for each example (e.g. someone signing in), instead of the one
    # signed in as `persona` for the whole case.
    fresh_client: Callable[[dict], object] | None = None
    # How an accepted post is answered: a redirect, unless the view shows its result once
    # (a new account's set-up code is shown on the answer to the post, never stored).
    accepted_when: Callable[[object], bool] = lambda response: response.status_code == 302

    def resolve(self, world: dict) -> "FormCase":
        """The case with "{name}" in its values replaced by world[name] (its key if a record)."""

        def fill(value):
            if isinstance(value, str):
                return PLACEHOLDER.sub(lambda m: str(key_of(world[m.group(1)])), value)
            if isinstance(value, tuple | list):
                return type(value)(fill(v) for v in value)
            return value

        fields = [
            replace(f, name=fill(f.name), valid=fill(f.valid), choices=fill(f.choices))
            for f in self.fields
        ]
        return replace(self, fields=fields, fixed={k: fill(v) for k, v in self.fixed.items()})

    def valid_post(self) -> dict:
        data = dict(self.fixed)
        for f in self.fields:
            data.update(f.post(f.valid))
        return data

    def _fitting_text(self, f: Field) -> st.SearchStrategy[str]:
        """Acceptable text cut to the field's maximum length, so most such posts succeed."""
        form_field = self.form.base_fields.get(f.name)
        limit = f.max_length or getattr(form_field, "max_length", None)
        text = acceptable_text()
        return text.map(lambda value: value[:limit]) if limit else text

    def build(self, values: dict) -> dict:
        """The post: the valid data with `values` in place (MISSING leaves a field out)."""
        data = dict(self.fixed)
        for f in self.fields:
            value = values.get(f.name, f.valid)
            if value is not MISSING:
                data.update(f.post(value))
        return data

    def hostile_examples(self) -> list[dict]:
        """Posts always tried, one kind of trouble at a time in every field it fits."""

        def every(kinds: tuple[str, ...], value) -> dict:
            return {f.name: value for f in self.fields if f.kind in kinds}

        text = ("text", "ident")
        examples = [
            every(text, "Jamal\x00Okoro"),
            every(text, "  \x01\x02\x1b[31m\x7f\x1f  "),
            every(text, LONG_TEXT[0]),
            every(text, HOSTILE_MARKUP[0]),
            every(text, HOSTILE_MARKUP[1] + HOSTILE_MARKUP[3] + HOSTILE_MARKUP[4]),
            every(text, SQL_LIKE[0]),
            every(text, ODD_BUT_FINE[0] + " " + ODD_BUT_FINE[1] + " " + ODD_BUT_FINE[3]),
            every(("date",), ("31", "12", "9999")),
            every(("date",), ("31", "2", "2024")),
            every(("date",), ("1", "1", "0000")),
            every(("date",), ("day", "month", "year")),
            every(("number",), "10" + "0" * 29),
            every(("number",), "1e400"),
            every(("number",), "NaN"),
            every(("number", "choice", "id"), "-1"),
            {f.name: f.choices[0] for f in self.fields if f.kind in ("id", "choice") and f.choices},
            every(("time",), "24:00"),
            {f.name: MISSING for f in self.fields},
        ]
        unique = []
        for values in examples:
            if values and values not in unique:
                unique.append(values)
        return unique

    def posts(self) -> st.SearchStrategy[tuple[dict, dict]]:
        """Either only the text changed (mostly accepted posts), or anything changed."""
        text_fields = [f for f in self.fields if f.kind == "text"]
        anything = st.fixed_dictionaries(
            {},
            optional={f.name: st.one_of(f.odd_values(), st.just(MISSING)) for f in self.fields},
        )
        options = [anything]
        if text_fields:
            fitting = {f.name: self._fitting_text(f) for f in text_fields}
            options.insert(0, st.fixed_dictionaries(fitting))
        return st.one_of(options).map(lambda values: (values, self.build(values)))


# --- Watching the database ----------------------------------------------------------------------

PROJECT_APPS = ("accounts", "core", "participants", "riskplans", "keywork", "crisisline", "reports")
# A view of a record is logged by design (append-only, even when the post is refused).
NOT_WATCHED = {"core.AccessLog"}


@functools.cache
def watched_models() -> list:
    models = []
    for model in apps.get_models(include_auto_created=True):
        ours = model._meta.app_label in PROJECT_APPS
        if ours and model._meta.label not in NOT_WATCHED and not model._meta.proxy:
            models.append(model)
    return sorted(models, key=lambda m: m._meta.label)


def snapshot() -> dict[str, tuple[int, str]]:
    """Every watched table's row count and a hash of its whole content, in one query."""
    models = watched_models()
    parts = []
    for model in models:
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(
            f"(SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, '|' ORDER BY "  # noqa: S608 (table names from the models)
            f"t::text), '')) FROM {table} t)"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    result = {}
    for model, value in zip(models, row, strict=True):
        count, digest = value.split(" ")
        result[model._meta.label] = (int(count), digest)
    return result


def changed_tables(before: dict, after: dict) -> dict[str, int]:
    """Tables whose content changed, with the number of rows each gained."""
    return {
        label: after[label][0] - before[label][0]
        for label in before
        if before[label] != after[label]
    }


def expected_changes(case: FormCase, values: dict) -> dict[str, int]:
    return dict(case.writes(values) if callable(case.writes) else case.writes)


# --- Reading pages --------------------------------------------------------------------------------

SITE_SCRIPT = re.compile(r"^/static/")


class _PageReader(HTMLParser):
    """The page's text (each tag read as a space) and any markup that should not be there."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.injected: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.text.append(" ")
        names = {name for name, _ in attrs}
        if any(name.startswith("on") for name in names):
            self.injected.append(f"<{tag}> with an event handler")
        if "style" in names:
            self.injected.append(f"<{tag}> with a style attribute")
        src = dict(attrs).get("src") or ""
        if tag == "script" and not SITE_SCRIPT.match(src):
            self.injected.append("<script> that is not the site's own")
        if tag in ("iframe", "object", "embed", "style", "base"):
            self.injected.append(f"<{tag}>")
        if tag == "img" and not (SITE_SCRIPT.match(src) or src.startswith("data:")):
            self.injected.append(f"<img src={src!r}>")
        if tag == "link" and not SITE_SCRIPT.match(dict(attrs).get("href") or ""):
            self.injected.append("<link> to somewhere else")

    def handle_endtag(self, tag):
        self.text.append(" ")

    def handle_data(self, data):
        self.text.append(data)


def read_page(response) -> _PageReader:
    reader = _PageReader()
    reader.feed(response.content.decode())
    reader.close()
    return reader


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_no_markup_came_back(response, data: dict) -> None:
    body = response.content.decode()
    for value in data.values():
        for typed in value if isinstance(value, list) else [value]:
            for snippet in HOSTILE_MARKUP:
                assert snippet not in str(typed) or snippet not in body, (
                    f"{snippet!r} was printed unescaped"
                )
    if response.get("Content-Type", "").startswith("text/html"):
        injected = read_page(response).injected
        assert not injected, f"markup in the page that the site did not write: {injected}"


def assert_shows_text(page_response, typed_values: dict[str, str]) -> None:
    """Each value is in the page's text (entities decoded), and never raw in its HTML."""
    body = page_response.content.decode()
    text = squash("".join(read_page(page_response).text))
    for name, value in typed_values.items():
        expected = squash(value)
        assert expected in text, f"{name}: {expected[:80]!r} is not shown as typed"
        if len(value) >= 8 and html.escape(value) != value:
            assert value not in body, f"{name} printed without escaping"


def has_error_summary(response) -> bool:
    return b"govuk-error-summary" in response.content


# --- Running a case -------------------------------------------------------------------------------


def fuzz_form(case: FormCase, client, world: dict) -> None:
    """Post the case's valid data, then Hypothesis's, and check each answer (see the
    module docstring). `world` holds the records the case's placeholders name."""
    case = case.resolve(world)
    assert_valid_post_is_accepted(case, client, world)
    url = case.url(world)
    seen = Counter()
    reader = client
    if case.shown_by:
        reader = Client()
        reader.force_login(world[case.shown_by])

    def check(values: dict, data: dict) -> None:
        with transaction.atomic():
            poster = case.fresh_client(world) if case.fresh_client else client
            before = snapshot()
            response = poster.post(url, data)
            assert response.status_code < 500
            assert_no_markup_came_back(response, data)
            changes = changed_tables(before, snapshot())
            # Accepted: redirected on (or, where refusals redirect too, something written).
            accepted = bool(changes) if case.redirects_on_error else case.accepted_when(response)
            if accepted:
                event("accepted")
                seen["accepted"] += 1
                expected = expected_changes(case, values)
                assert changes == expected, f"an accepted post wrote {changes}, not {expected}"
                check_stored(case, world, values, reader)
            elif case.next_step(response):
                event("next step")
                seen["next step"] += 1
                assert changes == {}, f"a post that only led on changed {changes}"
            else:
                event("refused")
                seen["refused"] += 1
                assert changes == {}, f"a refused post changed {changes}"
                # (A post with no fields at all is shown the empty form, as a GET would be.)
                if not case.redirects_on_error and data:
                    assert response.status_code == case.error_status, response.status_code
                    assert has_error_summary(response), "refused without an error summary"
            transaction.set_rollback(True)

    run = settings(
        max_examples=case.max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    test = given(case.posts())(lambda example: check(*example))
    for values in reversed(case.hostile_examples()):
        test = example((values, case.build(values)))(test)
    run(test)()
    print(f"{case.id}: {dict(seen)}")  # shown with pytest -s
    # Both branches are exercised: typed text was stored, and bad input was refused.
    assert seen["refused"], "no post was refused"
    if any(f.kind == "text" for f in case.fields):
        assert seen["accepted"], "no post with odd text was accepted"


def check_stored(case: FormCase, world: dict, values: dict, client) -> None:
    if case.saved is None:
        return
    record = case.saved(world)
    typed = {}
    for f in case.fields:
        if f.kind not in ("text", "ident") or not f.kept_when(values):
            continue
        value = values.get(f.name, f.valid)
        if value is MISSING:
            value = ""
        stored = getattr(record, f.stored_in or f.name)
        if f.kind == "ident":  # as the national systems write them
            assert stored is None or stored.isascii(), f"{f.name} stored as {stored!r}"
        assert stored == f.stored_as(value), (
            f"{f.name}: typed {value[:80]!r}, stored {stored[:80] if stored else stored!r}"
        )
        if f.shown and stored:
            # NHS numbers are shown as the NHS writes them, 3-3-4 (issue 27).
            typed[f.name] = nhs_number(stored) if f.name == "nhs_number" else stored
    address = case.shown_on(world) if case.shown_on is not None else None
    if address is not None and typed:
        page = client.get(address)
        assert page.status_code == 200
        assert_no_markup_came_back(page, typed)
        assert_shows_text(page, typed)


def assert_valid_post_is_accepted(case: FormCase, client, world: dict) -> None:
    """The case's own valid post works: otherwise the fuzzing would only ever see refusals."""
    with transaction.atomic():
        poster = case.fresh_client(world) if case.fresh_client else client
        before = snapshot()
        response = poster.post(case.url(world), case.valid_post())
        assert case.accepted_when(response), (
            response.status_code,
            re.findall(r'govuk-error-message">(.*?)</', response.content.decode(), re.S)[:5],
        )
        changes = changed_tables(before, snapshot())
        assert changes == expected_changes(case, {}), f"a valid post wrote {changes}"
        transaction.set_rollback(True)


# Control characters (other than tab, newline and carriage return) in a query string: 400.
QUERY_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def fuzz_query(url: str, fields: list[Field], client, *, max_examples: int = 20) -> None:
    """A search or filter form (GET): any query gives a page (never a server error), the
    typed markup never comes back unescaped, and nothing is written."""

    def check(values: dict) -> None:
        params = {}
        for f in fields:
            value = values.get(f.name, f.valid)
            if value is not MISSING:
                params.update(f.post(value))
        with transaction.atomic():
            before = snapshot()
            response = client.get(url, params)
            if any(QUERY_CONTROL.search(str(value)) for value in params.values()):
                # Refused before any page sees it (RequestGuardMiddleware): a clear 400.
                assert response.status_code == 400, response.status_code
                assert "does not accept" in response.content.decode()
            else:
                assert response.status_code in (200, 302), response.status_code
            assert_no_markup_came_back(response, params)
            assert changed_tables(before, snapshot()) == {}
            transaction.set_rollback(True)

    strategy = st.fixed_dictionaries(
        {}, optional={f.name: st.one_of(f.odd_values(), st.just(MISSING)) for f in fields}
    )
    test = given(strategy)(check)
    for value in (LONG_TEXT[0], "Jamal\x00", HOSTILE_MARKUP[0], SQL_LIKE[0], "10" + "0" * 29):
        test = example({f.name: value for f in fields})(test)
    settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(test)()
