"""Chat templates: turn a conversation into the prompt text a model expects.

A GGUF file usually carries its own Jinja chat template. That template comes
from whoever made the file, so it is treated as untrusted code:

* before anything runs, a static scan of its syntax tree refuses templates that
  reach for Python internals (``__class__``, ``|attr``, ``lipsum`` ...);
* it renders in Jinja's immutable sandbox (:mod:`engine.models.template_sandbox`),
  where every operator, filter and method that multiplies size checks the size
  before building anything;
* it renders in a child process with a memory limit, killed at its deadline
  (:mod:`engine.models.template_renderer`). Only Hearth's own built-in
  templates (FALLBACK_TEMPLATES) render in this process, under a trace deadline.

Files without a template get a built-in one chosen from the vocabulary's
special tokens or the architecture (:func:`choose_template`).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import nodes

from engine.errors import TemplateError, TemplateTimeout, TemplateTooLarge, UnsafeTemplate
from engine.models.template_renderer import renderer
from engine.models.template_sandbox import (MAX_EXPONENT, MAX_ITEMS, MAX_POWER_BITS, MAX_TEXT, compile_template,
                                            new_environment, render_compiled)

if TYPE_CHECKING:
    from engine.models.gguf_info import GGUFInfo

__all__ = ["FALLBACK_TEMPLATES", "GEMMA4_TAGS", "HARMONY_MARKERS", "REASONING_TAGS", "SHOWN_SPECIALS", "ChatTemplate",
           "builtin_template", "choose_template", "load_template", "template_for_file"]

__all__ += ["MAX_EXPONENT", "MAX_ITEMS", "MAX_POWER_BITS", "MAX_TEXT", "merge_system_prompt", "named_templates"]

# Names a template may not read: Jinja's default globals that expose Python
# objects, and names that template-injection payloads go looking for.
FORBIDDEN_NAMES = frozenset({"lipsum", "cycler", "joiner", "self", "config", "request", "os", "sys", "getattr",
                             "setattr", "globals", "builtins", "eval", "exec", "open", "subprocess"})
# Filters whose string arguments name attributes (``map(attribute='...')``).
ATTRIBUTE_FILTERS = frozenset({"map", "selectattr", "rejectattr", "groupby", "sort", "sum", "unique",
                               "min", "max", "items"})
REFUSED_FILTERS = frozenset({"attr"})


# --- built-in templates -------------------------------------------------------

_SPLIT_SYSTEM = (
    "{% if messages and messages[0]['role'] == 'system' %}"
    "{% set system = messages[0]['content'] %}{% set loop_messages = messages[1:] %}"
    "{% else %}{% set system = '' %}{% set loop_messages = messages %}{% endif %}"
)

FALLBACK_TEMPLATES: dict[str, str] = {
    "chatml": (
        "{% for message in messages %}"
        "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    ),
    "gemma": (
        "{{ bos_token }}" + _SPLIT_SYSTEM +
        "{% if system and not loop_messages %}"
        "{{ '<start_of_turn>user\\n' + system | trim + '<end_of_turn>\\n' }}{% endif %}"
        "{% for message in loop_messages %}"
        "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
        "{% set content = message['content'] | trim %}"
        "{% if loop.first and system %}{% set content = system | trim + '\\n\\n' + content %}{% endif %}"
        "{{ '<start_of_turn>' + role + '\\n' + content + '<end_of_turn>\\n' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
    ),
    "llama3": (
        "{{ bos_token }}"
        "{% for message in messages %}"
        "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
        " + message['content'] | trim + '<|eot_id|>' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
    ),
    "llama2": (
        _SPLIT_SYSTEM +
        "{% for message in loop_messages %}"
        "{% if message['role'] == 'user' %}"
        "{% set content = message['content'] | trim %}"
        "{% if loop.first and system %}"
        "{% set content = '<<SYS>>\\n' + system | trim + '\\n<</SYS>>\\n\\n' + content %}{% endif %}"
        "{{ bos_token + '[INST] ' + content + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] | trim + ' ' + eos_token }}"
        "{% endif %}"
        "{% endfor %}"
    ),
    "mistral": (
        "{{ bos_token }}" + _SPLIT_SYSTEM +
        "{% for message in loop_messages %}"
        "{% if message['role'] == 'user' %}"
        "{% set content = message['content'] | trim %}"
        "{% if loop.first and system %}{% set content = system | trim + '\\n\\n' + content %}{% endif %}"
        "{{ '[INST] ' + content + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}{{ message['content'] | trim + eos_token }}"
        "{% endif %}"
        "{% endfor %}"
    ),
    # For base (not instruction-tuned) models: a plain transcript they can continue.
    "transcript": (
        "{{ bos_token }}" + _SPLIT_SYSTEM +
        "{{ (system | trim if system else 'The following is a conversation between a user and a helpful assistant.')"
        " + '\\n\\n' }}"
        "{% for message in loop_messages %}"
        "{{ ('User: ' if message['role'] == 'user' else 'Assistant: ') + message['content'] | trim + '\\n' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
    ),
    "phi3": (
        "{% for message in messages %}"
        "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
    ),
}

_DISPLAY_NAMES = {"chatml": "ChatML", "gemma": "Gemma", "llama3": "Llama 3", "llama2": "Llama 2",
                  "mistral": "Mistral", "phi3": "Phi-3", "transcript": "plain transcript"}

# Text that ends a reply although the model emits no end-of-turn token.
STOP_STRINGS: dict[str, tuple[str, ...]] = {"transcript": ("\nUser:", "\nAssistant:")}

# Checked in order: the first marker found in the vocabulary decides.
_MARKERS: tuple[tuple[str, str], ...] = (
    ("<start_of_turn>", "gemma"),
    ("<|start_header_id|>", "llama3"),
    ("<|im_start|>", "chatml"),
    ("[INST]", "mistral"),
    ("<|user|>", "phi3"),
    ("<|end|>", "phi3"),
)

# How reasoning models open and close their thinking (engine.chat.reasoning splits a reply on these).
REASONING_TAGS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<reasoning>", "</reasoning>"),
    ("[THINK]", "[/THINK]"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"),
)
# gpt-oss's harmony message markers and Gemma 4's channel markers (engine.chat.reasoning reads both).
HARMONY_MARKERS = ("<|start|>", "<|channel|>", "<|message|>", "<|end|>", "<|return|>", "<|call|>", "<|constrain|>")
GEMMA4_TAGS: tuple[tuple[str, str], ...] = (("<|channel>thought", "<channel|>"),)
# Special tokens a reply keeps as text: llama.cpp hides control tokens, but the reasoning splitter needs these.
SHOWN_SPECIALS = tuple(dict.fromkeys(HARMONY_MARKERS + ("<|channel>", "<channel|>")
                                     + tuple(tag for pair in REASONING_TAGS for tag in pair)))
_OPEN_REASONING = tuple(open_tag for open_tag, _ in REASONING_TAGS)
_TRUSTED_SOURCES = frozenset(FALLBACK_TEMPLATES.values())
_SYSTEM_PROBE = "<<Hearth system prompt probe>>"


def merge_system_prompt(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """llama.cpp's ``system_message_not_supported``: a leading system message is joined to the next message
    (system text + "\\n" + its text); alone, it is dropped."""
    first, rest = messages[0], [dict(message) for message in messages[1:]]
    if rest:
        rest[0]["content"] = f"{first.get('content', '')}\n{rest[0].get('content', '')}"
    return rest


# --- static scan --------------------------------------------------------------

def _private(name: object) -> bool:
    return isinstance(name, str) and any(part.startswith("_") for part in name.split("."))


def _defined_names(tree: nodes.Template) -> set[str]:
    """Names the template defines itself: macros, ``set`` and ``for`` targets, macro parameters."""
    names = {node.name for node in tree.find_all((nodes.Macro, nodes.Name))
             if isinstance(node, nodes.Macro) or node.ctx in ("store", "param")}
    return names - FORBIDDEN_NAMES


def _find_unsafe(tree: nodes.Template) -> str | None:
    """A description of the first construct that reaches for Python internals, or None.

    Attributes and items named ``_...`` and the FORBIDDEN_NAMES are refused; a ``__name`` is refused
    only when the template does not define it itself (YandexGPT's ``{% macro __render_tool(tool) %}``).
    """
    own = _defined_names(tree)
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            return f"access to the attribute {node.attr!r}"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and _private(node.arg.value):
            return f"access to the item {node.arg.value!r}"
        if isinstance(node, nodes.Name) and node.ctx == "load" and (
                node.name in FORBIDDEN_NAMES or (node.name.startswith("__") and node.name not in own)):
            return f"the name {node.name!r}"
        if isinstance(node, (nodes.Filter, nodes.Test)):
            if node.name in REFUSED_FILTERS:
                return f"the filter '|{node.name}'"
            if node.name in ATTRIBUTE_FILTERS:
                args = list(node.args) + [kw.value for kw in node.kwargs]
                for arg in args:
                    if isinstance(arg, nodes.Const) and _private(arg.value):
                        return f"the attribute {arg.value!r} in '|{node.name}'"
    return None


# --- the template -------------------------------------------------------------

@dataclass(frozen=True)
class ChatTemplate:
    """A validated chat template; renders conversations in a sandbox under a deadline."""

    source: str
    name: str
    origin: str
    bos_token: str = ""
    eos_token: str = ""
    fallback_reason: str = ""
    # The file's other templates by name (``tokenizer.chat_template.tool_use`` ...), kept, never rendered here.
    named_templates: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stop_strings(self) -> tuple[str, ...]:
        """Strings that end a reply for this format (the transcript has no end-of-turn token)."""
        return STOP_STRINGS.get(self.name, ())

    @cached_property
    def hash(self) -> str:
        """sha256 of the source, hex: identifies the template in caches and logs."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def trusted(self) -> bool:
        """True for Hearth's own built-in templates, which render in this process; others render in a child."""
        return self.source in _TRUSTED_SOURCES

    @cached_property
    def _compiled(self) -> jinja2.Template:
        return compile_template(self.source, self.origin)

    def render(self, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool = True,
               timeout_s: float = 2.0, thinking: bool | None = None) -> str:
        """The prompt text for ``messages`` (dicts with 'role' and 'content').

        ``thinking`` switches a reasoning model's thinking on or off (``enable_thinking``, as llama.cpp
        passes it, and ``thinking``, which DeepSeek V3.1 reads); None leaves the template's default.
        The date goes in as llama.cpp passes it (``date_string``, ``datetime``).

        A template from a model file renders in the renderer child (killed after ``timeout_s``, with a
        memory limit); a built-in one here. Failures raise TemplateError (TemplateTimeout,
        TemplateTooLarge, UnsafeTemplate) naming the model file.

        A template that refuses or drops a system message (Gemma 1/2, Mistral v0.1/v0.2, Phi-3-mini ...;
        see ``merges_system``) gets the system prompt merged into the first user message, as llama.cpp does.
        """
        if messages and messages[0].get("role") == "system" and self.merges_system:
            messages = merge_system_prompt(messages)
        return self._render_raw(messages, add_generation_prompt=add_generation_prompt, timeout_s=timeout_s,
                                thinking=thinking)

    def _render_raw(self, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool = True,
                    timeout_s: float = 2.0, thinking: bool | None = None) -> str:
        """``render`` without the system-prompt merge."""
        now = datetime.now()
        variables = {
            "messages": [dict(message) for message in messages],
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
            # no "tools": llama.cpp leaves it undefined without tools, and tool_use templates loop over it
            "date_string": now.strftime("%d %b %Y"),
            "datetime": now.strftime("%b %d %Y"),
        }
        if thinking is not None:
            variables["enable_thinking"] = variables["thinking"] = bool(thinking)
        if self.trusted:
            return render_compiled(self._compiled, variables, timeout_s, self.origin)
        return renderer().render(self.source, self.hash, self.origin, variables, timeout_s)

    @cached_property
    def thinking_default(self) -> bool | None:
        """Whether the template thinks when not told (None: switching thinking changes nothing in its prompt).

        Found by rendering a probe conversation with thinking on, off and unset and comparing the prompts.
        """
        probe = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hi"}]
        for messages in (probe, probe[1:]):
            try:
                on, off, default = (self.render(messages, thinking=t) for t in (True, False, None))
            except TemplateError:
                continue
            return None if on == off else default == on
        return None

    @property
    def reacts_to_thinking(self) -> bool:
        """True when ``render(thinking=...)`` changes the prompt (Qwen3, SmolLM3, DeepSeek V3.1, Gemma 4 ...)."""
        return self.thinking_default is not None

    @cached_property
    def merges_system(self) -> bool:
        """True when the template does not take a system message, so ``render`` merges it into the first user
        message (llama.cpp's ``supports_system_role`` check: a probe system prompt must render and appear).

        Probed once per template, with a system message and a user message.
        """
        probe = [{"role": "system", "content": _SYSTEM_PROBE}, {"role": "user", "content": "User message"}]
        try:
            return _SYSTEM_PROBE not in self._render_raw(probe, add_generation_prompt=True)
        except (TemplateTimeout, TemplateTooLarge):
            return False   # no answer: render as is
        except TemplateError:
            return True    # raise_exception('System role not supported'), roles must alternate ...

    @cached_property
    def generation_starts_in_reasoning(self) -> bool:
        """True when the generation prompt already opens a reasoning block (Qwen3, DeepSeek-R1 ...)."""
        try:
            prompt = self.render([{"role": "user", "content": "Hello"}], add_generation_prompt=True)
        except TemplateError:
            return False
        return prompt.rstrip().endswith(_OPEN_REASONING)


def named_templates(metadata: Mapping[str, Any] | Any) -> dict[str, str]:
    """The named chat templates of a GGUF header (a GGUFInfo or its metadata): ``tokenizer.chat_template.<name>``
    for each name in ``tokenizer.chat_templates`` (e.g. "tool_use", "rag"), and any other such key."""
    meta: Mapping[str, Any] = getattr(metadata, "metadata", metadata)
    listed = meta.get("tokenizer.chat_templates")
    names = [n for n in listed if isinstance(n, str)] if isinstance(listed, list) else []
    prefix = "tokenizer.chat_template."
    names += [key[len(prefix):] for key in meta if isinstance(key, str) and key.startswith(prefix)]
    found = {name: meta.get(prefix + name) for name in dict.fromkeys(names) if name}
    return {name: text for name, text in found.items() if isinstance(text, str) and text.strip()}


def load_template(source: str, *, origin: str, bos_token: str = "", eos_token: str = "",
                  name: str = "embedded", fallback_reason: str = "",
                  named: Mapping[str, str] | None = None) -> ChatTemplate:
    """Parse and statically check ``source``; nothing in it runs here.

    Raises TemplateError when it does not parse, UnsafeTemplate when it reaches
    for Python internals.
    """
    if len(source) > MAX_ITEMS:
        raise TemplateTooLarge(f"The chat template of {origin} is {len(source):,} characters long "
                               f"(the limit is {MAX_ITEMS:,}); it was refused.", path=origin)
    try:
        tree = new_environment(origin).parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"The chat template of {origin} is not valid Jinja (line {exc.lineno}): {exc.message}",
                            path=origin) from exc
    except (RecursionError, MemoryError) as exc:
        raise TemplateTooLarge(f"The chat template of {origin} is nested too deeply to read; it was refused.",
                               path=origin) from exc
    found = _find_unsafe(tree)
    if found is not None:
        raise UnsafeTemplate(f"The chat template of {origin} uses {found}, which can reach Python internals; "
                             "it was refused and nothing in it was run.", path=origin)
    template = ChatTemplate(source=source, name=name, origin=origin, bos_token=bos_token, eos_token=eos_token,
                            fallback_reason=fallback_reason, named_templates=dict(named or {}))
    if not template.trusted:
        renderer().start()  # the child boots while the model loads
    return template


