from django.urls import path

from . import views

app_name = "crisisline"

urlpatterns = [
    path("", views.search, name="search"),
    path("people/<uuid:pk>/", views.summary, name="summary"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/new/", views.call_add, name="call_add"),
    path("calls/<uuid:pk>/", views.call_detail, name="call_detail"),
    path("calls/<uuid:pk>/link/", views.call_link, name="call_link"),
    path("calls/<uuid:pk>/acknowledge/", views.call_acknowledge, name="call_acknowledge"),
    path("handover/", views.handover, name="handover"),
    path("bank-holidays/", views.bank_holidays, name="bank_holidays"),
    path(
        "bank-holidays/<int:holiday_id>/remove/",
        views.bank_holiday_remove,
        name="bank_holiday_remove",
    ),
    path("closure-days/", views.closure_days, name="closure_days"),
    path(
        "closure-days/<int:day_id>/remove/",
        views.closure_day_remove,
        name="closure_day_remove",
    ),
    path("participants/<uuid:pk>/calls/", views.participant_calls, name="participant_calls"),
]
