"""How the context window is used, for the live context meter under the input box.

``measure_budget`` splits the prompt that would be sent with the message being
typed into segments (system prompt, earlier turns, draft) plus the reply's
reserve. The dropping decision is :func:`engine.chat.fitting.fit_prompt`'s own, so
the meter shows exactly which turns a send would leave out, and the segments
add up to the fitted prompt's token count exactly. Segments are measured by
rendering prefixes of the conversation and taking differences.

The attachments segment is the sum of each attachment's own count
(:func:`engine.chat.attachments.attachment_tokens`, kept in ``Budget.counts``),
the very number its chip and the "too big" dialog show; the line that
introduces the documents counts with the draft. ``Budget.fits_model`` says
whether raising the context could ever help (the model's trained context,
``n_ctx_max``, is the most it can take).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from engine.chat.fitting import fit_prompt
from engine.errors import ContextError, MessageTooLong, TemplateError


class Render(Protocol):
    def __call__(self, messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str: ...


@dataclass(frozen=True)
class Budget:
    """Token use of the context window if the draft were sent now."""

    n_ctx: int
    system: int        # the system prompt, with its template overhead
    history: int       # the earlier turns that would be sent (after dropping)
    attachments: int   # the draft's attached documents and images (carved out of the draft's tokens)
    knowledge: int     # kept for passages retrieved from the conversation's collections
    draft: int         # the message being typed, with its template overhead and the generation prompt
    reserve: int       # kept free for the reply
    dropped_ids: tuple[int, ...]   # message ids of earlier turns that would be left out
    over: bool         # even after dropping (or under policy "refuse") the prompt does not fit
    counts: tuple[tuple[str, int], ...] = ()   # (sha256, tokens) of each of the draft's attachments
    n_ctx_max: int = 0   # the largest context the model takes (its trained context; 0: unknown)

    @property
    def used(self) -> int:
        return self.system + self.history + self.attachments + self.knowledge + self.draft

    @property
    def free(self) -> int:
        """Tokens left after the prompt and the reply's reserve; negative when over."""
        return self.n_ctx - self.used - self.reserve

    @property
    def fits_model(self) -> bool:
        """Whether the new message could fit at the model's largest context (True when that is unknown).

        What the message needs whatever is dropped -- system prompt, attachments, draft and the reply's
        reserve (at least the current one: a larger context never keeps less) -- against ``n_ctx_max``."""
        if self.n_ctx_max <= 0:
            return True
        return self.system + self.attachments + self.draft + self.reserve <= max(self.n_ctx_max, self.n_ctx)

    def tokens_of(self, sha256: str) -> int | None:
        """The tokens of the draft's attachment with this content, as counted for this budget."""
        return next((n for sha, n in self.counts if sha == sha256), None)


def measure_budget(system_prompt: str, history: Sequence[tuple[int, str, str]], draft: str, *,
                   render: Render, count: Callable[[str], int], n_ctx: int, reserve: int,
                   policy: str, knowledge: int = 0, attachments: int = 0,
                   counts: Sequence[tuple[str, int]] = (), n_ctx_max: int = 0) -> Budget:
    """The budget of sending ``draft`` after ``history`` ((id, role, content) tuples, oldest first).

    ``render`` is a chat template's render (``ChatTemplate.render``); ``count`` counts tokens;
    ``knowledge`` is the room kept for retrieved passages (they are chosen when the message is sent);
    ``attachments`` is the part of the draft's tokens that its attachments take (reported apart);
    ``counts`` and ``n_ctx_max`` are kept in the budget as they are given (see :class:`Budget`).
    Never raises ContextError: a prompt that cannot fit gives ``over=True``, with every turn
    dropped when even the draft alone is too long (policy ``drop_oldest``), none under ``refuse``.
    """
    ids = [i for i, _, _ in history]
    hist = [{"role": role, "content": content} for _, role, content in history]
    head = [{"role": "system", "content": system_prompt}] if system_prompt else []
    tail = [{"role": "user", "content": draft}]
    try:
        fitted = fit_prompt(system_prompt, hist, tail[0], render=render, count=count,
                            n_ctx=n_ctx, reserve=reserve + knowledge, policy=policy)
        dropped, total, over = set(fitted.dropped), fitted.tokens, False
    except ContextError as exc:
        everything = isinstance(exc, MessageTooLong) and policy != "refuse"
        dropped, over = set(range(len(hist)) if everything else ()), True
        total = count(render(head + [m for i, m in enumerate(hist) if i not in dropped] + tail))
    kept = [m for i, m in enumerate(hist) if i not in dropped]

    def without(messages: list[dict[str, str]]) -> int | None:
        """Tokens the prompt saves when only ``messages`` are sent (None if the template refuses)."""
        try:
            return total - count(render(messages))
        except TemplateError:
            return None

    def prefix(messages: list[dict[str, str]]) -> str | None:
        try:
            return render(messages, add_generation_prompt=False)
        except TemplateError:  # some templates refuse a conversation without a user message
            return None

    system = 0
    if head:
        text = prefix(head)
        if text is not None and system_prompt.strip() in text:
            system = count(text)
        else:  # the template puts the system prompt elsewhere (Gemma: into the first user turn)
            saved = without(kept + tail)
            system = saved if saved is not None else count(system_prompt)
    system = min(max(system, 0), total)
    upto_history = system
    if kept:
        text = prefix(head + kept)
        if text is not None:
            upto_history = count(text)
        else:
            saved = without(head + tail)
            upto_history = system + (saved if saved is not None else sum(count(m["content"]) for m in kept))
    upto_history = min(max(upto_history, system), total)
    attached = min(max(attachments, 0), total - upto_history)
    return Budget(n_ctx=n_ctx, system=system, history=upto_history - system, attachments=attached,
                  knowledge=knowledge, draft=total - upto_history - attached, reserve=reserve,
                  dropped_ids=tuple(ids[i] for i in sorted(dropped)), over=over, counts=tuple(counts),
                  n_ctx_max=n_ctx_max)
