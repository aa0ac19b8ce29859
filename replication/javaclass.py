"""Java character classes and Unicode properties, evaluated over the characters of topic names.

Pure logic: stdlib only. Used by :mod:`replication.javaregex`.

Flow patterns are only ever matched against topic names, which Kafka restricts to
``[a-zA-Z0-9._-]`` (:data:`ALPHABET`). Over that alphabet a Unicode property (``\\p{javaLowerCase}``,
``\\p{IsLatin}``, ``\\p{Lu}``) or a class built from unions, intersections and nested classes
(``[a[b]]``, ``[a-z&&[^e]]``) is an exact, finite set of characters: this module computes it, and
the translator writes it out as an explicit class. The set is exact for every topic name; it says
nothing about other characters, which no topic name holds.

Negation follows Java 9 and later (the JVMs Kafka 3.x and 4.x run on): ``[^...]`` negates the
whole class, nested classes and intersections included.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable

#: Every character a Kafka topic name may hold (kafka.common.internals.Topic).
ALPHABET = frozenset(string.ascii_letters + string.digits + "._-")

_LETTERS = frozenset(string.ascii_letters)
_DIGITS = frozenset(string.digits)
_LOWER = frozenset(string.ascii_lowercase)
_UPPER = frozenset(string.ascii_uppercase)
_NONE: frozenset[str] = frozenset()


class ClassError(Exception):
    """Why a class or property cannot be evaluated; the message is the whole reason."""


def _category(prefixes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(c for c in ALPHABET if unicodedata.category(c).startswith(prefixes))


# General categories (\p{Lu}, \pL, \p{gc=Lu}, \p{general_category=Lu}): case-sensitive in Java.
_GENERAL = ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf",
            "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cs", "Cn")
CATEGORIES: dict[str, frozenset[str]] = {
    **{name: _category((name,)) for name in _GENERAL},
    **{major: _category((major,)) for major in "LMNPSZC"},
    "LC": _category(("Lu", "Ll", "Lt")),
    "LD": _LETTERS | _DIGITS,  # Java's own: letter or digit
    "L1": ALPHABET,  # Java's own: Latin-1
    "all": ALPHABET,
}
# Character.isXxx methods (\p{javaLowerCase}): case-sensitive names.
JAVA_METHODS: dict[str, frozenset[str]] = {
    "javaLowerCase": _LOWER,
    "javaUpperCase": _UPPER,
    "javaTitleCase": _NONE,
    "javaDigit": _DIGITS,
    "javaDefined": ALPHABET,
    "javaLetter": _LETTERS,
    "javaLetterOrDigit": _LETTERS | _DIGITS,
    "javaAlphabetic": _LETTERS,
    "javaIdeographic": _NONE,
    "javaJavaIdentifierStart": _LETTERS | {"_"},
    "javaJavaIdentifierPart": _LETTERS | _DIGITS | {"_"},
    "javaUnicodeIdentifierStart": _LETTERS,
    "javaUnicodeIdentifierPart": _LETTERS | _DIGITS | {"_"},
    "javaIdentifierIgnorable": _NONE,
    "javaSpaceChar": _NONE,
    "javaWhitespace": _NONE,
    "javaISOControl": _NONE,
    "javaMirrored": _NONE,
}
# Binary properties after `Is` (\p{IsAlphabetic}): Java upper-cases the name.
BINARY: dict[str, frozenset[str]] = {
    "ALPHABETIC": _LETTERS,
    "LETTER": _LETTERS,
    "LOWERCASE": _LOWER,
    "UPPERCASE": _UPPER,
    "TITLECASE": _NONE,
    "IDEOGRAPHIC": _NONE,
    "DIGIT": _DIGITS,
    "HEX_DIGIT": _DIGITS | frozenset("abcdefABCDEF"),
    "HEXDIGIT": _DIGITS | frozenset("abcdefABCDEF"),
    "PUNCTUATION": frozenset("._-"),
    "WHITE_SPACE": _NONE,
    "WHITESPACE": _NONE,
    "CONTROL": _NONE,
    "JOIN_CONTROL": _NONE,
    "JOINCONTROL": _NONE,
    "ASSIGNED": ALPHABET,
    "ALNUM": _LETTERS | _DIGITS,
    "WORD": _LETTERS | _DIGITS | {"_"},
}
# Scripts (\p{IsLatin}, \p{script=Latin}, \p{sc=Latn}): only those holding topic-name characters.
SCRIPTS: dict[str, frozenset[str]] = {
    "LATIN": _LETTERS,
    "LATN": _LETTERS,
    "COMMON": ALPHABET - _LETTERS,
    "ZYYY": ALPHABET - _LETTERS,
}
# Blocks (\p{InBasicLatin}, \p{block=BasicLatin}): Java ignores case, spaces and underscores.
BLOCKS: dict[str, frozenset[str]] = {"BASICLATIN": ALPHABET}

_CANNOT = "is valid in some Java versions but this tool cannot evaluate it faithfully"
_REWRITE = "rewrite it as an explicit class such as [a-z] or [A-Za-z0-9]"


def property_set(name: str) -> frozenset[str]:
    """The topic-name characters in Java's `\\p{name}` (`name` as written between the braces)."""
    key, _, value = name.partition("=")
    found: frozenset[str] | None = None
    if value:
        if key in ("gc", "general_category"):
            found = CATEGORIES.get(value)
        elif key in ("sc", "script"):
            found = SCRIPTS.get(value.upper())
        elif key in ("blk", "block"):
            found = BLOCKS.get(value.upper().replace(" ", "").replace("_", ""))
    elif name in CATEGORIES:
        found = CATEGORIES[name]
    elif name in JAVA_METHODS:
        found = JAVA_METHODS[name]
    elif name.startswith("Is"):
        rest = name[2:].upper()
        found = SCRIPTS.get(rest, BINARY.get(rest))
    elif name.startswith("In"):
        found = BLOCKS.get(name[2:].upper().replace(" ", "").replace("_", ""))
    if found is None:
        raise ClassError(f"\\p{{{name}}} is not a property this tool can evaluate faithfully; {_REWRITE}")
    return found


