"""Preflight checks: each finding has a stable code and a severity (error blocks submission)."""
