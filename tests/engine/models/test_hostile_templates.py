"""Hostile chat templates: memory bombs and runaway renders fail fast, in the renderer child, and the app survives.

Each bomb is a template a model file could carry. It must fail with a TemplateError (TemplateTooLarge,
TemplateTimeout ...) in <= 3 s, the app process's peak RSS must not grow by more than ~50 MB, and the
renderer must answer the next honest render.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.errors import TemplateError, TemplateTimeout, TemplateTooLarge
from engine.models import template_renderer
from engine.models.gguf import read_gguf_info
from engine.models.template_renderer import renderer
from engine.models.template_sandbox import compile_template, render_compiled
from engine.models.templates import FALLBACK_TEMPLATES, load_template

ORIGIN = "/models/evil-model.gguf"
S = "{% set s = 'x' * 999999 %}"
# name -> template; each one built gigabytes (or ran unbounded) in the app's process before.
BOMBS = {
    "print_repeated_list": S + "{{ [s] * 999999 }}",
    "tojson_repeated_list": S + "{{ ([s] * 999999) | tojson }}",
    "percent_width": "{{ '%3000000000s' % 'a' }}",
    "percent_star_width": "{{ '%0*d' % (10**9, 1) }}",
    "ljust": "{{ 'a'.ljust(3000000000) }}",
    "zfill": "{{ '1'.zfill(10**9) }}",
    "center_filter": "{{ 'a' | center(3000000000) }}",
    "replace_filter": S + "{{ s | replace('x', s) }}",
    "replace_method": S + "{{ s.replace('', s) }}",
    "expandtabs": "{{ ('\t' * 999999).expandtabs(999999) }}",
    "indent_filter": "{{ ('\n' * 999999) | indent(999999) }}",
    "wordwrap_filter": "{% set s = 'a ' * 499999 %}{{ s | wordwrap(1, wrapstring=s) }}",
    "join_filter": S + "{{ ([s] * 999999) | join }}",
    "join_method": S + "{{ ''.join([s] * 999999) }}",
    "format_method_width": "{{ '{:>1000000000}'.format(1) }}",
    "format_method_list": S + "{{ '{}'.format([s] * 999999) }}",
    "format_filter": "{{ '%999999999s' | format('a') }}",
    "percent_of_list": S + "{{ '%s' % ([s] * 999999,) }}",
    "string_of_list": S + "{{ ([s] * 999999) | string }}",
    "trim_of_list": S + "{{ ([s] * 999999) | trim }}",
    "pprint_of_list": S + "{{ ([s] * 999999) | pprint }}",
    "translate": S + "{{ s.translate({120: s}) }}",
    "to_bytes": "{{ (1).to_bytes(10**9, 'big') }}",
    "batch_fill": "{{ [1] | batch(10**9, 'x') | list }}",
    "list_repeat": "{{ [0] * 10**9 }}",
    "str_repeat": "{{ 'x' * 10**9 }}",
    "big_exponent": "{{ 10 ** (10**9) }}",
    "product_growth": "{% set ns = namespace(x=10**1000) %}{% for i in range(60) %}{% set ns.x = ns.x * ns.x %}"
                      "{% endfor %}{{ ns.x | string }}",
    "macro_output": S + "{% macro m() %}{% for i in range(100000) %}{{ s }}{% endfor %}{% endmacro %}{{ m() }}",
    "set_block_output": S + "{% set b %}{% for i in range(100000) %}{{ s }}{% endfor %}{% endset %}{{ b | length }}",
    "page_output": S + "{% for i in range(100000) %}{{ s }}{% endfor %}",
    "namespace_growth": S + "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
                        "{% set ns.l = ns.l + [s ~ i] %}{% endfor %}{{ ns.l | length }}",
    "dict_growth": "{% set ns = namespace(d={}) %}{% for i in range(100000) %}"
                   "{% set ns.d = dict(ns.d, **{i | string: i}) %}{% endfor %}{{ ns.d | length }}",
    "nested_huge_ranges": "{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}",
    "nested_loops": "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
    "macro_recursion": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
}
# Caught by the sandbox's size checks themselves (no child needed): every one of these built gigabytes before.
CAPPED = [name for name in BOMBS if name not in
          ("dict_growth", "nested_huge_ranges", "nested_loops", "macro_recursion")]

HONEST = [{"role": "user", "content": "Hi"}]


def honest_template():  # type: ignore[no-untyped-def]
    return load_template("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}", origin="/m/honest.gguf")


@pytest.mark.parametrize("name", CAPPED)
def test_sandbox_checks_size_before_building(name: str) -> None:
    """The size checks hold in any process, before the allocation (also for built-in templates here)."""
    template = compile_template(BOMBS[name], ORIGIN)
    started = time.monotonic()
    with pytest.raises(TemplateTooLarge) as err:
        render_compiled(template, {"messages": []}, 2.0, ORIGIN)
    assert time.monotonic() - started < 3.0
    assert ORIGIN in str(err.value) and "limit" in str(err.value)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bomb_fails_fast_in_the_child_and_the_renderer_recovers(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError) as err:
        load_template(BOMBS[name], origin=ORIGIN).render([])
    assert time.monotonic() - started <= 3.0
    assert ORIGIN in str(err.value)
    assert err.value.hint
    assert honest_template().render(HONEST) == "<user>Hi"


_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    from engine.errors import TemplateError
    from engine.models.templates import load_template

    def _hwm():  # VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark across exec
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))

    def main():
        bombs = json.loads(sys.stdin.read())
        honest = load_template("{% for m in messages %}{{ m.content }}{% endfor %}", origin="/m/honest.gguf")
        assert honest.render([{"role": "user", "content": "hi"}]) == "hi"
        base = _hwm()
        results = {}
        for name, source in bombs.items():
            started = time.monotonic()
            try:
                load_template(source, origin="/m/" + name + ".gguf").render([])
                error = None
            except TemplateError as exc:
                error = type(exc).__name__
            seconds = time.monotonic() - started
            grown = (_hwm() - base) / 1024
            ok = honest.render([{"role": "user", "content": "hi"}]) == "hi"
            results[name] = [error, seconds, grown, ok]
        print(json.dumps(results))

    if __name__ == "__main__":
        main()
""")


