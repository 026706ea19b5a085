from __future__ import annotations


class RenderError(Exception):
    """A message could not be rendered. ``code`` is stable (``template.syntax``, ``template.undefined_field``,
    ``template.too_large``, ``template.too_deep``, ``template.too_slow``, ``template.forbidden``,
    ``template.bad_value``)."""

    def __init__(self, code: str, message: str, *, field: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.line = line

    def __str__(self) -> str:
        return self.message
