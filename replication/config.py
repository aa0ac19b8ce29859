"""The stack config model: what ``Pulumi.<stack>.yaml`` may say, validated strictly.

Everything under the ``aiven-kafka-replication:`` namespace is parsed into :class:`StackConfig`.
Validation is total and happens before any resource is declared: unknown keys are typos, types
are strict (YAML's ``3.10`` is a float, ``yes`` is a bool), and cross-references between clusters,
MirrorMakers and flows are resolved here. Errors carry the key path and the bad value.

No Pulumi imports: this runs in plain unit tests and in the offline engine alike.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import re
import types
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from policy import rules as policy_rules
from replication import echo, provider_schema, topic_bounds
from replication.javaregex import compile_java_regex, compile_joined

NAMESPACE = "aiven-kafka-replication"
#: How the offline engine stands in for a secret it cannot decrypt: such a value is not the secret's,
#: so its length and pattern are checked only under `pulumi preview`/`up`.
OFFLINE_SECRET_PREFIX = "offline-placeholder-for-"

if TYPE_CHECKING:
    # mypy sees plain models; at run time these are built from the provider contract.
    KafkaSettings = BaseModel
    TopicConfig = BaseModel
    MirrorMakerSettings = BaseModel
    IntegrationTuning = BaseModel
else:
    KafkaSettings = provider_schema.pass_through_model("KafkaUserConfigKafka")
    TopicConfig = provider_schema.pass_through_model("TopicConfig")
    MirrorMakerSettings = provider_schema.pass_through_model("MirrorMakerSettings")
    IntegrationTuning = provider_schema.pass_through_model("IntegrationTuning")

# --- value checks -------------------------------------------------------------------------------

# Kafka's own rule (kafka.common.internals.Topic): legal characters, at most 249, not "." or "..".
_TOPIC_CHARS = re.compile(r"[a-zA-Z0-9._-]+")
# Aiven service names: lowercase letter first, then lowercase letters, digits and hyphens.
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
# A MirrorMaker alias prefixes remote topics (`<alias>.<topic>`), so it must be a legal topic-name
# fragment without the "." separator, or MirrorMaker would mis-parse the source of every topic.
_ALIAS = re.compile(r"[a-zA-Z0-9_-]{1,128}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")
_KAFKA_VERSION = re.compile(r"[0-9]+\.[0-9]+")

Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

POLICY_CLASSES: dict[str, str] = {
    "default": "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
    "identity": "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
}

#: The recipe's (and Aiven console's) exclusions: internal, replica and double-underscore topics.
DEFAULT_TOPICS_EXCLUDE: tuple[str, ...] = (r".*[\-\.]internal", r".*\.replica", r"__.*")


def _not_a_yaml_boolean(value: str, what: str) -> None:
    # A mapping key written `on:`, `yes:` or `no:` is a YAML boolean; Pulumi hands it to the program
    # as the string "true" or "false". Nobody names a topic or cluster that on purpose.
    if value in ("true", "false"):
        words = "yes/on/true" if value == "true" else "no/off/false"
        raise ValueError(
            f"{what} {echo.quoted(value)} is what YAML makes of an unquoted {words} key (a boolean); "
            "quote the name you meant"
        )


def _topic_name(value: str) -> str:
    _not_a_yaml_boolean(value, "topic name")
    if value in (".", ".."):
        raise ValueError(f"topic name {echo.quoted(value)} is reserved by Kafka")
    if len(value) > 249:
        raise ValueError(f"topic name is {len(value)} characters long; Kafka allows at most 249")
    if not _TOPIC_CHARS.fullmatch(value):
        raise ValueError(
            f"topic name {echo.quoted(value)} may only contain ASCII letters, digits, '.', '_' and '-' "
            "(at most 249 characters)"
        )
    return value


def _name_rule(what: str, pattern: re.Pattern[str], must: str, *, yaml_key: bool = True) -> Callable[[str], str]:
    """A validator for a kind of name: `what 'value' (n characters) must ...` when `pattern` does not match.
    `yaml_key`: the name is a mapping key or list item that YAML may have read as a boolean."""

    def check(value: str) -> str:
        if yaml_key:
            _not_a_yaml_boolean(value, what)
        if not pattern.fullmatch(value):
            raise ValueError(f"{what} {echo.quoted(value)} ({len(value)} characters) must {must}")
        return value

    return check


_SERVICE_NAME_RULE = (
    "start with a lowercase letter and contain only lowercase letters, digits and '-' (at most 63 characters)"
)
_service_name = _name_rule(
    "service name", _SERVICE_NAME, _SERVICE_NAME_RULE,
    yaml_key=False,  # a value, never a key: an unquoted yes/no arrives as a boolean, which strict mode refuses
)
_alias = _name_rule(
    "cluster alias", _ALIAS,
    "be 1 to 128 ASCII letters, digits, '_' and '-' (no '.': MirrorMaker uses it as the topic prefix separator)",
)


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        shown = "" if echo.has_userinfo(value) else f" ({err})"  # the error quotes the value
        raise ValueError(f"{echo.quoted(value)} is not a CIDR network{shown}") from None
    return value


def _time(value: str) -> str:
    if not _TIME.fullmatch(value):
        raise ValueError(f"time {echo.quoted(value)} must be HH:MM:SS in 24-hour UTC, for example '10:00:00'")
    return value


def _sexagesimal_time(value: Any) -> Any:
    # YAML 1.1 reads unquoted `10:00:00` as the base-60 integer 36000 (and `10:00` as 600): say so,
    # since the number alone does not tell what was written.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            "must be a quoted \"HH:MM:SS\" string: YAML 1.1 reads an unquoted 10:00:00 as the base-60 number 36000"
        )
    return value


def _kafka_version(value: Any) -> Any:
    # YAML reads `kafkaVersion: 3.10` as the float 3.1: refuse numbers rather than guess.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(
            f"must be a quoted string: YAML read it as the number {value!r}; "
            f"write kafkaVersion: \"{value}\" (and \"3.10\", not 3.10)"
        )
    if isinstance(value, str) and not _KAFKA_VERSION.fullmatch(value):
        raise ValueError(f"Kafka version {echo.quoted(value)} must look like \"3.8\"")
    return value


def _java_regex(value: str) -> str:
    if value.startswith("*"):
        raise ValueError(
            f"{echo.quoted(value)} is a glob, not a regular expression: any characters is '.*', "
            f"as in {echo.quoted('.' + value)}"
        )
    compile_java_regex(value)
    return value


def _joined_issues(key: str, patterns: list[str]) -> list[tuple[str, str]]:
    """MirrorMaker compiles a list of patterns as one regex: patterns valid alone can clash joined."""
    try:
        compile_joined(patterns)
    except ValueError as err:
        return [(key, str(err))]
    return []


TopicName = Annotated[str, AfterValidator(_topic_name)]
ServiceName = Annotated[str, AfterValidator(_service_name)]
Alias = Annotated[str, AfterValidator(_alias)]
Cidr = Annotated[str, AfterValidator(_cidr)]
KafkaVersion = Annotated[str, BeforeValidator(_kafka_version)]
JavaRegex = Annotated[str, AfterValidator(_java_regex)]
Name = Annotated[str, Field(min_length=1)]


class Model(BaseModel):
    """Strict, camelCase, frozen: unknown keys are typos and YAML coercions are refused."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


