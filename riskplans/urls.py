from django.urls import path

from . import views

app_name = "riskplans"

urlpatterns = [
    path("<uuid:pk>/risk/", views.overview, name="overview"),
    path("<uuid:pk>/risk/assessments/new/", views.assessment_add, name="assessment_add"),
    path("<uuid:pk>/risk/plans/new/", views.plan_start, name="plan_start"),
    path("<uuid:pk>/risk/plans/<uuid:plan_id>/", views.plan_detail, name="plan_detail"),
    path("<uuid:pk>/risk/plans/<uuid:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("<uuid:pk>/risk/plans/<uuid:plan_id>/submit/", views.plan_submit, name="plan_submit"),
    path("<uuid:pk>/risk/plans/<uuid:plan_id>/decide/", views.plan_decide, name="plan_decide"),
    path("<uuid:pk>/risk/formulations/new/", views.formulation_start, name="formulation_start"),
    path(
        "<uuid:pk>/risk/formulations/<uuid:formulation_id>/",
        views.formulation_detail,
        name="formulation_detail",
    ),
    path(
        "<uuid:pk>/risk/formulations/<uuid:formulation_id>/edit/",
        views.formulation_edit,
        name="formulation_edit",
    ),
    path(
        "<uuid:pk>/risk/formulations/<uuid:formulation_id>/agree/",
        views.formulation_agree,
        name="formulation_agree",
    ),
    path("<uuid:pk>/risk/history/<str:kind>/", views.version_history, name="history"),
]