def builtin_template(name: str, *, origin: str, bos_token: str = "", eos_token: str = "",
                     reason: str = "") -> ChatTemplate:
    """One of FALLBACK_TEMPLATES, e.g. when the user picks it in a model's settings."""
    if name not in FALLBACK_TEMPLATES:
        raise TemplateError(f"There is no built-in chat template called {name!r}.", path=origin)
    return load_template(FALLBACK_TEMPLATES[name], origin=origin, bos_token=bos_token, eos_token=eos_token,
                         name=name, fallback_reason=reason)


def _pick_fallback(architecture: str, chat_markers: Collection[str]) -> tuple[str, str]:
    """(family, why) for a file without a template."""
    for marker, family in _MARKERS:
        if marker in chat_markers:
            return family, f"its vocabulary has {marker}"
    arch = architecture.lower()
    if arch.startswith("gemma"):
        return "gemma", f"architecture {architecture}"
    if arch == "llama":
        return ("llama3" if "<|eot_id|>" in chat_markers else "chatml"), f"architecture {architecture}"
    if arch.startswith("qwen") or arch.startswith("smollm"):
        return "chatml", f"architecture {architecture}"
    if arch.startswith("phi3"):
        return "phi3", f"architecture {architecture}"
    if arch.startswith("mistral"):
        return "mistral", f"architecture {architecture}"
    return "chatml", "nothing in the file suggests another format"


