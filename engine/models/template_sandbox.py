"""The Jinja sandbox chat templates render in, with a size check before every builder that can blow up.

Jinja's immutable sandbox stops templates from reaching Python internals, but not
from building gigantic values: ``[s] * 999999`` printed, ``'%3000000000s' % 'a'``,
``'a'.ljust(3000000000)`` or ``|center(3000000000)`` each allocate gigabytes in
one C-level call that no deadline can interrupt. Here every operator, filter and
method that multiplies size checks the size of its result *before* building it:

* sizes the template picks itself (a repetition count, a width, a precision, a
  padding) may reach MAX_ITEMS;
* text built from data (joins, JSON, printing a list, the whole prompt) may reach
  MAX_TEXT, so long conversations still render.

Untrusted templates also render in a child process with a memory limit
(:mod:`engine.models.template_renderer`); this module is what runs there and
imports nothing but the standard library, Jinja and :mod:`engine.errors`.
"""
from __future__ import annotations

import json
import re
import types
from collections.abc import Iterable, Iterator
from datetime import datetime
from pprint import pformat
from string import Formatter
from typing import Any, Callable

from _string import formatter_field_name_split  # type: ignore[import-not-found]  # as Jinja's sandbox does

import jinja2
import jinja2.ext
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import do_join, make_attrgetter
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace

from engine.errors import TemplateError, TemplateTooLarge, UnsafeTemplate
from engine.models.template_deadline import call_with_deadline

MAX_ITEMS = 1_000_000      # longest string or list one operator may build from sizes the template picks
MAX_TEXT = 32_000_000      # longest text built from data: a join, JSON, a printed list, the whole prompt
MAX_EXPONENT = 1000        # largest exponent of ``**``
MAX_POWER_BITS = 100_000   # largest integer ``**`` or ``*`` may build
MAX_JSON_INDENT = 16       # longest indent or separator ``|tojson`` accepts

# ``%`` conversions: (mapping key)(flags)(width)(.precision)(length modifier)(type)
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsab%])")
_DIGITS = re.compile(r"\d+")
# Filters that turn their value into a string first (``soft_str``, ``escape``, ``int()``).
_STRINGIFYING = frozenset({"trim", "upper", "lower", "capitalize", "title", "striptags", "truncate", "wordcount",
                           "urlize", "escape", "e", "forceescape", "urlencode", "safe", "int", "float", "center",
                           "indent", "wordwrap", "replace", "format", "string"})


_END = object()


def total_size(items: Iterable[Any], limit: int) -> int:
    """The sum of :func:`text_size` over ``items``, stopping once past ``limit``."""
    total = 0
    for item in items:
        total += text_size(item, limit)
        if total > limit:
            break
    return total


def text_size(value: Any, limit: int, indent: int = 0, sep: int = 2) -> int:
    """About ``len(str(value))`` (or of its JSON), without building it; stops counting once past ``limit``.

    Counts every occurrence of a shared value, which is the point: ``[s] * 999999`` is small in
    memory but gigantic as text.
    """
    if isinstance(value, str):
        return len(value)
    total = 0
    stack: list[tuple[Iterator[Any], int]] = [(iter((value,)), 0)]
    while stack:
        children, depth = stack[-1]
        item = next(children, _END)
        if item is _END:
            stack.pop()
            continue
        total += indent * depth + sep
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (bytes, bytearray)):
            total += 4 * len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, dict):
            total += len(item) * (indent * (depth + 1) + sep)
            stack.append((iter(item.values()), depth + 1))
            stack.append((iter(item.keys()), depth + 1))
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.append((iter(item), depth + 1))
        elif isinstance(item, Namespace):
            stack.append((iter((item._Namespace__attrs,)), depth))  # type: ignore[attr-defined]
        else:
            total += 64  # Undefined, a loop, a macro: a short repr
        if total > limit:
            break
    return total


# --- Jinja pieces ----------------------------------------------------------------

class _SkipGenerationTag(jinja2.ext.Extension):
    """Pass-through for Hugging Face's ``{% generation %}`` tag (marks assistant text for training)."""

    tags = {"generation"}

    def parse(self, parser: Any) -> list[nodes.Node]:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


