"""A reply that failed or was stopped before any text must not break the chat for role-checking templates.

SmolLM2 is loaded with a Gemma-style template that refuses a conversation whose roles do not alternate
(as Gemma's, Mistral's and Command-R's do); a reply is stopped before its first token, then two more
messages are sent: both must be answered.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from engine import CancelToken, Chat, ReplyFinished, Runtime, Sampling, Store
from tests.gguf_tools import rewrite_gguf

GEMMA_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}{% set first = messages[0]['content'] + '\n\n' %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set first = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<|im_start|>' + role + '\n' + (first if loop.first else '') + message['content'] | trim + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def gemma_style(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("roles")
    model = rewrite_gguf(smollm2_path, folder / "smollm2-roles.gguf",
                         set_strings={"tokenizer.chat_template": GEMMA_TEMPLATE})
    runtime = Runtime(log_path=folder / "llama.log", cache_dir=folder)
    runtime.load(model, n_ctx=2048, n_threads=2)
    yield runtime
    runtime.close()


def _reply(events: object) -> object:
    return [e for e in events if isinstance(e, ReplyFinished)][-1].message  # type: ignore[attr-defined]


def test_a_reply_stopped_before_its_first_token_does_not_break_later_sends(store: Store,
                                                                         gemma_style: Runtime) -> None:
    conv = store.create_conversation(system_prompt="You are brief.")
    chat = Chat(store, gemma_style)
    s = Sampling(temperature=0, max_tokens=8)
    first = _reply(chat.send(conv.id, "Name a colour.", sampling=s))
    assert first.status == "complete" and first.content
    cancel = CancelToken()
    cancel.cancel()   # stopped before any token
    stopped = _reply(chat.send(conv.id, "Name a fruit.", sampling=s, cancel=cancel))
    assert stopped.status == "interrupted" and stopped.content == ""
    assert store.message(stopped.id).content == ""   # still there for the user to see, as it was
    for text in ("Name an animal.", "Name a city."):
        reply = _reply(chat.send(conv.id, text, sampling=s))
        assert reply.status == "complete" and reply.content
        assert "<|im_start|>model\n<|im_end|>\n" in reply.record["prompt"]   # the empty reply, as it was


def test_a_user_message_without_a_reply_is_joined_with_the_next(store: Store, gemma_style: Runtime) -> None:
    conv = store.create_conversation()
    chat = Chat(store, gemma_style)
    s = Sampling(temperature=0, max_tokens=8)
    orphan = store.add_message(conv.id, "user", "Remember the word kiwi.", parent_id=None)   # its reply never came
    reply = _reply(chat.send(conv.id, "Name a city.", parent_id=orphan.id, sampling=s))
    assert reply.status == "complete" and reply.content
    again = _reply(chat.send(conv.id, "Name a river.", sampling=s))
    assert again.status == "complete" and again.content