def choose_template(embedded: str | None, *, architecture: str, chat_markers: Collection[str], origin: str,
                    bos_token: str = "", eos_token: str = "", base_model: bool = False,
                    named: Mapping[str, str] | None = None) -> ChatTemplate:
    """The model's own template when it has one, else a built-in one picked from its vocabulary or architecture.

    ``named``: the file's named templates (:func:`named_templates`), kept on the result; as in llama.cpp, a
    file whose only template is "tool_use" renders with that one.

    A base (not instruction-tuned) model without a template gets the plain transcript: chat markers it
    was never trained to answer make it ramble, while "User: … Assistant:" it continues sensibly.
    """
    if not (embedded and embedded.strip()) and named and "tool_use" in named:
        embedded = named["tool_use"]
    if embedded and embedded.strip():
        return load_template(embedded, origin=origin, bos_token=bos_token, eos_token=eos_token, named=named)
    if base_model:
        reason = (f"{Path(origin).name} has no chat template and looks like a base model, not an "
                  f"instruction-tuned one (architecture {architecture}); using a plain User/Assistant transcript.")
        return builtin_template("transcript", origin=origin, bos_token=bos_token, eos_token=eos_token,
                                reason=reason)
    family, why = _pick_fallback(architecture, chat_markers)
    reason = (f"{Path(origin).name} has no chat template; "
              f"using the built-in {_DISPLAY_NAMES[family]} template ({why}).")
    return builtin_template(family, origin=origin, bos_token=bos_token, eos_token=eos_token, reason=reason)


