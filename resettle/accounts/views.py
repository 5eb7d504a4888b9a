from django.contrib.auth import views as auth_views
from django.db.models import Prefetch
from django.shortcuts import render

from resettle.access import role_required

from .forms import SignInForm
from .models import Membership, User
from .roles import Role


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@role_required(Role.ADMINISTRATOR)
def staff_list(request):
    """Staff accounts with their roles in each service (administrators only; no case data)."""
    staff = (
        User.objects.exclude(email__endswith="@resettle.invalid")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("service"))
        )
        .order_by("full_name")
    )
    return render(request, "accounts/staff_list.html", {"staff": staff})
