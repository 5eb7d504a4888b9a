from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Resettle staff accounts"
admin.site.site_title = "Resettle administration"
admin.site.index_title = "Staff accounts and services"

urlpatterns = [
    path("", include("resettle.core.urls")),
    path("accounts/", include("resettle.accounts.urls")),
    path("participants/", include("participants.urls")),
    path("participants/", include("riskplans.urls")),
    path("crisis/", include("crisisline.urls")),
    path("sessions/", include("sessions.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "resettle.core.views.error_400"
handler403 = "resettle.core.views.error_403"
handler404 = "resettle.core.views.error_404"
handler500 = "resettle.core.views.error_500"
