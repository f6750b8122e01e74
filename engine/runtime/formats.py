"""OpenAI's ``response_format`` read into what the worker turns into a grammar, in the parent process.

Only the shape is checked here (plain Python, no llama.cpp): the schema itself is converted to GBNF and
checked in the worker (``engine.runtime.native_grammar``).
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from engine import errors

GRAMMAR_HINT = ("Check the grammar, or simplify the JSON schema: llama.cpp's converter understands types, "
                "properties, required, enum, const, arrays, anyOf/oneOf, local $ref and patterns anchored with ^…$.")


def _invalid(message: str) -> errors.GrammarInvalid:
    return errors.GrammarInvalid(message, hint=GRAMMAR_HINT)


def response_format_parts(response_format: Mapping[str, Any] | None) -> tuple[str, str | None]:
    """An OpenAI ``response_format`` as ``(type, schema as JSON text)``: ``("", None)`` for none or "text";
    raises ``GrammarInvalid`` for a shape that is not one."""
    if response_format is None:
        return "", None
    if not isinstance(response_format, Mapping):
        raise _invalid("response_format must be an object with a 'type'.")
    kind = response_format.get("type")
    if kind == "text":
        return "", None
    if kind == "json_object":
        return kind, None
    if kind != "json_schema":
        raise _invalid(f"Unknown response_format type {kind!r}: use text, json_object or json_schema.")
    spec = response_format.get("json_schema")
    if not isinstance(spec, Mapping):
        raise _invalid("A json_schema response_format needs a 'json_schema' object holding 'schema'.")
    schema = spec.get("schema", {})
    if not isinstance(schema, (Mapping, bool)):
        raise _invalid("response_format.json_schema.schema must be a JSON schema object.")
    return kind, json.dumps(schema)
