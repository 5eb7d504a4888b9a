from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("compliance/new/", views.compliance_new, name="compliance_new"),
    path("commissioner/new/", views.commissioner_new, name="commissioner_new"),
    path("national/new/", views.national_new, name="national_new"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/progress/", views.progress, name="progress"),
    path("<uuid:pk>/download/", views.download, name="download"),
    path("<uuid:pk>/retry/", views.retry, name="retry"),
    path("<uuid:pk>/approve/", views.approve, name="approve"),
    path("<uuid:pk>/produce-again/", views.produce_again, name="produce_again"),
]
