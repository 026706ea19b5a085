"""Where parsed events go. ``channels`` must not import ``campaigns``; instead campaigns registers a
handler at start-up (``AppConfig.ready``)::

    from channels.inbound import register_handler
    register_handler(apply_inbound_event)        # called once per event, inside the webhook request

A handler that raises makes the webhook answer 500, so the provider retries later. With no handler
registered the webhook answers 503 (nothing would apply the event; the provider should retry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .events import Event

logger = logging.getLogger(__name__)

Handler = Callable[[Event], None]
_handlers: list[Handler] = []


class NoHandler(RuntimeError):
    pass


def register_handler(handler: Handler) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def unregister_handler(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


def registered_handlers() -> list[Handler]:
    return list(_handlers)


def deliver(events: list[Event]) -> None:
    """Hand each event to every registered handler, in order."""
    if not _handlers:
        raise NoHandler("no inbound event handler is registered")
    for event in events:
        for handler in list(_handlers):
            handler(event)
