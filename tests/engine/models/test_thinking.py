"""The thinking switch: ``ChatTemplate.render(thinking=...)`` reaches templates as llama.cpp passes it.

Tiny GGUFs carry templates written like the real ones: Qwen3 (``enable_thinking`` false writes an empty
``<think>`` block after the generation prompt), SmolLM3 (``/think`` or ``/no_think`` in its system
block) and DeepSeek V3.1 (``thinking`` opens ``<think>`` or closes it at once). Their prompts differ as
the templates intend, ``reacts_to_thinking`` says so, and a plain ChatML template does not react.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine.models.gguf import read_gguf_info
from engine.models.templates import FALLBACK_TEMPLATES, ChatTemplate, load_template
from tests.gguf_tools import VT, tiny_gguf

QWEN3 = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{%- endif %}"
)

SMOLLM3 = (
    "{%- if enable_thinking is defined and enable_thinking is false %}{%- set reasoning_mode = '/no_think' %}"
    "{%- else %}{%- set reasoning_mode = '/think' %}{%- endif %}"
    "{{- '<|im_start|>system\\n## Metadata\\n\\nKnowledge Cutoff Date: June 2025\\n' }}"
    "{{- 'Today Date: ' + strftime_now('%d %B %Y') + '\\nReasoning Mode: ' + reasoning_mode + '\\n\\n' }}"
    "{%- if messages[0].role == 'system' %}{{- messages[0].content }}{%- endif %}{{- '<|im_end|>\\n' }}"
    "{%- for message in messages if message.role != 'system' %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if reasoning_mode == '/no_think' %}{{- '<think>\\n\\n</think>\\n' }}{%- endif %}{%- endif %}"
)

DEEPSEEK_V31 = (
    "{{ bos_token }}{%- for m in messages %}"
    "{%- if m.role == 'system' %}{{ m.content }}"
    "{%- elif m.role == 'user' %}{{ '<｜User｜>' + m.content }}"
    "{%- else %}{{ '<｜Assistant｜></think>' + m.content + '<｜end▁of▁sentence｜>' }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{%- if thinking is defined and thinking %}{{ '<｜Assistant｜><think>' }}"
    "{%- else %}{{ '<｜Assistant｜></think>' }}{%- endif %}{%- endif %}"
)

# Llama 3.x templates print the date llama.cpp passes.
DATED = ("{{ 'Today Date: ' + date_string + '\\n' }}"
         "{%- for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{%- endfor %}")

CONVERSATION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def from_gguf(tmp_path: Path, name: str, source: str) -> ChatTemplate:
    """The template as Hearth reads it from a model file (it renders in the renderer child)."""
    path = tiny_gguf(tmp_path / f"{name}.gguf", kv={"tokenizer.chat_template": (source, VT.STRING)})
    embedded = read_gguf_info(path).chat_template
    assert embedded == source
    return load_template(embedded, origin=str(path), bos_token="<s>")


def test_qwen3_style_thinking_off_writes_an_empty_think_block(tmp_path: Path) -> None:
    template = from_gguf(tmp_path, "qwen3", QWEN3)
    on = template.render(CONVERSATION, thinking=True)
    off = template.render(CONVERSATION, thinking=False)
    assert on.endswith("<|im_start|>assistant\n")
    assert off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert template.render(CONVERSATION) == on   # Qwen3 thinks unless told not to
    assert template.reacts_to_thinking is True
    assert template.thinking_default is True


def test_smollm3_style_reasoning_mode_goes_into_the_system_block(tmp_path: Path) -> None:
    template = from_gguf(tmp_path, "smollm3", SMOLLM3)
    on = template.render(CONVERSATION, thinking=True)
    off = template.render(CONVERSATION, thinking=False)
    assert "Reasoning Mode: /think\n" in on and "/no_think" not in on
    assert "Reasoning Mode: /no_think\n" in off
    assert datetime.now().strftime("%B %Y") in on   # strftime_now reaches the renderer child
    assert template.reacts_to_thinking is True
    assert template.thinking_default is True


def test_deepseek_v31_style_reads_thinking(tmp_path: Path) -> None:
    template = from_gguf(tmp_path, "deepseek", DEEPSEEK_V31)
    assert template.render(CONVERSATION, thinking=True).endswith("<｜User｜>Hi<｜Assistant｜><think>")
    assert template.render(CONVERSATION, thinking=False).endswith("<｜User｜>Hi<｜Assistant｜></think>")
    assert template.render(CONVERSATION).endswith("<｜Assistant｜></think>")   # off unless told
    assert template.reacts_to_thinking is True
    assert template.thinking_default is False


@pytest.mark.parametrize("source", [FALLBACK_TEMPLATES["chatml"], FALLBACK_TEMPLATES["gemma"]])
def test_templates_without_thinking_do_not_react(tmp_path: Path, source: str) -> None:
    builtin = load_template(source, origin="builtin")
    embedded = from_gguf(tmp_path, "plain", source)
    for template in (builtin, embedded):
        assert template.render(CONVERSATION, thinking=True) == template.render(CONVERSATION, thinking=False)
        assert template.reacts_to_thinking is False
        assert template.thinking_default is None


def test_date_string_is_passed_as_llama_cpp_does(tmp_path: Path) -> None:
    template = from_gguf(tmp_path, "dated", DATED)
    prompt = template.render([{"role": "user", "content": "Hi"}])
    assert prompt.startswith(f"Today Date: {datetime.now().strftime('%d %b %Y')}\n")
