"""Chat templates: exact rendering, hostile templates refused before anything runs, limits, fallbacks."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from engine.errors import TemplateError, TemplateTimeout, UnsafeTemplate
from engine.models.template_renderer import renderer
from engine.models.templates import (FALLBACK_TEMPLATES, ChatTemplate, choose_template, load_template,
                                    merge_system_prompt, named_templates)

ORIGIN = "/models/some-model.gguf"

SMOLLM2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"  # noqa: E501

QWEN3_LIKE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- else %}{{- '<think>\\n' }}{%- endif %}"
    "{%- endif %}"
)

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Bye"},
]


def load(source: str, origin: str = ORIGIN) -> ChatTemplate:
    return load_template(source, origin=origin)


# --- rendering real templates -------------------------------------------------

def test_smollm2_template_renders_exactly() -> None:
    template = load(SMOLLM2)
    assert template.name == "embedded"
    assert template.render([{"role": "user", "content": "What is 2+2?"}]) == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert template.render([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
                           add_generation_prompt=False) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"
    )


def test_trim_blocks_and_hf_globals() -> None:
    source = (
        "{% set ns = namespace(n=0) %}\n"
        "{% for m in messages %}\n"
        "{% set ns.n = ns.n + 1 %}\n"
        "{% if m.role == 'skip' %}{% continue %}{% endif %}\n"
        "  {% generation %}{{ m | tojson }}{% endgeneration %}\n"
        "{% endfor %}\n"
        "{{ ns.n }}|{{ strftime_now('%Y') | length }}|{{ bos_token }}{{ eos_token }}|{{ tools }}"
    )
    template = load_template(source, origin=ORIGIN, bos_token="<s>", eos_token="</s>")
    out = template.render([{"role": "user", "content": "héllo"}, {"role": "skip", "content": "x"}])
    assert out == '{"role": "user", "content": "héllo"}2|4|<s></s>|'  # no tools: undefined, as in llama.cpp


def test_raise_exception_gives_template_error_with_its_text() -> None:
    template = load("{% if messages[0]['role'] != 'system' %}{{ raise_exception('no system') }}{% endif %}"
                    "{{ messages[0]['content'] }}")
    with pytest.raises(TemplateError) as err:
        template.render([{"role": "user", "content": "x"}])
    assert "no system" in str(err.value)
    assert ORIGIN in str(err.value)
    assert not isinstance(err.value, (UnsafeTemplate, TemplateTimeout))
    assert template.render([{"role": "system", "content": "ok"}]) == "ok"


def test_syntax_error_names_the_file() -> None:
    with pytest.raises(TemplateError) as err:
        load("{% for m in messages %}")
    assert ORIGIN in str(err.value)


def test_runtime_failure_names_the_file_and_the_cause() -> None:
    template = load("{{ messages[0]['content'] + 1 }}")
    with pytest.raises(TemplateError) as err:
        template.render([{"role": "user", "content": "x"}])
    assert ORIGIN in str(err.value) and "TypeError" in str(err.value)


# --- hostile templates ----------------------------------------------------------

HOSTILE = [
    "{{ lipsum.__globals__['os'].popen('touch MARKER') }}",
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ()|attr('__class__') }}",
    "{{ messages|attr('__class__') }}",
    "{{ self._TemplateReference__context }}",
    "{{ messages[0]['content']|attr('_'*2 ~ 'class' ~ '_'*2) }}",
    "{{ joiner() }}{{ namespace }}",
    "{{ messages|map(attribute='__class__')|list }}",
    "{% set x = config %}{{ x }}",
    "{{ request['__init__'] }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_templates_are_refused_before_anything_runs(
        source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source.replace("MARKER", str(tmp_path / "MARKER"))
    monkeypatch.chdir(tmp_path)
    origin = str(tmp_path / "evil-model.gguf")
    with pytest.raises(UnsafeTemplate) as err:
        choose_template(source, architecture="llama", chat_markers=(), origin=origin)
    assert origin in str(err.value)
    assert not (tmp_path / "MARKER").exists()


def test_namespace_is_allowed() -> None:
    template = load("{% set ns = namespace(found=false) %}{% set ns.found = true %}{{ ns.found }}")
    assert template.render([]) == "True"


def test_dynamic_dunder_lookup_is_stopped_by_the_sandbox_at_render() -> None:
    template = load("{{ messages[0]['_'*2 ~ 'class' ~ '_'*2] }}")
    with pytest.raises(UnsafeTemplate) as err:
        template.render([{"role": "user", "content": "x"}])
    assert ORIGIN in str(err.value)


def test_immutable_sandbox_refuses_mutation() -> None:
    template = load("{{ messages.append(1) }}")
    with pytest.raises(UnsafeTemplate):
        template.render([])


# --- limits ---------------------------------------------------------------------

def test_endless_loop_is_stopped_by_the_deadline() -> None:
    template = load("{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}")
    started = time.monotonic()
    with pytest.raises(TemplateTimeout) as err:
        template.render([], timeout_s=0.5)
    assert time.monotonic() - started < 1.0
    assert ORIGIN in str(err.value)


def test_huge_range_is_refused() -> None:
    with pytest.raises(TemplateError):
        load("{% for i in range(10**9) %}{% endfor %}").render([])


@pytest.mark.parametrize("expression", [
    "'a' * 100000000",
    "100000000 * 'a'",
    "[1] * 100000000",
    "9 ** 100000",
    "(9 ** 1000) ** 1000",
    "('a' * 999999) + ('b' * 999999)",
    "('a' * 999999) ~ ('b' * 999999)",
    "(['a' * 999999] * 1000) | join",
])
def test_huge_values_are_refused_quickly(expression: str) -> None:
    template = load("{{ " + expression + " }}")
    started = time.monotonic()
    with pytest.raises(TemplateError) as err:
        template.render([])
    assert time.monotonic() - started < 0.5
    assert ORIGIN in str(err.value)


def test_moderate_values_still_work() -> None:
    assert load("{{ ('ab' * 3) ~ ('-' + 'x') }}|{{ 2 ** 10 }}|{{ [1, 2] + [3] }}").render([]) == \
        "ababab-x|1024|[1, 2, 3]"


def _dummy_tracer(frame: FrameType, event: str, arg: Any) -> None:
    return None


def test_previous_trace_function_is_restored() -> None:
    previous = sys.gettrace()
    sys.settrace(_dummy_tracer)
    try:
        load(SMOLLM2).render([{"role": "user", "content": "x"}])
        assert sys.gettrace() is _dummy_tracer
        with pytest.raises(TemplateTimeout):
            load("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
                 ).render([], timeout_s=0.2)
        assert sys.gettrace() is _dummy_tracer
        with pytest.raises(TemplateError):
            load("{{ raise_exception('x') }}").render([])
        assert sys.gettrace() is _dummy_tracer
    finally:
        sys.settrace(previous)


# --- identity -------------------------------------------------------------------

def test_hash_is_stable_and_differs() -> None:
    a = load(SMOLLM2)
    assert a.hash == load(SMOLLM2).hash
    assert len(a.hash) == 64
    assert a.hash != load(FALLBACK_TEMPLATES["chatml"]).hash


def test_compiled_once_per_template() -> None:
    builtin = load(FALLBACK_TEMPLATES["chatml"])
    assert builtin.trusted
    builtin.render([])
    compiled = builtin.__dict__["_compiled"]
    builtin.render([{"role": "user", "content": "x"}])
    assert builtin.__dict__["_compiled"] is compiled
    embedded = load(SMOLLM2)   # from a model file: compiled once in the renderer child, never here
    assert not embedded.trusted
    embedded.render([])
    assert embedded.hash + "\0" + ORIGIN in renderer()._known
    assert "_compiled" not in embedded.__dict__


def test_generation_starts_in_reasoning() -> None:
    assert load(QWEN3_LIKE).generation_starts_in_reasoning is True
    assert load(FALLBACK_TEMPLATES["chatml"]).generation_starts_in_reasoning is False
    assert load(SMOLLM2).generation_starts_in_reasoning is False


# --- fallbacks ------------------------------------------------------------------

def test_gemma_fallback_from_markers() -> None:
    origin = "/models/gemma-3-270m.gguf"
    template = choose_template(None, architecture="gemma3", chat_markers={"<start_of_turn>", "<end_of_turn>"},
                               origin=origin, bos_token="<bos>", eos_token="<eos>")
    assert template.name == "gemma"
    assert "gemma-3-270m.gguf" in template.fallback_reason
    assert "Gemma" in template.fallback_reason
    assert template.render(CONVERSATION) == (
        "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_gemma_fallback_from_architecture() -> None:
    template = choose_template("", architecture="gemma3", chat_markers=(), origin="/m/g.gguf")
    assert template.name == "gemma"
    assert "architecture gemma3" in template.fallback_reason


def test_llama3_fallback() -> None:
    template = choose_template(None, architecture="llama", chat_markers={"<|start_header_id|>", "<|eot_id|>"},
                               origin="/m/llama.gguf", bos_token="<|begin_of_text|>")
    assert template.name == "llama3"
    assert template.render([{"role": "user", "content": "Hi"}]) == (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    by_arch = choose_template(None, architecture="llama", chat_markers={"<|eot_id|>"}, origin="/m/l.gguf")
    assert by_arch.name == "llama3"


def test_chatml_is_the_default() -> None:
    template = choose_template(None, architecture="somethingnew", chat_markers=(), origin="/m/new-model.gguf")
    assert template.name == "chatml"
    assert "new-model.gguf" in template.fallback_reason
    assert template.render([{"role": "user", "content": "Hi"}]) == \
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert choose_template(None, architecture="llama", chat_markers=(), origin="/m/x.gguf").name == "chatml"
    assert choose_template(None, architecture="qwen2", chat_markers=(), origin="/m/x.gguf").name == "chatml"


@pytest.mark.parametrize(("markers", "architecture", "family"), [
    ({"<|im_start|>"}, "llama", "chatml"),
    ({"[INST]"}, "llama", "mistral"),
    ({"<|user|>", "<|end|>"}, "llama", "phi3"),
    ((), "phi3", "phi3"),
    ((), "mistral", "mistral"),
    ((), "gemma2", "gemma"),
])
def test_fallback_choice(markers: set[str], architecture: str, family: str) -> None:
    assert choose_template(None, architecture=architecture, chat_markers=markers, origin="/m/x.gguf").name == family


def test_embedded_template_wins() -> None:
    template = choose_template(SMOLLM2, architecture="gemma3", chat_markers={"<start_of_turn>"}, origin=ORIGIN)
    assert template.name == "embedded"
    assert template.fallback_reason == ""


@pytest.mark.parametrize("name", sorted(FALLBACK_TEMPLATES))
def test_every_fallback_renders(name: str) -> None:
    template = load_template(FALLBACK_TEMPLATES[name], origin=ORIGIN, name=name, bos_token="<s>", eos_token="</s>")
    out = template.render(CONVERSATION)
    for text in ("Be brief.", "Hi", "Hello!", "Bye"):
        assert text in out


def test_llama2_and_mistral_shapes() -> None:
    convo = CONVERSATION
    llama2 = load_template(FALLBACK_TEMPLATES["llama2"], origin=ORIGIN, bos_token="<s>", eos_token="</s>")
    assert llama2.render(convo) == (
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]"
    )
    mistral = load_template(FALLBACK_TEMPLATES["mistral"], origin=ORIGIN, bos_token="<s>", eos_token="</s>")
    assert mistral.render(convo) == "<s>[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST] Bye [/INST]"
    phi3 = load_template(FALLBACK_TEMPLATES["phi3"], origin=ORIGIN)
    assert phi3.render([{"role": "user", "content": "Hi"}]) == "<|user|>\nHi<|end|>\n<|assistant|>\n"


# --- system prompts, the scan's own names, named templates ------------------------------

GEMMA_1 = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
           "{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + message['content'] | trim"
           " + '<end_of_turn>\\n' }}{% endfor %}")
SYSTEM_IGNORED = ("{% for m in messages %}{% if m.role != 'system' %}[{{ m.role }}]{{ m.content }}{% endif %}"
                  "{% endfor %}")


@pytest.mark.parametrize("source", [GEMMA_1, SYSTEM_IGNORED])
def test_system_prompt_is_merged_when_the_template_refuses_or_drops_it(source: str) -> None:
    template = load(source)
    assert template.merges_system
    out = template.render(CONVERSATION)
    assert "Be brief.\nHi" in out and "system" not in out
    assert merge_system_prompt(CONVERSATION[:1]) == []   # alone it is dropped, as llama.cpp does


def test_system_prompt_stays_where_the_template_takes_it() -> None:
    template = load(SMOLLM2)
    assert not template.merges_system
    assert "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi" in template.render(CONVERSATION)
    assert all(not load(source, origin="builtin").merges_system for source in FALLBACK_TEMPLATES.values())


def test_macros_and_variables_the_template_names_itself_may_start_with_underscores() -> None:
    source = ("{%- macro __render(m) %}{{ m.role }}:{{ m.content }};{% endmacro %}"
              "{%- set __sep = '|' %}{% for __m in messages %}{{ __render(__m) }}{{ __sep }}{% endfor %}")
    assert load(source).render([{"role": "user", "content": "hi"}]) == "user:hi;|"
    for hostile in ("{{ __builtins__ }}", "{% macro __x() %}{% endmacro %}{{ __x.__globals__ }}",
                    "{% set config = 1 %}{{ config }}"):
        with pytest.raises(UnsafeTemplate):
            load(hostile)


def test_undefined_or_none_plus_text_is_the_text_as_in_llama_cpp() -> None:
    template = load("{{ 'a' + nothing + 'b' }}|{{ (none + 'c') }}")
    assert template.render([]) == "ab|c"


def test_named_templates_are_read_from_the_header_and_kept() -> None:
    meta = {"tokenizer.chat_template": "{{ 'default' }}", "tokenizer.chat_templates": ["tool_use", "rag"],
            "tokenizer.chat_template.tool_use": "{{ 'tools' }}", "tokenizer.chat_template.rag": "{{ 'rag' }}",
            "tokenizer.chat_template.empty": "  "}
    named = named_templates(meta)
    assert named == {"tool_use": "{{ 'tools' }}", "rag": "{{ 'rag' }}"}
    template = choose_template(meta["tokenizer.chat_template"], architecture="llama", chat_markers=(), origin=ORIGIN,
                               named=named)
    assert template.render([]) == "default" and template.named_templates == named
    only_tools = choose_template(None, architecture="llama", chat_markers=(), origin=ORIGIN,
                                 named={"tool_use": "{{ 'tools' }}"})
    assert only_tools.render([]) == "tools"
