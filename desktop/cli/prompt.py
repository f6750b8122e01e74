"""``hearth prompt``: print the exact text a model would be given for a conversation in a JSON file.

Only the model's GGUF header is read (a header-only file works), so this answers in well under a
second; it is how people debug a model that "talks strangely". To a terminal, control and bidi
characters are shown as escapes; piped or redirected, the text is written exactly, byte for byte.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.cli.models import resolve_model
from desktop.cli.terminal import visible


def add_parser(sub: Any) -> None:
    prompt = sub.add_parser("prompt", help="print the exact prompt a model is given for a conversation "
                                           "(reads only the model's header)")
    prompt.add_argument("--model", required=True, metavar="PATH_OR_NAME",
                        help="a .gguf file, or an installed model's name as `hearth models list` shows it")
    prompt.add_argument("--messages", required=True, metavar="FILE.json",
                        help='the conversation: [{"role": "user", "content": "..."}, ...], OpenAI-style')
    prompt.add_argument("--think", action=argparse.BooleanOptionalAction,
                        help="with a reasoning model's thinking on, or off (default: the template's own choice)")
    prompt.add_argument("--system", help="system prompt (replaces the one in the messages; '' removes it)")
    prompt.add_argument("--template", metavar="NAME",
                        help="a built-in template instead of the model's own, as in a model's settings")


def run(args: argparse.Namespace) -> int:
    from engine import errors
    from engine.chat.prompt_preview import header_template, preview_prompt, read_messages
    model = resolve_model(args.model)
    template = header_template(model, builtin=args.template or "")
    messages = read_messages(args.messages)
    text = preview_prompt(template, messages, system=args.system, thinking=args.think)
    if template.fallback_reason:
        print(f"hearth: {visible(template.fallback_reason)}", file=sys.stderr)
    if not text:
        raise errors.TemplateError(f"The chat template of {model} rendered an empty prompt for "
                                   f"{args.messages}.", path=model)
    if sys.stdout.isatty():
        sys.stdout.write(visible(text, newlines=True) + ("" if text.endswith("\n") else "\n"))
    else:
        sys.stdout.buffer.write(text.encode("utf-8", errors="surrogatepass"))
        sys.stdout.flush()
    return 0
