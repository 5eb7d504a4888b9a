from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "resettle.core"
    label = "core"
    verbose_name = "Resettle core (home, health, layout)"

    def ready(self):
        from . import panels

        panels.register()
        _forms_start_from_kept_work()


def _forms_start_from_kept_work() -> None:
    """Every form of the project, unbound on the page whose typed work was kept at the idle
    sign-out, starts from that work (resettle/core/kept_work.py). One hook here rather than
    a mixin on each of the forty forms, so no form can forget it; it changes nothing on any
    other request (the kept work is set only for that one page view)."""
    from django.forms.forms import BaseForm

    from .kept_work import fill_form

    if getattr(BaseForm.__init__, "fills_kept_work", False):
        return
    original = BaseForm.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        fill_form(self)

    __init__.fills_kept_work = True
    BaseForm.__init__ = __init__