# --- clusters -----------------------------------------------------------------------------------


class MaintenanceWindow(Model):
    """When Aiven may apply maintenance updates to a service."""

    dow: Day
    """Day of week, lowercase English (`monday` … `sunday`)."""
    time: Annotated[str, BeforeValidator(_sexagesimal_time), AfterValidator(_time)]
    """Start time, `HH:MM:SS` UTC, quoted (`"10:00:00"`): unquoted, YAML 1.1 reads a base-60 number."""


class TieredStorage(Model):
    """The service's tiered storage: the provider's `kafka_user_config.tiered_storage` block."""

    enabled: bool
    """Whether the brokers may move topic data to object storage. Topics use it with
    `config.remoteStorageEnable: true` (Kafka 3.6 or later; Aiven's plan must offer it)."""


class TopicSpec(Model):
    """A topic this stack creates on a cluster."""

    partitions: Annotated[int, Field(ge=1, le=10_000)]
    """Partition count. Kafka can only add partitions, never remove them."""
    replication: Annotated[int, Field(ge=1, le=10)]
    """Replication factor; 2 or more for anything that matters."""
    config: TopicConfig | None = None
    """Topic settings, passed to the provider's `config` block (for example `retentionMs`,
    `cleanupPolicy`)."""


_HOST_PORT = re.compile(r"[A-Za-z0-9_.-]+:[0-9]{1,5}|\[[0-9A-Fa-f:]+\]:[0-9]{1,5}")


def _host_port(value: str) -> str:
    if echo.has_userinfo(value):
        raise ValueError(f"bootstrap server {echo.USERINFO}; write only host:port here")
    if not _HOST_PORT.fullmatch(value):
        raise ValueError(f"bootstrap server {value!r} must be host:port, for example 'kafka-1.example.com:9092'")
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]

_CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----")


def _credential_name(value: str) -> str:
    # The value may be the secret itself, typed where its name belongs: describe it, never show it.
    if not _CREDENTIAL_NAME.fullmatch(value):
        if _PEM.search(value):
            looks = "a PEM block"
        elif len(value) > 128:
            looks = f"{len(value)} characters"
        else:
            looks = f"{len(value)} characters, not all of them allowed in a name"
        raise ValueError(
            f"expected the name of an entry in {NAMESPACE}:credentials (1 to 128 letters, digits, '.', '_' or '-'), "
            f"got {looks} (value not shown: it may be a secret; put the secret in credentials and its name here)"
        )
    return value


class _NamesACredential:
    """Field marker: the value names a `credentials` entry, so it may be a secret typed in the wrong place."""


# The schema states the same rule as `_credential_name`, for editors.
CredentialName = Annotated[
    str,
    AfterValidator(_credential_name),
    WithJsonSchema({"type": "string", "pattern": f"^{_CREDENTIAL_NAME.pattern}$"}),
    _NamesACredential(),
]


class ExternalKafkaSpec(Model):
    """A Kafka cluster outside Aiven (self-hosted, MSK, Confluent), reached through an
    `external_kafka` integration endpoint."""

    endpoint_name: Name | None = None
    """Name of the integration endpoint in the Aiven project. Defaults to the cluster's alias."""
    bootstrap_servers: Annotated[list[HostPort], Field(min_length=1)]
    """Brokers to bootstrap from, `host:port`. Two external clusters may not share one (hosts compared
    without case): one Kafka cluster has one alias, or an identity loop through both could not be seen."""
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"]
    """`PLAINTEXT`, `SSL` (TLS, optionally with a client certificate) or `SASL_SSL` (SASL over TLS)."""
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    """SASL mechanism, `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`: required with `SASL_SSL`."""
    sasl_username: Name | None = None
    """SASL user name: required with `SASL_SSL`, unless `saslUsernameCredential` names it because it
    is itself a secret."""
    sasl_username_credential: CredentialName | None = None
    """Instead of `saslUsername`: name of the entry in the secret `credentials` config that holds the SASL user name."""
    sasl_password: CredentialName | None = None
    """Name of the entry in the secret `credentials` config that holds the SASL password (never the
    password itself): required with `SASL_SSL`."""
    ssl_ca_cert: Name | None = None
    """PEM CA certificate that signed the brokers' certificates, if not a public CA."""
    ssl_client_cert: Name | None = None
    """PEM client certificate, for mutual TLS (`SSL` or `SASL_SSL`), together with `sslClientKey`."""
    ssl_client_key: CredentialName | None = None
    """Name of the entry in the secret `credentials` config that holds the client certificate's key,
    together with `sslClientCert`."""

    @model_validator(mode="after")
    def _protocol_fields(self) -> ExternalKafkaSpec:
        issues: list[tuple[str, str]] = []
        sasl = {"saslMechanism": self.sasl_mechanism, "saslUsername": self.sasl_username,
                "saslUsernameCredential": self.sasl_username_credential, "saslPassword": self.sasl_password}
        if self.sasl_username is not None and self.sasl_username_credential is not None:
            issues.append(("saslUsernameCredential", "give saslUsername or saslUsernameCredential, not both"))
        if self.security_protocol == "SASL_SSL":
            # The user name is given one way or the other.
            required = {**sasl, "saslUsername": self.sasl_username or self.sasl_username_credential}
            del required["saslUsernameCredential"]
            issues += [(k, "required with securityProtocol SASL_SSL") for k, v in required.items() if v is None]
        else:
            issues += [(k, f"only applies to SASL_SSL, not {self.security_protocol}")
                       for k, v in sasl.items() if v is not None]
        if self.security_protocol == "PLAINTEXT":
            tls = {"sslCaCert": self.ssl_ca_cert, "sslClientCert": self.ssl_client_cert,
                   "sslClientKey": self.ssl_client_key}
            issues += [(k, "only applies to SSL and SASL_SSL, not PLAINTEXT") for k, v in tls.items() if v]
        elif (self.ssl_client_cert is None) != (self.ssl_client_key is None):
            missing = "sslClientKey" if self.ssl_client_key is None else "sslClientCert"
            issues.append((missing, "sslClientCert and sslClientKey go together (mutual TLS)"))
        if issues:
            raise ValueError(_relative(issues))
        return self


