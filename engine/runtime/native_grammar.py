"""Constrained replies in the worker process: OpenAI's ``response_format`` as a llama.cpp grammar (GBNF),
and llama.cpp's grammar sampler, refused cleanly when the grammar is bad.

``json_object`` is llama.cpp's JSON grammar (an object at the top); ``json_schema`` goes through
llama-cpp-python's JSON-schema converter (``llama_cpp.llama_grammar``), whose strings are then kept
to what strict JSON allows (no raw control characters), so ``json.loads`` reads every reply. A grammar
llama.cpp cannot parse makes ``llama_sampler_init_grammar`` return NULL: that becomes a
``NativeError("GrammarInvalid")``, never a crash. Runs only in the worker (it loads ``llama_cpp``).

``GrammarGate`` samples as llama.cpp's own common sampler does: the sampler chain picks from the full
logits, the grammar checks only the token picked, and only when it refuses that token are the logits
filtered by the grammar and the chain run again. Filtering all 49k tokens of SmolLM2's vocabulary
through the grammar at every step costs about 150 ms a token on a CPU; the check costs next to nothing.
"""
from __future__ import annotations

import ctypes
import json
import math
from typing import Any

import llama_cpp
import numpy

from engine.runtime.native import NativeError

JSON_OBJECT = "json_object"
JSON_SCHEMA = "json_schema"
ROOT_RULE = b"root"
# the converter's string character: any but '"' and '\'; strict JSON also refuses raw control characters
_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


def gbnf_for(kind: str, schema_json: str | None = None) -> str:
    """The GBNF text that holds a reply to ``kind`` ("json_object" or "json_schema" with ``schema_json``,
    the schema as JSON text; none: any JSON value); raises ``NativeError("GrammarInvalid")``."""
    from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

    if kind == JSON_OBJECT:
        return JSON_GBNF
    if kind != JSON_SCHEMA:
        raise NativeError("GrammarInvalid", f"Unknown response format {kind!r}: use json_object or json_schema.",
                          reason="format", params={"format": kind})
    try:
        schema = json.loads(schema_json or "{}")
    except ValueError as exc:
        raise NativeError("GrammarInvalid", f"The JSON schema is not valid JSON: {exc}.", reason="schema_json",
                          params={"said": str(exc)}) from None
    if not isinstance(schema, (dict, bool)):
        raise NativeError("GrammarInvalid", "The JSON schema must be an object.", reason="schema_type")
    try:
        text = json_schema_to_gbnf(json.dumps({} if schema is True else schema))
    except RecursionError:
        raise NativeError("GrammarInvalid", "The JSON schema nests too deeply (or refers to itself without end) "
                          "to become a grammar.", reason="schema_depth") from None
    except Exception as exc:  # noqa: BLE001 - the converter asserts and raises anything on schemas it cannot read
        said = str(exc) or type(exc).__name__
        raise NativeError("GrammarInvalid", f"This JSON schema cannot constrain a reply: {said}",
                          reason="schema", params={"said": said}) from None
    return text.replace(_LOOSE_CHAR, _STRICT_CHAR)


def grammar_sampler(vocab: Any, grammar: str) -> Any:
    """A llama.cpp grammar sampler for ``grammar`` (root rule ``root``); raises ``NativeError("GrammarInvalid")``
    when llama.cpp refuses the grammar (it says why in its log)."""
    if "\0" in grammar:
        raise NativeError("GrammarInvalid", "The grammar contains a NUL character.", reason="grammar")
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), ROOT_RULE)
    if not sampler:
        raise NativeError("GrammarInvalid", "llama.cpp could not parse the grammar (an unknown rule, a syntax "
                          "error, left recursion, or no rule named 'root'); nothing was generated.", reason="grammar")
    return sampler


def check_grammar(vocab: Any, grammar: str) -> None:
    """Raise ``NativeError("GrammarInvalid")`` unless llama.cpp accepts ``grammar``."""
    llama_cpp.llama_sampler_free(grammar_sampler(vocab, grammar))


_TOKEN_DATA = numpy.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])   # llama_token_data, packed


class GrammarGate:
    """A grammar for one reply; :meth:`sample` stands in for ``llama_sampler_sample(chain, ctx, -1)``."""

    def __init__(self, ctx: Any, vocab: Any, grammar: str) -> None:
        self.grammar = grammar_sampler(vocab, grammar)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self._ids = numpy.arange(self.n_vocab, dtype=numpy.int32)
        self._data = (llama_cpp.llama_token_data * self.n_vocab)()
        self._rows = numpy.frombuffer(self._data, dtype=_TOKEN_DATA)
        self._all = llama_cpp.llama_token_data_array(self._data, self.n_vocab, -1, False)
        self._one = (llama_cpp.llama_token_data * 1)()
        self._single = llama_cpp.llama_token_data_array(self._one, 1, -1, False)

    def _pick(self, chain: Any, logits: Any, constrained: bool) -> int:
        rows = self._rows
        rows["id"] = self._ids       # the chain sorts and cuts the array in place: start afresh
        rows["logit"] = logits
        rows["p"] = 0.0
        cur = self._all
        cur.data, cur.size, cur.selected, cur.sorted = self._data, self.n_vocab, -1, False
        if constrained:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(cur))
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(cur))
        if cur.selected < 0:
            raise NativeError("GrammarInvalid", "The grammar allows no token here; the reply stopped.",
                              reason="dead_end")
        return int(cur.data[cur.selected].id)

    def allows(self, token: int) -> bool:
        one = self._one[0]
        one.id, one.logit, one.p = token, 1.0, 0.0
        single = self._single
        single.data, single.size, single.selected, single.sorted = self._one, 1, -1, False
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(single))
        return not math.isinf(self._one[0].logit)

    def sample(self, chain: Any, ctx: Any, index: int = -1) -> int:
        """The next token: the chain's choice when the grammar allows it, else its choice among the allowed."""
        logits = numpy.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, index), shape=(self.n_vocab,))
        token = self._pick(chain, logits, False)
        if not self.allows(token):
            token = self._pick(chain, logits, True)
        llama_cpp.llama_sampler_accept(self.grammar, token)
        llama_cpp.llama_sampler_accept(chain, token)
        return token

    def close(self) -> None:
        if self.grammar:
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None
