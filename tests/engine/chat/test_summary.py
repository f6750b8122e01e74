"""A document too big for the context, summarised section by section (map-reduce) with the real SmolLM2:
sections that fit, progress, citations of sections, Stop between steps, follow-ups without the document."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from engine import Runtime, errors
from engine.chat.attachments import prepare
from engine.chat.events import Piece, ReplyFinished, ReplyStarted, SummaryProgress, UserSaved
from engine.chat.sections import split_sections
from engine.chat.service import Chat
from engine.chat.summary import map_tokens, wants_summary
from engine.sampling import CancelToken, Sampling
from engine.store import Store
from tests.engine.chat.test_chat_vision import Recording

GREEDY = Sampling(temperature=0, max_tokens=64)
N_CTX = 512


@pytest.fixture(scope="module")
def small_runtime(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs = tmp_path_factory.mktemp("summary-logs")
    runtime = Runtime(log_path=logs / "llama.log", cache_dir=logs)
    runtime.load(smollm2_path, n_ctx=N_CTX, n_threads=2)
    yield runtime
    runtime.close()


def report(tmp_path: Path) -> Path:
    """About 900 tokens in 24 paragraphs; paragraph 17 holds a code no other paragraph has."""
    paragraphs = [f"Paragraph {i}. The harbour office counted {i * 7} boats this week; the ferry to the island "
                  f"ran {i % 5 + 1} times a day and the weather was {'calm' if i % 2 else 'windy'}."
                  for i in range(1, 25)]
    paragraphs[16] += " The new berth code is ZEBRA-7731."
    path = tmp_path / "harbour-report.txt"
    path.write_text("\n\n".join(paragraphs) + "\n")
    return path


def test_requests_for_a_summary_are_told_apart_from_questions() -> None:
    for text in ("Summarize this license", "Can you summarise the report?", "give me an overview",
                 "TL;DR please", "What is this document about?", "key points?", "总结一下这份文件", "這篇文章的摘要",
                 "概括主要内容", "这份许可证讲了什么"):
        assert wants_summary(text), text
    for text in ("Can I sell copies under the GPL?", "What is the warranty?", "温度参数是什么意思？",
                 "Which section covers patents?", ""):
        assert not wants_summary(text), text


def test_sections_fit_the_budget_cover_every_line_in_order_and_keep_paragraphs(small_runtime: Runtime,
                                                                                tmp_path: Path) -> None:
    text = report(tmp_path).read_text()
    count = small_runtime.count_tokens
    sections = split_sections(text, count, 200)
    assert len(sections) >= 5 and all(count(s.text) <= 200 for s in sections)
    assert sections[0].line_start == 1 and sections[-1].line_end == len(text.splitlines())
    assert all(a.line_end < b.line_start for a, b in zip(sections, sections[1:]))
    assert "".join(s.text for s in sections).replace("\n", "") == text.replace("\n", "")   # nothing lost or repeated
    assert all(s.text.startswith("Paragraph") and s.text.endswith(".") for s in sections)   # cut between paragraphs
    # one long Chinese line: cut at its sentence ends, never inside a sentence
    chinese = "".join(f"第{i}段：港口本周统计了{i * 7}艘船，渡轮每天开{i % 5 + 1}班。" for i in range(1, 60))
    parts = split_sections(chinese, count, 120)
    assert len(parts) > 2 and all(count(p.text) <= 120 for p in parts)
    assert all(p.text.endswith("。") for p in parts) and "".join(p.text for p in parts) == chinese
    with pytest.raises(ValueError):
        split_sections(text, count, 8)


def test_a_document_too_big_is_summarised_section_by_section_with_citations(
        store: Store, small_runtime: Runtime, tmp_path: Path) -> None:
    doc = prepare(report(tmp_path))
    recording = Recording(small_runtime)
    chat = Chat(store, recording)   # type: ignore[arg-type]
    conv = store.create_conversation()
    with pytest.raises(errors.AttachmentTooLarge):   # sent as it is, it does not fit
        list(chat.send(conv.id, "Summarize this report", attachments=[doc], sampling=GREEDY))
    events = list(chat.summarize(conv.id, "Summarize this report", attachments=[prepare(report(tmp_path))],
                                 sampling=GREEDY))
    assert isinstance(events[0], UserSaved) and isinstance(events[1], ReplyStarted)
    progress = [e for e in events if isinstance(e, SummaryProgress)]
    reading = [e for e in progress if e.stage == "reading"]
    total = reading[0].total
    assert total >= 4 and [e.done for e in reading] == list(range(total))
    assert progress[-1].stage == "answering" and progress[-1].document == "harbour-report.txt"
    assert any(e.stage == "combining" for e in progress)   # 512 tokens cannot hold every section's summary
    finished = events[-1]
    assert isinstance(finished, ReplyFinished) and finished.message.status == "complete"
    answer = "".join(e.text for e in events if isinstance(e, Piece))
    assert answer.strip() and finished.message.content == answer
    record = finished.message.record
    assert record["summary"]["sections"] == total and record["summary"]["levels"] >= 2
    sources = record["knowledge"]["sources"]
    assert [s["n"] for s in sources] == list(range(1, total + 1))
    assert sources[0]["line_start"] == 1 and sources[-1]["line_end"] == len(doc.text.splitlines())
    assert all(s["text"] and s["section"] and s["name"] == "harbour-report.txt" for s in sources)
    # each section was read whole, in a prompt that left room for its summary
    maps = [p for p in recording.prompts if "Summarise this section in at most" in p]
    assert len(maps) == total and sum("ZEBRA-7731" in p for p in maps) == 1
    assert all(small_runtime.count_tokens(p) + map_tokens(N_CTX) <= N_CTX for p in maps)
    final = recording.prompts[-1]
    assert "Summarize this report" in final and "[1]" in final and "Summarise this section" not in final
    assert record["prompt"] == final and small_runtime.count_tokens(final) + 64 <= N_CTX
    # the user's message is stored with its document, marked as summarised
    user = store.message(finished.message.parent_id)
    assert user.record["attachments"]["summarized"] and [a.name for a in store.attachments(user.id)] == [doc.name]
    # a follow-up goes without the document (its summary is in the conversation): no refusal
    recording.prompts.clear()
    follow = list(chat.send(conv.id, "Thanks", sampling=Sampling(temperature=0, max_tokens=4)))
    assert isinstance(follow[-1], ReplyFinished) and "ZEBRA-7731" not in recording.prompts[-1]
    assert "Thanks" in recording.prompts[-1]


def test_stop_between_sections_keeps_what_was_read(store: Store, small_runtime: Runtime, tmp_path: Path) -> None:
    chat = Chat(store, small_runtime)
    conv = store.create_conversation()
    cancel = CancelToken()
    events = []
    for event in chat.summarize(conv.id, "", attachments=[prepare(report(tmp_path))], sampling=GREEDY,
                                cancel=cancel):
        events.append(event)
        if isinstance(event, SummaryProgress) and event.done == 2:
            cancel.cancel()
    finished = events[-1]
    assert isinstance(finished, ReplyFinished) and finished.stats["finish_reason"] == "cancelled"
    stored = store.message(finished.message.id)
    assert stored.status == "interrupted" and stored.content == ""
    assert len(stored.record["knowledge"]["sources"]) == 2   # the two sections read before Stop
    assert not any(isinstance(e, Piece) for e in events)
    assert [e.done for e in events if isinstance(e, SummaryProgress)] == [0, 1, 2]
    # answering again summarises again, as a sibling (stopped at once this time)
    cancel = CancelToken()
    again = []
    for event in chat.regenerate(finished.message.id, sampling=GREEDY, cancel=cancel):
        again.append(event)
        if isinstance(event, SummaryProgress):
            cancel.cancel()
    assert isinstance(again[-1], ReplyFinished) and again[-1].message.id != finished.message.id
    assert again[-1].message.parent_id == finished.message.parent_id and again[-1].message.status == "interrupted"
    assert again[-1].message.record["summary"]["sections"] == finished.message.record["summary"]["sections"]


def test_images_cannot_be_summarised(store: Store, small_runtime: Runtime, tmp_path: Path) -> None:
    from PIL import Image
    picture = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(picture)
    chat = Chat(store, small_runtime)
    conv = store.create_conversation()
    with pytest.raises(errors.AttachmentError):
        list(chat.summarize(conv.id, "Summarize", attachments=[prepare(report(tmp_path)), prepare(picture)]))
    assert store.messages(conv.id) == []
