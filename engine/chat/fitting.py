"""The context budget: fit a conversation into the model's window, never silently.

The prompt is the rendered chat template over system prompt + history + the
new message; the reply's reserve comes on top. When it does not fit, the
conversation's policy decides: ``drop_oldest`` removes whole turns from the
start of the history (the system prompt and the newest message always stay)
and reports exactly which; ``refuse`` raises. A new message that cannot fit
even alone raises ``MessageTooLong``; nothing is ever truncated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from engine.errors import ContextFull, MessageTooLong

POLICIES = ("drop_oldest", "refuse")


@dataclass(frozen=True)
class FittedPrompt:
    text: str
    tokens: int                      # tokens of the rendered prompt
    n_ctx: int
    reserve: int                     # tokens kept free for the reply
    dropped: tuple[int, ...] = ()    # indexes into ``history`` of the messages left out
    dropped_tokens: int = 0          # how many prompt tokens that saved


def _turns(history: Sequence[Mapping[str, str]]) -> list[int]:
    """Start index of each turn: a user message and whatever answers it."""
    starts = [i for i, m in enumerate(history) if m["role"] == "user"]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def fit_prompt(system: str, history: Sequence[Mapping[str, str]], new_message: Mapping[str, str], *,
               render: Callable[[list[dict[str, str]]], str], count: Callable[[str], int],
               n_ctx: int, reserve: int, policy: str = "drop_oldest") -> FittedPrompt:
    """Render the longest suffix of ``history`` that fits ``n_ctx - reserve`` tokens."""
    if policy not in POLICIES:
        raise ValueError(f"unknown context policy {policy!r}")
    budget = n_ctx - reserve
    head = [{"role": "system", "content": system}] if system else []
    tail = [{"role": new_message["role"], "content": new_message["content"]}]
    hist = [{"role": m["role"], "content": m["content"]} for m in history]

    def attempt(skip: int) -> tuple[str, int]:
        text = render(head + hist[skip:] + tail)
        return text, count(text)

    text, tokens = attempt(0)
    if tokens <= budget:
        return FittedPrompt(text, tokens, n_ctx, reserve)
    alone_text, alone = attempt(len(hist))
    if alone > budget:
        raise MessageTooLong(
            f"This message needs {alone} tokens with the system prompt, but the context holds {n_ctx} "
            f"tokens and {reserve} are kept for the reply, leaving {budget}.")
    if policy == "refuse":
        raise ContextFull(
            f"The conversation needs {tokens} tokens but only {budget} are available "
            f"({n_ctx} in the context, {reserve} kept for the reply).")
    starts = _turns(hist)[1:] + [len(hist)]  # candidate cut points, fewest dropped first
    lo, hi = 0, len(starts) - 1              # starts[hi] == len(hist) is known to fit
    best = (starts[hi], alone_text, alone)
    while lo <= hi:
        mid = (lo + hi) // 2
        t, n = attempt(starts[mid])
        if n <= budget:
            best, hi = (starts[mid], t, n), mid - 1
        else:
            lo = mid + 1
    skip, text_fit, tokens_fit = best
    return FittedPrompt(text_fit, tokens_fit, n_ctx, reserve, tuple(range(skip)), tokens - tokens_fit)
