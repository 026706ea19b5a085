"""Segment rules (JSON) compiled to Django QuerySets; see ``compiler``."""

from .compiler import SegmentError, compile_rules, validate_rules

__all__ = ["SegmentError", "compile_rules", "validate_rules"]
