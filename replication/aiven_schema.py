"""Aiven's own user-config bounds, checked on every pass-through value the stack exposes.

The provider contract knows names and types; the Aiven API also enforces minimum, maximum, enum,
pattern, lengths and item counts, and marks some values deprecated. The package ships a compact,
generated slice of Aiven's published schemas merged with the provider contract
(``aiven_bounds.json``; regenerate with ``python -m replication.aiven_schema``), read once, on the
first check. Which config key is checked against which schema option is listed in :data:`EXPOSED`
and :func:`exposed_values`, the one place that maps the two.

Topic ``config`` is not here: Aiven's user-config schemas do not describe topic settings. Their
bounds come from the provider contract (enums, a few minimums), checked by ``provider_schema``,
and from Kafka's LogConfig validators, checked by ``topic_bounds``.

No Pulumi imports: config validation runs before any resource is declared.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from replication import config, echo, kafka_versions
from replication.provider_schema import to_wire

SLICE_PATH = Path(__file__).with_name("aiven_bounds.json")
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Where the generator reads from by default (the shared checkout beside the repository).
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "aiven-api-schemas"
DEFAULT_CONTRACT = REPO_ROOT / "tests" / "aiven-6.62.0.contract.json"

#: The user-config blocks the stack exposes: slice name -> (schema file, type in it, provider
#: type of the same block, top-level options the stack exposes or None for all of them).
BLOCKS: dict[str, tuple[str, str, str, tuple[str, ...] | None]] = {
    "kafka": (
        "service_types.yml", "kafka", "KafkaKafkaUserConfig", ("ip_filter", "kafka", "kafka_version", "tiered_storage"),
    ),
    "kafka_mirrormaker": (
        "service_types.yml", "kafka_mirrormaker", "KafkaMirrorMakerKafkaMirrormakerUserConfig",
        ("ip_filter", "kafka_mirrormaker"),
    ),
    "kafka_mirrormaker_integration": (
        "integration_types.yml", "kafka_mirrormaker", "ServiceIntegrationKafkaMirrormakerUserConfig",
        ("cluster_alias", "kafka_mirrormaker"),
    ),
    "external_kafka": (
        "integration_endpoint_types.yml", "external_kafka", "ServiceIntegrationEndpointExternalKafkaUserConfig", None,
    ),
    "prometheus": (
        "integration_endpoint_types.yml", "prometheus", "ServiceIntegrationEndpointPrometheusUserConfig", None,
    ),
    "datadog": ("integration_endpoint_types.yml", "datadog", "ServiceIntegrationEndpointDatadogUserConfig", None),
    # Not config: what the program itself sends on a MirrorMaker's Datadog integration (the lag metric).
    "datadog_integration": (
        "integration_types.yml", "datadog", "ServiceIntegrationDatadogUserConfig", ("mirrormaker_custom_metrics",),
    ),
}

#: Integration endpoints the config describes: config key (`*` is any cluster alias) -> (slice
#: block, {config key: (endpoint option it sets, whether the config names a secret `credentials`
#: entry that holds the value)}, config keys that are not endpoint user config).
ENDPOINTS: dict[str, tuple[str, dict[str, tuple[str, bool]], frozenset[str]]] = {
    "clusters.*.external": ("external_kafka", {
        "bootstrapServers": ("bootstrapServers", False),
        "securityProtocol": ("securityProtocol", False),
        "saslMechanism": ("saslMechanism", False),
        "saslUsername": ("saslPlainUsername", False),
        "saslUsernameCredential": ("saslPlainUsername", True),
        "saslPassword": ("saslPlainPassword", True),
        "sslCaCert": ("sslCaCert", False),
        "sslClientCert": ("sslClientCert", False),
        "sslClientKey": ("sslClientKey", True),
    }, frozenset({"endpointName"})),
    "monitoring.prometheus": ("prometheus", {
        "basicAuthUsername": ("basicAuthUsername", False),
        "basicAuthPassword": ("basicAuthPassword", True),
    }, frozenset({"endpointName"})),
    "monitoring.datadog": ("datadog", {
        "apiKey": ("datadogApiKey", True),
        "site": ("site", False),
    }, frozenset({"endpointName"})),
}
#: Exposed keys whose config value is the name of a secret `credentials` entry.
SECRET_REFERENCES = frozenset(
    f"{prefix}.{key}" for prefix, (_, options, _) in ENDPOINTS.items() for key, (_, secret) in options.items() if secret
)

#: Config keys (`*` is any cluster alias or MirrorMaker key) and the slice option they are checked
#: against: (block, camelCase path inside it). Secrets are checked by the credential they name.
EXPOSED: dict[str, tuple[str, tuple[str, ...]]] = {
    "clusters.*.kafkaVersion": ("kafka", ("kafkaVersion",)),
    "clusters.*.ipFilter": ("kafka", ("ipFilter",)),
    "clusters.*.kafka": ("kafka", ("kafka",)),
    "clusters.*.tieredStorage.enabled": ("kafka", ("tieredStorage", "enabled")),
    **{f"{prefix}.{key}": (block, (name,))
       for prefix, (block, options, _) in ENDPOINTS.items() for key, (name, _) in options.items()},
    "mirrormakers.*.ipFilter": ("kafka_mirrormaker", ("ipFilter",)),
    "mirrormakers.*.kafkaMirrormaker": ("kafka_mirrormaker", ("kafkaMirrormaker",)),
    "mirrormakers.*.integrations.*": ("kafka_mirrormaker_integration", ("kafkaMirrormaker",)),
}

# What the slice keeps of each option (titles, descriptions and examples are left out).
_KEPT = ("type", "minimum", "maximum", "pattern", "user_error", "min_length", "max_length", "max_items", "required")


# --- the generator --------------------------------------------------------------------------------


def _number(text: Any, kinds: list[str]) -> int | float:
    # Aiven writes bounds as strings: "9223372036854775807" must stay an exact int, "1.073741824e+11"
    # on an integer option is the integer 107374182400, "0.2" is a float.
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if "integer" in kinds and value.is_integer() else value


def _kinds(node: dict[str, Any]) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _slice_node(node: dict[str, Any], contract: dict[str, Any] | None, types: dict[str, Any],
                only: tuple[str, ...] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {key: node[key] for key in _KEPT if key in node}
    kinds = _kinds(node)
    for bound in ("minimum", "maximum"):
        if bound in out:
            out[bound] = _number(out[bound], kinds)
    if node.get("is_deprecated"):
        out["is_deprecated"] = True
    if node.get("_secure"):
        out["secret"] = True
    if "enum" in node:
        values = [entry["value"] for entry in node["enum"]]
        out["enum"] = values
        deprecated = [entry["value"] for entry in node["enum"] if entry.get("is_deprecated")]
        if deprecated:
            out["deprecated_values"] = deprecated
        # The provider may be newer than Aiven's published schema (its kafkaVersion lists "4.3"):
        # accept the union of both lists, and record which values only the provider gives.
        listed = {str(v) for v in values}
        extra = [v for v in (contract or {}).get("x-enumFromDescription", []) if str(v) not in listed]
        if extra:
            added = [int(v) if "integer" in kinds else v for v in extra]
            out["enum"] = values + added
            out["provider_enum"] = added
    if contract is not None and "$ref" in contract:
        contract = types[contract["$ref"].removeprefix("#/types/")]
    if "items" in node:
        items = (contract or {}).get("items")
        out["items"] = _slice_node(node["items"], items, types)
    if "properties" in node:
        props = (contract or {}).get("properties", {})
        names = {to_camel(name): name for name in node["properties"] if only is None or name in only}
        out["properties"] = {
            camel: _slice_node(node["properties"][snake], props.get(camel), types)
            for camel, snake in sorted(names.items())
        }
        if only is None and contract is not None:
            # Keys the provider accepts but Aiven's schema does not list: no bounds to check them by.
            provider_only = sorted(set(props) - set(names))
            if provider_only:
                out["provider_only"] = provider_only
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract_slice(source: Path, contract: dict[str, Any]) -> dict[str, Any]:
    """The slice of Aiven's schemas the stack's checks need, merged with the provider contract."""
    import yaml  # the generator only: start-up never parses the YAML

    files = sorted({spec[0] for spec in BLOCKS.values()})
    loaded = {name: yaml.safe_load((source / name).read_text()) for name in files}
    types: dict[str, Any] = contract["types"]
    blocks = {}
    for block, (file, kind, provider_type, only) in BLOCKS.items():
        token = f"aiven:index/{provider_type}:{provider_type}"
        blocks[block] = _slice_node(loaded[file][kind], types[token], types, only)
    return {
        "source": {
            "repository": "github.com/aiven/go-api-schemas, pkg/dist (Apache License 2.0)",
            "sha256": {name: _sha256(source / name) for name in files},
        },
        "blocks": blocks,
    }


def main(argv: list[str] | None = None) -> None:
    """Regenerate the shipped slice:
    ``python -m replication.aiven_schema [SCHEMA_DIR [CONTRACT.json]]``; then the docs' table of it
    with ``python -m replication.docgen``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_SOURCE
    contract = Path(args[1]) if len(args) > 1 else DEFAULT_CONTRACT
    data = extract_slice(source, json.loads(contract.read_text()))
    SLICE_PATH.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    blocks.cache_clear()
    print(f"wrote {SLICE_PATH.name}; now rewrite docs/aiven-schema.md: python -m replication.docgen")