class ClusterSpec(Model):
    """A Kafka cluster: one this stack creates on Aiven (the default), an existing Aiven service
    (`existing: true`), or a cluster outside Aiven (`external:`)."""

    service_name: ServiceName | None = None
    """Aiven service name: a lowercase letter, then lowercase letters, digits and `-` (at most 63).
    Defaults to the cluster's alias, which must then meet the same rule; required with `existing: true`."""
    existing: bool = False
    """The Aiven service `serviceName` exists and is managed elsewhere: it is attached to MirrorMaker,
    never created or changed. Only `serviceName` and `knownTopics` apply beside it."""
    external: ExternalKafkaSpec | None = None
    """The cluster is outside Aiven (self-hosted, MSK, Confluent): how to reach it. Only
    `knownTopics` applies beside it."""
    cloud: Name | None = None
    """Aiven cloud, for example `google-europe-west1`. Required for a cluster this stack creates."""
    plan: Name | None = None
    """Aiven plan, for example `business-4`. Required for a cluster this stack creates."""
    kafka_version: KafkaVersion | None = None
    """Kafka version as a quoted string that Aiven offers, for example `"3.8"` (a deprecated one plans
    with a warning). Unquoted `3.10` is the number 3.1 and is refused. Omit for Aiven's default."""
    maintenance_window: MaintenanceWindow | None = None
    """Maintenance window. Omit for one chosen by Aiven."""
    ip_filter: list[Cidr] | None = None
    """CIDR networks allowed to connect. Omit for Aiven's default, which is open to the internet: a
    warning, and an error with `protect: true`."""
    kafka: KafkaSettings | None = None
    """Broker settings: the provider's `kafka_user_config.kafka` block (camelCase names, for example
    `logRetentionBytes`)."""
    tiered_storage: TieredStorage | None = None
    """Tiered storage (`kafka_user_config.tiered_storage`), for example `{enabled: true}`: required by
    topics that set `remoteStorageEnable: true`. Omit for Aiven's default, off."""
    topics: dict[TopicName, TopicSpec] = Field(default_factory=dict)
    """Topics to create on this cluster, by name: ASCII letters, digits, `.`, `_` and `-`, at most
    249 characters, not `.` or `..` (Kafka's rule)."""
    known_topics: list[TopicName] = Field(default_factory=list)
    """Topics that already exist on an existing or external cluster, so that the topic map can predict
    where they land."""
    renamed_from: Alias | None = None
    """The cluster's previous alias, after renaming its key: its resources keep their state (Pulumi
    `aliases`) instead of being deleted and created again. Keep `serviceName` (or
    `external.endpointName`) as it was. Remote topics are still renamed (`<old>.<topic>` becomes
    `<new>.<topic>`). Remove it once every stack has run `pulumi up`."""

    @property
    def managed(self) -> bool:
        """Whether this stack creates and manages the Kafka service."""
        return not self.existing and self.external is None

    @model_validator(mode="after")
    def _kind_fields(self) -> ClusterSpec:
        issues: list[tuple[str, str]] = []
        settings = {"cloud": self.cloud, "plan": self.plan, "kafkaVersion": self.kafka_version,
                    "maintenanceWindow": self.maintenance_window, "ipFilter": self.ip_filter,
                    "kafka": self.kafka, "tieredStorage": self.tiered_storage, "topics": self.topics or None}
        if self.existing and self.external is not None:
            issues.append(("existing", "a cluster is either existing on Aiven or external, not both"))
        elif self.managed:
            issues += [(k, "required key is missing") for k in ("cloud", "plan") if settings[k] is None]
            if self.known_topics:
                issues.append(("knownTopics", "only for existing or external clusters; declare `topics` instead"))
        else:
            kind = "existing" if self.existing else "external"
            issues += [(k, f"not allowed on an {kind} cluster: this stack does not manage it")
                       for k, v in settings.items() if v is not None]
            if self.existing and self.service_name is None:
                issues.append(("serviceName", "required with existing: true (the Aiven service to attach)"))
            if self.external is not None and self.service_name is not None:
                issues.append(("serviceName", "not allowed on an external cluster; use external.endpointName"))
        if issues:
            raise ValueError(_relative(issues))
        return self

    def placement(self) -> tuple[str, str]:
        """Cloud and plan of a managed cluster (validated to be set)."""
        if self.cloud is None or self.plan is None:
            raise ValueError("only managed clusters have a cloud and a plan")
        return self.cloud, self.plan

    def resolved_service_name(self, alias: str) -> str:
        """The Aiven service name: explicit, or the alias."""
        return self.service_name or alias

    def declared_topics(self) -> list[str]:
        """Topics the cluster holds of its own: created here, or known to exist."""
        return [*self.topics, *self.known_topics]


# --- MirrorMaker --------------------------------------------------------------------------------


class MirrorMakerSpec(Model):
    """An Aiven for Apache Kafka MirrorMaker 2 service."""

    service_name: ServiceName | None = None
    """Aiven service name (the same rule as a cluster's). Defaults to the MirrorMaker's key, which must then
    meet the rule."""
    cloud: Name
    """Aiven cloud; put it near the target cluster, where it writes."""
    plan: Name
    """Aiven plan, for example `business-4`."""
    maintenance_window: MaintenanceWindow | None = None
    """Maintenance window. Omit for one chosen by Aiven."""
    ip_filter: list[Cidr] | None = None
    """CIDR networks allowed to connect. Omit for Aiven's default, which is open to the internet: a
    warning, and an error with `protect: true`."""
    kafka_mirrormaker: MirrorMakerSettings | None = None
    """Service-level MirrorMaker settings: the provider's `kafka_mirrormaker_user_config.kafka_mirrormaker`
    block (`refreshTopicsIntervalSeconds`, `groups`, `emitCheckpointsEnabled`, `tasksMaxPerCpu`, …)."""
    integrations: dict[Alias, IntegrationTuning] = Field(default_factory=dict)
    """Consumer/producer tuning of the integration with each cluster, by alias: the provider's
    `kafka_mirrormaker_user_config.kafka_mirrormaker` block of the `kafka_mirrormaker` integration
    (`consumerFetchMinBytes`, `producerCompressionType`, `producerLingerMs`, …). Only clusters the
    MirrorMaker's flows use."""

    @model_validator(mode="after")
    def _group_patterns(self) -> MirrorMakerSpec:
        # `groups`/`groupsExclude` are comma-separated Java regexes; check them like flow patterns.
        issues: list[tuple[str, str]] = []
        for key in ("groups", "groupsExclude"):
            value = getattr(self.kafka_mirrormaker, f"p_{key}", None)
            patterns = [pattern.strip() for pattern in (value or "").split(",")]
            found = len(issues)
            for pattern in patterns:
                try:
                    _java_regex(pattern)
                except ValueError as err:
                    issues.append((f"kafkaMirrormaker.{key}", str(err)))
            if len(issues) == found and value:
                issues += _joined_issues(f"kafkaMirrormaker.{key}", patterns)
        if issues:
            raise ValueError(_relative(issues))
        return self

    def resolved_service_name(self, key: str) -> str:
        """The Aiven service name: explicit, or the key."""
        return self.service_name or key


# --- flows --------------------------------------------------------------------------------------


