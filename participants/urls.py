from django.urls import path

from . import views

app_name = "participants"

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("caseload/mine/", views.caseload, {"mine": True}, name="my_caseload"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/new/", views.referral_create, name="referral_create"),
    path("referrals/<uuid:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:pk>/assess/", views.referral_assess, name="referral_assess"),
    path("referrals/<uuid:pk>/accept/", views.referral_accept, name="referral_accept"),
    path("referrals/<uuid:pk>/decline/", views.referral_decline, name="referral_decline"),
    path("referrals/<uuid:pk>/withdraw/", views.referral_withdraw, name="referral_withdraw"),
    path("retention/", views.retention_list, name="retention_list"),
    path("retention/decisions/", views.retention_decisions, name="retention_decisions"),
    path("retention/<uuid:pk>/", views.retention_review, name="retention_review"),
    path("retention/<uuid:pk>/delete/", views.retention_delete, name="retention_delete"),
    path(
        "retention/referrals/<uuid:pk>/",
        views.retention_referral_review,
        name="retention_referral_review",
    ),
    path(
        "retention/referrals/<uuid:pk>/delete/",
        views.retention_referral_delete,
        name="retention_referral_delete",
    ),
    path("<uuid:pk>/", views.overview, name="overview"),
    path("<uuid:pk>/timeline/", views.timeline, name="timeline"),
    path("<uuid:pk>/history/", views.history, name="history"),
    path("<uuid:pk>/details/", views.edit_details, name="edit_details"),
    path("<uuid:pk>/contacts/new/", views.contact_form, name="contact_add"),
    path("<uuid:pk>/contacts/<int:contact_id>/", views.contact_form, name="contact_edit"),
    path(
        "<uuid:pk>/contacts/<int:contact_id>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
    path("<uuid:pk>/goals/new/", views.goal_form, name="goal_add"),
    path("<uuid:pk>/goals/<int:goal_id>/", views.goal_form, name="goal_edit"),
    path("<uuid:pk>/stage/<str:kind>/", views.change_stage, name="change_stage"),
    path("<uuid:pk>/release-plan/", views.release_plan_form, name="release_plan"),
    path("<uuid:pk>/licence/", views.licence_form, name="licence"),
    path("<uuid:pk>/licence/conditions/new/", views.condition_form, name="condition_add"),
    path(
        "<uuid:pk>/licence/conditions/<int:condition_id>/",
        views.condition_form,
        name="condition_edit",
    ),
    path("<uuid:pk>/team/", views.allocate, name="allocate"),
    path("<uuid:pk>/needs/", views.pathway_needs, name="pathway_needs"),
    path("<uuid:pk>/outcomes/new/", views.outcome_form, name="outcome_add"),
    path("<uuid:pk>/access/", views.record_access, name="record_access"),
    path(
        "<uuid:pk>/access/exclusions/<int:exclusion_id>/lift/",
        views.exclusion_lift,
        name="exclusion_lift",
    ),
    path(
        "<uuid:pk>/access/temporary/<uuid:grant_id>/end/",
        views.temporary_access_end,
        name="temporary_access_end",
    ),
    path("<uuid:pk>/temporary-access/", views.temporary_access, name="temporary_access"),
]
