"""Issue 27: the admin's roles inline names every box (axe: label, select-name), and its pages
load the stylesheet that makes their small links 24 by 24 pixels (WCAG 2.2, 2.5.8)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_each_box_of_the_roles_inline_is_named_with_its_row(client, emergency_superuser, personas):
    client.force_login(emergency_superuser)
    keyworker = personas["keyworker"]
    html = client.get(reverse("admin:accounts_user_change", args=[keyworker.pk])).content.decode()
    for name in ("Service", "Role", "Agency"):
        assert f'aria-label="{name} (role 1)"' in html
        assert f'aria-label="{name} (new role)"' in html  # the row "Add another" copies
    assert 'aria-label="Remove role 1"' in html
    assert "accounts/admin.css" in html


def test_the_admin_stylesheet_is_on_every_admin_page(client, emergency_superuser):
    client.force_login(emergency_superuser)
    for url in (reverse("admin:index"), reverse("admin:accounts_user_changelist")):
        assert "accounts/admin.css" in client.get(url).content.decode(), url