class FlowSpec(Model):
    """One replication flow: topics of `source` copied to `target` by a MirrorMaker."""

    source: Alias
    """Alias of the source cluster (a key of `clusters`)."""
    target: Alias
    """Alias of the target cluster (a key of `clusters`); a flow cannot loop a cluster into itself."""
    mirrormaker: Name | None = None
    """Key of the MirrorMaker that runs the flow; omit for the only one, required when several are declared."""
    topics: Annotated[list[JavaRegex], Field(min_length=1)] = Field(default_factory=lambda: [".*"])
    """Java regular expressions; a topic is replicated when one matches its whole name."""
    topics_exclude: list[JavaRegex] = Field(default_factory=lambda: list(DEFAULT_TOPICS_EXCLUDE))
    """Java regular expressions of topics never to replicate; they win over `topics`."""
    replication_policy: Literal["default", "identity"] = "default"
    """`default` names remote topics `<source>.<topic>`; `identity` keeps the name (one-way only)."""
    sync_group_offsets: bool = True
    """Write translated consumer-group offsets to the target, so consumers can fail over."""
    sync_group_offsets_interval_seconds: Annotated[int, Field(ge=1)] = 60
    """How often offsets are synced. The provider's default (1 s) loads the target needlessly."""
    emit_heartbeats: bool = True
    """Emit a `heartbeats` topic on the target, for end-to-end replication monitoring."""
    emit_backward_heartbeats: bool = False
    """Also emit `heartbeats` on the source cluster."""
    offset_syncs_topic_location: Literal["source", "target"] = "source"
    """Cluster that holds the offset-syncs topic: `target` when the source is read-only to MirrorMaker."""
    replication_factor: Annotated[int, Field(ge=1)] | None = None
    """Replication factor of the topics the flow creates on the target; omit for the target's default."""
    exactly_once_delivery: bool = False
    """Exactly-once delivery (Kafka 3.5+ MirrorMaker); recommended by Aiven for new flows."""
    config_properties_exclude: list[Annotated[JavaRegex, Field(min_length=1)]] | None = None
    """Topic config properties (names or Java regexes) not to copy; omit for MirrorMaker's default list. A
    list replaces that default: without `min\\.insync\\.replicas` in it, copies get the source topic's
    value, which must not exceed their replication factor."""
    follower_fetching: bool | None = None
    """Fetch from the closest replica (rack awareness) to cut cross-zone traffic; omit for the
    provider's default."""
    offset_lag_max: Annotated[int, Field(ge=0)] | None = None
    """How far a remote partition may lag before an offset sync is forced; omit for the provider's default."""
    enabled: bool = True
    """`false` pauses the flow without deleting it."""

    @model_validator(mode="after")
    def _joined_patterns(self) -> FlowSpec:
        issues = [*_joined_issues("topics", self.topics), *_joined_issues("topicsExclude", self.topics_exclude),
                  *_joined_issues("configPropertiesExclude", self.config_properties_exclude or [])]
        if issues:
            raise ValueError(_relative(issues))
        return self

    @property
    def key(self) -> str:
        """The flow's identity: `<source>-><target>`."""
        return f"{self.source}->{self.target}"

    @property
    def replication_policy_class(self) -> str:
        """The Java class of the replication policy, as the provider wants it."""
        return POLICY_CLASSES[self.replication_policy]


# --- adopt mode ---------------------------------------------------------------------------------

_AIVEN_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _aiven_id(value: str) -> str:
    if not _AIVEN_ID.fullmatch(value):
        hint = (
            "; give only the part after the project (Terraform's ID is `<project>/<id>`)"
            if "/" in value
            else ""
        )
        raise ValueError(f"{echo.quoted(value)} is not an Aiven ID (a UUID){hint}")
    return value


AivenId = Annotated[str, AfterValidator(_aiven_id)]


class AdoptSpec(Model):
    """Adopt mode: import the resources a Terraform recipe already created instead of creating them.

    Service, topic and flow IDs follow from the config; integration and endpoint IDs are Aiven's
    UUIDs, read from the Terraform state."""

    integrations: dict[Name, dict[Alias, AivenId]] = Field(default_factory=dict)
    """ID (a UUID) of each existing `kafka_mirrormaker` integration: MirrorMaker key → cluster alias →
    ID. Required for every integration the stack declares, and only for those."""
    endpoints: dict[Alias, AivenId] = Field(default_factory=dict)
    """ID (a UUID) of each existing `external_kafka` integration endpoint, by external cluster alias.
    Required for every external cluster."""


# --- users and monitoring (disaster recovery) --------------------------------------------------

# Aiven service users: a concrete name (no ACL wildcards), as the provider's KafkaUser takes it.
_USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
# Aiven ACL topic patterns: topic-name characters plus the wildcards `*` (any run) and `?` (one).
_ACL_TOPIC = re.compile(r"[a-zA-Z0-9._*?-]{1,249}")

Permission = Literal["read", "write", "readwrite", "admin"]
#: Aiven ACL permissions that let a client produce: never granted on a copy.
WRITE_PERMISSIONS: frozenset[str] = frozenset({"write", "readwrite", "admin"})


def _username(value: str) -> str:
    if value == "avnadmin":
        raise ValueError("'avnadmin' is the service's own admin user: Aiven creates it, declare your own users")
    return _username_chars(value)


_username_chars = _name_rule(
    "user name", _USERNAME,
    "start with a letter, digit or '_' and contain only ASCII letters, digits, '_', '.' and '-' "
    "(at most 64 characters)",
)
_acl_topic = _name_rule(
    "topic pattern", _ACL_TOPIC,
    "be 1 to 249 topic-name characters (ASCII letters, digits, '.', '_', '-') and Aiven's wildcards '*' and '?' "
    "(ACL patterns are not regexes)",
)


Username = Annotated[str, AfterValidator(_username)]
AclTopic = Annotated[str, AfterValidator(_acl_topic)]


class PermissionSpec(Model):
    """Access of a user to topics of some clusters, as Aiven ACL entries."""

    permission: Permission
    """`read`, `write`, `readwrite` or `admin` (Aiven's ACL permissions)."""
    topics: Annotated[list[AclTopic], Field(min_length=1)]
    """Topic names, or Aiven ACL patterns where `*` matches any characters and `?` one (globs, not regexes)."""
    clusters: Annotated[list[Alias], Field(min_length=1)]
    """Aliases of the clusters whose own topics these are. Every copy of a matching topic on another
    managed cluster gets `read` automatically; write is never granted on a copy."""


class UserSpec(Model):
    """A Kafka user, declared once: it exists on every managed cluster that holds its topics or their copies."""

    password: CredentialName | None = None
    """Name of the `credentials` entry holding the password. Omit to let Aiven generate it once, on the
    user's first cluster; the other clusters get the same value."""
    permissions: Annotated[list[PermissionSpec], Field(min_length=1)]
    """What the user may do, on which topics of which clusters."""


class PrometheusSpec(Model):
    """A `prometheus` integration endpoint: Aiven exposes the services' metrics for a Prometheus server to scrape."""

    endpoint_name: Name = "prometheus"
    """Name of the integration endpoint in the Aiven project."""
    basic_auth_username: str
    """User name Prometheus scrapes with (basic auth): 5 to 32 of `a-z`, `0-9`, `-`, `@` and `_`, checked
    against Aiven's schema."""
    basic_auth_password: CredentialName
    """Name of the `credentials` entry holding the basic-auth password (8 to 256 characters)."""


class DatadogSpec(Model):
    """A `datadog` integration endpoint: Aiven sends the services' metrics to Datadog."""

    endpoint_name: Name = "datadog"
    """Name of the integration endpoint in the Aiven project."""
    api_key: CredentialName
    """Name of the `credentials` entry holding the Datadog API key."""
    site: str | None = None
    """Datadog intake site, one of Aiven's list (`datadoghq.eu`, `us5.datadoghq.com`, …, checked against
    its schema); omit for Aiven's default, `datadoghq.com`."""


class ExistingEndpointSpec(Model):
    """An integration endpoint that exists in the Aiven project and is managed elsewhere."""

    type: Literal["prometheus", "datadog"]
    """The endpoint's type, `prometheus` or `datadog`, which decides the integration type."""
    endpoint_id: AivenId
    """The endpoint's ID (a UUID, from `avn service integration-endpoint-list`)."""


