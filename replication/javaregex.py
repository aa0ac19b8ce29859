"""Java regular expressions, as MirrorMaker 2 reads a flow's topic patterns, in Python's `re`.

Pure logic: stdlib only. Used by config validation and by the topic map.

Flow patterns are Java regexes matched against the whole topic name. :func:`java_regex_to_python`
translates them to Python's ``re`` (compiled with ``re.ASCII``, so ``\\w \\d \\s \\b`` and ``(?i:...)`` are
ASCII-only, as in Java). What it cannot translate faithfully raises ``ValueError`` naming the pattern:

- translated: ``\\Q...\\E``; the POSIX classes ``\\p{Lower}``, ``Upper``, ``ASCII``, ``Alpha``,
  ``Digit``, ``Alnum``, ``Punct``, ``Graph``, ``Print``, ``Blank``, ``Cntrl``, ``XDigit``, ``Space``
  and their ``\\P{...}`` negations; ``\\h``, ``\\H``, ``\\v``, ``\\V`` (Java's sets; Python's ``\\v``
  is one character); ``\\e``, ``\\cX``, ``\\0ooo``, ``\\xhh``, ``\\x{h...}``, ``\\uhhhh``; ``\\z`` and
  ``\\Z``; ``\\R`` (as Java's javadoc defines it); ``\\G`` (``\\A``: MirrorMaker matches each name with a
  fresh Matcher); named groups ``(?<name>...)`` to ``(?P<name>...)``; a leading ``]`` in a class;
- translated over the characters of topic names (``[a-zA-Z0-9._-]``, the only strings the
  translation is matched against), where they are exact finite sets (:mod:`replication.javaclass`):
  Unicode properties (``\\p{javaLowerCase}``, ``\\p{IsLatin}``, ``\\p{Lu}``, ``\\pL``, ``\\p{sc=Latn}``,
  ``\\p{InBasicLatin}``...), nested classes and unions ``[a[b]]``, intersections ``[a-z&&[^e]]``
  (with Java 9+'s negation of the whole class), ``\\X`` (each topic-name character is one grapheme
  cluster) and ``\\b{g}`` (a grapheme boundary holds everywhere in a topic name);
- the same in both: scoped flags ``(?i:...)``, ``(?m:...)``, ``(?s:...)``, lookaround, atomic groups,
  possessive and lazy quantifiers;
- refused, because MirrorMaker reads a flow's patterns as one comma-separated list, trims them and
  joins them with ``|``: commas (so no ``{n,m}``), leading or trailing whitespace, bare inline flags
  such as ``(?i)`` (they would leak into the next pattern), back-references (joining renumbers groups),
  an unclosed ``\\Q`` (it would swallow the next pattern), and (by :func:`compile_joined`) a group
  name defined in two patterns of one list, which Java refuses once they are joined;
- refused as valid in Java but not evaluated faithfully here, each with a rewrite: properties this
  tool does not know (``\\p{IsGreek}``...), ``\\N{...}``, an ``&&`` with an empty operand, set
  syntax Python warns about, flags other than ``i m s``, variable-length lookbehind;
- refused, because Java would: ``{`` not starting a ``{n}`` quantifier ("Illegal repetition"), unknown
  letter escapes, ``\\b \\R \\X`` inside a class, illegal ranges such as ``[z-a]``, Python-only
  ``(?P...)``, ``(?#...)`` and ``(?(...)...)``;
- not modelled, as legal topic names only use ``[a-zA-Z0-9._-]``: Java's other line terminators for
  ``.`` and ``$``, and Unicode case folding.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Sequence

from replication import echo, javaclass

_PUNCT = "".join(re.escape(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Bodies of character classes, ready to go inside [...].
_POSIX_CLASSES: dict[str, str] = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": _PUNCT,
    "Graph": "a-zA-Z0-9" + _PUNCT,
    "Print": "a-zA-Z0-9" + _PUNCT + "\\x20",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_HORIZONTAL = " \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"
_VERTICAL = "\\n\\x0b\\f\\r\\x85\\u2028\\u2029"
_QUANTIFIER = re.compile(r"\{\d+\}")  # {n,} and {n,m} carry a comma, refused first
_GROUP_NAME = re.compile(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>")
_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_JOINED = "MirrorMaker joins a flow's patterns with '|'"
_LINEBREAK = "(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])"  # Java's \R, as its Pattern javadoc defines it
_CANNOT = "is valid in Java but this tool cannot evaluate it faithfully"
_CASELESS = "write it outside (?i:...) with both cases spelled out, for example [a-zA-Z]"
_SCOPED = re.compile(r"\(\?([a-z]*)(?:-([a-z]*))?:")
_UNSUPPORTED_ESCAPES = {
    "N": f"\\N{{...}} {_CANNOT}; rewrite it as the character itself or \\x{{...}}",
    "E": "\\E without a preceding \\Q",
    "k": f"back-reference \\k<name> is not supported ({_JOINED}, which renumbers groups)",
}


class _Reject(Exception):
    """Internal: why a pattern cannot be translated."""


def _literal(text: str) -> str:
    return re.escape(text)


def _hex(pattern: str, start: int, end: int) -> int:
    digits = pattern[start:end]
    if not digits or len(digits) != end - start or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise _Reject(f"bad hexadecimal escape at index {start}")
    value = int(digits, 16)
    if value > 0x10FFFF:
        raise _Reject(f"code point {digits} out of range")
    return value


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at `pattern[i] == '\\'`; return the Python text and the index after it."""
    if i + 1 >= len(pattern):
        raise _Reject("it ends with a lone backslash")
    c = pattern[i + 1]
    j = i + 2
    if c == "Q":
        end = pattern.find("\\E", j)
        if end < 0:
            raise _Reject(f"\\Q is not closed by \\E ({_JOINED}, so it would swallow the next one)")
        return _literal(pattern[j:end]), end + 2
    if c in "dDsSwWtnrfa":
        return "\\" + c, j
    if c == "e":
        return "\\x1b", j
    if c in "RX":
        if in_class:
            raise _Reject(f"\\{c} inside a character class (Java refuses it there)")
        # \X is one grapheme cluster: in a topic name ([a-zA-Z0-9._-]) every character is one.
        return (_LINEBREAK if c == "R" else "(?:\\r\\n|(?s:.))"), j
    if c == "b" and pattern.startswith("{", j) and not in_class:
        if pattern.startswith("{g}", j):
            # A grapheme-cluster boundary: between any two topic-name characters, and at both ends.
            return "(?:)", j + 3
        raise _Reject(
            "\\b{...} other than \\b{g} is \\b followed by a repetition, which Java refuses or this tool "
            "cannot evaluate faithfully; write \\b{g} (grapheme boundary) or \\b"
        )
    if c == "G" and not in_class:
        # End of the previous match: MirrorMaker matches each name with a fresh Matcher, where it is
        # the start of the name (Matcher.match sets oldLast to `from`), so it is \\A.
        return "\\A", j
    if c in "bBAzZG":
        if in_class:
            raise _Reject(f"\\{c} inside a character class")
        return ("\\Z" if c in "zZ" else "\\" + c), j  # \Z only differs before a final line terminator
    if c == "x":
        if j < len(pattern) and pattern[j] == "{":
            end = pattern.find("}", j)
            if end < 0:
                raise _Reject("\\x{ is not closed")
            return _literal(chr(_hex(pattern, j + 1, end))), end + 1
        return _literal(chr(_hex(pattern, j, j + 2))), j + 2
    if c == "u":
        return _literal(chr(_hex(pattern, j, j + 4))), j + 4
    if c == "0":
        digits = ""
        while j < len(pattern) and pattern[j] in "01234567" and len(digits) < 3:
            digits += pattern[j]
            j += 1
        if len(digits) == 3 and digits[0] > "3":  # Java: \0mnn only for m <= 3
            digits, j = digits[:2], j - 1
        if not digits:
            raise _Reject("\\0 must be followed by octal digits")
        return _literal(chr(int(digits, 8))), j
    if c == "c":
        if j >= len(pattern):
            raise _Reject("\\c must be followed by a character")
        return _literal(chr(ord(pattern[j]) ^ 64)), j + 1
    if c in "hHvV":
        body = _HORIZONTAL if c in "hH" else _VERTICAL
        return _class_body(body, negate=c.isupper(), in_class=in_class, what=f"\\{c}"), j
    if c in "pP":
        name, after = _property_name(pattern, i)
        posix = _POSIX_CLASSES.get(name)
        if posix is None:
            try:
                members = javaclass.property_set(name)
            except javaclass.ClassError as err:
                raise _Reject(str(err)) from None
            return javaclass.render(javaclass.ALPHABET - members if c == "P" else members), after
        return _class_body(posix, negate=c == "P", in_class=in_class, what=f"\\P{{{name}}}"), after
    if c.isdigit():
        raise _Reject(f"back-reference \\{c} is not supported ({_JOINED}, which renumbers groups)")
    if c in _UNSUPPORTED_ESCAPES:
        raise _Reject(_UNSUPPORTED_ESCAPES[c])
    if c.isalpha():
        raise _Reject(f"\\{c} is not a Java escape")
    return _literal(c), j  # Java: a backslash before any other character quotes it


