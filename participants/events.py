"""Significant events (recall, change of address…) that other apps react to.

Apps register a handler in their AppConfig.ready(); participants services announce events
inside their own transaction. The participants app does not need to know who listens.
"""

from collections.abc import Callable

_handlers: list[Callable] = []


def on_significant_event(handler: Callable) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def announce_significant_event(*, participant, actor, reason: str) -> None:
    for handler in _handlers:
        handler(participant=participant, actor=actor, reason=reason)


# Moves between stages (a recall, a re-release…), for apps whose records follow his stage:
# `handler(change=StageChange, actor=User)`, called inside change_stage's transaction.
_stage_handlers: list[Callable] = []


def on_stage_change(handler: Callable) -> None:
    if handler not in _stage_handlers:
        _stage_handlers.append(handler)


def announce_stage_change(*, change, actor) -> None:
    for handler in _stage_handlers:
        handler(change=change, actor=actor)
