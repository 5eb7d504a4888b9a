from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Django's usual sign-in address (bookmarks, password managers, habits): to ours, with
    # its ?next= kept.
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
        name="sign_in_redirect",
    ),
]
