"""Build tests/data/chat_template_conformance.json from llama.cpp's own chat-template tests.

Reads, from a llama.cpp source tree (the one vendored in the llama-cpp-python sdist):

* ``tests/test-chat-template.cpp``: the shared conversation, every ``TestCase`` of
  ``main_automated_tests`` (name, template, expected outputs, bos/eos, whether llama.cpp
  runs it through its Jinja path, extra messages) and the ``DEFAULT_JSON`` input;
* ``models/templates/*.jinja``: real models' templates, which ``test-chat-template
  models/templates`` renders with ``DEFAULT_JSON`` and only checks for failures.

The C++ is not copied or compiled: its initialiser lists are tokenised here (string literals
with their escapes and adjacent-literal concatenation, ``true``/``false``, braces, commas).

    .venv/bin/pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/lcp-sdist
    tar xzf /tmp/lcp-sdist/llama_cpp_python-0.3.36.tar.gz -C /tmp/lcp-sdist
    .venv/bin/python tests/engine/models/conformance/extract.py \\
        /tmp/lcp-sdist/llama_cpp_python-0.3.36/vendor/llama.cpp --version 0.3.36 --commit <llama.cpp commit>
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[3] / "data" / "chat_template_conformance.json"
TEST_FILE = "tests/test-chat-template.cpp"
TEMPLATES_DIR = "models/templates"
# The TestCase members in declaration order (positional aggregate initialisation) and their defaults.
FIELDS = ("name", "template_str", "expected_output", "expected_output_jinja", "bos_token", "eos_token",
          "supported_with_jinja", "extra_conversation")
DEFAULTS: dict[str, Any] = {"expected_output_jinja": "", "bos_token": "", "eos_token": "",
                            "supported_with_jinja": True, "extra_conversation": []}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<raw>(?:u8|u|U|L)?R"(?P<delim>[^(\s]{0,16})\((?P<rawbody>.*?)\)(?P=delim)")
  | (?P<string>(?:u8|u|U|L)?"(?P<body>(?:[^"\\\n]|\\.)*)")
  | (?P<macro>U8C\()
  | (?P<word>[A-Za-z_]\w*)
  | (?P<punct>[{}(),])
""", re.VERBOSE | re.DOTALL)
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]+|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "?": "?", "a": "\a", "b": "\b",
           "f": "\f", "v": "\v"}


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if code[0].isdigit():
            return chr(int(code, 8))
        return _SIMPLE[code]
    return _ESCAPE.sub(one, body)


def _tokens(text: str) -> list[tuple[str, Any]]:
    """('str', value) with adjacent literals joined, ('word', w), ('punct', p); comments dropped."""
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"cannot read the C++ at: {text[pos:pos + 60]!r}")
        pos = match.end()
        if match.group("raw") is not None:
            value, kind = match.group("rawbody"), "str"
        elif match.group("string") is not None:
            value, kind = _unescape(match.group("body")), "str"
        elif match.group("macro") is not None:
            out.append(("macro", "U8C"))
            continue
        elif match.group("word") is not None:
            value, kind = match.group("word"), "word"
        elif match.group("punct") is not None:
            value, kind = match.group("punct"), "punct"
        else:
            continue
        if kind == "str" and out and out[-1][0] == "str":
            out[-1] = ("str", out[-1][1] + value)   # "a" "b" is "ab" in C++
        else:
            out.append((kind, value))
    return out


def _parse_braced(tokens: list[tuple[str, Any]], pos: int) -> tuple[list[Any], int]:
    """The initialiser list starting at tokens[pos] == '{': a list of str, bool and nested lists."""
    assert tokens[pos] == ("punct", "{"), tokens[pos]
    items: list[Any] = []
    pos += 1
    while tokens[pos] != ("punct", "}"):
        kind, value = tokens[pos]
        if (kind, value) == ("punct", "{"):
            item, pos = _parse_braced(tokens, pos)
            items.append(item)
        elif kind == "macro":   # U8C("...") is the literal itself
            if tokens[pos + 1][0] != "str" or tokens[pos + 2] != ("punct", ")"):
                raise ValueError(f"unexpected U8C use near token {pos}")
            items.append(tokens[pos + 1][1])
            pos += 3
        elif kind == "str":
            items.append(value)
            pos += 1
        elif kind == "word" and value in ("true", "false"):
            items.append(value == "true")
            pos += 1
        else:
            raise ValueError(f"unexpected {kind} {value!r} in an initialiser list")
        if tokens[pos] == ("punct", ","):
            pos += 1
        elif tokens[pos] != ("punct", "}"):
            raise ValueError(f"expected ',' or '}}' but found {tokens[pos]!r}")
    return items, pos + 1