def render(members: frozenset[str]) -> str:
    """A Python class matching exactly `members` among topic-name characters."""
    if not members:
        return "(?!)"  # matches nothing, as an empty Java class intersection does
    ordered = sorted(members)
    runs: list[str] = []
    start = prev = ordered[0]
    for c in [*ordered[1:], None]:
        if c is not None and ord(c) == ord(prev) + 1:
            prev = c
            continue
        first, last = _esc(start), _esc(prev)
        runs.append(first if start == prev else f"{first}{last}" if ord(prev) == ord(start) + 1 else f"{first}-{last}")
        if c is not None:
            start = prev = c
    return "[" + "".join(runs) + "]"


def _esc(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c


#: Reads the escape at `pattern[i] == '\\'` inside a class: (its topic-name characters, or the one
#: character it stands for; the index after it; whether it is one character, usable in a range;
#: whether only this module can evaluate it, as for a Unicode property).
EscapeReader = Callable[[str, int], tuple[frozenset[str], int, bool, bool]]


class ClassParser:
    """Parse one Java character class (nested classes, unions, `&&`, properties) into the set of
    topic-name characters it matches. :attr:`needs_sets` tells whether it used anything Python's
    own classes cannot express (then the caller writes the set out with :func:`render`)."""

    def __init__(self, pattern: str, escape: EscapeReader) -> None:
        self.pattern = pattern
        self.escape = escape
        self.needs_sets = False

    def parse(self, i: int) -> tuple[frozenset[str], int]:
        """The class opening at `pattern[i] == '['`; returns its set and the index after `]`."""
        return self._class(i + 1)

    def _class(self, i: int) -> tuple[frozenset[str], int]:
        p = self.pattern
        negate = i < len(p) and p[i] == "^"
        if negate:
            i += 1
        members: frozenset[str] = _NONE
        first = True
        while True:
            if i >= len(p):
                raise ClassError("a character class is not closed")
            if p[i] == "]" and not first:
                i += 1
                break
            if p[i] == "[":
                self.needs_sets = True
                inner, i = self._class(i + 1)
                members |= inner
            elif p.startswith("&&", i):
                self.needs_sets = True
                if first:
                    raise ClassError(f"an intersection (&&) without a left operand {_CANNOT}; write both operands")
                right, i = self._intersection(i + 2)
                members &= right
                continue
            else:
                single, i = self._single(i)
                members |= single
            first = False
        return (ALPHABET - members if negate else members), i

    def _intersection(self, i: int) -> tuple[frozenset[str], int]:
        # Right operand of `&&`: everything up to the next `&&` or the closing `]` (left there).
        p = self.pattern
        right: frozenset[str] | None = None
        after_class = False
        while i < len(p) and p[i] != "]" and not p.startswith("&&", i):
            if p[i] == "[":
                part, i = self._class(i + 1)
                after_class = True
            elif after_class:
                # `[a&&[b]c]`: Java's reading of characters after a bracketed right operand has
                # changed between versions.
                raise ClassError(f"characters after a [...] operand of && {_CANNOT}; write the operand as one [...]")
            else:
                part, i = self._single(i)
            right = part if right is None else right | part
        if right is None:
            raise ClassError(f"an intersection (&&) without a right operand {_CANNOT}; write both operands")
        return right, i

    def _single(self, i: int) -> tuple[frozenset[str], int]:
        """A character, a range `a-z`, an escape or a property, at `i`."""
        p = self.pattern
        low, i, is_char = self._atom(i)
        if is_char and i + 1 < len(p) and p[i] == "-" and p[i + 1] not in "][" and not p.startswith("&&", i + 1):
            high, j, high_is_char = self._atom(i + 1)
            if not high_is_char:
                raise ClassError("a range ends in a class or property")
            a, b = next(iter(low)), next(iter(high))
            if ord(b) < ord(a):
                raise ClassError(f"illegal character range {a!r}-{b!r} (Java refuses it)")
            return frozenset(c for c in ALPHABET if ord(a) <= ord(c) <= ord(b)), j
        return low & ALPHABET, i

    def _atom(self, i: int) -> tuple[frozenset[str], int, bool]:
        p = self.pattern
        if p[i] == "\\":
            members, j, is_char, needs_sets = self.escape(p, i)
            self.needs_sets = self.needs_sets or needs_sets
            return members, j, is_char
        return frozenset(p[i]), i + 1, True


def property_table() -> str:
    """Markdown table of the properties this module evaluates (for docs/topic-map.md)."""
    groups = [
        ("general categories (`\\p{Lu}`, `\\pL`, `\\p{gc=Lu}`)", sorted(CATEGORIES)),
        ("`Character.isXxx` (`\\p{javaLowerCase}`)", sorted(JAVA_METHODS)),
        ("binary properties (`\\p{IsAlphabetic}`, any case)", sorted(BINARY)),
        ("scripts (`\\p{IsLatin}`, `\\p{sc=Latn}`, any case)", sorted(SCRIPTS)),
        ("blocks (`\\p{InBasicLatin}`, `\\p{blk=Basic_Latin}`)", sorted(BLOCKS)),
    ]
    rows = ["| kind | names |", "| --- | --- |"]
    rows += [f"| {kind} | {', '.join(f'`{n}`' for n in names)} |" for kind, names in groups]
    return "\n".join(rows) + "\n"
