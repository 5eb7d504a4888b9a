from django.urls import path

from . import views

app_name = "keywork"

urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("new/", views.session_add, name="session_add"),
    path("compliance-policy/", views.compliance_policy, name="compliance_policy"),
    path("<uuid:pk>/", views.session_detail, name="session_detail"),
    path("<uuid:pk>/change/", views.session_edit, name="session_edit"),
    path("<uuid:pk>/register/", views.register, name="register"),
    path("<uuid:pk>/attendance/<int:attendance_id>/", views.record_outcome, name="record_outcome"),
    path(
        "<uuid:pk>/attendance/<int:attendance_id>/correct/",
        views.correct_outcome,
        name="correct_outcome",
    ),
    path("<uuid:pk>/notes/<uuid:participant_id>/new/", views.note_add, name="note_add"),
    path("notes/<uuid:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<uuid:note_id>/addendum/", views.note_addendum, name="note_addendum"),
    path("notes/<uuid:note_id>/seen/", views.risk_concern_seen, name="risk_concern_seen"),
    path("participants/<uuid:pk>/", views.participant_sessions, name="participant_sessions"),
    path("participants/<uuid:pk>/enforcement/new/", views.enforcement_add, name="enforcement_add"),
    path(
        "participants/<uuid:pk>/enforcement/<uuid:decision_id>/recall/",
        views.recall_add,
        name="recall_add",
    ),
]