def _initialiser(source: str, declaration: str) -> list[Any]:
    """The braced initialiser following ``declaration`` (e.g. ``std::vector<TestCase> test_cases``)."""
    start = source.index(declaration) + len(declaration)
    end = source.index("\n    };", start) + len("\n    }")
    tokens = _tokens(source[start:end])
    items, _ = _parse_braced(tokens, 0)
    return items


def _message(pair: list[str]) -> dict[str, str]:
    role, content = pair
    return {"role": role, "content": content}


def _case(values: list[Any]) -> dict[str, Any]:
    if len(values) > len(FIELDS):
        raise ValueError(f"a TestCase with {len(values)} values: {values[:1]}")
    case = dict(DEFAULTS)
    case.update(zip(FIELDS, values))
    jinja = case["expected_output_jinja"] or case["expected_output"]
    return {
        "name": case["name"],
        "template": case["template_str"],
        "bos_token": case["bos_token"],
        "eos_token": case["eos_token"],
        "extra_messages": [_message(pair) for pair in case["extra_conversation"]],
        # llama.cpp's Jinja path (common_chat_templates_apply) expects expected_output_jinja, or
        # expected_output when that is empty; cases with supported_with_jinja = false it skips.
        "expected": jinja,
        "expected_legacy": case["expected_output"],
        "supported_with_jinja": case["supported_with_jinja"],
    }


def _skip_reason(source: str, name: str) -> str:
    """The comment llama.cpp gives next to ``supported_with_jinja = false`` for the case ``name``."""
    start = source.index(json.dumps(name, ensure_ascii=False)[:-1])
    match = re.compile(r"supported_with_jinja= \*/\s*false,?\s*//\s*([^\n]*)").search(source, start)
    return match.group(1).strip() if match else "llama.cpp does not run it through its Jinja path"


def extract(llama_cpp: Path, version: str, commit: str) -> dict[str, Any]:
    source = (llama_cpp / TEST_FILE).read_text(encoding="utf-8")
    conversation = [_message(pair) for pair in _initialiser(source, "std::vector<llama_chat_message> conversation")]
    cases = [_case(values) for values in _initialiser(source, "std::vector<TestCase> test_cases")]
    for case in cases:
        if not case["supported_with_jinja"]:
            case["skip"] = "llama.cpp skips it in its Jinja tests: " + _skip_reason(source, case["name"])
    default_json = re.search(r'static std::string DEFAULT_JSON = R"\((.*?)\)";', source, re.DOTALL)
    assert default_json is not None
    files = sorted((llama_cpp / TEMPLATES_DIR).glob("*.jinja"))
    return {
        "source": {
            "package": "llama-cpp-python", "version": version, "llama_cpp_commit": commit,
            "files": [TEST_FILE, TEMPLATES_DIR + "/*.jinja"],
            "generator": "tests/engine/models/conformance/extract.py",
        },
        "conversation": conversation,
        "cases": cases,
        # What `test-chat-template models/templates` renders every file with (it only checks for failures).
        "default_input": json.loads(default_json.group(1)),
        "template_files": {path.name: path.read_text(encoding="utf-8") for path in files},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("llama_cpp", type=Path, help="the llama.cpp source tree (vendor/llama.cpp of the sdist)")
    parser.add_argument("--version", required=True, help="the llama-cpp-python version the tree comes from")
    parser.add_argument("--commit", default="", help="the vendored llama.cpp commit")
    parser.add_argument("--out", type=Path, default=FIXTURE)
    args = parser.parse_args()
    data = extract(args.llama_cpp, args.version, args.commit)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(data['cases'])} cases, {len(data['template_files'])} template files")


if __name__ == "__main__":
    main()
