"""fit_prompt's search: always the longest suffix of whole turns that fits, found with few renders."""
from __future__ import annotations

from typing import Callable

import pytest
from hypothesis import given, settings, strategies as st

from engine import errors
from engine.bench.templates import conversation, count_words
from engine.chat.fitting import _turns, fit_prompt


def words(text: str) -> int:
    return len(text.split())


def flat(messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
    return "".join(f"<{m['role']}> {m['content']} </> " for m in messages) + "<assistant> "


def wordy_replies(messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
    """A template whose markup differs by role, so tokens are not proportional to characters."""
    parts = []
    for i, m in enumerate(messages):
        tag = "a b c d e f g h" if m["role"] == "assistant" else "u"
        parts.append(f"{tag} {m['content']} {'x ' * (i % 3)}")
    return " ".join(parts) + " go"


def echoing(messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
    """A template that repeats replies three times and drops empty ones: far from proportional."""
    return " ".join((m["content"] + " ") * (3 if m["role"] == "assistant" else 1) for m in messages) + " go"


def brute_force(system: str, history: list[dict[str, str]], new: dict[str, str],
                render: Callable[..., str], budget: int) -> int:
    """How many history messages the longest fitting suffix of whole turns leaves out."""
    head = [{"role": "system", "content": system}] if system else []
    for skip in _turns(history) + [len(history)]:
        if words(render(head + history[skip:] + [new])) <= budget:
            return skip
    raise AssertionError("the new message alone must fit")


messages_st = st.lists(st.tuples(st.sampled_from(["user", "assistant"]),
                                 st.integers(min_value=0, max_value=60)), min_size=0, max_size=40)


@settings(max_examples=600, deadline=None)
@given(messages_st, st.integers(min_value=20, max_value=900), st.sampled_from([flat, wordy_replies, echoing]),
       st.booleans())
def test_same_cut_as_trying_every_turn(spec: list[tuple[str, int]], n_ctx: int, render: Callable[..., str],
                                       with_system: bool) -> None:
    history = [{"role": role, "content": " ".join(f"w{i}" for i in range(n))} for role, n in spec]
    new = {"role": "user", "content": "what now"}
    system = "be brief and kind" if with_system else ""
    try:
        fitted = fit_prompt(system, history, new, render=render, count=words, n_ctx=n_ctx, reserve=0)
    except errors.MessageTooLong:
        head = [{"role": "system", "content": system}] if system else []
        assert words(render(head + [new])) > n_ctx
        return
    assert len(fitted.dropped) == brute_force(system, history, new, render, n_ctx)
    assert fitted.tokens == words(fitted.text) <= n_ctx
    assert fitted.dropped == tuple(range(len(fitted.dropped)))


@pytest.mark.parametrize("n_ctx, most_renders", [(8192, 4), (4096, 4), (2048, 4)])
def test_a_long_chat_is_cut_with_few_renders(n_ctx: int, most_renders: int) -> None:
    """300 turns that do not fit: the cut is predicted, not searched for turn by turn or by halving."""
    messages = conversation(300)
    rendered: list[int] = []

    def render(msgs: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
        rendered.append(len(msgs))
        return flat(msgs)

    fitted = fit_prompt("", messages[:-1], messages[-1], render=render, count=count_words, n_ctx=n_ctx, reserve=0)
    assert 0 < len(fitted.dropped) < 599
    assert count_words(flat(messages[len(fitted.dropped) - 2:])) > n_ctx     # one turn more would not fit
    assert len(rendered) <= most_renders, rendered