def test_app_process_memory_stays_flat_under_every_bomb() -> None:
    """In a fresh process (so earlier tests hide nothing): peak RSS grows <= 50 MB over all bombs."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE], input=json.dumps(BOMBS), capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parents[3])
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    print("\nbomb                      error              seconds  app RSS growth (MB)")
    for name, (error, seconds, grown, ok) in results.items():
        print(f"{name:25} {str(error):18} {seconds:6.2f}  {grown:6.1f}")
    worst = max(results.values(), key=lambda r: r[1])
    print(f"worst time {worst[1]:.2f} s; app peak RSS growth {max(r[2] for r in results.values()):.1f} MB")
    for name, (error, seconds, grown, ok) in results.items():
        assert error is not None, f"{name} rendered"
        assert seconds <= 3.0, f"{name} took {seconds:.1f} s"
        assert ok, f"the renderer did not recover after {name}"
    assert max(r[2] for r in results.values()) <= 50


def test_a_stuck_c_call_is_killed_and_a_fresh_child_serves_the_next_render(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = honest_template()
    honest.render(HONEST)
    before = renderer().pid
    monkeypatch.setattr(template_renderer, "KILL_GRACE_S", 0.0)
    # One sort of a million items: a single C call that no trace function can interrupt.
    slow = load_template("{{ ((range(100000) | list) * 10) | sort | sort(reverse=true) | length }}", origin=ORIGIN)
    started = time.monotonic()
    with pytest.raises(TemplateTimeout) as err:
        slow.render([], timeout_s=0.001)
    assert time.monotonic() - started < 1.0
    assert ORIGIN in str(err.value)
    monkeypatch.undo()
    assert honest.render(HONEST) == "<user>Hi"
    assert renderer().pid not in (None, before)


def test_renderer_child_has_a_memory_limit_and_stays_light() -> None:
    honest_template().render(HONEST)
    pid = renderer().pid
    assert pid is not None
    limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert int(line.split()[3]) == template_renderer.MEMORY_LIMIT
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
    assert rss_kb < 80 * 1024
    code = ("import sys, engine.models.template_renderer, engine.models.templates; "
            "heavy = [m for m in ('numpy', 'sqlite_utils', 'llama_cpp', 'PySide6') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_builtin_templates_stay_in_process_and_lookalikes_do_not() -> None:
    builtin = load_template(FALLBACK_TEMPLATES["chatml"], origin=ORIGIN, name="chatml")
    assert builtin.trusted
    assert builtin.render(HONEST) == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    impostor = load_template(FALLBACK_TEMPLATES["chatml"] + "{{ 'x' * 10**9 }}", origin=ORIGIN, name="chatml")
    assert not impostor.trusted
    with pytest.raises(TemplateTooLarge):
        impostor.render(HONEST)


def test_errors_from_the_child_are_the_engine_errors_with_origin_and_a_way_out() -> None:
    with pytest.raises(TemplateTooLarge) as err:
        load_template("{{ 'a'.ljust(3000000000) }}", origin=ORIGIN).render([])
    assert ORIGIN in str(err.value)
    assert "built-in chat template" in err.value.hint and "another model file" in err.value.hint
    assert err.value.path == ORIGIN
    with pytest.raises(TemplateTimeout):
        load_template(BOMBS["nested_loops"], origin=ORIGIN).render([], timeout_s=0.3)


def test_smollm2_renders_quickly_through_the_child(smollm2_path: Path) -> None:
    source = read_gguf_info(smollm2_path).chat_template
    assert source
    template = load_template(source, origin=str(smollm2_path))
    assert not template.trusted
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"Message {i}. " * 20}
                for i in range(20)]
    expected = render_compiled(compile_template(source, "x"), {
        "messages": messages, "add_generation_prompt": True, "bos_token": "", "eos_token": "", "tools": None},
        2.0, "x")
    assert template.render(messages) == expected
    times = []
    for _ in range(100):
        started = time.perf_counter()
        template.render(messages)
        times.append(time.perf_counter() - started)
    median = statistics.median(times) * 1000
    print(f"\nSmolLM2, 20 messages, through the renderer child: median {median:.2f} ms, "
          f"max {max(times) * 1000:.2f} ms")
    assert median <= 5.0
