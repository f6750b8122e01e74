"""Replies held to a llama.cpp grammar (GBNF) in the worker, real SmolLM2: only grammar-valid text comes out,
sampled or greedy; OpenAI response formats become grammars in the worker; a bad grammar or schema is a clear
``GrammarInvalid`` and the same worker process answers the next request."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from engine import errors
from engine.runtime.client import Done, Runtime
from engine.sampling import Sampling

YES_NO = 'root ::= ("yes" | "no") "." " " digit digit\ndigit ::= [0-9]'
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


def _reply(runtime: Runtime, question: str, sampling: Sampling, grammar: str = "") -> tuple[str, dict[str, Any]]:
    prompt = runtime.info.template.render([{"role": "user", "content": question}])
    text, stats = [], {}
    for item in runtime.generate(prompt, sampling, grammar=grammar):
        if isinstance(item, Done):
            stats = item.stats
        else:
            text.append(item)
    return "".join(text), stats


def test_a_grammar_holds_every_reply_sampled_or_greedy(smol_runtime: Runtime) -> None:
    free, _ = _reply(smol_runtime, "Is the sky blue? Answer, then give a number.", Sampling(temperature=0, max_tokens=12))
    assert not re.fullmatch(r"(yes|no)\. \d\d", free)   # the model alone does not write this shape
    for seed in range(4):
        text, stats = _reply(smol_runtime, "Is the sky blue? Answer, then give a number.",
                             Sampling(temperature=1.5, top_k=0, top_p=1.0, min_p=0.0, seed=seed, max_tokens=30),
                             grammar=YES_NO)
        assert re.fullmatch(r"(yes|no)\. \d\d", text), text
        assert stats["finish_reason"] == "stop"   # the grammar complete, only end-of-generation is allowed


def test_response_formats_become_grammars_that_hold_json(smol_runtime: Runtime) -> None:
    any_object = smol_runtime.grammar_for({"type": "json_object"})
    assert "root" in any_object and smol_runtime.grammar_for({"type": "text"}) == ""
    text, _ = _reply(smol_runtime, "What is the capital of France? Answer in JSON.",
                     Sampling(temperature=0, max_tokens=200, repeat_penalty=1.0), any_object)
    assert isinstance(json.loads(text), dict)
    person = smol_runtime.grammar_for({"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}})
    text, _ = _reply(smol_runtime, "Ann is 31 years old. Reply in JSON with her name and age.",
                     Sampling(temperature=0.8, seed=5, max_tokens=200), person)
    data = json.loads(text)
    assert set(data) == {"name", "age"} and isinstance(data["name"], str) and type(data["age"]) is int


@pytest.mark.parametrize("grammar, said", [("root ::= answer", "Undefined rule identifier 'answer'"),
                                           ('root ::= "a" (', "expecting ')'"),
                                           ('root ::= root "a"', "left recursion")])
def test_a_bad_grammar_is_a_clear_error_and_the_worker_lives_on(smol_runtime: Runtime, grammar: str,
                                                                said: str) -> None:
    pid = smol_runtime.worker_pid
    with pytest.raises(errors.GrammarInvalid) as caught:
        _reply(smol_runtime, "Say yes.", Sampling(temperature=0, max_tokens=8), grammar)
    assert "could not parse the grammar" in str(caught.value) and said in str(caught.value)
    assert caught.value.hint
    text, stats = _reply(smol_runtime, "Say yes.", Sampling(temperature=0, max_tokens=8))
    assert text and stats["completion_tokens"] > 0 and smol_runtime.worker_pid == pid


@pytest.mark.parametrize("response_format, said", [
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "mystery"}}}, "Unrecognized schema"),
    ({"type": "json_schema", "json_schema": {"schema": {"type": "string", "pattern": "[a-"}}}, "Pattern"),
    ({"type": "json_schema", "json_schema": {"schema": {"$ref": "#/definitions/nowhere"}}}, "nowhere"),
    ({"type": "json_schema", "json_schema": {"schema": "an object"}}, "must be a JSON schema object"),
    ({"type": "xml"}, "Unknown response_format type"),
])
def test_a_schema_that_cannot_become_a_grammar_is_refused(smol_runtime: Runtime, response_format: dict[str, Any],
                                                          said: str) -> None:
    pid = smol_runtime.worker_pid
    with pytest.raises(errors.GrammarInvalid) as caught:
        smol_runtime.grammar_for(response_format)
    assert said in str(caught.value)
    assert smol_runtime.worker_pid == pid
    assert smol_runtime.grammar_for({"type": "json_object"})   # the worker still answers
