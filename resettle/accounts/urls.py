from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("set-up/", views.set_up, name="set_up"),
    path("stay-signed-in/", views.stay_signed_in, name="stay_signed_in"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_add, name="staff_add"),
    path("staff/log/", views.account_log, name="account_log"),
    path("staff/<uuid:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<uuid:pk>/work-phone/", views.staff_work_phone, name="staff_work_phone"),
    path("staff/<uuid:pk>/roles/add/", views.membership_add, name="membership_add"),
    path(
        "staff/<uuid:pk>/roles/<int:membership_id>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("staff/<uuid:pk>/<slug:action>/", views.account_action, name="account_action"),
]