# --- the checks -------------------------------------------------------------------------------------


@cache
def blocks() -> dict[str, Any]:
    """The shipped slice's blocks, parsed once per process."""
    data: dict[str, Any] = json.loads(SLICE_PATH.read_text())
    return dict(data["blocks"])


def option(block: str, path: tuple[str, ...]) -> dict[str, Any]:
    """The slice node of an option: `path` of camelCase names inside `block`."""
    node: dict[str, Any] = blocks()[block]
    for name in path:
        node = node["properties"][name]
    return node


class UntranslatablePattern(ValueError):
    """An Aiven pattern that Python's `re` cannot reproduce faithfully."""


# Go's Perl classes are ASCII-only; Python's `\s` also matches \v and Unicode spaces.
_PERL_CLASSES = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
_LITERAL_ESCAPES = frozenset("ntrfva")


def python_pattern(pattern: str) -> str:
    """Translate an Aiven (Go RE2 syntax) pattern into a Python regex with the same matches.

    `$` is Go's end of text (Python's `$` also matches before a final newline), so it becomes
    `\\Z`; `\\d`, `\\s`, `\\w` become Go's ASCII classes. Constructs whose meaning differs and that
    have no exact translation (flags, POSIX and Unicode classes, `\\Q…\\E`, `\\C`) raise
    :class:`UntranslatablePattern`: a value is then refused as unjudgeable, never passed unchecked.
    Lookarounds, which RE2 lacks, keep their Python meaning: Aiven's API evaluates such patterns.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 == len(pattern):
                raise UntranslatablePattern("it ends with a lone backslash")
            nxt = pattern[i + 1]
            i += 2
            if nxt.lower() in _PERL_CLASSES:
                body = _PERL_CLASSES[nxt.lower()]
                if in_class and nxt.isupper():
                    raise UntranslatablePattern(f"a negated class \\{nxt} inside [...]")
                out.append(body if in_class else f"[{'^' if nxt.isupper() else ''}{body}]")
            elif nxt == "z" and not in_class:
                out.append("\\Z")
            elif (nxt in "AbB" and not in_class) or nxt in _LITERAL_ESCAPES or not nxt.isalnum():
                out.append("\\" + nxt)
            elif nxt == "x" and pattern[i:i + 2].isalnum() and not pattern.startswith("{", i):
                out.append("\\x" + pattern[i:i + 2])
                i += 2
            else:
                raise UntranslatablePattern(f"the escape \\{nxt} has no exact Python equivalent")
            continue
        i += 1
        if in_class:
            if ch == "]":
                in_class = False
                out.append(ch)
            elif ch == "[" and pattern.startswith(":", i):
                raise UntranslatablePattern("POSIX classes such as [[:alpha:]] differ in Python")
            elif ch == "-" and pattern.startswith("-", i):
                raise UntranslatablePattern("'--' inside [...] is a set operation to Python")
            else:
                # Python reads `[`, `&&`, `~~`, `||` inside a set as future set operations.
                out.append("\\" + ch if ch in "[&~|" else ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading `]` is literal in both
                out.append("\\]")
                i += 1
        elif ch == "$":
            out.append("\\Z")
        elif ch == "(" and pattern.startswith("?", i):
            rest = pattern[i + 1:]
            if rest.startswith(("<", "P<")) and not rest.startswith(("<=", "<!")):
                out.append("(?P<")
                i += 2 if rest.startswith("<") else 3
            elif rest.startswith((":", "=", "!", "<=", "<!")):
                out.append("(?")
                i += 1
            else:
                raise UntranslatablePattern("inline flags such as (?i) fold case and lines differently in Python")
        else:
            out.append(ch)
    if in_class:
        raise UntranslatablePattern("a character class is not closed")
    return "".join(out)


@cache
def compiled_pattern(pattern: str) -> re.Pattern[str] | str:
    """The compiled Python form of an Aiven (Go) pattern, or why it cannot be translated."""
    try:
        return re.compile(python_pattern(pattern), re.ASCII)
    except (UntranslatablePattern, re.error) as err:
        return str(err)


@cache
def _as_written(pattern: str) -> re.Pattern[str] | None:
    # Aiven publishes Go regexes, but some use lookaheads RE2 lacks: its API may well read them with
    # Python's `re`, as written. None when Python cannot (or would only warn its way through).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return re.compile(pattern)
        except (re.error, Warning):
            return None


def pattern_matches(pattern: str, value: str) -> bool | str:
    """Whether `value` matches an Aiven pattern under both readings, Go's and Python's as written
    (so neither engine refuses what passes here), or why the pattern cannot be judged."""
    go = compiled_pattern(pattern)
    if isinstance(go, str):
        return go
    python = _as_written(pattern)
    return go.search(value) is not None and (python is None or python.search(value) is not None)


@dataclass(frozen=True)
class Finding:
    """A value outside Aiven's schema (`error`), or a deprecated one (`warning`)."""

    path: str
    message: str
    level: str = "error"