def template_for_file(gguf: "GGUFInfo", origin: str, *, builtin: str = "") -> ChatTemplate:
    """The template a model file chats with: ``builtin`` when the user picked one, else :func:`choose_template`
    on its header (only the header is read: a file without its weights gets the same template)."""
    bos, eos = gguf.bos_token or "", gguf.eos_token or ""
    if builtin:
        return builtin_template(builtin, origin=origin, bos_token=bos, eos_token=eos)
    return choose_template(gguf.chat_template, architecture=gguf.architecture, chat_markers=gguf.chat_markers,
                           origin=origin, bos_token=bos, eos_token=eos, base_model=_looks_like_base_model(gguf, origin),
                           named=named_templates(gguf.metadata))


_TUNED = re.compile(r"(instruct|chat|(^|[^a-z])it([^a-z]|$)|sft|dpo|rlhf|orpo|assistant|hermes|dolphin)", re.I)


def _looks_like_base_model(gguf: "GGUFInfo", origin: str) -> bool:
    """No fine-tune named in the metadata, the model name or the file name."""
    meta = gguf.metadata
    words = [str(meta.get(k, "")) for k in ("general.finetune", "general.name", "general.basename")]
    words.append(Path(origin).stem)
    return not any(_TUNED.search(w) for w in words if w)
