"""Exports of the audit table: streaming CSV / JSON Lines, hashed and counted, and themselves audited.

``service.audit_export()`` is the entry point for the web page, the API and ``export_audit``.
"""
