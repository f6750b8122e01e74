"""The reasoning splitter: tags split anywhere in the stream, each tag family, and what is never split."""
from __future__ import annotations

import pytest

from engine.chat.reasoning import REASONING_TAGS, ReasoningSplitter

SAMPLE = "<think>abc</think>\nanswer"
LONGEST_TAG = max(len(tag) for pair in REASONING_TAGS for tag in pair)


def run(pieces: list[str], *, starts_in_reasoning: bool = False) -> tuple[ReasoningSplitter, list[tuple[str, str]]]:
    splitter = ReasoningSplitter(starts_in_reasoning=starts_in_reasoning)
    out: list[tuple[str, str]] = []
    for piece in pieces:
        out += splitter.feed(piece)
    out += splitter.flush()
    return splitter, out


def joined(out: list[tuple[str, str]], kind: str) -> str:
    return "".join(text for k, text in out if k == kind)


def test_one_character_at_a_time() -> None:
    splitter, out = run(list(SAMPLE))
    assert (splitter.reasoning, splitter.answer) == ("abc", "answer")
    assert (joined(out, "reasoning"), joined(out, "answer")) == ("abc", "answer")


@pytest.mark.parametrize("cut", range(len(SAMPLE) + 1))
def test_split_in_two_anywhere(cut: int) -> None:
    splitter, out = run([SAMPLE[:cut], SAMPLE[cut:]])
    assert (splitter.reasoning, splitter.answer) == ("abc", "answer")
    kinds = [kind for kind, _ in out]
    assert [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k] == ["reasoning", "answer"]
    assert all(text for _, text in out)


def test_pieces_are_merged_and_in_order() -> None:
    splitter = ReasoningSplitter()
    assert splitter.feed("<think>a</think>b") == [("reasoning", "a"), ("answer", "b")]
    assert splitter.feed("cd") == [("answer", "cd")]


def test_no_tags_is_all_answer_and_streams_without_delay() -> None:
    text = "Hello! In HTML, a < b and <b>bold</b> [x] <| done."
    splitter = ReasoningSplitter()
    shown = ""
    for i, char in enumerate(text, 1):
        shown += "".join(t for kind, t in splitter.feed(char) if kind == "answer")
        assert len(text[:i]) - len(shown) < LONGEST_TAG
    shown += joined(splitter.flush(), "answer")
    assert shown == text == splitter.answer
    assert splitter.reasoning == ""


def test_plain_text_is_not_held_at_all() -> None:
    splitter = ReasoningSplitter()
    assert splitter.feed("Hi") == [("answer", "Hi")]
    assert splitter.feed(" there") == [("answer", " there")]


def test_only_a_possible_tag_start_is_held() -> None:
    splitter = ReasoningSplitter()
    assert splitter.feed("<thi") == []
    assert splitter.feed("s is not a tag") == [("answer", "<this is not a tag")]
    inside = ReasoningSplitter(starts_in_reasoning=True)
    assert inside.feed("abc</th") == [("reasoning", "abc")]
    assert inside.feed("x") == [("reasoning", "</thx")]


def test_think_tag_inside_an_answer_is_not_split() -> None:
    text = "Use the <think> tag like this: <think>x</think> done"
    splitter, out = run([text])
    assert splitter.answer == text
    assert splitter.reasoning == ""
    assert out == [("answer", text)]


def test_leading_whitespace_before_the_opening_tag() -> None:
    splitter, _ = run(["\n  <th", "ink>\nplan\n</think>\n\nThe answer."])
    assert splitter.reasoning == "plan\n"
    assert splitter.answer == "The answer."


def test_starts_in_reasoning() -> None:
    splitter, out = run(["I should greet.", "</think>\n", "Hello!"], starts_in_reasoning=True)
    assert splitter.reasoning == "I should greet."
    assert splitter.answer == "Hello!"
    assert out == [("reasoning", "I should greet."), ("answer", "Hello!")]


def test_unterminated_reasoning_stays_reasoning_at_flush() -> None:
    splitter = ReasoningSplitter()
    splitter.feed("<think>still thinking </thi")
    assert splitter.flush() == [("reasoning", "</thi")]
    assert splitter.reasoning == "still thinking </thi"
    assert splitter.answer == ""


def test_lone_partial_tag_at_flush_is_answer() -> None:
    splitter, out = run(["<thi"])
    assert out == [("answer", "<thi")]


def test_only_a_single_newline_and_leading_whitespace_are_dropped() -> None:
    splitter, _ = run(["<think>r</think>\n", "\n  Line one\n\nLine two\n"])
    assert splitter.answer == "Line one\n\nLine two\n"


