"""``hearth bench templates``: rendering and fitting a long chat through a quadratic chat template.

Gemma 4's template, like several recent ones, loops over every message inside its loop over the
messages, so its cost grows with the square of the conversation's length. This measures a 300-turn
conversation (600 messages) through such a template: Hearth's render (the model-file path: the sandboxed
renderer child under its deadline), the same template in plain Jinja (``ImmutableSandboxedEnvironment``
without Hearth's limits), and :func:`engine.chat.fitting.fit_prompt` when the whole conversation fits and
when only its newest turns fit 8,192 tokens (policy ``drop_oldest``). Writes JSON.
"""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any, Callable

from engine.chat.fitting import fit_prompt
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


def run_templates_bench(out: Path, *, turns: int = TURNS, rounds: int = ROUNDS) -> dict[str, Any]:
    """Measure and write ``out``; returns the result."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    messages = conversation(turns)
    tail, history = messages[-1:], messages[:-2] + messages[-2:-1]
    template = load_template(QUADRATIC_TEMPLATE, origin="bench/quadratic-template.gguf", bos_token="<bos>")
    plain = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(QUADRATIC_TEMPLATE)
    variables = {"messages": messages, "add_generation_prompt": True, "bos_token": "<bos>", "eos_token": ""}
    hearth_text = template.render(messages, timeout_s=10)          # warm: the child compiles it once
    plain_text = plain.render(**variables)
    whole = count_words(hearth_text)

    def fit(n_ctx: int) -> Any:
        return fit_prompt("", history, tail[0], render=template.render, count=count_words, n_ctx=n_ctx, reserve=0)

    fitted_part = fit(N_CTX)
    result = {
        "benchmark": "templates",
        "template": "quadratic (a loop over all messages inside the loop over messages, as Gemma 4's)",
        "turns": turns,
        "messages": len(messages),
        "prompt_chars": len(hearth_text),
        "same_text": hearth_text == plain_text,
        "hearth_render_s": round(_best(lambda: template.render(messages, timeout_s=10), rounds), 4),
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