_SHORTHANDS: dict[str, frozenset[str]] = {
    "d": frozenset("0123456789"),
    "w": frozenset(c for c in javaclass.ALPHABET if c.isalnum() or c == "_"),
    "s": frozenset(),
    "h": frozenset(),
    "v": frozenset(),
}
_CONTROL_CHARS = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\a", "e": "\x1b"}


def _class_escape(pattern: str, i: int) -> tuple[frozenset[str], int, bool, bool]:
    """An escape inside a class, for :class:`javaclass.ClassParser`: (topic-name characters, or the
    one character it stands for; index after it; one character?; a Unicode property?)."""
    c = pattern[i + 1] if i + 1 < len(pattern) else ""
    if c.lower() in _SHORTHANDS:
        members = _SHORTHANDS[c.lower()]
        return (javaclass.ALPHABET - members if c.isupper() else members), i + 2, False, False
    if c in "pP":
        name, after = _property_name(pattern, i)
        posix = _POSIX_CLASSES.get(name)
        if posix is None:
            members, unicode = javaclass.property_set(name), True
        else:
            members = frozenset(ch for ch in javaclass.ALPHABET if re.fullmatch(f"[{posix}]", ch))
            unicode = c == "P"  # Python has no negated class inside a class
        return (javaclass.ALPHABET - members if c == "P" else members), after, False, unicode
    if c == "Q":
        end = pattern.find("\\E", i + 2)
        if end < 0:
            raise _Reject(f"\\Q is not closed by \\E ({_JOINED}, so it would swallow the next one)")
        return frozenset(pattern[i + 2 : end]), end + 2, False, False
    if c in _CONTROL_CHARS:
        return frozenset(_CONTROL_CHARS[c]), i + 2, True, False
    text, after = _escape(pattern, i, in_class=True)  # one character, escaped by re.escape, or a refusal
    return frozenset(text[1:] if text.startswith("\\") else text), after, True, False


