"""The app's own URLs plus the trivial signed-in page the benchmark divides by."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from resettle.urls import handler403, handler404, handler500
from resettle.urls import urlpatterns as app_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


@login_required
def trivial(request):
    """The site's layout with one paragraph: the cost of any signed-in page, with no case data."""
    return render(request, "benchmarks/trivial.html")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *app_urlpatterns]
