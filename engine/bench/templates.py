"""``hearth bench templates``: rendering and fitting a long chat through a quadratic chat template.

Gemma 4's template, like several recent ones, loops over every message inside its loop over the
messages, so its cost grows with the square of the conversation's length. This measures a 300-turn
conversation (600 messages) through such a template: Hearth's render (the model-file path: the sandboxed
renderer child under its deadline), the same template in plain Jinja (``ImmutableSandboxedEnvironment``
without Hearth's limits), and :func:`engine.chat.fitting.fit_prompt` when the whole conversation fits and
when only its newest turns fit 8,192 tokens (policy ``drop_oldest``). Writes JSON.

``--template`` measures a real template instead (a ``.jinja`` file, or a GGUF whose header holds one: for
Gemma 4, ``google-gemma-4-31B-it.jinja`` from llama.cpp's ``models/templates``).
"""
from __future__ import annotations

import json
import platform
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from engine.chat.fitting import fit_prompt
from engine.errors import TemplateError
from engine.models.templates import load_template

# Like Gemma 4's: for each message, a scan of all messages (here: where the last user turn is), then the turn.
QUADRATIC_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% set ns = namespace(last_user=-1) %}"
    "{% for other in messages %}{% if other['role'] == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}"
    "{% endfor %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)
TURNS = 300
N_CTX = 8192    # a common context size: the newest turns of the 300 fit, the oldest are dropped
ROUNDS = 5


def conversation(turns: int = TURNS) -> list[dict[str, str]]:
    """``turns`` user questions with their answers, a few sentences each."""
    messages = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question {i}: what happened on day {i} of the voyage?"})
        messages.append({"role": "assistant", "content": f"On day {i} the ship sailed on; the crew mended "
                                                         f"sails, logged the weather and counted {i} gulls."})
    return messages


def _refuse(message: str) -> None:
    raise TemplateError(f"The template refused the conversation: {message}")


def count_words(text: str) -> int:
    """A stand-in tokenizer (no model is loaded): about one token per word or marker."""
    return len(text.split()) + text.count("<")


def _best(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def template_source(path: Path | None) -> tuple[str, str]:
    """(name, source) of the template to measure: ``path`` (.jinja text, or a GGUF's embedded template) or
    the quadratic one."""
    if path is None:
        return "quadratic (a loop over all messages inside the loop over messages, as Gemma 4's)", QUADRATIC_TEMPLATE
    if path.suffix.lower() == ".gguf":
        from engine.models.gguf import read_gguf_info
        embedded = read_gguf_info(path, check_size=False).chat_template
        if not embedded:
            raise TemplateError(f"{path} has no chat template to measure.", path=path)
        return path.name, embedded
    return path.name, path.read_text(encoding="utf-8")


def run_templates_bench(out: Path, *, template: Path | None = None, turns: int = TURNS,
                        rounds: int = ROUNDS) -> dict[str, Any]:
    """Measure and write ``out``; returns the result."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    name, source = template_source(template)
    messages = conversation(turns)
    tail, history = messages[-1:], messages[:-2] + messages[-2:-1]
    chat_template = load_template(source, origin=f"bench/{name}", bos_token="<bos>")
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=_refuse, strftime_now=lambda fmt: datetime.now().strftime(fmt))
    plain = env.from_string(source)
    variables = {"messages": messages, "add_generation_prompt": True, "bos_token": "<bos>", "eos_token": "",
                 "date_string": datetime.now().strftime("%d %b %Y"), "datetime": datetime.now().strftime("%b %d %Y")}
    hearth_text = chat_template.render(messages, timeout_s=10)          # warm: the child compiles it once
    plain_text = plain.render(**variables)
    whole = count_words(hearth_text)

    def fit(n_ctx: int) -> Any:
        return fit_prompt("", history, tail[0], render=chat_template.render, count=count_words, n_ctx=n_ctx, reserve=0)

    fitted_part = fit(N_CTX)
    result = {
        "benchmark": "templates",
        "template": name,
        "turns": turns,
        "messages": len(messages),
        "prompt_chars": len(hearth_text),
        "same_text": hearth_text == plain_text,
        "hearth_render_s": round(_best(lambda: chat_template.render(messages, timeout_s=10), rounds), 4),
        "plain_jinja_render_s": round(_best(lambda: plain.render(**variables), rounds), 4),
        "fit_all_s": round(_best(lambda: fit(whole + 100), rounds), 4),
        "whole_prompt_tokens": whole,
        "fit_n_ctx": N_CTX,
        "fit_drop_oldest_s": round(_best(lambda: fit(N_CTX), rounds), 4),
        "fit_drop_oldest_dropped_messages": len(fitted_part.dropped),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    result["hearth_over_plain"] = round(result["hearth_render_s"] / max(result["plain_jinja_render_s"], 1e-9), 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


__all__ = ["QUADRATIC_TEMPLATE", "conversation", "count_words", "run_templates_bench"]