def _property_name(pattern: str, i: int) -> tuple[str, int]:
    """The name of the `\\p`/`\\P` property at `pattern[i]`, and the index after it."""
    j = i + 2
    if j < len(pattern) and pattern[j] == "{":
        end = pattern.find("}", j)
        if end < 0:
            raise _Reject(f"\\{pattern[i + 1]}{{ is not closed")
        return pattern[j + 1 : end], end + 1
    return pattern[j : j + 1], j + 1


def _class_body(body: str, *, negate: bool, in_class: bool, what: str) -> str:
    if in_class:
        if negate:
            raise _Reject(f"{what} inside a character class")
        return body
    return f"[^{body}]" if negate else f"[{body}]"


def _group(pattern: str, i: int) -> tuple[str, int]:
    """Translate the group opener at `pattern[i] == '('`."""
    rest = pattern[i:]
    if not rest.startswith("(?"):
        return "(", i + 1
    for opener in ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"):
        if rest.startswith(opener):
            return opener, i + len(opener)
    named = _GROUP_NAME.match(rest)
    if named:
        return f"(?P<{named.group(1)}>", i + named.end()
    if rest.startswith(("(?P", "(?#", "(?(")):
        raise _Reject(
            f"{rest[:3]!r} is Python-only syntax; MirrorMaker's patterns are Java's, where a named group "
            "is (?<name>...) and there are no (?#...) comments or (?(...)...) conditionals"
        )
    flags = _FLAGS.match(rest)
    if not flags:
        raise _Reject(f"unsupported group construct at index {i}")
    on, off, close = flags.group(1), flags.group(2) or "", flags.group(3)
    if close == ")":
        raise _Reject(
            f"bare inline flags {flags.group(0)} ({_JOINED}, so they would leak into the next pattern);"
            f" use the scoped form (?{on}{'-' + off if off else ''}:...)"
        )
    bad = sorted(set(on + off) - set("ims"))
    if bad:
        raise _Reject(f"inline flag {''.join(bad)} is not supported (only i, m and s)")
    return f"(?{on}{'-' + off if off else ''}:", i + flags.end()


