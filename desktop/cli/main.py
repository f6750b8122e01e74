"""The ``hearth`` command: the window with no arguments, the engine in a terminal otherwise.

``hearth chat`` streams a reply and stores it, ``hearth history`` lists,
shows, searches and exports conversations, ``hearth kb`` and ``hearth ask``
index and question the user's documents, ``hearth bench`` measures. Qt is
imported only when the window opens, so the terminal commands start fast.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from desktop.cli import backends as cli_backends
from desktop.cli import kb as cli_kb
from desktop.cli import models as cli_models
from desktop.cli import prompt as cli_prompt
from desktop.cli import serve as cli_serve
from desktop.cli import language as cli_language
from desktop.cli.terminal import json_text, visible

if TYPE_CHECKING:
    from engine.home import Engine



def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth", description="Chat with language models on your own computer.")
    parser.add_argument("--quit-after-paint", action="store_true",
                        help="open the window, print 'painted' once it is drawn, and quit (start-up timing)")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window, load a model, generate a few tokens, print a JSON report")
    parser.add_argument("--model", dest="self_test_model", help="with --self-test: the .gguf model to use")
    sub = parser.add_subparsers(dest="command")

    shot = sub.add_parser("screenshot", help="save a PNG of the window with a real conversation")
    shot.add_argument("output", help="the PNG file to write")
    shot.add_argument("--model", required=True, help="path to a .gguf chat model")
    shot.add_argument("--lang", default="en", choices=["en", "zh_CN"], help="the window's language (default: en)")
    shot.add_argument("--prompt", action="append", default=[], help="a message to send (repeatable)")
    shot.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    shot.add_argument("--theme", default="system", choices=["system", "light", "dark"],
                      help="the window's theme (default: system)")
    shot.add_argument("--settings", metavar="PNG", help="also save the Settings window to this PNG")

    chat = sub.add_parser("chat", help="send a message and stream the reply")
    chat.add_argument("prompt", help="the message to send")
    chat.add_argument("--model", metavar="PATH_OR_NAME",
                      help="a .gguf file, or an installed model's name as `hearth models list` shows it "
                           "(default: the conversation's model, else the last one used, else the starter)")
    chat.add_argument("--mmproj", help="the model's image projector (.gguf; default: paired automatically)")
    chat.add_argument("--attach", action="append", default=[], metavar="FILE",
                      help="attach an image or a document (repeatable)")
    chat.add_argument("--conversation", type=int, help="continue this conversation (default: a new one)")
    chat.add_argument("--system", help="system prompt for a new conversation")
    chat.add_argument("--temperature", type=float,
                      help="randomness: 0 always picks the likeliest word (default: the conversation's, 0.7)")
    chat.add_argument("--top-p", type=float, help="sample from the likeliest words up to this total probability "
                                                 "(default: the conversation's, 0.95)")
    chat.add_argument("--top-k", type=int,
                      help="sample from this many likeliest words (default: the conversation's, 40)")
    chat.add_argument("--min-p", type=float, help="leave out words less likely than this fraction of the likeliest "
                                                 "(default: the conversation's, 0.05)")
    chat.add_argument("--repeat-penalty", type=float,
                      help="discourage repeating recent words; 1 is off (default: the conversation's, 1.1)")
    chat.add_argument("--ctx", type=int, help="context size in tokens")
    chat.add_argument("--seed", type=int, help="random seed, to repeat a reply exactly (default: a new one each time)")
    chat.add_argument("--max-tokens", type=int,
                      help="the longest reply, in tokens (default: the conversation's, 1024)")
    chat.add_argument("--think", action=argparse.BooleanOptionalAction,
                      help="let a reasoning model think before answering, or not (default: the model's own choice)")
    chat.add_argument("--gpu-layers", default="auto", type=_gpu_layers,
                      help="'auto' or a number of layers to offload")
    chat.add_argument("--threads", type=int, help="CPU threads to use (default: chosen for this machine)")
    chat.add_argument("--policy", choices=["drop_oldest", "refuse"], help="what to do when the context is full")
    chat.add_argument("--backend", metavar="NAME",
                      help="answer through this remote backend (`hearth backends list`), stored like any "
                           "chat; --model is then the server's model id (default: the backend's)")

    history = sub.add_parser("history", help="stored conversations")
    hsub = history.add_subparsers(dest="action", required=True)
    hsub.add_parser("list", help="list conversations")
    show = hsub.add_parser("show", help="print a conversation")
    show.add_argument("id", type=int, help="the conversation's number, as `hearth history list` shows it")
    search = hsub.add_parser("search", help="full-text search over all messages")
    search.add_argument("text", help="the words to find")
    export = hsub.add_parser("export", help="export a conversation")
    export.add_argument("id", type=int, help="the conversation's number, as `hearth history list` shows it")
    export.add_argument("--format", choices=["md", "json"], default="md",
                        help="Markdown to read, or JSON with every branch to keep (default: md)")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")

    cli_models.add_parser(sub)
    cli_prompt.add_parser(sub)
    cli_kb.add_parser(sub)
    cli_backends.add_parser(sub)
    cli_serve.add_parser(sub)

    bench = sub.add_parser("bench", help="benchmarks that write JSON")
    bsub = bench.add_subparsers(dest="suite", required=True)
    engine = bsub.add_parser("engine", help="engine decode speed, prefix reuse and load time against bare llama.cpp")
    engine.add_argument("--model", required=True, help="the .gguf model to measure")
    engine.add_argument("--json", required=True, help="file to write the results to")
    engine.add_argument("--threads", type=int, help="CPU threads to use (default: chosen for this machine)")
    engine.add_argument("--tokens", type=int, default=128, help="tokens to generate per run (default: 128)")
    engine.add_argument("--llama-bench", help="path to llama.cpp's llama-bench binary, to compare with")
    engine.add_argument("--gpu-layers", default="auto", type=_gpu_layers,
                        help="layers to put on the GPU: auto (the offload planner's choice, default), -1 (all) "
                             "or a count; llama-bench gets the count the engine ended with")
    kbb = bsub.add_parser("kb", help="knowledge base: ingest and embedding rate against raw llama.cpp, re-index, "
                                     "retrieval latency at 10k/100k/1M chunks")
    kbb.add_argument("--json", required=True, help="file to write the results to")
    kbb.add_argument("--embedder", help="a .gguf embedding model (default: the installed one)")
    kbb.add_argument("--corpus", help="a folder to ingest (default: licence texts and part of Python's library)")
    kbb.add_argument("--reindex-files", type=int, default=10_000, help="files in the unchanged re-index test")
    kbb.add_argument("--scales", type=int, nargs="*", default=[10_000, 100_000, 1_000_000],
                     help="numbers of chunks to time retrieval at (default: 10000 100000 1000000)")
    kbb.add_argument("--keyword-max-size", type=int, help="measure larger scales vector-only")
    kbb.add_argument("--threads", type=int, help="CPU threads to use (default: chosen for this machine)")
    gui = bsub.add_parser("gui", help="window start-up time and event-loop stalls while a reply streams")
    gui.add_argument("--model", required=True, help="the .gguf chat model to stream from")
    gui.add_argument("--json", required=True, help="file to write the results to")
    gui.add_argument("--runs", type=int, default=5, help="start-up runs")
    kbq = bsub.add_parser("kb-quality", help="knowledge base: does retrieval find the answering passage? "
                                             "recall@1/@5 and MRR per language and mode")
    kbq.add_argument("--json", required=True, help="file to write the results to")
    kbq.add_argument("--embedder", help="a .gguf embedding model (default: the installed one)")
    kbq.add_argument("--split", choices=["tune", "heldout", "all"], default="all",
                     help="the questions to ask (default: all)")
    kbq.add_argument("--data", help="the folder of questions.json and its files (default: tests/data/kb_quality)")
    kbq.add_argument("--rerank-scale", type=int, default=10_000,
                     help="synthetic chunks to time the rerank stage at (0: skip)")
    api = bsub.add_parser("api", help="the local API (openai SDK) against the engine in-process: decode "
                                      "tokens/s, time to first token, concurrent clients")
    api.add_argument("--model", required=True, help="the .gguf chat model to serve and measure")
    api.add_argument("--json", required=True, help="file to write the results to")
    api.add_argument("--threads", type=int, help="CPU threads to use (default: chosen for this machine)")
    api.add_argument("--tokens", type=int, default=128, help="tokens to generate per run (default: 128)")
    api.add_argument("--clients", type=int, default=8, help="concurrent API clients (default: 8)")
    rem = bsub.add_parser("remote", help="a llama-server through Hearth's remote client against the openai SDK "
                                         "straight to it: decode tokens/s, time to first token")
    rem.add_argument("--model", required=True, help="the .gguf chat model for llama-server to serve")
    rem.add_argument("--json", required=True, help="file to write the results to")
    rem.add_argument("--server", help="the llama-server program (default: the one "
                                      "scripts/build_llama_server.sh builds and caches)")
    rem.add_argument("--threads", type=int, help="CPU threads for llama-server (default: chosen for this machine)")
    rem.add_argument("--tokens", type=int, default=128, help="tokens to generate per run (default: 128)")
    rem.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default: 5)")
    rem.add_argument("--api", action="store_true",
                     help="also measure the local API against the engine (as `hearth bench api`)")
    tpl = bsub.add_parser("templates", help="a 300-turn chat through a quadratic chat template: Hearth's render "
                                            "and fitting against plain Jinja")
    tpl.add_argument("--json", required=True, help="file to write the results to")
    tpl.add_argument("--template", help="a real template to measure instead: a .jinja file, or a .gguf holding one")
    return parser


def _gpu_layers(text: str) -> str | int:
    """``--gpu-layers``: "auto" or a whole number (anything else is a usage error, not a traceback)."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number of layers, not {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        code = _run(args)
        sys.stdout.flush()   # a closed pipe shows here, inside the try, not at the interpreter's exit
        return code
    except KeyboardInterrupt:   # Ctrl+C where a command does not pause or cancel on it itself
        print("Stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`hearth history list | head -1`): stop quietly. What is still buffered
        # goes to devnull, or Python's own flush at exit would fail again (as Python's signal docs advise).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.self_test:
        from desktop.cli.self_test import run_self_test
        return run_self_test(args.self_test_model)
    if args.command is None:
        from desktop.app import run
        return run(quit_after_paint=args.quit_after_paint)
    if args.command == "screenshot":
        from desktop.cli.screenshot import take_screenshot
        width, height = (int(n) for n in args.size.lower().split("x"))
        print(take_screenshot(Path(args.output), model=Path(args.model), language=args.lang,
                              prompts=args.prompt, size=(width, height), theme=args.theme,
                              settings=Path(args.settings) if args.settings else None))
        return 0
    if args.command == "bench" and args.suite == "gui":
        from desktop.bench.gui import run_gui_bench
        print(json.dumps(run_gui_bench(Path(args.json), model=Path(args.model), runs=args.runs), indent=2))
        return 0
    from engine.errors import HearthError
    try:
        if args.command == "chat":
            return _chat(args)
        if args.command == "backends":
            return cli_backends.run(args)
        if args.command == "history":
            return _history(args)
        if args.command == "models":
            return cli_models.run(args)
        if args.command == "prompt":
            return cli_prompt.run(args)
        if args.command in ("kb", "ask"):
            return cli_kb.run(args)
        if args.command == "serve":
            return cli_serve.run(args)
        if args.command == "bench" and args.suite == "kb":
            from engine.bench.kb import run_kb_bench
            result = run_kb_bench(Path(args.json), embedder=args.embedder, corpus=args.corpus and Path(args.corpus),
                                  reindex_files=args.reindex_files, scales=args.scales,
                                  keyword_max_size=args.keyword_max_size, threads=args.threads)
            print(json.dumps(result, indent=2))
            return 0
        if args.command == "bench" and args.suite == "kb-quality":
            from engine.bench.kb_quality import run_kb_quality_bench, table
            result = run_kb_quality_bench(Path(args.json), embedder=args.embedder and Path(args.embedder),
                                          split=args.split, data=args.data and Path(args.data),
                                          rerank_scale=args.rerank_scale,
                                          progress=lambda line: print(line, file=sys.stderr, flush=True))
            print(table(result))
            return 0
        if args.command == "bench" and args.suite == "api":
            from engine.bench.api import run_api_bench
            result = run_api_bench(Path(args.model), Path(args.json), threads=args.threads, n_tokens=args.tokens,
                                   clients=args.clients)
            print(json.dumps(result, indent=2))
            return 0
        if args.command == "bench" and args.suite == "remote":
            from engine.bench.remote import run_remote_bench
            result = run_remote_bench(Path(args.model), Path(args.json), server=args.server and Path(args.server),
                                      threads=args.threads, n_tokens=args.tokens, rounds=args.rounds,
                                      with_api=args.api)
            print(json.dumps(result, indent=2))
            return 0
        if args.command == "bench" and args.suite == "templates":
            from engine.bench.templates import run_templates_bench
            result = run_templates_bench(Path(args.json), template=args.template and Path(args.template))
            print(json.dumps(result, indent=2))
            return 0
        if args.command == "bench":
            from engine.bench.engine import run_engine_bench
            result = run_engine_bench(Path(args.model), Path(args.json), threads=args.threads,
                                      n_tokens=args.tokens, llama_bench=args.llama_bench,
                                      gpu_layers=args.gpu_layers)
            print(json.dumps(result, indent=2))
            return 0
    except HearthError as exc:   # in the system language where a translation exists (desktop.cli.language)
        print(f"hearth: {cli_language.error_text(exc)}", file=sys.stderr)
        return 1
    return 2


def _chat(args: argparse.Namespace) -> int:
    from engine import open_home
    from engine.chat.attachments import prepare

    attachments = [prepare(path) for path in args.attach]   # a refused file stops here, before anything is stored
    with open_home().engine() as eng:   # the chat answers from the conversation's collections, as in the window
        return _send(args, eng, attachments)


def _send(args: argparse.Namespace, eng: "Engine", attachments: list[Any]) -> int:
    from engine import ContextTrimmed, Piece, ReplyFinished, Sampling, UserSaved, parse_remote_path
    from engine.sampling import CancelToken

    store, runtime = eng.store, eng.runtime
    # Everything that can fail before the reply (the conversation, the model's name, the load) is done
    # before anything is written: a failed call leaves no empty "(untitled)" conversation behind.
    conv = store.conversation(args.conversation) if args.conversation is not None else None
    named = args.model or (conv.model_path if conv else None)
    if args.backend:   # a backend's model: the same conversation, stored, computed on that server
        model: Any = cli_backends.remote_model(store, args.backend, args.model)
    elif named and parse_remote_path(named):
        model = named
    else:
        model = cli_models.resolve_model(named) if named else cli_models.default_model(store)
    if model is None:
        print("hearth: no chat model is installed. Give one with --model PATH or NAME, or download one with "
              "`hearth models pull`.", file=sys.stderr)
        return 2
    overrides = {k: v for k, v in {
        "temperature": args.temperature, "top_p": args.top_p, "top_k": args.top_k, "min_p": args.min_p,
        "repeat_penalty": args.repeat_penalty, "seed": args.seed, "max_tokens": args.max_tokens,
        "thinking": args.think,
    }.items() if v is not None}
    sampling = Sampling.from_dict({**Sampling.from_dict(conv.sampling if conv else {}).to_dict(), **overrides})
    runtime.load(model, n_ctx=args.ctx or (conv.ctx_size if conv else None), n_gpu_layers=args.gpu_layers,
                 n_threads=args.threads, mmproj=args.mmproj)
    if conv is None:
        conv = store.create_conversation(system_prompt=args.system or "", model_path=str(model),
                                         ctx_size=args.ctx, context_policy=args.policy or "drop_oldest")
    updates = {"model_path": str(model), "sampling": sampling.to_dict()}
    if args.policy:
        updates["context_policy"] = args.policy
    if args.ctx:
        updates["ctx_size"] = args.ctx
    conv = store.update_conversation(conv.id, **updates)
    cancel = CancelToken()
    signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    info = runtime.info
    if info and info.template.fallback_reason:
        print(f"[{visible(info.template.fallback_reason)}]", file=sys.stderr)
    if info and info.vision_error:
        print(f"[image projector not loaded: {visible(info.vision_error)}]", file=sys.stderr)
    in_reasoning = False
    for event in eng.chat.send(conv.id, args.prompt, attachments=attachments, sampling=sampling,
                                  cancel=cancel):
        if isinstance(event, UserSaved) and event.attachments:
            print("[attached: " + ", ".join(f"{visible(a.name)} ({a.kind})" for a in event.attachments) + "]",
                  file=sys.stderr)
        elif isinstance(event, ContextTrimmed):
            print(f"[context full: left out {len(event.dropped_ids)} older messages "
                  f"({event.dropped_tokens} tokens) to fit {event.n_ctx} tokens]", file=sys.stderr)
        elif isinstance(event, Piece):
            if event.kind == "reasoning":
                if not in_reasoning:
                    sys.stderr.write("[thinking] ")
                    in_reasoning = True
                sys.stderr.write(visible(event.text, newlines=True))
                sys.stderr.flush()
            else:
                sys.stdout.write(visible(event.text, newlines=True))
                sys.stdout.flush()
        elif isinstance(event, ReplyFinished):
            sys.stdout.write("\n")
            m = event.message
            seen = m.record.get("attachments", {})
            if seen.get("images_sent") or seen.get("document_tokens"):
                print(f"[prompt {event.stats.get('prompt_tokens', m.prompt_tokens)} tokens: "
                      f"{len(seen.get('images_sent', []))} images ({seen.get('image_tokens', 0)} tokens), "
                      f"documents {seen.get('document_tokens', 0)} tokens]", file=sys.stderr)
            timing = (f"{(m.tokens_per_s or 0):.1f} tok/s · first token {m.ttft_ms or 0:.0f} ms · "
                      if m.completion_tokens else "")   # a reply stopped before its first token has no timing
            remote = m.record.get("remote") or {}
            where = f"answered by {visible(remote['backend'])} · " if remote.get("backend") else ""
            if remote.get("truncated"):
                print(f"[the server read only {remote['truncated']['seen']} of {remote['truncated']['sent']} prompt "
                      "tokens: it cut the conversation to its own context (Ollama: raise num_ctx)]", file=sys.stderr)
            print(f"[conversation {conv.id} · message {m.id} · {where}{m.completion_tokens or 0} tokens · {timing}"
                  f"seed {m.record.get('sampling', {}).get('seed')} · {m.status}]", file=sys.stderr)
    return 0


def _history(args: argparse.Namespace) -> int:
    from engine import open_home
    store = open_home().store()
    if args.action == "list":
        for c in store.conversations():
            print(f"{c.id:>5}  {_when(c.updated_at)}  {visible(c.title) or '(untitled)'}")
    elif args.action == "show":
        print(_markdown_for_terminal(store, args.id))
    elif args.action == "search":
        for hit in store.search(args.text):
            print(f"{hit.conversation_id:>5}:{hit.message_id:<6} {visible(hit.role):<9} "
                  f"{visible(hit.conversation_title)}: {visible(hit.snippet)}")
    elif args.action == "export":
        if args.output:   # a file gets the text as stored
            text = store.export_markdown(args.id) if args.format == "md" else \
                json.dumps(store.export_json(args.id), ensure_ascii=False, indent=2)
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            print(_markdown_for_terminal(store, args.id) if args.format == "md" else
                  json_text(store.export_json(args.id), indent=2))
    store.close()
    return 0


def _markdown_for_terminal(store: Any, conversation_id: int) -> str:
    """The conversation as Markdown with every stored text escaped: names and the title on one line."""
    from dataclasses import replace
    from engine.store import export
    conv = store.conversation(conversation_id)
    thread = store.thread(conversation_id)
    attached = {mid: [replace(a, name=visible(a.name)) for a in items]
                for mid, items in store.attachments_of([m.id for m in thread]).items()}
    conv = replace(conv, title=visible(conv.title), model_path=conv.model_path and visible(conv.model_path))
    return visible(export.to_markdown(conv, thread, attached), newlines=True)


def _when(ts: float) -> str:
    import datetime
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


if __name__ == "__main__":
    sys.exit(main())
