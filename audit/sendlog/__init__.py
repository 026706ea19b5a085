"""The send log (配信ログ): deliveries, their status history and the approvals behind them.

``campaigns`` owns ``Delivery``, ``Campaign`` and ``Approval``; ``audit`` depends on no app of ours, so
everything here reaches those models through the app registry inside functions (``models.py``) and
never imports ``campaigns``. A delivery's status history is read from the audit table: every send,
retry, receipt and skip is an event carrying the delivery's campaign and recipient.
"""
