"""Celery tasks of the channels app."""

from __future__ import annotations

from celery import shared_task

from .inbound.replay import prune


@shared_task(name="channels.prune_seen_callbacks", time_limit=600, soft_time_limit=540)
def prune_seen_callbacks() -> int:
    return prune()
