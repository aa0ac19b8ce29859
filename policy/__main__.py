"""The policy pack the Pulumi CLI runs: `pulumi preview --policy-pack policy`.

Thin adapters only: each rule of `rules.py` becomes a pulumi_policy policy. The CLI runs this file
as a script with this directory on `sys.path`; the tests import it as `policy.__main__`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

try:
    from policy import rules
except ImportError:  # run by the CLI as a script: this directory is on sys.path
    import rules  # type: ignore[no-redef, import-not-found]

NAME = "aiven-kafka-replication"
LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def plain(value: Any) -> Any:
    """Policy props as plain values: unknowns (which raise on access) become `rules.UNKNOWN`."""
    if isinstance(value, Mapping):
        return {key: _item(value, key) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_item(value, i) for i in range(len(value))]
    return value


def _item(container: Any, key: Any) -> Any:
    try:
        return plain(container[key])
    except UnknownValueError:
        return rules.UNKNOWN


def from_args(args: ResourceValidationArgs) -> rules.Resource:
    """The resource a resource-level policy is asked about."""
    return rules.Resource(args.urn, args.resource_type, plain(args.props), bool(args.opts.protect))


def from_stack(resource: PolicyResource) -> rules.Resource:
    """A resource of the stack, with its property dependencies as URNs."""
    deps = {key: [d.urn for d in found] for key, found in resource.property_dependencies.items()}
    return rules.Resource(
        resource.urn, resource.resource_type, plain(resource.props), bool(resource.opts.protect), deps
    )


def _report(violations: list[rules.Violation], report: ReportViolation, *, with_urn: bool) -> None:
    for v in violations:
        report(v.message, v.urn if with_urn else None)


def to_policy(rule: rules.Rule) -> Policy:
    """A rule as a pulumi_policy policy."""
    common: dict[str, Any] = {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": LEVELS[rule.enforcement],
        "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config.items()})
        if rule.config
        else None,
    }
    if rule.scope == "stack":

        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            resources = [from_stack(r) for r in args.resources]
            _report(rule.check(resources, args.get_config()), report, with_urn=True)

        return StackValidationPolicy(validate=validate_stack, **common)

    def validate_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
        _report(rule.check([from_args(args)], args.get_config()), report, with_urn=False)

    return ResourceValidationPolicy(validate=validate_resource, **common)


def policies() -> list[Policy]:
    """Every rule as a policy."""
    return [to_policy(rule) for rule in rules.RULES]


if __name__ == "__main__":
    # Serves the policies to the CLI until it exits.
    PolicyPack(name=NAME, policies=policies(), description="Data-safety rules for Kafka replication on Aiven")
