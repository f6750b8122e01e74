"""``hearth serve``: Hearth's models and knowledge collections as a local OpenAI-compatible API.

Binds 127.0.0.1 unless told otherwise. Any other address needs the API key, which is made at random
the first time it is needed, printed that once, and kept (mode 0600) in the home's config folder.
Ctrl+C stops the server quietly.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve the models and collections as a local OpenAI-compatible API")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this computer only; any other needs "
                            "the API key)")
    serve.add_argument("--port", type=int, default=8337, help="port to listen on (default: 8337)")
    serve.add_argument("--model", metavar="NAME",
                       help="the chat model to load: an installed model's name or a .gguf file (default: the "
                            "first installed chat model)")
    serve.add_argument("--ctx", type=int, metavar="TOKENS", help="context size (default: the model's, at most 4096)")
    serve.add_argument("--threads", type=int, help="CPU threads for llama.cpp (default: the physical cores)")
    serve.add_argument("--require-key", action="store_true",
                       help="ask for the API key on 127.0.0.1 too (always asked on any other address)")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="a host name clients may use besides localhost and IP addresses (repeatable)")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                       help="a web origin allowed to call the API from a browser, e.g. http://localhost:3000 "
                            "(repeatable; default: none)")
    serve.add_argument("--store-conversations", action="store_true",
                       help="keep each chat request and its reply as a conversation (\"API · …\"; default: off)")
    serve.add_argument("--queue", type=int, default=8, metavar="N",
                       help="requests that may wait for the model; more get 429 (default: 8)")


def _model_path(home: Any, name: str | None) -> Path | None:
    from engine import errors
    from engine.models.installed import find_installed, installed_models
    with home.store() as store:
        if name is None:
            models = installed_models(store, home.paths.models).models
            return models[0].path if models else None
        if name.endswith(".gguf") and Path(name).expanduser().exists():
            return Path(name).expanduser()
        found = find_installed(store, home.paths.models, name)
    if found is None:
        raise errors.ModelNotFound(f"No installed model is called '{name}'.",
                                   hint="`hearth models list` shows the installed models' names.")
    return found.path


def run(args: argparse.Namespace) -> int:
    from engine import open_home
    from engine.api import ApiConfig, ApiServer, load_or_create_key
    from engine.api.keys import key_path
    from engine.api.server import is_loopback

    home = open_home()
    key = None
    if args.require_key or not is_loopback(args.host):
        key, made = load_or_create_key(home.root)
        if made:
            print(f"API key (shown this once; it is kept in {key_path(home.root)}):\n  {key}")
        else:
            print(f"API key: in {key_path(home.root)}")
    model = _model_path(home, args.model)
    config = ApiConfig(host=args.host, port=args.port, model=model, api_key=key, n_ctx=args.ctx,
                       n_threads=args.threads, max_queue=max(args.queue, 0) or 1,
                       allowed_hosts=frozenset(args.allow_host), cors_origins=frozenset(args.cors_origin),
                       store_conversations=args.store_conversations)
    server = ApiServer(home, config)
    try:
        server.start()
        print(f"Hearth API on {server.url}/v1 (Ctrl+C stops it)", flush=True)
        if model is None:
            print("No chat model is installed: chat requests name one (`hearth models pull`).", flush=True)
        elif server.wait_ready(600):
            print(f"Model ready: {server.worker.loaded_id}", flush=True)
        else:
            print(f"hearth: the model did not load: {server.worker.problem}", file=sys.stderr, flush=True)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 0
    finally:
        server.stop()
