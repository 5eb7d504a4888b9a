"""The home page: a registry of panels that each app adds to, as the record's tabs are.

A panel says which roles see it and builds its part of the page's context from the person's
`Access` (each list through its app's own access rules). The home page knows no app: it asks
every panel registered for the person's home role and renders that role's template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from resettle.access import Access


@dataclass(frozen=True)
class HomePanel:
    key: str
    roles: frozenset[str]
    build: Callable[[Access, str | None], dict]
    order: int = 50


_PANELS: list[HomePanel] = []


def register_panel(key: str, roles: Iterable[str], build: Callable, order: int = 50) -> None:
    """Add (or replace, by key) a panel; `build(access, role)` returns its context entries."""
    _PANELS[:] = [panel for panel in _PANELS if panel.key != key]
    _PANELS.append(HomePanel(key, frozenset(roles), build, order))
    _PANELS.sort(key=lambda panel: (panel.order, panel.key))


def panels_for(role: str | None) -> list[HomePanel]:
    return [panel for panel in _PANELS if role in panel.roles]


def home_panels(access: Access, role: str | None) -> dict:
    context: dict = {}
    for panel in panels_for(role):
        context.update(panel.build(access, role))
    return context
