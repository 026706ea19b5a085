"""Inbound provider callbacks: verified and parsed into plain events (``events.py``), handed to the
handler ``campaigns`` registers (``handlers.py``). The thin views are in ``channels/views/hooks.py``."""

from .events import Bounce, Complaint, DeliveryReceipt, Event, InboundReply, OptIn, OptOut
from .handlers import NoHandler, deliver, register_handler, registered_handlers, unregister_handler

__all__ = [
    "Bounce",
    "Complaint",
    "DeliveryReceipt",
    "Event",
    "InboundReply",
    "NoHandler",
    "OptIn",
    "OptOut",
    "deliver",
    "register_handler",
    "registered_handlers",
    "unregister_handler",
]
