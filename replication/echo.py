"""How an error line shows a value the user wrote: quoted and clipped, and never when it may hold a
password.

A value with an `@` in it may carry URL userinfo (`user:password@host:9092`,
`https://token@host`): what precedes the `@` may be a password, typed where a server, name or
URL belongs. Such a value is not shown at all, in any message built here, since the error line
reaches the terminal, the CI log and the pull-request comment. Other secrets are recognised by
where they are (`credentials`, the fields that name a credential), not by their text.

No Pulumi imports: plain functions with plain unit tests (tests/test_secrets.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: What an error says instead of a value that may hold credentials.
USERINFO = "contains credentials before '@': value not shown; put the password in credentials"


def has_userinfo(value: Any) -> bool:
    """Whether a text, or any text (key or item) inside a list or mapping, has an `@`: URL userinfo,
    whose part before the `@` may be a password."""
    if isinstance(value, str):
        return "@" in value
    if isinstance(value, Mapping):
        return any(has_userinfo(k) or has_userinfo(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_userinfo(item) for item in value)
    return False


def quoted(value: Any, width: int | None = None) -> str:
    """The value as Python writes it (quoted, escaped), clipped to `width` characters if given; a
    value that may hold credentials becomes `[<USERINFO>]`."""
    if has_userinfo(value):
        return f"[{USERINFO}]"
    text = repr(value)
    return text if width is None or len(text) <= width else text[: width - 3] + "..."
