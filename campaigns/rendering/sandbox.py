"""Jinja2's sandbox, tightened for message templates that a million recipients will receive.

The stock sandbox stops templates from reaching Python internals; it does not stop a template from
taking all the memory or CPU ("template bombs"). Every render here runs under a ``Budget``: a deadline,
a cap on loop iterations, and a cap on characters produced. The checks sit where a template can grow
work — loop iterations (the loop's iterable is wrapped at compile time, charged with the literal text of
the loop body), every ``{{ … }}`` output, ``~`` concatenation, the ``+ * ** %`` operators, filters and
calls — so a bomb fails fast with a ``RenderError`` instead of hanging a worker.

Things that make a preview differ from what is sent are refused too: ``random``/``shuffle``, includes
and imports (there is no loader), ``|safe`` and ``{% autoescape false %}`` (merge fields come from CSV
imports; HTML bodies must stay escaped).
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from django.conf import settings
from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import SandboxedEnvironment

from .errors import RenderError
from .filters import MESSAGE_FILTERS

MAX_LOOP_ITERATIONS = 1000
_MAX_INT_BITS = 4096
# Builtin filters that are unsafe for bulk messages: nondeterministic, unescaping, or able to blow up
# a value by a width argument.
_DENIED_FILTERS = {"random", "shuffle", "safe", "center", "indent", "format", "wordwrap", "pprint", "xmlattr",
                   "filesizeformat", "tojson", "map", "attr"}
# Methods a template may call on values (everything else is refused, e.g. str.format with huge widths).
_SAFE_METHODS = {"upper", "lower", "strip", "lstrip", "rstrip", "title", "capitalize", "startswith", "endswith",
                 "split", "get", "keys", "values", "items", "isoformat", "isdigit"}
_DENIED_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.EvalContextModifier)


def max_output_chars() -> int:
    return int(getattr(settings, "RENDER_MAX_OUTPUT_CHARS", 200_000))


def max_source_chars() -> int:
    return int(getattr(settings, "TEMPLATE_MAX_SOURCE_CHARS", 200_000))


def timeout_seconds() -> float:
    return int(getattr(settings, "RENDER_TIMEOUT_MS", 1000)) / 1000


@dataclass
class Budget:
    deadline: float
    chars_left: int
    iterations_left: int
    max_value: int

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderError("template.too_slow", "The template takes too long to render (limit exceeded).")

    def charge(self, chars: int) -> None:
        self.chars_left -= chars
        if self.chars_left < 0:
            raise RenderError("template.too_large", "The template produces too much text (output limit exceeded).")
        self.tick()

    def check_size(self, value) -> None:
        if isinstance(value, str | list | tuple | dict) and len(value) > self.max_value:
            raise RenderError("template.too_large", "A value in the template grows beyond the size limit.")


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("render_budget", default=None)


def new_budget() -> Budget:
    limit = max_output_chars()
    return Budget(
        deadline=time.monotonic() + timeout_seconds(),
        chars_left=limit * 4,
        iterations_left=MAX_LOOP_ITERATIONS,
        max_value=limit,
    )


def _budget() -> Budget | None:
    return _current.get()


def activate(budget: Budget) -> contextvars.Token:
    return _current.set(budget)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)


def _bounded_loop(iterable, body_chars: int = 0):
    budget = _budget()
    for item in iterable:
        if budget is not None:
            budget.iterations_left -= 1
            if budget.iterations_left < 0:
                raise RenderError("template.too_large", f"Loops run more than {MAX_LOOP_ITERATIONS} times in total.")
            budget.charge(body_chars)
        yield item


def _bounded_str(value):
    budget = _budget()
    if budget is not None:
        budget.check_size(value)
        budget.tick()
    return value


def _finalize(value):
    budget = _budget()
    if budget is not None and value is not None:
        budget.charge(len(str(value)) if not isinstance(value, str) else len(value))
    return value


def _guard_filter(func):
    def guarded(*args, **kwargs):
        budget = _budget()
        if budget is not None:
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > budget.max_value:
                    raise RenderError("template.too_large", "A filter argument is beyond the size limit.")
            budget.tick()
        result = func(*args, **kwargs)
        if budget is not None:
            budget.check_size(result)
        return result

    for attr in ("jinja_pass_arg",):
        if hasattr(func, attr):
            setattr(guarded, attr, getattr(func, attr))
    guarded.__name__ = getattr(func, "__name__", "filter")
    return guarded


def _literal_chars(node: nodes.Node) -> int:
    return sum(len(data.data) for data in node.find_all(nodes.TemplateData))


class MessageEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=autoescape,
            finalize=_finalize,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=0,
        )
        for name in _DENIED_FILTERS:
            self.filters.pop(name, None)
        self.filters.update(MESSAGE_FILTERS)
        self.filters = {name: _guard_filter(func) for name, func in self.filters.items()}
        self.filters["_bounded_loop"] = _bounded_loop
        self.filters["_bounded_str"] = _bounded_str

    # -- compile-time rewriting -----------------------------------------------------------------
    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(_DENIED_NODES):
            raise RenderError("template.syntax", f"{type(node).__name__} is not allowed in message templates.",
                              line=node.lineno)
        for node in tree.find_all(nodes.Filter):
            if node.name in _DENIED_FILTERS:
                raise RenderError("template.syntax", f"The filter {node.name!r} is not allowed in message templates.",
                                  line=node.lineno)
        for loop in list(tree.find_all(nodes.For)):
            if loop.recursive:
                raise RenderError("template.syntax", "Recursive loops are not allowed.", line=loop.lineno)
            body = nodes.Const(sum(_literal_chars(child) for child in loop.body))
            loop.iter = nodes.Filter(loop.iter, "_bounded_loop", [body], [], None, None, lineno=loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            inner = nodes.Concat(concat.nodes, lineno=concat.lineno)
            concat.nodes = [nodes.Filter(inner, "_bounded_str", [], [], None, None, lineno=concat.lineno)]
        return tree

    # -- run-time guards -----------------------------------------------------------------------
    def is_safe_attribute(self, obj, attr, value) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return not callable(value) or attr in _SAFE_METHODS

    def wrap_str_format(self, value):
        return None  # str.format / format_map are refused like any other unlisted method

    def call_binop(self, context, operator, left, right):
        budget = _budget()
        if budget is not None:
            budget.tick()
            if operator == "%" and isinstance(left, str):
                raise RenderError("template.forbidden", "The % operator on text is not allowed; use filters.")
            if operator == "**" and isinstance(right, int | float) and (
                abs(right) > 64 or (isinstance(left, int) and left.bit_length() * abs(right) > _MAX_INT_BITS)
            ):
                raise RenderError("template.too_large", "A power beyond the size limit is not allowed.")
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if (isinstance(seq, str | list | tuple) and isinstance(times, int)
                            and len(seq) * max(times, 0) > budget.max_value):
                        raise RenderError("template.too_large", "A repeated value grows beyond the size limit.")
        result = super().call_binop(context, operator, left, right)
        if budget is not None:
            budget.check_size(result)
            if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
                raise RenderError("template.too_large", "A number grows beyond the size limit.")
        return result

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805  (the sandbox's signature)
        budget = _budget()
        if budget is not None:
            budget.tick()
        result = super().call(__context, __obj, *args, **kwargs)
        if budget is not None:
            budget.check_size(result)
        return result

    def getattr(self, obj, attribute):
        budget = _budget()
        if budget is not None:
            budget.tick()
        return super().getattr(obj, attribute)


TEXT_ENV = MessageEnvironment(autoescape=False)
HTML_ENV = MessageEnvironment(autoescape=True)
