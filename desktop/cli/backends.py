"""``hearth backends add|list|test|rm`` and ``hearth chat --backend NAME``: remote OpenAI-compatible servers.

A key is never given on the command line (it would stay in the shell's history and show in ``ps``): it is
read from an environment variable (``--api-key-env``) or typed at a hidden prompt (``--api-key-prompt``),
and kept in the OS keychain. ``chat --backend`` goes through the same chat service as a local model
(stored, fitted to the server's context, failing over to other backends serving the same model and
saying which one answered): ``remote_model`` names the model it binds the conversation to.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

from desktop.cli.terminal import visible

if TYPE_CHECKING:
    from engine import Store

PRESET_NAMES = ["llama-server", "vllm", "sglang", "ollama", "lmstudio", "openai-compatible"]


def add_parser(sub: Any) -> None:
    backends = sub.add_parser("backends", help="remote servers (llama-server, vLLM, Ollama…) to chat through")
    bsub = backends.add_subparsers(dest="action", required=True)
    add = bsub.add_parser("add", help="add a backend (or replace one with --replace)")
    add.add_argument("name", help="a short name for it, for example gpu-box")
    add.add_argument("url", help="its address, for example http://192.168.1.20:8080 (/v1 is added when missing)")
    add.add_argument("--preset", choices=PRESET_NAMES, default="openai-compatible",
                     help="the kind of server, for discovering its context size (default: openai-compatible)")
    add.add_argument("--model", metavar="ID", help="the model to ask for (default: the server's first model)")
    add.add_argument("--context", type=int, metavar="TOKENS",
                     help="its context window (default: asked of the server)")
    add.add_argument("--vision", action="store_true", help="the model reads images")
    add.add_argument("--tools", action="store_true", help="the model calls tools")
    add.add_argument("--json-schema", action="store_true", help="the server constrains replies to a JSON schema")
    add.add_argument("--api-key-env", metavar="VAR",
                     help="read the API key from this environment variable (kept in the OS keychain)")
    add.add_argument("--api-key-prompt", action="store_true", help="type the API key at a hidden prompt")
    add.add_argument("--replace", action="store_true", help="replace a backend of the same name")
    add.add_argument("--no-test", action="store_true", help="do not test the connection after adding")
    bsub.add_parser("list", help="the backends, in failover order")
    test = bsub.add_parser("test", help="list a backend's models and send it a one-token chat")
    test.add_argument("name", help="the backend, as `hearth backends list` shows it")
    rm = bsub.add_parser("rm", help="remove a backend and its key")
    rm.add_argument("name", help="the backend, as `hearth backends list` shows it")


def run(args: argparse.Namespace) -> int:
    from engine import open_home
    from engine.remote import Backends

    with open_home().store() as store:
        backends = Backends(store)
        if args.action == "add":
            return _add(args, backends)
        if args.action == "list":
            for b in backends.list():
                key = "key set" if b.api_key else "no key"
                ctx = f"{b.context_window} tokens" if b.context_window else "context from server"
                caps = ",".join(c for c, on in (("vision", b.vision), ("tools", b.tools),
                                                ("json-schema", b.json_schema)) if on) or "-"
                print(f"{visible(b.name)}  {visible(b.base_url)}  {b.preset}  model={visible(b.model or '(first)')}"
                      f"  {ctx}  {caps}  {key}")
            return 0
        if args.action == "test":
            return _test(backends.get(args.name))
        backends.remove(args.name)
        print(f"Removed backend {visible(args.name)}.")
        return 0


def _add(args: argparse.Namespace, backends: Any) -> int:
    from engine.remote import Backend

    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            print(f"hearth: the environment variable {visible(args.api_key_env)} is not set or empty.",
                  file=sys.stderr)
            return 2
    elif args.api_key_prompt:
        key = getpass.getpass("API key: ") or None
    backend = Backend(args.name, args.url, preset=args.preset, model=args.model, context_window=args.context,
                      vision=args.vision, tools=args.tools, json_schema=args.json_schema, api_key=key)
    if key and backend.plain_http_to_network:
        print(f"[warning: the key will travel unencrypted (plain http) to {visible(backend.base_url)}; "
              "use https for a server on another machine]", file=sys.stderr)
    in_keychain = backends.add(backend, replace=args.replace)
    print(f"Added backend {visible(backend.name)} at {visible(backend.base_url)}.")
    if key and not in_keychain:
        print("[no keychain on this computer: the key is kept for this session only; give it again next time]",
              file=sys.stderr)
    return 0 if args.no_test else _test(backend)


def _test(backend: Any) -> int:
    from engine.remote import client

    report = client.test_connection(backend)
    ctx = f"{report.context.tokens} tokens ({report.context.source})" if report.context else "not reported"
    print(f"{visible(backend.name)}: OK in {report.seconds:.2f} s · models: "
          f"{', '.join(visible(m) for m in report.models) or '(none listed)'} · answered as "
          f"{visible(report.model)} · context {ctx}")
    for warning in report.warnings:
        print(f"[warning: {visible(warning)}]", file=sys.stderr)
    return 0


def remote_model(store: "Store", backend: str, model: str | None) -> str:
    """``remote://backend/model`` for ``hearth chat --backend NAME [--model ID]`` (ID default: the backend's)."""
    from engine import errors, remote_path
    from engine.remote import Backends
    chosen = model or Backends(store).get(backend).model
    if not chosen:
        raise errors.RemoteError(f"Backend {backend!r} names no model.", reason="no_model",
                                 hint=f"Give one with --model ID (`hearth backends test {backend}` lists them).")
    Backends(store).get(backend)   # an unknown backend is refused before anything is stored
    return remote_path(backend, chosen)
