"""Every length or pattern error on a name states the bound it broke (review item B4)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from replication import config

# (name type, longest accepted, the bound the message must name)
CASES = [
    (config.Alias, "a" * 128, "1 to 128"),
    (config.ServiceName, "a" * 63, "at most 63 characters"),
    (config.TopicName, "a" * 249, "at most 249"),
    (config.Username, "a" * 64, "at most 64 characters"),
    (config.AclTopic, "a" * 249, "1 to 249"),
    (config.CredentialName, "a" * 128, "1 to 128"),
]


@pytest.mark.parametrize(("kind", "longest", "bound"), CASES, ids=lambda c: str(c)[:20])
def test_on_the_length_bound_accepted_one_past_refused_naming_it(kind: Any, longest: str, bound: str) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(kind)
    assert adapter.validate_python(longest) == longest
    with pytest.raises(ValidationError) as err:
        adapter.validate_python(longest + "a")
    assert bound in str(err.value)
    assert f"{len(longest) + 1}" in str(err.value)


@pytest.mark.parametrize(("kind", "bad", "bound"), [
    (config.Alias, "eu.west", "1 to 128"),
    (config.ServiceName, "Kafka", "at most 63 characters"),
    (config.TopicName, "a/b", "at most 249"),
    (config.Username, "-x", "at most 64 characters"),
    (config.AclTopic, "a/b", "1 to 249"),
])
def test_pattern_errors_name_the_length_bound_too(kind: Any, bad: str, bound: str) -> None:
    with pytest.raises(ValidationError) as err:
        TypeAdapter(kind).validate_python(bad)
    assert bound in str(err.value) and repr(bad) in str(err.value)
