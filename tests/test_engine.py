"""The offline engine's own helpers (the program's runs are tested everywhere else)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from replication import engine


class _Label(str):
    """A str subclass: still plain data."""


@pytest.mark.parametrize(
    "value",
    [
        None, "a", 1, 1.5, True, _Label("x"), [], {},
        {"a": [1, "b", None, {"c": [True, 2.0]}]},
        [[[[{"deep": ["x"]}]]]],
    ],
)
def test_json_like_data_is_plain(value: Any) -> None:
    assert engine._plain(value) is True


@pytest.mark.parametrize(
    "value",
    [
        object(),
        ("a",),  # a tuple is not JSON's list
        {1: "a"},  # keys must be strings
        {"a": {"b": [1, {2: "x"}]}},
        {"a": [1, 2, {"b": b"bytes"}]},
        [None, "a", {"b": [set()]}],
    ],
)
def test_anything_else_anywhere_inside_is_not_plain(value: Any) -> None:
    assert engine._plain(value) is False


def test_an_awaitable_anywhere_inside_is_not_plain() -> None:
    # A future, not an Output: an Output made outside a run leaves a task the next run would wait for.
    later = asyncio.get_event_loop().create_future()
    later.set_result("b")
    assert engine._plain({"names": ["a", later]}) is False