class _Undefined(jinja2.Undefined):
    """Like Jinja's default, but a value the sandbox withheld fails loudly instead of printing nothing."""

    def _is_unsafe(self) -> bool:
        return self._undefined_exception is SecurityError

    def __str__(self) -> str:
        if self._is_unsafe():
            self._fail_with_undefined_error()
        return super().__str__()

    def __iter__(self) -> Any:
        if self._is_unsafe():
            self._fail_with_undefined_error()
        return super().__iter__()

    def __bool__(self) -> bool:
        if self._is_unsafe():
            self._fail_with_undefined_error()
        return super().__bool__()


class _CheckedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a length-checked join instead of Jinja's plain ``str_join``."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _CheckedFormatter(Formatter):
    """``str.format`` in the sandbox: fields go through the sandbox, widths and the total are capped."""

    def __init__(self, env: _LimitedEnvironment) -> None:
        super().__init__()
        self._env = env
        self._total = 0

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        first, rest = formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = self._env.getattr(obj, key) if is_attr else self._env.getitem(obj, key)
        return obj, first

    def format_field(self, value: Any, format_spec: str) -> Any:
        widest = max((int(d) for d in _DIGITS.findall(format_spec)), default=0)
        if widest > MAX_ITEMS:
            raise self._env.too_big(f"a field {widest:,} characters wide with str.format", MAX_ITEMS)
        self._total += max(widest, text_size(value, MAX_TEXT))
        if self._total > MAX_TEXT:
            raise self._env.too_big("a text of more than {limit:,} characters with str.format", MAX_TEXT)
        return super().format_field(value, format_spec)