_KIND_NAMES = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "a boolean",
               "array": "a list", "object": "a mapping", "null": "null"}


def _is_kind(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    return {
        "integer": isinstance(value, int),
        "number": isinstance(value, (int, float)) and not (isinstance(value, float) and not math.isfinite(value)),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
        "null": value is None,
    }.get(kind, False)


def _clip(value: Any) -> str:
    return echo.quoted(value, 80)


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _enum(node: dict[str, Any], value: Any, path: str) -> Iterator[Finding]:
    enum: list[Any] = node["enum"]
    deprecated = node.get("deprecated_values", [])
    current = [v for v in enum if v not in deprecated]
    if value not in enum:
        also = f" (or, deprecated, {_values(deprecated)})" if deprecated else ""
        yield Finding(path, f"must be one of {_values(current)}{also}, got {_clip(value)}")
    elif value in deprecated:
        yield Finding(path, f"{value!r} is deprecated by Aiven; current values: {_values(current)}", "warning")


def _string(node: dict[str, Any], value: str, path: str, secret: bool) -> Iterator[Finding]:
    shown = "(value not shown: it is a secret)" if secret else _clip(value)
    size = f"{len(value)} characters {shown}" if secret else f"{len(value)} characters: {shown}"
    if "min_length" in node and len(value) < node["min_length"]:
        yield Finding(path, f"must be at least {node['min_length']} characters long, got {size}")
    if "max_length" in node and len(value) > node["max_length"]:
        yield Finding(path, f"must be at most {node['max_length']} characters long, got {size}")
    if "pattern" in node:
        matched = pattern_matches(node["pattern"], value)
        if isinstance(matched, str):
            yield Finding(path, f"cannot be checked against Aiven's pattern {node['pattern']!r} "
                                f"({matched}): refused rather than passed unchecked")
        elif not matched:
            why = f" ({node['user_error'].rstrip('.')})" if "user_error" in node else ""
            yield Finding(path, f"must match Aiven's pattern {node['pattern']!r}{why}, got {shown}")


def check(node: dict[str, Any], value: Any, path: str, secret: bool = False) -> Iterator[Finding]:
    """Every way `value` at config key `path` falls outside the slice `node`. A `secret` value
    is never shown, only its length."""
    kinds = _kinds(node)
    if node.get("is_deprecated"):
        yield Finding(path, "is deprecated by Aiven; leave it unset", "warning")
    if kinds and not any(_is_kind(value, kind) for kind in kinds):
        shown = "a secret" if secret else _clip(value)
        yield Finding(path, f"must be {' or '.join(_KIND_NAMES.get(k, k) for k in kinds)}, got {shown}")
        return
    if "enum" in node:
        yield from _enum(node, value, path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            yield Finding(path, f"must be >= {node['minimum']}, got {_clip(value)}")
        if "maximum" in node and value > node["maximum"]:
            yield Finding(path, f"must be <= {node['maximum']}, got {_clip(value)}")
    elif isinstance(value, str):
        yield from _string(node, value, path, secret)
    elif isinstance(value, list):
        if "max_items" in node and len(value) > node["max_items"]:
            yield Finding(path, f"must have at most {node['max_items']} items, got {len(value)}")
        for i, item in enumerate(value):
            yield from check(node.get("items", {}), item, f"{path}[{i}]", secret)
    elif isinstance(value, dict):
        properties = node.get("properties", {})
        for key, item in value.items():
            if key in properties:
                yield from check(properties[key], item, f"{path}.{key}", secret)
            elif key in node.get("provider_only", ()):
                yield Finding(f"{path}.{key}", "not in Aiven's published user-config schema, so its bounds cannot "
                                               "be checked (the provider lists it and may be newer than the schema); "
                                               f"got {_clip(item)}")


def exposed_values(cfg: config.StackConfig) -> Iterator[tuple[str, str, Any, bool]]:
    """Each value the config sets that reaches an Aiven user config: (EXPOSED key, config key
    path, value in the schema's form, whether it is a secret)."""
    for alias, cluster in cfg.clusters.items():
        at = f"clusters.{alias}"
        given = {"kafkaVersion": cluster.kafka_version, "ipFilter": cluster.ip_filter,
                 "kafka": to_wire(cluster.kafka) or None,
                 "tieredStorage.enabled": cluster.tiered_storage.enabled if cluster.tiered_storage else None}
        for key, value in given.items():
            if value is not None:
                yield f"clusters.*.{key}", f"{at}.{key}", value, False
        if cluster.external is not None:
            yield from _endpoint_values(cfg, "clusters.*.external", f"{at}.external", cluster.external)
    for key, mm in cfg.mirrormakers.items():
        at = config._path(("mirrormakers", key))  # a MirrorMaker key may need quoting
        if mm.ip_filter is not None:
            yield "mirrormakers.*.ipFilter", f"{at}.ipFilter", mm.ip_filter, False
        if mm.kafka_mirrormaker is not None:
            yield "mirrormakers.*.kafkaMirrormaker", f"{at}.kafkaMirrormaker", to_wire(mm.kafka_mirrormaker), False
        for alias, tuning in mm.integrations.items():
            yield "mirrormakers.*.integrations.*", f"{at}.integrations.{alias}", to_wire(tuning), False
    if cfg.monitoring is not None:
        for name in ("prometheus", "datadog"):
            spec = getattr(cfg.monitoring, name)
            if spec is not None:
                yield from _endpoint_values(cfg, f"monitoring.{name}", f"monitoring.{name}", spec)


def _endpoint_values(cfg: config.StackConfig, prefix: str, at: str,
                     spec: BaseModel) -> Iterator[tuple[str, str, Any, bool]]:
    options = ENDPOINTS[prefix][1]
    for key, value in spec.model_dump(by_alias=True, exclude_none=True).items():
        if key not in options:
            continue  # not user config (a test keeps every key in one list or the other)
        secret = options[key][1]
        if secret:
            value = cfg.credentials.get(value)
            if value is None or value.startswith(config.OFFLINE_SECRET_PREFIX):
                continue  # unknown: the reference checks say so; a stand-in: not the secret's value
        elif isinstance(value, list):
            value = ",".join(value)  # the endpoint takes the brokers as one string
        yield f"{prefix}.{key}", f"{at}.{key}", value, secret


def _constraints(node: dict[str, Any]) -> int:
    own = sum(key in node for key in ("minimum", "maximum", "enum", "pattern", "min_length", "max_length", "max_items"))
    children = [*node.get("properties", {}).values(), *([node["items"]] if "items" in node else [])]
    return own + sum(_constraints(child) for child in children)


def exposed_table() -> str:
    """Markdown table of which config key is checked against which Aiven option (for the docs)."""
    schema = {name: f"`{file}` → `{kind}`" for name, (file, kind, _, _) in BLOCKS.items()}
    rows = ["| config key | Aiven schema | option | bounds checked |", "| --- | --- | --- | --- |"]
    for key, (block, path) in EXPOSED.items():
        node = option(block, path)
        snake = ".".join(re.sub("([A-Z])", r"_\1", name).lower() for name in path)
        rows.append(f"| `{key}` | {schema[block]} | `{snake}` | {_constraints(node)} |")
    return "\n".join(rows) + "\n"


def findings(cfg: config.StackConfig) -> Iterator[Finding]:
    """Every exposed value checked against Aiven's schema: errors and deprecation warnings."""
    for exposed, path, value, secret in exposed_values(cfg):
        block, option_path = EXPOSED[exposed]
        for found in check(option(block, option_path), value, path, secret):
            bridge = kafka_versions.next_step(value) if exposed == "clusters.*.kafkaVersion" else None
            if found.level == "warning" and bridge is not None:
                # Not every current value is a step Aiven takes from here (replication/kafka_versions.py).
                found = replace(found, message=f"{found.message}; upgrade to {bridge!r} first: {kafka_versions.PATH}")
            yield found


def _issues(cfg: config.StackConfig, level: str) -> list[config.ConfigIssue]:
    return [config.ConfigIssue(f.path, f.message) for f in findings(cfg) if f.level == level]


def errors(cfg: config.StackConfig) -> list[config.ConfigIssue]:
    """Values the Aiven API would refuse."""
    return _issues(cfg, "error")


def deprecation_warnings(cfg: config.StackConfig) -> list[config.ConfigIssue]:
    """Values Aiven accepts but marks deprecated, each naming the current values."""
    return _issues(cfg, "warning")


if __name__ == "__main__":
    main()