def _translate(pattern: str) -> str:
    if "," in pattern:
        raise _Reject(
            "it contains a comma, and MirrorMaker reads the patterns as a comma-separated list"
            " (so no {n,m} quantifiers: write the repetition out or use several patterns)"
        )
    if pattern != pattern.strip():
        raise _Reject("it has leading or trailing whitespace, which MirrorMaker trims")
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    # Whether (?i:...) is in force, per open group: Java folds case in each atom of a class before
    # its set operations, Python after, so the sets of javaclass are only exact without it.
    caseless, outer = False, list[bool]()
    while i < n:
        c = pattern[i]
        if c == "\\":
            if not in_class and caseless and pattern[i + 1 : i + 2] in ("p", "P"):
                name, _ = _property_name(pattern, i)
                if name not in _POSIX_CLASSES:
                    raise _Reject(f"\\{pattern[i + 1]}{{{name}}} inside (?i:...) {_CANNOT}; {_CASELESS}")
            text, i = _escape(pattern, i, in_class)
            out.append(text)
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c in "&~|":
                c = "\\" + c  # literal in Java; Python warns about future set operations
            out.append(c)
            i += 1
            continue
        if c == "[":
            parser = javaclass.ClassParser(pattern, _class_escape)
            try:
                members, end = parser.parse(i)
            except javaclass.ClassError as err:
                raise _Reject(str(err)) from None
            if parser.needs_sets:
                if caseless:
                    raise _Reject(f"a nested class, '&&' or Unicode property inside (?i:...) {_CANNOT}; {_CASELESS}")
                out.append(javaclass.render(members))
                i = end
                continue
            i += 1
            out.append("[")
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")  # a leading `]` is literal in both dialects
                i += 1
            in_class = True
            continue
        if c == "(":
            text, i = _group(pattern, i)
            out.append(text)
            outer.append(caseless)
            flags = _SCOPED.fullmatch(text)
            if flags:
                caseless = "i" in flags.group(1) or (caseless and "i" not in (flags.group(2) or ""))
            continue
        if c == ")" and outer:
            caseless = outer.pop()
        if c == "{":
            quantifier = _QUANTIFIER.match(pattern, i)
            if not quantifier:
                raise _Reject(
                    f"'{{' at index {i} does not start a {{n}} quantifier (Java: Illegal repetition); escape it as \\{{"
                )
            out.append(quantifier.group(0))
            i = quantifier.end()
            continue
        out.append(c)
        i += 1
    if in_class:
        raise _Reject("a character class is not closed")
    return "".join(out)


def java_regex_to_python(pattern: str) -> str:
    """Translate a Java regex to Python's `re` syntax; ValueError when it cannot be done faithfully."""
    try:
        return _translate(pattern)
    except _Reject as err:
        raise ValueError(f"Java regex {echo.quoted(pattern)}: {err}") from None


@functools.lru_cache(maxsize=4096)
def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex for `fullmatch`; ValueError naming the pattern when Python cannot."""
    translated = java_regex_to_python(pattern)
    try:
        with warnings.catch_warnings():
            # FutureWarnings flag set syntax Python may read differently one day: refuse it now.
            warnings.simplefilter("error")
            return re.compile(translated, re.ASCII)
    except (re.error, FutureWarning) as err:
        raise ValueError(f"invalid regular expression {echo.quoted(pattern)}: {err}") from None


def compile_joined(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """A flow's patterns as MirrorMaker compiles them: joined with `|` into one Java regex
    (``DefaultTopicFilter``: ``Pattern.compile(String.join("|", topics))``). None for no pattern.

    Each pattern is compiled alone first, so an error names its pattern. Patterns valid alone can
    still be invalid together: Java refuses a group name defined twice ("Named capturing group <n>
    is already defined"), and then MirrorMaker's connector fails to start. ValueError names both.
    """
    single = [compile_java_regex(p) for p in patterns]
    owner: dict[str, str] = {}
    for pattern, compiled in zip(patterns, single, strict=True):
        for name in sorted(compiled.groupindex):
            if name in owner:
                raise ValueError(
                    f"patterns {echo.quoted(owner[name])} and {echo.quoted(pattern)} cannot be joined: "
                    f"{_JOINED} and compiles them as "
                    f"one Java regex, where the group name <{name}> would be defined twice"
                )
            owner[name] = pattern
    if not single:
        return None
    # Back-references and bare flags are refused, so wrapping each in (?:...) changes nothing.
    return re.compile("|".join(f"(?:{p.pattern})" for p in single), re.ASCII)
