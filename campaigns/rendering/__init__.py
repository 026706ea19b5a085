"""Message templates: compile once, render for many recipients, in Jinja2's sandbox.

``compile_message(MessageSource(...))`` parses every part (email: subject, text, html; SMS: body),
refuses what is not allowed in a message template, and returns a ``CompiledMessage`` that knows which
merge fields it reads. Compilation is cached by content, so a batch of recipients (or a preflight)
compiles each template once.

The context a template sees (``recipient_context``): the recipient's ``attributes`` (merge fields from
the import) at the top level, overridden by ``name``, ``email``, ``phone`` and ``external_id``; ``sender``
(``sender.name``, ``sender.postal_address``, ``sender.contact``); and ``unsubscribe_url``, the signed
opt-out link of this recipient for this channel (computed only when the template uses it).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError

from .errors import RenderError
from .filters import jdate, sama, yen
from .sandbox import HTML_ENV, TEXT_ENV, activate, deactivate, max_source_chars, new_budget

__all__ = [
    "BUILTIN_FIELDS", "CompiledMessage", "MessageSource", "RenderError", "compile_message", "jdate",
    "recipient_context", "sama", "yen",
]

logger = logging.getLogger(__name__)
EMAIL, SMS = "email", "sms"
PARTS = {EMAIL: ("subject", "text", "html"), SMS: ("body",)}
BUILTIN_FIELDS = ("name", "email", "phone", "external_id")
PROVIDED_NAMES = frozenset({"sender", "unsubscribe_url"})
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")


@dataclass(frozen=True)
class MessageSource:
    channel: str
    subject: str = ""
    text: str = ""
    html: str = ""
    body: str = ""

    def parts(self) -> dict[str, str]:
        """The non-empty parts of this channel, in order."""
        return {part: getattr(self, part) for part in PARTS[self.channel] if getattr(self, part)}


@dataclass(frozen=True)
class CompiledMessage:
    source: MessageSource
    templates: Mapping[str, Template]
    fields: frozenset[str]  # merge fields read (builtin or attributes)
    optional_fields: frozenset[str]  # read only through |default or tested with "is defined"
    unsubscribe_parts: frozenset[str]  # parts that contain {{ unsubscribe_url }}

    @property
    def required_fields(self) -> frozenset[str]:
        return self.fields - self.optional_fields

    @property
    def uses_unsubscribe(self) -> bool:
        return bool(self.unsubscribe_parts)

    def render(self, context: Mapping) -> dict[str, str]:
        """Render every part for one recipient; raises ``RenderError`` with a stable code."""
        token = activate(new_budget())
        try:
            out = {part: template.render(context) for part, template in self.templates.items()}
        except RenderError as exc:
            if exc.code in _BOMB_CODES:
                _log_bomb_once(self.source, exc)
            raise
        except UndefinedError as exc:
            match = _UNDEFINED_NAME.search(str(exc))
            field = (match.group(1) or match.group(2)) if match else ""
            raise RenderError("template.undefined_field", f"The merge field {field!r} is missing.", field=field)
        except SecurityError as exc:
            raise RenderError("template.forbidden", f"Not allowed in a message template: {exc}")
        except RecursionError:
            raise RenderError("template.too_large", "The template recurses too deeply.")
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise RenderError("template.bad_value", f"The template failed on a value: {exc}")
        finally:
            deactivate(token)
        if "subject" in out:
            out["subject"] = " ".join(out["subject"].split())
        if "body" in out:
            out["body"] = out["body"].rstrip()
        return out


_BOMB_CODES = ("template.too_large", "template.too_slow")
_bombs_logged: set[int] = set()


def _log_bomb_once(source: MessageSource, exc: RenderError) -> None:
    """One log line per template that hit the sandbox's budget, not one per recipient of a batch."""
    key = hash(source)
    if key in _bombs_logged:
        return
    if len(_bombs_logged) > 1000:
        _bombs_logged.clear()
    _bombs_logged.add(key)
    logger.warning("template render stopped by the sandbox (%s): %s", exc.code, exc.message)


@functools.lru_cache(maxsize=128)
def compile_message(source: MessageSource) -> CompiledMessage:
    """Parse and compile each part once (cached by content). Raises ``RenderError('template.syntax')``."""
    if source.channel not in PARTS:
        raise RenderError("template.syntax", f"Unknown channel {source.channel!r}.")
    templates, fields, unguarded, unsubscribe = {}, set(), set(), set()
    limit = max_source_chars()
    for part, text in source.parts().items():
        if len(text) > limit:
            raise RenderError("template.too_large", f"{part}: the template is longer than {limit:,} characters.")
        env = HTML_ENV if part == "html" else TEXT_ENV
        try:
            tree = env.parse(text)
            names = meta.find_undeclared_variables(tree) - set(env.globals)
            part_unguarded = _unguarded_names(tree)
            templates[part] = env.from_string(tree)
        except TemplateSyntaxError as exc:
            raise RenderError("template.syntax", f"{part}, line {exc.lineno}: {exc.message}", line=exc.lineno)
        except RenderError as exc:
            raise RenderError(exc.code, f"{part}, line {exc.line}: {exc.message}", line=exc.line)
        except (RecursionError, SyntaxError, MemoryError):
            # A nesting bomb ("((((…" or thousands of nested blocks) exhausts the parser's recursion or
            # Python's own compiler (IndentationError: too many levels) before any sandbox check runs.
            raise RenderError("template.too_deep", f"{part}: the template nests too deeply.")
        if "unsubscribe_url" in names:
            unsubscribe.add(part)
        fields |= names - PROVIDED_NAMES
        unguarded |= part_unguarded
    return CompiledMessage(
        source=source,
        templates=templates,
        fields=frozenset(fields),
        optional_fields=frozenset(fields - unguarded),
        unsubscribe_parts=frozenset(unsubscribe),
    )


def _is_defined_test(node) -> str | None:
    if isinstance(node, nodes.Test) and node.name == "defined" and isinstance(node.node, nodes.Name):
        return node.node.name
    return None


def _unguarded_names(tree: nodes.Template) -> set[str]:
    """Names loaded somewhere other than under ``|default``, an ``is defined`` test, or the body of
    ``{% if x is defined %}``: those are the fields a recipient must have."""
    guarded = set()
    for node in tree.find_all(nodes.Filter):
        if node.name in ("default", "d") and isinstance(node.node, nodes.Name):
            guarded.add(id(node.node))
    for node in tree.find_all(nodes.Test):
        if node.name in ("defined", "undefined") and isinstance(node.node, nodes.Name):
            guarded.add(id(node.node))
    for branch in tree.find_all(nodes.If):
        name = _is_defined_test(branch.test)
        if name:
            for child in branch.body:
                guarded |= {id(n) for n in child.find_all(nodes.Name) if n.name == name}
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load" and id(n) not in guarded}


def _value(recipient, name: str, default=""):
    if isinstance(recipient, Mapping):
        return recipient.get(name, default)
    return getattr(recipient, name, default)


def recipient_context(recipient, *, sender: Mapping | None = None, unsubscribe_url: str = "") -> dict:
    """The variables a template sees for one recipient (a ``Recipient`` or a dict of its values)."""
    # A JSON null is a missing field (preflight counts it so), not the text "None".
    context = {k: v for k, v in (_value(recipient, "attributes", None) or {}).items() if v is not None}
    for name in BUILTIN_FIELDS:
        value = _value(recipient, name, "")
        context[name] = "" if value is None else value
    context["sender"] = dict(sender or {})
    if unsubscribe_url:
        context["unsubscribe_url"] = unsubscribe_url
    return context
