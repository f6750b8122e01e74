"""The context meter: segments that add up to what a send would really use, with real SmolLM2 and a toy template."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import (Budget, Chat, ContextTrimmed, ReplyStarted, Runtime, Sampling, Store, errors)
from engine.chat.meter import measure_budget
from engine.chat.fitting import fit_prompt


# --- a toy template: one token per word, two per message's markers, one for the generation prompt --------------

def toy_render(messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
    text = "".join(f"<{m['role']}> {m['content']} </> " for m in messages)
    return text + ("<assistant> " if add_generation_prompt else "")


def folding_render(messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
    """Like Gemma's: the system prompt goes into the first user turn; alone it renders nothing."""
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    rest = messages[1:] if system else messages
    if rest and system:
        rest = [{"role": rest[0]["role"], "content": f"{system} {rest[0]['content']}"}] + rest[1:]
    return toy_render(rest, add_generation_prompt=add_generation_prompt)


def picky_render(messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
    """Like Qwen3's: refuses a conversation without a user message."""
    if not any(m["role"] == "user" for m in messages):
        raise errors.TemplateError("No user query found in messages.")
    return toy_render(messages, add_generation_prompt=add_generation_prompt)


def count(text: str) -> int:
    return len(text.split())


HISTORY = [(10, "user", "one two three"), (11, "assistant", "four"), (14, "user", "five six"), (15, "assistant", "x")]


def _measure(history=HISTORY, draft: str = "hi there", *, render=toy_render, n_ctx: int = 100,
             reserve: int = 10, policy: str = "drop_oldest", system: str = "be brief") -> Budget:
    return measure_budget(system, history, draft, render=render, count=count, n_ctx=n_ctx, reserve=reserve,
                          policy=policy)


def test_toy_segments() -> None:
    b = _measure()
    assert (b.system, b.history, b.draft, b.attachments, b.knowledge) == (4, 5 + 3 + 4 + 3, 4 + 1, 0, 0)
    assert (b.used, b.reserve, b.free, b.dropped_ids, b.over) == (24, 10, 66, (), False)
    assert _measure(system="").system == 0 and _measure(system="").used == 20
    assert _measure(history=[]).history == 0


def test_toy_dropping_agrees_with_fit_prompt() -> None:
    for n_ctx in range(19, 40):
        b = _measure(n_ctx=n_ctx)
        msgs = [{"role": r, "content": c} for _, r, c in HISTORY]
        fitted = fit_prompt("be brief", msgs, {"role": "user", "content": "hi there"}, render=toy_render,
                            count=count, n_ctx=n_ctx, reserve=10)
        assert b.used == fitted.tokens == count(fitted.text)
        assert b.dropped_ids == tuple(HISTORY[i][0] for i in fitted.dropped)
        assert not b.over and b.free >= 0
    assert _measure(n_ctx=30).dropped_ids == (10, 11)  # whole turns, oldest first
    assert _measure(n_ctx=30).history == 7


def test_toy_over() -> None:
    too_long = _measure(draft="word " * 100)  # does not fit even alone: every turn would be dropped
    assert too_long.over and too_long.dropped_ids == (10, 11, 14, 15)
    assert (too_long.system, too_long.history, too_long.draft) == (4, 0, 103)
    assert too_long.free == 100 - 107 - 10
    refused = _measure(n_ctx=30, policy="refuse")  # fits after dropping, but the policy refuses to drop
    assert refused.over and refused.dropped_ids == () and refused.history == 15 and refused.free < 0
    refused_long = _measure(draft="word " * 100, policy="refuse")
    assert refused_long.over and refused_long.dropped_ids == () and refused_long.used == 4 + 15 + 103


def test_template_that_folds_the_system_prompt() -> None:
    b = _measure(render=folding_render)
    assert (b.system, b.history, b.draft) == (2, 15, 5)  # the system prompt's own words
    assert b.used == count(folding_render([{"role": "system", "content": "be brief"}]
                                          + [{"role": r, "content": c} for _, r, c in HISTORY]
                                          + [{"role": "user", "content": "hi there"}]))
    empty = _measure(history=[], render=folding_render)
    assert (empty.system, empty.history, empty.draft) == (2, 0, 5)


def test_template_that_refuses_prefixes() -> None:
    b = _measure(render=picky_render)
    assert (b.system, b.history, b.draft) == (4, 15, 5)
    empty = _measure(history=[], render=picky_render)
    assert (empty.system, empty.history, empty.draft) == (4, 0, 5)


# --- the real model -------------------------------------------------------------------------------------------

def _fitted_tokens(runtime: Runtime, system: str, history: list[tuple[str, str]], draft: str, reserve: int) -> int:
    info = runtime.info
    fitted = fit_prompt(system, [{"role": r, "content": c} for r, c in history], {"role": "user", "content": draft},
                        render=info.template.render, count=runtime.count_tokens, n_ctx=info.n_ctx, reserve=reserve)
    assert fitted.dropped == ()
    return runtime.count_tokens(fitted.text)


def test_empty_conversation(store: Store, smol_runtime: Runtime) -> None:
    chat = Chat(store, smol_runtime)
    conv = store.create_conversation(system_prompt="You are a helpful assistant.")
    b = chat.budget(conv.id, "Hello, who are you?")
    assert (b.n_ctx, b.reserve, b.history, b.dropped_ids, b.over) == (2048, 1024, 0, (), False)
    assert b.system > 5 and b.draft > 5
    assert b.used == _fitted_tokens(smol_runtime, conv.system_prompt, [], "Hello, who are you?", 1024)
    assert b.free == 2048 - b.used - 1024
    template = smol_runtime.info.template
    assert b.system == smol_runtime.count_tokens(
        template.render([{"role": "system", "content": conv.system_prompt}], add_generation_prompt=False))
    typed = chat.budget(conv.id, "Hello, who are you? Tell me more about yourself please.")
    assert typed.system == b.system and typed.draft > b.draft
    assert chat.budget(conv.id, "").draft > 0  # the empty turn's markers and the generation prompt
    bare = store.create_conversation(sampling={"max_tokens": 100})
    nb = chat.budget(bare.id, "Hi")
    assert nb.system == 0 and nb.reserve == 100
    assert nb.used == _fitted_tokens(smol_runtime, "", [], "Hi", 100)


def test_history_matches_the_next_send(store: Store, smol_runtime: Runtime) -> None:
    chat = Chat(store, smol_runtime)
    conv = store.create_conversation(system_prompt="You are concise.", sampling={"temperature": 0, "max_tokens": 24})
    first = list(chat.send(conv.id, "Name a planet."))[-1].message
    list(chat.send(conv.id, "Name another one."))
    history = [(m.role, m.content) for m in store.thread(conv.id)]
    b = chat.budget(conv.id, "And a third?")
    assert b.history > 0 and b.dropped_ids == () and not b.over and b.reserve == 24
    assert b.used == _fitted_tokens(smol_runtime, "You are concise.", history, "And a third?", 24)
    at_first = chat.budget(conv.id, "And a third?", leaf_id=first.id)  # another branch point
    assert at_first.system == b.system and 0 < at_first.history < b.history
    assert chat.budget(conv.id, "And a third?", sampling=Sampling(max_tokens=7)).reserve == 7
    started = next(e for e in chat.send(conv.id, "And a third?") if isinstance(e, ReplyStarted))
    assert started.prompt_tokens == b.used and started.reserve == b.reserve and started.n_ctx == b.n_ctx


def test_dropping_and_over_agree_with_send(store: Store, smollm2_path: Path) -> None:
    with Runtime() as runtime:
        runtime.load(smollm2_path, n_ctx=512, n_threads=2)
        chat = Chat(store, runtime)
        conv = store.create_conversation(system_prompt="You are a helpful assistant.",
                                         sampling={"temperature": 0, "max_tokens": 64})
        filler = "Here is a fact about rivers: " + "water flows downhill to the sea. " * 12
        for _ in range(4):
            list(chat.send(conv.id, filler))
        question = "What did I tell you about?"
        b = chat.budget(conv.id, question)
        assert b.dropped_ids and not b.over and b.free >= 0 and b.reserve == 64
        events = list(chat.send(conv.id, question))
        trimmed = next(e for e in events if isinstance(e, ContextTrimmed))
        started = next(e for e in events if isinstance(e, ReplyStarted))
        assert trimmed.dropped_ids == b.dropped_ids
        assert started.prompt_tokens == b.used

        sent = [m.id for m in store.thread(conv.id) if m.content and m.status != "error"]
        huge = chat.budget(conv.id, "word " * 2000)
        assert huge.over and huge.dropped_ids == tuple(sent)
        assert huge.history == 0 and huge.draft > 512 and huge.free < 0
        assert huge.used == huge.system + huge.draft

        strict = store.create_conversation(context_policy="refuse", sampling={"temperature": 0, "max_tokens": 32})
        list(chat.send(strict.id, "ocean " * 240))
        refused = chat.budget(strict.id, "ocean " * 240)
        assert refused.over and refused.dropped_ids == () and refused.history > 240 and refused.free < 0
        with pytest.raises(errors.ContextFull):
            list(chat.send(strict.id, "ocean " * 240))


def test_no_model_loaded(store: Store) -> None:
    conv = store.create_conversation()
    with pytest.raises(errors.NoModelLoaded):
        Chat(store, Runtime()).budget(conv.id, "Hi")