@pytest.mark.parametrize(("open_tag", "close_tag"), REASONING_TAGS)
def test_each_tag_family(open_tag: str, close_tag: str) -> None:
    text = f"{open_tag}step 1, step 2{close_tag}\nFinal."
    for pieces in ([text], list(text)):
        splitter, _ = run(pieces)
        assert (splitter.reasoning, splitter.answer) == ("step 1, step 2", "Final.")


def test_other_family_close_tag_does_not_end_reasoning() -> None:
    splitter, _ = run(["<think>a</thinking>b</think>c"])
    assert (splitter.reasoning, splitter.answer) == ("a</thinking>b", "c")


# --- channel formats: gpt-oss (harmony) and Gemma 4 -------------------------------------------------------

from engine.chat.reasoning import reasoning_format, splitter_for  # noqa: E402

# Pieces of the real templates that name their format.
GPT_OSS_TEMPLATE = ("{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}"
                    "{{- '<|start|>assistant<|channel|>final<|message|>' + message.content + '<|end|>' }}")
GEMMA4_TEMPLATE = ("{%- if enable_thinking -%}<|think|>{%- endif -%}"
                   "{{- '<|channel>thought\\n' + message.reasoning + '<channel|>' }}{{ '<|turn>model\\n' }}")
HARMONY_REPLY = ("<|channel|>analysis<|message|>The user greets me. I should greet back.<|end|>"
                 "<|start|>assistant<|channel|>final<|message|>Hello! How can I help?<|return|>")
GEMMA4_REPLY = "<|channel>thought\nThe user greets me.<channel|>Hello! How can I help?"


def stream(splitter: ReasoningSplitter, text: str, size: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for start in range(0, len(text), size):
        out += splitter.feed(text[start:start + size])
    return out + splitter.flush()


def test_formats_are_read_from_the_template() -> None:
    assert reasoning_format(GPT_OSS_TEMPLATE) == "harmony"
    assert reasoning_format(GEMMA4_TEMPLATE) == "gemma4"
    assert reasoning_format("{{ '<|im_start|>assistant\\n' }}") == "tags"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 1000])
def test_harmony_analysis_is_reasoning_and_final_is_the_answer(size: int) -> None:
    splitter = splitter_for(GPT_OSS_TEMPLATE, "<|start|>user<|message|>Hi<|end|><|start|>assistant")
    out = stream(splitter, HARMONY_REPLY, size)
    assert (splitter.reasoning, splitter.answer) == ("The user greets me. I should greet back.",
                                                     "Hello! How can I help?")
    assert (joined(out, "reasoning"), joined(out, "answer")) == (splitter.reasoning, splitter.answer)
    kinds = [kind for kind, _ in out]
    assert kinds == sorted(kinds, reverse=True)   # all reasoning, then all answer
    assert not any("<|" in text for _, text in out)


def test_harmony_without_analysis_or_channels() -> None:
    final_only = splitter_for(GPT_OSS_TEMPLATE)
    stream(final_only, "<|channel|>final<|message|>Just the answer.<|return|>", 4)
    assert (final_only.reasoning, final_only.answer) == ("", "Just the answer.")
    plain = splitter_for(GPT_OSS_TEMPLATE)
    stream(plain, "No channels at all.", 3)
    assert (plain.reasoning, plain.answer) == ("", "No channels at all.")


@pytest.mark.parametrize("size", [1, 2, 3, 4, 9, 1000])
def test_gemma4_thought_channel_is_reasoning(size: int) -> None:
    splitter = splitter_for(GEMMA4_TEMPLATE, "<|turn>user\nHi<turn|>\n<|turn>model\n")
    out = stream(splitter, GEMMA4_REPLY, size)
    assert (splitter.reasoning, splitter.answer) == ("The user greets me.", "Hello! How can I help?")
    assert (joined(out, "reasoning"), joined(out, "answer")) == (splitter.reasoning, splitter.answer)
    assert not any("channel" in text for _, text in out)


def test_a_prompt_that_opens_reasoning_starts_in_reasoning() -> None:
    # DeepSeek V3.1 with thinking on ends its prompt with <think>; with thinking off with </think>.
    opened = splitter_for("{{ thinking }}", "<｜User｜>Hi<｜Assistant｜><think>")
    stream(opened, "Greet back.</think>Hello!", 3)
    assert (opened.reasoning, opened.answer) == ("Greet back.", "Hello!")
    closed = splitter_for("{{ thinking }}", "<｜User｜>Hi<｜Assistant｜></think>")
    stream(closed, "Hello!", 3)
    assert (closed.reasoning, closed.answer) == ("", "Hello!")
