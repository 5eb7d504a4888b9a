from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The benchmark dataset generator (`generate_dataset`). Not installed in production."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
