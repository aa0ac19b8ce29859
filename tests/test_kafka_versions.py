"""The Kafka version steps Aiven takes (replication/kafka_versions.py)."""

from __future__ import annotations

import pytest

from replication import kafka_versions


@pytest.mark.parametrize(
    ("before", "after", "step"),
    [
        ("3.2", "3.9", None),
        ("3.9", "3.9", None),
        ("4.1", "4.3", None),
        ("3.8", "4.1", "refused"),
        ("3.2", "4.0", "refused"),
        ("2.8", "4.3", "refused"),
        ("3.9", "4.1", "needs-kraft"),
        ("3.9", "4.0", "needs-kraft"),
        ("4.2", "4.1", "downgrade"),
        ("4.0", "3.9", "downgrade"),
        ("3.10", "3.9", "downgrade"),  # numbers, not strings: 3.10 is after 3.9
        ("3.9", "3.10", None),
        (None, "4.1", "from-unset"),  # the running version is Aiven's default when created: unknown
        (None, "3.2", "from-unset"),
        (None, None, None),
        ("3.8", "latest", None),  # not a version: the schema check reports it
    ],
)
def test_step(before: str | None, after: str, step: str | None) -> None:
    assert kafka_versions.step(before, after) == step


@pytest.mark.parametrize(
    ("current", "bridge"),
    [("3.1", "3.9"), ("3.8", "3.9"), ("2.8", "3.9"), ("3.9", None), ("4.0", None), ("4.3", None), ("x", None)],
)
def test_next_step(current: str, bridge: str | None) -> None:
    assert kafka_versions.next_step(current) == bridge


@pytest.mark.parametrize(
    ("text", "version"),
    [("3.6", (3, 6)), ("3.10", (3, 10)), ("4", (4,)), ("3.", None), ("3.x", None), ("", None), (None, None),
     ("\uff13.\uff16", None), ("\u0663.6", None), (" 3.6", None), ("+3.6", None), ("3_6", None)],
)
def test_parse_takes_ascii_dotted_numbers_only(text: str | None, version: tuple[int, ...] | None) -> None:
    # The one parser: diff's steps and the tiered-storage and segment.bytes bounds use it.
    assert kafka_versions.parse(text) == version
