"""Hearth renders chat templates as llama.cpp does: its own test cases, byte for byte.

The fixture (tests/data/chat_template_conformance.json) is written by
tests/engine/models/conformance/extract.py from ``tests/test-chat-template.cpp`` and
``models/templates/*.jinja`` of the llama.cpp vendored in the llama-cpp-python sdist.
Each case renders as llama.cpp's Jinja path does (``common_chat_templates_apply``): the
shared conversation plus the case's extra messages, its bos/eos tokens, a generation
prompt, ``enable_thinking`` true (llama.cpp's default) and a system prompt merged into the
first user message when the template does not take one. They go through
:func:`engine.chat.prompt_preview.preview_prompt`, the path of ``hearth prompt`` (all but the three
tool-call cases, whose roles no Hearth chat has).
"""
from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from engine.chat.prompt_preview import ROLES, check_messages, preview_prompt
from engine.models.templates import ChatTemplate, load_template

FIXTURE = Path(__file__).parents[2] / "data" / "chat_template_conformance.json"


@lru_cache(maxsize=1)
def fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _template(source: str, name: str, bos: str, eos: str) -> ChatTemplate:
    return load_template(source, origin=f"llama.cpp conformance: {name}", bos_token=bos, eos_token=eos)


def _case_params() -> list[Any]:
    return [pytest.param(case, id=case["name"],
                         marks=[pytest.mark.skip(reason=case["skip"])] if case.get("skip") else [])
            for case in fixture()["cases"]]


def test_fixture_names_its_source() -> None:
    source = fixture()["source"]
    assert source["package"] == "llama-cpp-python" and source["version"]
    assert len(fixture()["cases"]) >= 30 and len(fixture()["template_files"]) >= 50


@pytest.mark.parametrize("case", _case_params())
def test_llama_cpp_case_renders_byte_for_byte(case: dict[str, Any]) -> None:
    template = _template(case["template"], case["name"], case["bos_token"], case["eos_token"])
    messages = fixture()["conversation"] + case["extra_messages"]
    if all(m["role"] in ROLES for m in messages):   # a chat: through what `hearth prompt` and a send use
        prompt = preview_prompt(template, check_messages(messages), thinking=True)
    else:                                           # granite's tool-call roles: no Hearth chat has them yet
        prompt = template.render(messages, add_generation_prompt=True, thinking=True)
    assert prompt == case["expected"]


def _file_params() -> list[Any]:
    return [pytest.param(name, id=name) for name in sorted(fixture()["template_files"])]


@pytest.mark.parametrize("name", _file_params())
def test_real_model_template_renders(name: str) -> None:
    """What ``test-chat-template models/templates`` checks (it has no expected text): every file renders its
    default input; a system prompt before a user message appears in the prompt (merged when the template
    refuses it)."""
    data = fixture()["default_input"]
    template = _template(fixture()["template_files"][name], name, data["bos_token"], data["eos_token"])
    prompt = template.render(data["messages"], add_generation_prompt=True, thinking=True)
    assert "Hello, how are you?" in prompt
    system = [{"role": "system", "content": "You are a helpful assistant"}, data["messages"][0]]
    assert "You are a helpful assistant" in template.render(system, add_generation_prompt=True, thinking=True)


def test_totals_for_the_record(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the totals (run with -s): cases that llama.cpp runs, and the ones it skips with why."""
    cases = fixture()["cases"]
    skipped = [case for case in cases if case.get("skip")]
    reasons = Counter(case["skip"] for case in skipped)
    with capsys.disabled():
        print(f"\nllama.cpp conformance ({fixture()['source']['version']}): {len(cases) - len(skipped)} cases "
              f"checked byte for byte, {len(skipped)} skipped, {len(fixture()['template_files'])} model files")
        for case in skipped:
            print(f"  skipped {case['name']}: {case['skip']}")
    assert sum(reasons.values()) == len(skipped) < len(cases) // 4
