"""The context budget: fit a conversation into the model's window, never silently.

The prompt is the rendered chat template over system prompt + history + the
new message; the reply's reserve comes on top. When it does not fit, the
conversation's policy decides: ``drop_oldest`` removes whole turns from the
start of the history (the system prompt and the newest message always stay)
and reports exactly which; ``refuse`` raises. A new message that cannot fit
even alone raises ``MessageTooLong``; nothing is ever truncated.

Sources retrieved from the knowledge base go into the new message: ``SourcesRoom`` says how many tokens
they may take (what the prompt leaves free, at least ``knowledge_allowance``) and at which larger context
passages that did not fit would.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from engine.errors import ContextError, ContextFull, MessageTooLong

POLICIES = ("drop_oldest", "refuse")


@dataclass(frozen=True)
class FittedPrompt:
    text: str
    tokens: int                      # tokens of the rendered prompt
    n_ctx: int
    reserve: int                     # tokens kept free for the reply
    dropped: tuple[int, ...] = ()    # indexes into ``history`` of the messages left out
    dropped_tokens: int = 0          # how many prompt tokens that saved


def knowledge_allowance(n_ctx: int, reserve: int) -> int:
    """The tokens retrieved sources may always take, even when earlier turns must be left out for them:
    half of what the reply's reserve leaves, at most 2000 (the context meter counts this much)."""
    return max(0, min(2000, (n_ctx - reserve) // 2))


CONTEXT_STEP = 256   # contexts offered for sources that did not fit: multiples of this (the settings slider's step)
SOURCES_MARGIN = 16  # tokens kept free when sources take all that is left: counted alone, they may merge differently


@dataclass(frozen=True)
class SourcesRoom:
    """What decides the sources' allowance at a context size: the prompt with the question alone, with every
    earlier turn (None: they do not all fit), the reply's wanted length, and the context now and at most."""

    alone: int
    whole: int | None
    max_tokens: int
    n_ctx: int
    n_ctx_max: int

    def allowance(self, n_ctx: int | None = None) -> int:
        """Tokens the sources may take at ``n_ctx`` (default: now): whatever the prompt leaves free with every
        earlier turn kept, and at least ``knowledge_allowance``; never more than the question alone leaves."""
        n = self.n_ctx if n_ctx is None else n_ctx
        reserve = min(self.max_tokens, n // 2)   # as Chat._plan reserves it
        free = n - reserve - self.whole if self.whole is not None else 0
        most = n - reserve - self.alone - SOURCES_MARGIN
        return max(0, min(most, max(knowledge_allowance(n, reserve), free)))

    def context_for(self, needed: int) -> int | None:
        """The smallest context (a multiple of ``CONTEXT_STEP`` above the current one, within the model's
        trained context) whose allowance holds ``needed`` tokens; None when none does."""
        n = (self.n_ctx // CONTEXT_STEP + 1) * CONTEXT_STEP
        while n <= self.n_ctx_max:
            if self.allowance(n) >= needed:
                return n
            n += CONTEXT_STEP
        return None


def sources_room(system: str, history: Sequence[Mapping[str, str]], turn: str, *,
                 render: Callable[[list[dict[str, str]]], str], count: Callable[[str], int], n_ctx: int,
                 reserve: int, policy: str, max_tokens: int, n_ctx_max: int) -> SourcesRoom:
    """The room for sources in the new user ``turn`` after ``history`` (see ``SourcesRoom``)."""
    head = [{"role": "system", "content": system}] if system else []
    alone = count(render(head + [{"role": "user", "content": turn}]))
    whole = None   # the prompt with every earlier turn kept (None: they do not all fit now)
    try:
        fitted = fit_prompt(system, history, {"role": "user", "content": turn}, render=render, count=count,
                            n_ctx=n_ctx, reserve=reserve, policy=policy)
        whole = fitted.tokens + fitted.dropped_tokens
    except ContextError:
        pass   # the reply fails at fitting, with this error, whatever the sources take
    return SourcesRoom(alone, whole, max_tokens, n_ctx, max(n_ctx_max, n_ctx))


def _turns(history: Sequence[Mapping[str, str]]) -> list[int]:
    """Start index of each turn: a user message and whatever answers it."""
    starts = [i for i, m in enumerate(history) if m["role"] == "user"]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def fit_prompt(system: str, history: Sequence[Mapping[str, str]], new_message: Mapping[str, str], *,
               render: Callable[[list[dict[str, str]]], str], count: Callable[[str], int],
               n_ctx: int, reserve: int, policy: str = "drop_oldest") -> FittedPrompt:
    """Render the longest suffix of ``history`` that fits ``n_ctx - reserve`` tokens.

    The whole conversation is rendered first only when its messages' text alone could fit; otherwise
    (some templates take time quadratic in the number of messages) the cut point is predicted from the
    messages' lengths and checked by rendering there and one turn further back (:func:`_search`), so
    nothing much longer than what fits is ever rendered.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown context policy {policy!r}")
    budget = n_ctx - reserve
    head = [{"role": "system", "content": system}] if system else []
    tail = [{"role": new_message["role"], "content": new_message["content"]}]
    hist = [{"role": m["role"], "content": m["content"]} for m in history]

    def attempt(skip: int) -> tuple[str, int]:
        text = render(head + hist[skip:] + tail)
        return text, count(text)

    tokens = None   # of the whole conversation, when rendered
    if not hist or count("\n".join(m["content"] for m in hist)) <= budget:
        text, tokens = attempt(0)
        if tokens <= budget:
            return FittedPrompt(text, tokens, n_ctx, reserve)
    alone_text, alone = attempt(len(hist))
    if alone > budget:
        raise MessageTooLong(
            f"This message needs {alone} tokens with the system prompt, but the context holds {n_ctx} "
            f"tokens and {reserve} are kept for the reply, leaving {budget}.",
            params={"tokens": alone, "n_ctx": n_ctx, "reserve": reserve, "budget": budget})
    if policy == "refuse":
        needs = f"{tokens}" if tokens is not None else f"more than {budget}"
        raise ContextFull(
            f"The conversation needs {needs} tokens but only {budget} are available "
            f"({n_ctx} in the context, {reserve} kept for the reply).",
            reason="" if tokens is not None else "unknown",
            params={"tokens": tokens or 0, "n_ctx": n_ctx, "reserve": reserve, "budget": budget})
    cuts = _turns(hist) + [len(hist)]        # cut points, fewest dropped first; the last one fits
    best = _search(cuts, hist, attempt, budget, alone_text, alone, whole=tokens)
    skip, text_fit, tokens_fit = best
    if tokens is None:   # not rendered whole: what the dropped messages' text takes
        tokens = tokens_fit + count("\n".join(m["content"] for m in hist[:skip]))
    return FittedPrompt(text_fit, tokens_fit, n_ctx, reserve, tuple(range(skip)), tokens - tokens_fit)


_PER_MESSAGE = 16     # characters of template markup counted per message when predicting the cut point
_GUESSES = 4          # predicted probes before the search falls back to bisection


def _search(cuts: list[int], hist: list[dict[str, str]], attempt: Callable[[int], tuple[str, int]], budget: int,
            alone_text: str, alone: int, *, whole: int | None) -> tuple[int, str, int]:
    """The first cut point whose rendered prompt fits ``budget``: ``(skip, text, tokens)``.

    A prompt's tokens grow about linearly with the characters of the messages it keeps. The newest two
    turns are rendered first (cheap) to learn the template's tokens per character; then each probe
    interpolates between the nearest prompt known to fit and the nearest known not to (or extrapolates
    from the two nearest that fit). Usually the probe fits and the next turn back does not: two long
    renders. The result is exact (the longest suffix of whole turns that fits), because the answer is
    only taken between a probe that fits and its neighbour that does not.
    """
    weight = [0] * (len(hist) + 1)            # weight[i]: characters of hist[i:]
    for i in range(len(hist) - 1, -1, -1):
        weight[i] = weight[i + 1] + len(hist[i]["content"]) + _PER_MESSAGE
    last = fits = len(cuts) - 1               # fits: index into cuts of the longest prompt known to fit
    found: dict[int, tuple[str, int]] = {fits: (alone_text, alone)}
    over, over_tokens = (0, whole) if whole is not None else (-1, None)   # the shortest known not to fit
    probes = 0
    while fits - over > 1:
        at_fit, fit_tokens = weight[cuts[fits]], found[fits][1]
        if probes >= _GUESSES:
            probe = (over + fits) // 2
        elif over_tokens is None and fits == last:   # learn the rate on the newest two turns
            probe = max(over + 1, fits - 2)
        else:
            if over_tokens is not None:
                rate = (over_tokens - fit_tokens) / max(weight[cuts[over]] - at_fit, 1)
            else:
                rate = (fit_tokens - alone) / max(at_fit, 1)
            room = at_fit + (budget - fit_tokens) / max(rate, 1e-9)
            probe = next((k for k in range(over + 1, fits) if weight[cuts[k]] <= room), fits - 1)
        probes += 1
        text, n = attempt(cuts[probe])
        if n <= budget:
            fits, found[probe] = probe, (text, n)
        else:
            over, over_tokens = probe, n
    return cuts[fits], *found[fits]

def role_runs(history: Sequence[Mapping[str, str]]) -> list[list[int]]:
    """Indexes of ``history`` grouped into runs of consecutive messages with the same role.

    A reply that failed or was stopped before its first character, or a message whose reply never came,
    leaves two user messages in a row; templates that check roles (Gemma, Mistral, Command-R) refuse such
    a conversation. Each run is sent as one message (see :func:`join_run`), so roles always alternate.
    """
    runs: list[list[int]] = []
    for i, m in enumerate(history):
        if runs and history[runs[-1][-1]]["role"] == m["role"]:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def join_run(contents: Sequence[str]) -> str:
    """The contents of one run of same-role messages as one message: joined by a blank line."""
    return "\n\n".join(c for c in contents if c)