class MonitoringSpec(Model):
    """Where the metrics of every Kafka and MirrorMaker service of the stack go. At least one key."""

    prometheus: PrometheusSpec | None = None
    """Create a Prometheus endpoint and integrate every service with it."""
    datadog: DatadogSpec | None = None
    """Create a Datadog endpoint and integrate every service with it; MirrorMakers also send the
    per-flow replication lag (`kafka_mirrormaker_summary.replication_lag`)."""
    existing_endpoint: ExistingEndpointSpec | None = None
    """Integrate every service with an endpoint that already exists."""

    @model_validator(mode="after")
    def _some_destination(self) -> MonitoringSpec:
        if self.prometheus is None and self.datadog is None and self.existing_endpoint is None:
            raise ValueError("names no destination: set prometheus, datadog or existingEndpoint")
        return self

    def credential_references(self) -> list[tuple[str, str]]:
        """(key path inside `monitoring`, credential name) of every secret it refers to."""
        refs: list[tuple[str, str]] = []
        if self.prometheus is not None:
            refs.append(("prometheus.basicAuthPassword", self.prometheus.basic_auth_password))
        if self.datadog is not None:
            refs.append(("datadog.apiKey", self.datadog.api_key))
        return refs


def check_access(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """Users and monitoring refer to clusters and credentials that exist."""
    for username, user in cfg.users.items():
        at = f"users.{username}"
        if user.password is not None and user.password not in cfg.credentials:
            yield _missing_credential(f"{at}.password", user.password, cfg.credentials)
        for i, grant in enumerate(user.permissions):
            for j, alias in enumerate(grant.clusters):
                if alias not in cfg.clusters:
                    yield ConfigIssue(
                        f"{at}.permissions[{i}].clusters[{j}]",
                        f"unknown cluster {alias!r} (declared: {_names(cfg.clusters)})",
                    )
    if cfg.monitoring is not None:
        for path, ref in cfg.monitoring.credential_references():
            if ref not in cfg.credentials:
                yield _missing_credential(f"monitoring.{path}", ref, cfg.credentials)
        # Endpoint names are unique in an Aiven project.
        owners = {c.external.endpoint_name or alias: f"clusters.{alias}.external"
                  for alias, c in cfg.clusters.items() if c.external is not None}
        for key, spec in (("prometheus", cfg.monitoring.prometheus), ("datadog", cfg.monitoring.datadog)):
            if spec is None:
                continue
            if spec.endpoint_name in owners:
                yield ConfigIssue(
                    f"monitoring.{key}.endpointName",
                    f"{spec.endpoint_name!r} is already the endpoint name of {owners[spec.endpoint_name]}",
                )
            owners.setdefault(spec.endpoint_name, f"monitoring.{key}")


def _missing_credential(at: str, ref: str, credentials: Collection[str]) -> ConfigIssue:
    # Not echoed: a name that is not there may be the secret itself, typed in the wrong place.
    return ConfigIssue(
        at,
        f"expected the name of an entry in {NAMESPACE}:credentials (declared: {_names(credentials)}), "
        f"got a {len(ref)}-character value that names none (value not shown: it may be a secret); "
        f"set the secret with `pulumi config set --secret --path '{NAMESPACE}:credentials.<name>' <value>` "
        "and put <name> here",
    )


# --- the whole stack ----------------------------------------------------------------------------


class StackConfig(Model):
    """Everything under the `aiven-kafka-replication:` config namespace."""

    project: Name
    """The Aiven project that holds every service of the stack."""
    clusters: Annotated[dict[Alias, ClusterSpec], Field(min_length=1)]
    """Kafka clusters by MirrorMaker alias."""
    mirrormakers: dict[Name, MirrorMakerSpec] = Field(default_factory=dict)
    """MirrorMaker 2 services by key."""
    flows: list[FlowSpec] = Field(default_factory=list)
    """Replication flows."""
    credentials: dict[CredentialName, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    """Secrets by name (SASL passwords, client keys, user passwords, monitoring keys). Set each with
    `pulumi config set --secret --path 'aiven-kafka-replication:credentials.<name>' <value>`."""
    protect: bool = False
    """Data safety (on in prod): services get Aiven termination protection and Pulumi `protect`,
    topics get `protect`, and every `ipFilter` must be set and not open to the internet."""
    adopt: AdoptSpec | None = None
    """Adopt mode: import existing resources (the Terraform recipe's) instead of creating them.
    Remove it after the first successful `pulumi up`."""
    users: dict[Username, UserSpec] = Field(default_factory=dict)
    """Kafka users and their topic permissions, declared once for every cluster that holds the
    topics or their copies. A user name is ASCII letters, digits, `_`, `.` and `-`, at most 64, not
    `avnadmin`."""
    monitoring: MonitoringSpec | None = None
    """Send the metrics of every Kafka and MirrorMaker service to Prometheus, Datadog or an existing
    endpoint, with each flow's replication lag."""

    @model_validator(mode="after")
    def _cross_references(self) -> StackConfig:
        issues = [
            *check_references(self),
            *check_renames(self),
            *check_protection(self),
            *check_adopt(self),
            *check_access(self),
            *check_aiven_schema(self),
            *check_topic_bounds(self),
        ]
        if issues:
            raise ValueError(_relative((issue.path, issue.message) for issue in issues))
        return self

    def flow_mirrormaker(self, flow: FlowSpec) -> str:
        """The key of the MirrorMaker that runs a flow (validated to exist)."""
        return flow.mirrormaker or next(iter(self.mirrormakers))

    def attached(self, key: str) -> set[str]:
        """Aliases of the clusters MirrorMaker `key` integrates with: those its flows use."""
        return {alias for f in self.flows if self.flow_mirrormaker(f) == key for alias in (f.source, f.target)}


_PREFIX = "issues at relative paths:\n"


def _relative(issues: Iterable[tuple[str, str]]) -> str:
    # A validator can only raise at its model's location; it encodes the exact sub-keys here and
    # `_issues_from` joins them onto that location, so every issue names its full key path.
    return _PREFIX + "\n".join(f"{path}: {message}" for path, message in issues)


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the stack config, at a key path such as `flows[0].source`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{NAMESPACE}:{self.path}: {self.message}"


class ConfigError(ValueError):
    """Invalid stack config. ``str()`` is one line per issue, each naming key path and value."""

    def __init__(self, issues: Iterable[ConfigIssue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def _names(keys: Iterable[str]) -> str:
    return ", ".join(sorted(keys)) or "none"


def check_references(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """Cross-references between clusters, MirrorMakers and flows: the errors a schema cannot see."""
    yield from check_service_names(cfg)
    yield from check_same_cluster(cfg)
    if cfg.flows and not cfg.mirrormakers:
        yield ConfigIssue("mirrormakers", "flows are declared but no MirrorMaker is: declare one to run them")
    seen: dict[str, int] = {}
    for i, flow in enumerate(cfg.flows):
        at = f"flows[{i}]"
        for end in ("source", "target"):
            alias = getattr(flow, end)
            if alias not in cfg.clusters:
                yield ConfigIssue(
                    f"{at}.{end}", f"unknown cluster {alias!r} (declared: {_names(cfg.clusters)})"
                )
        if flow.source == flow.target:
            yield ConfigIssue(
                f"{at}.target", f"{flow.target!r} is also the source: a flow cannot replicate a cluster into itself"
            )
        if flow.mirrormaker is None:
            if len(cfg.mirrormakers) > 1:
                yield ConfigIssue(
                    f"{at}.mirrormaker",
                    f"required when several MirrorMakers are declared ({_names(cfg.mirrormakers)})",
                )
        elif flow.mirrormaker not in cfg.mirrormakers:
            yield ConfigIssue(
                f"{at}.mirrormaker",
                f"unknown MirrorMaker {flow.mirrormaker!r} (declared: {_names(cfg.mirrormakers)})",
            )
        if flow.key in seen:
            yield ConfigIssue(at, f"duplicate flow {flow.key} (also flows[{seen[flow.key]}])")
        seen.setdefault(flow.key, i)

    for key, mm in cfg.mirrormakers.items():
        attached = cfg.attached(key)
        for alias in mm.integrations:
            if alias not in attached:
                yield ConfigIssue(
                    _path(("mirrormakers", key, "integrations", alias)),
                    f"cluster {alias!r} is not used by any flow of MirrorMaker {key!r} "
                    f"(it attaches: {_names(attached)})",
                )

    for alias, cluster in cfg.clusters.items():
        ext = cluster.external
        if ext is None:
            continue
        for field_name, ref in (("saslPassword", ext.sasl_password), ("sslClientKey", ext.ssl_client_key),
                                ("saslUsernameCredential", ext.sasl_username_credential)):
            if ref and ref not in cfg.credentials:
                yield _missing_credential(f"clusters.{alias}.external.{field_name}", ref, cfg.credentials)


def _aiven_services(cfg: StackConfig) -> list[tuple[str, str, str | None]]:
    """(key path, resolved service name, what the name defaults to or None) of every Aiven service."""
    services: list[tuple[str, str, str | None]] = [
        (_path(("clusters", alias)), c.resolved_service_name(alias), None if c.service_name else "alias")
        for alias, c in cfg.clusters.items() if c.external is None
    ]
    services += [(_path(("mirrormakers", key)), mm.resolved_service_name(key), None if mm.service_name else "key")
                 for key, mm in cfg.mirrormakers.items()]
    return services


def check_service_names(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """A service name that defaults to a cluster alias or MirrorMaker key meets the service-name rule
    too (an explicit one is checked where it is read): Aiven would refuse it only at `pulumi up`."""
    for at, name, default in _aiven_services(cfg):
        if default is None:
            continue
        if not _SERVICE_NAME.fullmatch(name):
            yield ConfigIssue(
                f"{at}.serviceName",
                f"not set, so the service name is the {default} {name!r} ({len(name)} characters), which Aiven "
                f"refuses: a service name must {_SERVICE_NAME_RULE}; set serviceName",
            )


def _broker(server: str) -> tuple[str, int]:
    """A bootstrap server as a broker's identity: the host without case or a trailing dot, the port
    as a number (an IPv6 address in its compressed form)."""
    host, _, port = server.rpartition(":")
    host = host.lower().rstrip(".")
    if host.startswith("["):
        with contextlib.suppress(ValueError):  # not an address after all: compared as written
            host = f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
    return host, int(port)


def check_same_cluster(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """Two keys for one Kafka cluster: one Aiven service name (an existing service attached twice, or
    two services Aiven would refuse), or external clusters with a bootstrap server in common. Each
    alias would be taken for its own cluster, so an identity loop through both could not be seen."""
    owner: dict[tuple[str, Any], str] = {}
    for at, name, _ in _aiven_services(cfg):
        if ("service", name) in owner:
            yield ConfigIssue(f"{at}.serviceName", f"{name!r} is already the service name of {owner['service', name]}")
        owner.setdefault(("service", name), at)
    for alias, cluster in cfg.clusters.items():
        if cluster.external is None:
            continue
        at = _path(("clusters", alias, "external"))
        for i, server in enumerate(cluster.external.bootstrap_servers):
            known = owner.setdefault(("broker", _broker(server)), at)
            if known != at:
                yield ConfigIssue(
                    f"{at}.bootstrapServers[{i}]",
                    f"{server!r} is also a bootstrap server of {known} (hosts compared without case or a "
                    "trailing dot), so both aliases name one Kafka cluster: declare it once",
                )


def check_renames(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """`renamedFrom`: an alias no cluster holds now, claimed once, and a rename that keeps the
    service (or endpoint) name, without which the aliases would keep nothing."""
    claimed: dict[str, str] = {}
    for alias, cluster in cfg.clusters.items():
        old = cluster.renamed_from
        if old is None:
            continue
        at = f"clusters.{alias}.renamedFrom"
        if old == alias:
            yield ConfigIssue(at, f"{old!r} is this cluster's alias: give the alias it had before, or remove the key")
        elif old in cfg.clusters:
            yield ConfigIssue(at, f"{old!r} is still the alias of clusters.{old}: its resources cannot move")
        elif old in claimed:
            yield ConfigIssue(at, f"{old!r} is already the renamedFrom of clusters.{claimed[old]}")
        claimed.setdefault(old, alias)
        if cluster.external is not None and cluster.external.endpoint_name is None:
            yield ConfigIssue(
                f"clusters.{alias}.external.endpointName",
                f"defaults to the alias {alias!r}, so the endpoint would still be replaced: set it to {old!r} "
                "(or to its name) to keep it",
            )
        elif cluster.external is None and cluster.service_name is None:
            yield ConfigIssue(
                f"clusters.{alias}.serviceName",
                f"defaults to the alias {alias!r}, so the service would still be replaced: set it to {old!r} "
                "(or to its name) to keep it",
            )


def check_aiven_schema(cfg: StackConfig) -> list[ConfigIssue]:
    """Values outside Aiven's own user-config schema: bounds, enums, patterns, lengths."""
    from replication import aiven_schema  # it reads this module's models: import it on first use

    return aiven_schema.errors(cfg)


def check_topic_bounds(cfg: StackConfig) -> list[ConfigIssue]:
    """Topic `config` values Kafka's brokers would refuse (LogConfig's validators, and its checks of
    tiered storage)."""
    issues: list[ConfigIssue] = []
    for alias, cluster in cfg.clusters.items():
        at = _path(("clusters", alias))
        tiered = cluster.tiered_storage is not None and cluster.tiered_storage.enabled
        kafka = provider_schema.to_wire(cluster.kafka)
        issues += [ConfigIssue(p, m) for p, m in topic_bounds.check_tiered_storage(at, tiered, cluster.kafka_version)]
        for name, topic in cluster.topics.items():
            wire, path = provider_schema.to_wire(topic.config), _path(("clusters", alias, "topics", name, "config"))
            found = [
                *topic_bounds.check_config(wire, path, cluster.kafka_version),
                *topic_bounds.check_remote_storage(wire, path, at, kafka, tiered, cluster.kafka_version),
            ]
            issues += [ConfigIssue(p, m) for p, m in found]
    return issues


def tiered_storage_warnings(cfg: StackConfig) -> list[ConfigIssue]:
    """Managed clusters with tiered storage on and no kafkaVersion (Aiven's default is unknown offline). A
    topic's remoteStorageEnable needs tiered storage on, or check_topic_bounds refuses it."""
    issues: list[ConfigIssue] = []
    for alias, cluster in cfg.clusters.items():
        at = _path(("clusters", alias))
        on = cluster.tiered_storage is not None and cluster.tiered_storage.enabled
        found = topic_bounds.tiered_storage_unversioned(at, f"{at}.tieredStorage.enabled" if on else None,
                                                        cluster.kafka_version)
        issues += [ConfigIssue(p, m) for p, m in found]
    return issues


def schema_warnings(cfg: StackConfig) -> list[ConfigIssue]:
    """Values Aiven marks deprecated, each naming the current ones (logged like safety warnings)."""
    from replication import aiven_schema

    return aiven_schema.deprecation_warnings(cfg)


# --- data safety and adopt mode -----------------------------------------------------------------


def ip_filter_findings(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """Services this stack creates whose `ipFilter` admits the whole internet: unset (Aiven's
    default is `0.0.0.0/0`), empty, or covering all of IPv4 or IPv6, in one network or together
    (the policy pack's rule, `policy.rules.open_families`)."""
    services = [(f"clusters.{alias}", c.ip_filter) for alias, c in cfg.clusters.items() if c.managed]
    services += [(_path(("mirrormakers", key)), mm.ip_filter) for key, mm in cfg.mirrormakers.items()]
    for at, networks in services:
        if not networks:
            state = "is not set" if networks is None else "is empty"
            yield ConfigIssue(
                f"{at}.ipFilter",
                f"{state}, so Aiven's default (0.0.0.0/0) admits the whole internet; "
                "list the networks allowed to connect",
            )
            continue
        for i, network in enumerate(networks):
            if policy_rules.is_open(network):
                yield ConfigIssue(f"{at}.ipFilter[{i}]", f"{network!r} admits the whole internet")
        for family in policy_rules.open_only_together(networks):
            yield ConfigIssue(f"{at}.ipFilter", f"{list(networks)!r} {policy_rules.together(family)}")


def check_protection(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """With `protect: true`, an open ip filter is an error."""
    if cfg.protect:
        for issue in ip_filter_findings(cfg):
            yield ConfigIssue(issue.path, f"{issue.message} (not allowed with protect: true)")


def safety_warnings(cfg: StackConfig) -> list[ConfigIssue]:
    """What the program logs as warnings: without `protect`, open ip filters; while adopting with
    `protect`, that the import only matches services already under termination protection."""
    if not cfg.protect:
        # Crossing environments needs the topic map: `replication.crossing`, from topology planning.
        return list(ip_filter_findings(cfg))
    if cfg.adopt is not None:
        return [
            ConfigIssue(
                "protect",
                "true while adopting: the import fails unless every existing service already has Aiven "
                "termination protection (the recipe's do not); adopt with protect: false, then turn it on",
            )
        ]
    return []


def check_adopt(cfg: StackConfig) -> Iterable[ConfigIssue]:
    """Adopt mode imports every resource, so it needs the ID of every integration and endpoint the
    stack declares, and no ID for one it does not declare."""
    if cfg.adopt is None:
        return
    at = "adopt.integrations"
    hint = "read it from the Terraform state: `terraform state show <resource>`, attribute integration_id"
    for key in cfg.adopt.integrations:
        if key not in cfg.mirrormakers:
            yield ConfigIssue(f"{at}.{key}", f"unknown MirrorMaker {key!r} (declared: {_names(cfg.mirrormakers)})")
    owner: dict[str, str] = {}
    for key in cfg.mirrormakers:
        attached = cfg.attached(key)
        given = cfg.adopt.integrations.get(key, {})
        for alias in sorted(attached - set(given)):
            yield ConfigIssue(
                f"{at}.{key}.{alias}",
                f"required in adopt mode: the ID of MirrorMaker {key!r}'s integration with cluster {alias!r}; {hint}",
            )
        for alias, aiven_id in given.items():
            if alias not in attached:
                yield ConfigIssue(
                    f"{at}.{key}.{alias}",
                    f"MirrorMaker {key!r} has no integration with cluster {alias!r} (it attaches: {_names(attached)})",
                )
            elif aiven_id in owner:
                yield ConfigIssue(f"{at}.{key}.{alias}", f"{aiven_id!r} is already the ID given at {owner[aiven_id]}")
            owner.setdefault(aiven_id, f"{at}.{key}.{alias}")
    external = {alias for alias, c in cfg.clusters.items() if c.external is not None}
    for alias in sorted(external - set(cfg.adopt.endpoints)):
        yield ConfigIssue(
            f"adopt.endpoints.{alias}",
            f"required in adopt mode: the ID of external cluster {alias!r}'s integration endpoint",
        )
    for alias in cfg.adopt.endpoints:
        if alias not in external:
            yield ConfigIssue(
                f"adopt.endpoints.{alias}", f"{alias!r} is not an external cluster (external: {_names(external)})"
            )


# --- loading ------------------------------------------------------------------------------------


# A mapping key written bare in a key path; any other key is quoted, so a key with a line break,
# a backtick fence or a control character cannot split an error line or forge a new one.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]+")


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif echo.has_userinfo(str(part)):
            out += "[<a key with '@': not shown>]"
        elif not _PLAIN_KEY.fullmatch(str(part)):
            out += f"[{str(part)!r}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _naming(msg: str, value: Any, what: str = "") -> str:
    # Most validators already name a string value (`echo.quoted`); say it once. A number is always
    # appended: digits in a message (a bound, an example) do not show it is the value.
    if isinstance(value, str) and (echo.quoted(value) in msg or echo.USERINFO in msg):
        return msg
    return f"{msg}, got {what}{echo.quoted(value, 80)}"


def unwrap(kind: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` to X."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (Union, types.UnionType):
            kind = next(arg for arg in get_args(kind) if arg is not type(None))
        else:
            return kind


def _kind_at(loc: tuple[int | str, ...]) -> Any:
    """The annotation of the value at `loc` in the model (None when `loc` leaves it)."""
    kind: Any = StackConfig
    for part in loc:
        kind = unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            fields = {info.alias or name: info for name, info in kind.model_fields.items()}
            if part not in fields:
                return None
            info = fields[str(part)]
            # pydantic moves a field's own `Annotated` metadata into `info.metadata`: put it back.
            kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        elif get_origin(kind) in (dict, list):
            kind = get_args(kind)[-1]  # a mapping's values, a list's items
        else:
            return None
    return kind


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model allows in the mapping at `loc` (empty when it is not a model)."""
    kind = unwrap(_kind_at(loc))
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [info.alias or name for name, info in kind.model_fields.items()]
    return []


def _key_issue(mapping: str, key: Any, msg: str) -> ConfigIssue:
    # pydantic locates a bad mapping key as (..., key, "[key]") and turns a boolean key into 1 or
    # 0: name the mapping and the key as written instead.
    if isinstance(key, bool):
        words = "yes/on/true" if key else "no/off/false"
        return ConfigIssue(
            mapping, f"key {key} is a boolean, not a name: YAML reads an unquoted {words} as one; quote the key"
        )
    if isinstance(key, (int, float)):
        return ConfigIssue(
            mapping, f"key {key!r} is a number, not a name: YAML reads unquoted digits as one; quote it: \"{key}\""
        )
    return ConfigIssue(mapping, _naming(msg, key, "key "))


def _names_a_credential(kind: Any) -> bool:
    if get_origin(kind) is Annotated and any(isinstance(m, _NamesACredential) for m in get_args(kind)[1:]):
        return True
    return any(_names_a_credential(arg) for arg in get_args(kind))


def names_a_credential(loc: tuple[int | str, ...]) -> bool:
    """Whether the value at `loc` names a `credentials` entry (a field typed `CredentialName`)."""
    return _names_a_credential(_kind_at(loc))


# An unknown key so named, or so close to a secret-holding key, may hold a secret: its value is not shown.
_SECRETISH = re.compile(r"pass|secret|token|credential|private|key$", re.IGNORECASE)


def _hides_value(loc: tuple[int | str, ...], secret: Collection[str]) -> bool:
    """Whether an error at `loc` must not show the value: under a secret key, or in a field that
    names a credential (where the secret itself is sometimes typed)."""
    if not loc:
        return False
    return str(loc[0]) in secret or names_a_credential(loc)


def _issues_from(err: ValidationError, secret: Collection[str]) -> Iterable[ConfigIssue]:
    for e in err.errors(include_url=False):
        msg: str = e["msg"]
        loc = tuple(e["loc"])
        if msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        if msg.startswith(_PREFIX):
            base = _path(loc)
            for line in msg.removeprefix(_PREFIX).splitlines():
                path, _, text = line.partition(": ")
                joined = path if not base else f"{base}{path}" if path.startswith("[") else f"{base}.{path}"
                yield ConfigIssue(joined, text)
            continue
        if e["type"] == "model_type":
            msg = "Input should be a valid dictionary"  # not pydantic's internal model name
        if e["type"] == "missing":
            yield ConfigIssue(_path(loc), "required key is missing")
        elif e["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), _known_keys(loc[:-1]), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            if _hides_value(loc, secret) or _SECRETISH.search(str(loc[-1])) or (close and _SECRETISH.search(close[0])):
                yield ConfigIssue(_path(loc), f"unknown key (a typo?), value not shown: it may be a secret{hint}")
            else:
                yield ConfigIssue(_path(loc), f"unknown key (a typo?) with value {echo.quoted(e['input'], 80)}{hint}")
        elif _hides_value(loc, secret):
            shown = msg if "value not shown" in msg else f"{msg} (value not shown: it is or may be a secret)"
            yield ConfigIssue(_path(loc), shown)
        elif loc and loc[-1] == "[key]":
            yield _key_issue(_path(loc[:-2]), e["input"], msg)
        elif isinstance(e["input"], bool) and e["type"] in ("string_type", "literal_error"):
            yield ConfigIssue(
                _path(loc),
                f"{msg}, got the boolean {e['input']!r}: YAML reads yes/no/on/off as booleans, quote it",
            )
        else:
            yield ConfigIssue(_path(loc), _naming(msg, e["input"]))


def parse(raw: Mapping[str, Any], secret_keys: Collection[str] | None = None) -> StackConfig:
    """Validate raw config (namespace keys without the prefix) into a :class:`StackConfig`.

    `secret_keys` are the namespace keys the engine holds as secrets; when given, keys that must
    be secret (`credentials`) are checked to be. Raises :class:`ConfigError` with every issue.
    """
    misplaced = list(check_secret_placement(raw, secret_keys or ()))
    if misplaced:
        # Alone: the other errors could quote the values these keys hold.
        raise ConfigError(misplaced)
    try:
        cfg = StackConfig.model_validate(dict(raw))
    except ValidationError as err:
        raise ConfigError(_issues_from(err, {*SECRET_KEYS, *(secret_keys or ())})) from None
    if secret_keys is not None and cfg.credentials and "credentials" not in secret_keys:
        raise ConfigError([_plain_credentials()])
    return cfg


def check_stack_secrets(raw: Mapping[str, Any], secret_keys: Collection[str]) -> list[ConfigIssue]:
    """What only a stack file can get wrong about secrets, checked before the rest and alone (the
    other errors could quote these values): a `secure:` value outside `credentials`, a PEM private
    key in plain text, and `credentials` in plain text. The program checks these, then hands the
    config to the component, which validates the rest as it does for any caller."""
    misplaced = list(check_secret_placement(raw, secret_keys))
    if misplaced:
        return misplaced
    if raw.get("credentials") and "credentials" not in secret_keys:
        return [_plain_credentials()]
    return []


def _plain_credentials() -> ConfigIssue:
    return ConfigIssue(
        "credentials",
        "is stored in plain text: set each entry with `pulumi config set --secret --path "
        f"'{NAMESPACE}:credentials.<name>' <value>`",
    )


#: The only top-level key that may (and must) hold secrets. Pulumi tells a program which top-level
#: keys hold a secret, never which value inside: a `secure:` value in `clusters` would make the whole
#: key, service names and topics included, one secret that no plan could show.
SECRET_KEYS: frozenset[str] = frozenset({"credentials"})


def check_secret_placement(raw: Mapping[str, Any], secret_keys: Collection[str]) -> Iterable[ConfigIssue]:
    """Secrets where a secret makes no sense: a secret key other than `credentials`, and a PEM
    private key in plain text anywhere. Neither message shows a value."""
    fields = {info.alias or name for name, info in StackConfig.model_fields.items()}
    for key in sorted(secret_keys):
        if key in fields and key not in SECRET_KEYS:
            yield ConfigIssue(
                key,
                "holds a secret (a `secure:` value) but must not be one: it names services, topics and flows "
                "that every plan shows, and Pulumi marks the whole key secret; keep secrets in "
                f"{NAMESPACE}:credentials and name the entry (external.saslPassword, external.sslClientKey, "
                "external.saslUsernameCredential)",
            )
    for key in sorted(SECRET_KEYS & raw.keys()):
        value = raw[key]
        if isinstance(value, str) and value.startswith(OFFLINE_SECRET_PREFIX):
            # The CLI decrypts one ciphertext for the whole map to its JSON; offline there is no key.
            yield ConfigIssue(
                key,
                "is one `secure:` value for the whole map, which the offline plan cannot decrypt; set each entry "
                f"as its own secret: `pulumi config set --secret --path '{NAMESPACE}:{key}.<name>' <value>`",
            )
    for key in sorted(raw):
        # `credentials` in plain text is refused on its own (see `parse`), and names no PEM key by path.
        if key not in secret_keys and key not in SECRET_KEYS:
            for at in _private_keys(raw[key], key):
                yield ConfigIssue(
                    at,
                    "holds a PEM private key in plain text (value not shown); set it with `pulumi config set "
                    f"--secret --path '{NAMESPACE}:credentials.<name>' <key>` and name the entry in "
                    "external.sslClientKey",
                )


def _is_private_key(text: str) -> bool:
    return "PRIVATE KEY-----" in text and _PEM.search(text) is not None


def _private_keys(value: Any, at: str) -> Iterator[str]:
    """Key paths of plain strings that hold a PEM private key (such a map key is named by position)."""
    if isinstance(value, str):
        if _is_private_key(value):
            yield at
    elif isinstance(value, dict):
        for i, (key, item) in enumerate(value.items()):
            name = str(key)
            if _is_private_key(name):
                name = f"<key {i + 1}>"
                yield f"{at}.{name}"
            yield from _private_keys(item, f"{at}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _private_keys(item, f"{at}[{i}]")


def json_schema() -> dict[str, Any]:
    """JSON Schema of the config namespace, for editors and docs."""
    return StackConfig.model_json_schema(by_alias=True)