class _LimitedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with caps on what one operator, filter or method may build."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CheckedCodeGenerator

    def __init__(self, origin: str) -> None:
        super().__init__(trim_blocks=True, lstrip_blocks=True, undefined=_Undefined, finalize=self._finalize,
                         extensions=[jinja2.ext.loopcontrols, _SkipGenerationTag])
        self.origin = origin
        self.concat = self._checked_join_parts  # type: ignore[assignment]  # every buffer and the whole output
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        self.globals["raise_exception"] = self._raise_exception
        self.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        for name in _STRINGIFYING:
            self.filters[name] = self._stringify_checked(self.filters[name])
        self.filters.update(tojson=self._tojson, join=self._checked_join, center=self._center,
                            indent=self._stringify_checked(self._indent), wordwrap=self._wordwrap,
                            replace=self._replace, format=self._format, pprint=self._pprint,
                            batch=self._batch, slice=self._slice, sum=self._sum)

    def _raise_exception(self, message: object) -> None:
        raise TemplateError(f"The chat template of {self.origin} refused the conversation: {message}",
                            path=self.origin)

    def too_big(self, what: str, limit: int) -> TemplateTooLarge:
        return TemplateTooLarge(f"The chat template of {self.origin} tried to build "
                                f"{what.format(limit=limit)} (the limit is {limit:,}); refused.", path=self.origin)

    def _check(self, size: int, limit: int, what: str) -> None:
        if size > limit:
            raise self.too_big(what, limit)

    # --- operators ---------------------------------------------------------------
    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        nothing = [v is None or (isinstance(v, _Undefined) and not v._is_unsafe()) for v in (left, right)]
        if operator == "+" and nothing[0] != nothing[1] and isinstance(right if nothing[0] else left, str):
            return left if nothing[1] else right   # llama.cpp: none/undefined + text is the text (firefunction-v2)
        sized = (str, list, tuple, bytes)
        if operator == "*":
            seq, count = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, sized) and isinstance(count, int):
                self._check(len(seq) * count, MAX_ITEMS, f"a sequence of {len(seq) * count:,} items with '*'")
            elif isinstance(left, int) and isinstance(right, int):
                self._check(left.bit_length() + right.bit_length(), MAX_POWER_BITS, "a product with too many digits")
        elif operator == "+":
            if isinstance(left, sized) and isinstance(right, sized):
                self._check(len(left) + len(right), MAX_ITEMS, f"a sequence of {len(left) + len(right):,} items with '+'")
        elif operator == "%" and isinstance(left, (str, bytes)):
            self._check_percent(left, right, "'%'")
        elif operator == "**" and isinstance(right, (int, float)) and isinstance(left, (int, float)):
            if abs(right) > MAX_EXPONENT:
                raise self.too_big(f"a power with exponent {right}", MAX_EXPONENT)
            if isinstance(left, int) and isinstance(right, int):
                self._check(left.bit_length() * right, MAX_POWER_BITS, "a power with too many digits")
        return super().call_binop(context, operator, left, right)

    def _check_percent(self, fmt: str | bytes, args: Any, how: str) -> None:
        """Refuse ``fmt % args`` before Python builds it when its widths or precisions are huge."""
        text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
        values = list(args) if isinstance(args, tuple) else [args]
        chosen, index = 0, 0
        for match in _PERCENT.finditer(text):
            for part in match.group(1), match.group(2):
                if part == "*":
                    star = values[index] if index < len(values) else 0
                    index += 1
                    chosen += abs(star) if isinstance(star, int) else 0
                elif part:
                    chosen += int(part)
            if match.group(3) != "%":
                index += 1
        self._check(chosen, MAX_ITEMS, f"a text with widths of {chosen:,} characters with {how}")
        self._check(len(text) + chosen + text_size(args, MAX_TEXT), MAX_TEXT,
                    "a text of more than {limit:,} characters with " + how)

    def checked_concat(self, parts: Iterable[Any]) -> str:
        parts = list(parts)
        self._check(total_size(parts, MAX_TEXT), MAX_ITEMS,
                    "a string of more than {limit:,} characters with '~'")
        return "".join(str(part) for part in parts)

    def _checked_join_parts(self, parts: Iterable[str]) -> str:
        kept, total = [], 0
        for part in parts:
            total += len(part)
            if total > MAX_TEXT:
                raise self.too_big("a text of more than {limit:,} characters", MAX_TEXT)
            kept.append(part)
        return "".join(kept)

    def _finalize(self, value: Any) -> Any:
        if not isinstance(value, str):
            self._check(text_size(value, MAX_TEXT), MAX_TEXT, "a printed value of more than {limit:,} characters")
        return value

    # --- attributes -----------------------------------------------------------------
    def getattr(self, obj: Any, attribute: str) -> Any:
        """``ns.x`` and ``loop.x`` without the sandbox's checks, which could not refuse them anyway.

        A namespace's slots and a loop's attributes are never internal (not functions, frames or types),
        so for a name without a leading underscore the checks always pass; skipping them makes a template
        that reads ``ns.…`` in a loop over every message (Gemma 4's) render about ten times faster.
        """
        kind = type(obj)
        if (kind is Namespace or kind is LoopContext) and type(attribute) is str and attribute[:1] != "_":
            if kind is Namespace:
                slots = object.__getattribute__(obj, "_Namespace__attrs")
                if attribute in slots:
                    return slots[attribute]
            else:
                try:
                    return getattr(obj, attribute)
                except AttributeError:
                    pass
        return super().getattr(obj, attribute)

    # --- methods of strings, bytes and numbers -------------------------------------
    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(owner, (str, bytes, int)):
            args = __self._check_method(owner, __obj.__name__, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def _check_method(self, owner: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """Refuse a call of ``owner.name(*args)`` that would build too much; the arguments to call it with."""
        what = f"a value of more than {{limit:,}} items with .{name}()"
        first = args[0] if args else None
        if name in ("ljust", "rjust", "center", "zfill", "to_bytes"):
            width = first if first is not None else kwargs.get("length", 1)
            if isinstance(width, int):
                self._check(width, MAX_ITEMS, what)
        elif name == "expandtabs" and not isinstance(owner, int):
            size = first if first is not None else kwargs.get("tabsize", 8)
            if isinstance(size, int):
                self._check(size, MAX_ITEMS, what)
                self._check(len(owner) + owner.count(b"\t" if isinstance(owner, bytes) else "\t") * size,
                            MAX_TEXT, what)
        elif name == "replace" and len(args) >= 2 and not isinstance(owner, int):
            self._check(_replaced_size(owner, args[0], args[1], args[2] if len(args) > 2 else -1), MAX_TEXT, what)
        elif name == "join" and not isinstance(owner, int):
            items = list(first) if first is not None else []
            self._check(total_size(items, MAX_TEXT) + len(owner) * len(items), MAX_TEXT, what)
            args = (items, *args[1:])
        elif name == "translate" and isinstance(first, dict) and not isinstance(owner, int):
            longest = max((text_size(v, MAX_TEXT) for v in first.values()), default=1)
            self._check(len(owner) * longest, MAX_TEXT, what)
        return args

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` / ``str.format_map`` through the sandbox and :class:`_CheckedFormatter`."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or \
                value.__name__ not in ("format", "format_map") or not isinstance(value.__self__, str):
            return None
        fmt, is_map = value.__self__, value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return type(fmt)(_CheckedFormatter(self).vformat(fmt, args, kwargs))

        return wrapper

    # --- filters ---------------------------------------------------------------------
    def _stringify_checked(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A filter that calls ``str()`` on its value, refusing values whose text is gigantic."""
        pass_arg = getattr(func, "jinja_pass_arg", None)

        def checked(*args: Any, **kwargs: Any) -> Any:
            value = args[1] if pass_arg is not None else args[0]
            if not isinstance(value, str):
                self._check(text_size(value, MAX_TEXT), MAX_TEXT, "a text of more than {limit:,} characters")
            return func(*args, **kwargs)

        if pass_arg is not None:
            checked.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
        return checked

    def _tojson(self, value: Any, ensure_ascii: bool = False, indent: int | str | None = None,
                separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
        """Like Hugging Face transformers' ``tojson``: non-ASCII text stays as is."""
        width = len(indent) if isinstance(indent, str) else (indent or 0)
        seps = separators or (", ", ": ")
        if width > MAX_JSON_INDENT or max(len(str(s)) for s in seps) > MAX_JSON_INDENT:
            raise self.too_big("JSON with an indent or separator longer than {limit} characters", MAX_JSON_INDENT)
        factor = 6 if ensure_ascii else 1
        self._check(factor * text_size(value, MAX_TEXT, indent=width + 1, sep=sum(len(str(s)) for s in seps)),
                    MAX_TEXT, "JSON of more than {limit:,} characters with '|tojson'")
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def _pprint(self, value: Any) -> str:
        self._check(text_size(value, MAX_TEXT, indent=1, sep=3), MAX_TEXT, "a text of more than {limit:,} characters")
        return pformat(value)

    @jinja2.pass_eval_context
    def _checked_join(self, eval_ctx: Any, value: Iterable[Any], d: str = "",
                      attribute: str | int | None = None) -> str:
        items = list(value)
        if attribute is not None:
            items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
        self._check(total_size(items, MAX_TEXT) + len(str(d)) * len(items), MAX_TEXT,
                    "a string of more than {limit:,} characters with '|join'")
        return do_join(eval_ctx, items, d)

    def _center(self, value: Any, width: int = 80) -> str:
        self._check(text_size(value, MAX_TEXT), MAX_TEXT, "a text of more than {limit:,} characters")
        self._check(width if isinstance(width, int) else 0, MAX_ITEMS, f"a text {width:,} characters wide with '|center'")
        return str(value).center(width)

    def _indent(self, s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        pad = len(width) if isinstance(width, str) else int(width)
        self._check(pad, MAX_ITEMS, "an indent of more than {limit:,} characters with '|indent'")
        self._check(len(str(s)) + pad * (str(s).count("\n") + 1), MAX_TEXT,
                    "a text of more than {limit:,} characters with '|indent'")
        return self._builtin("indent")(s, width, first, blank)

    @jinja2.pass_environment
    def _wordwrap(self, environment: Any, s: Any, width: int = 79, break_long_words: bool = True,
                  wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
        self._check(text_size(s, MAX_TEXT), MAX_TEXT, "a text of more than {limit:,} characters")
        text = str(s)
        lines = len(text) // max(int(width), 1) + text.count("\n") + 1
        self._check(len(text) + len(wrapstring or "\n") * lines, MAX_TEXT,
                    "a text of more than {limit:,} characters with '|wordwrap'")
        return self._builtin("wordwrap")(environment, text, width, break_long_words, wrapstring, break_on_hyphens)

    @jinja2.pass_eval_context
    def _replace(self, eval_ctx: Any, s: Any, old: str, new: str, count: int | None = None) -> str:
        self._check(text_size(s, MAX_TEXT), MAX_TEXT, "a text of more than {limit:,} characters")
        size = _replaced_size(str(s), str(old), str(new), -1 if count is None else count)
        self._check(size, MAX_TEXT, "a text of more than {limit:,} characters with '|replace'")
        return self._builtin("replace")(eval_ctx, s, old, new, count)

    def _format(self, value: Any, *args: Any, **kwargs: Any) -> str:
        self._check(text_size(value, MAX_TEXT), MAX_TEXT, "a text of more than {limit:,} characters")
        self._check_percent(str(value), kwargs or args, "'|format'")
        return self._builtin("format")(value, *args, **kwargs)

    def _batch(self, value: Any, linecount: int, fill_with: Any = None) -> Any:
        self._check(int(linecount), MAX_ITEMS, "batches of more than {limit:,} items with '|batch'")
        return self._builtin("batch")(value, linecount, fill_with)

    def _slice(self, value: Any, slices: int, fill_with: Any = None) -> Any:
        self._check(int(slices), MAX_ITEMS, "more than {limit:,} slices with '|slice'")
        return self._builtin("slice")(value, slices, fill_with)

    @jinja2.pass_environment
    def _sum(self, environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        items = list(iterable)
        if attribute is not None:
            items = list(map(make_attrgetter(environment, attribute), items))
        sizes = [len(item) for item in [start, *items] if isinstance(item, (str, list, tuple, bytes))]
        self._check(sum(sizes), MAX_ITEMS, "a sequence of more than {limit:,} items with '|sum'")
        return self._builtin("sum")(environment, items, start=start)

    @staticmethod
    def _builtin(name: str) -> Callable[..., Any]:
        return jinja2.filters.FILTERS[name]


def _replaced_size(text: Any, old: Any, new: Any, count: Any) -> int:
    """Length of ``text.replace(old, new, count)``, computed without building it."""
    if not (isinstance(text, (str, bytes)) and isinstance(old, type(text)) and isinstance(new, type(text))):
        return 0
    hits = text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


# --- rendering ---------------------------------------------------------------------

def new_environment(origin: str) -> _LimitedEnvironment:
    return _LimitedEnvironment(origin)


def compile_template(source: str, origin: str) -> jinja2.Template:
    try:
        return new_environment(origin).from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"The chat template of {origin} is not valid Jinja: {exc}", path=origin) from exc
    except (RecursionError, MemoryError) as exc:
        raise TemplateTooLarge(f"The chat template of {origin} is nested too deeply to compile.",
                               path=origin) from exc


def render_compiled(template: jinja2.Template, variables: dict[str, Any], timeout_s: float, origin: str) -> str:
    """Render in this thread under the deadline; every failure becomes a TemplateError naming ``origin``."""
    try:
        return call_with_deadline(lambda: template.render(**variables), timeout_s, origin)
    except TemplateError:
        raise
    except SecurityError as exc:
        raise UnsafeTemplate(f"The chat template of {origin} tried something unsafe: {exc}", path=origin) from exc
    except MemoryError as exc:
        raise TemplateTooLarge(f"The chat template of {origin} needed more memory than allowed to render.",
                               path=origin) from exc
    except Exception as exc:  # noqa: BLE001 - any failure inside untrusted template code
        raise TemplateError(f"The chat template of {origin} failed: {type(exc).__name__}: {exc}",
                            path=origin) from exc
