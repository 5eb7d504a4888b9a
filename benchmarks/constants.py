"""What the benchmark harness relies on: the focus service, its people, the sizes."""

FOCUS_SERVICE_NAME = "Resettle Merseyside"
FOCUS_DOMAIN = "merseyside.bench.example"
FOCUS_EMAILS = {
    "offender_manager": f"om@{FOCUS_DOMAIN}",
    "keyworker": f"keyworker@{FOCUS_DOMAIN}",
    "psychologist": f"psychologist@{FOCUS_DOMAIN}",
    "service_manager": f"manager@{FOCUS_DOMAIN}",
    "crisis_worker": f"crisis@{FOCUS_DOMAIN}",
    "commissioner": f"commissioner@{FOCUS_DOMAIN}",
    "administrator": f"admin@{FOCUS_DOMAIN}",
}
# An active man in the community on the focus keyworker's and offender manager's caseload,
# with years of history: released, recalled (fixed term), re-released, many plan versions.
FOCUS_PARTICIPANT_PRISON_NUMBER = "A4127KM"
BENCH_PASSWORD = "bench-Resettle-2026"  # noqa: S105 - made-up accounts in a benchmark database

# How many services besides the focus service each size has.
SIZES = {"team": 0, "region": 4, "national": 19, "stress": 159}
# Years of records; weeks of sessions already booked after today.
YEARS = 10
WEEKS_AHEAD = 2
# Every ready report in the dataset points at this one small file (not a rendered report).
PLACEHOLDER_REPORT = "reports/benchmark/placeholder.pdf"
