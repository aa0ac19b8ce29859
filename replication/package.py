"""The component package: the public component, hosted for TypeScript, Go, C#, Java and YAML programs.

`pulumi package add` runs `provider/__main__.py`, which serves :class:`ReplicationProvider`. Its
schema is inferred from the component's annotations by Pulumi's analyzer, offline, so the
committed copy (`schema/package.json`) is regenerated with `python -m replication.package` and a
test keeps it in step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pulumi import ResourceOptions
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails
from pulumi.output import Inputs
from pulumi.provider import ConstructResult
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from replication import config
from replication.argsgen import write_or_check
from replication.components.replication import InvalidArgs, Replication

NAME = config.NAMESPACE
VERSION = "0.1.0"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "package.json"
#: The component's type token, as programs in other languages name it.
TOKEN = f"{NAME}:index:Replication"


class ReplicationProvider(ComponentProvider):
    """Pulumi's component provider for :class:`Replication`, reporting invalid Args as input errors.

    The stock provider reports any exception from a component with its Python traceback; invalid
    Args are the caller's mistake, so they become one error per key path, worded as for a stack file.
    """

    def __init__(self) -> None:
        super().__init__([Replication], NAME, None, VERSION)

    def construct(
        self, name: str, resource_type: str, inputs: Inputs, options: ResourceOptions | None = None
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, _whole_numbers(inputs), options)
        except ComponentInitError as err:
            if not isinstance(err.inner, InvalidArgs):
                raise
            error = err.inner.error
            details: list[InputPropertyErrorDetails] = [
                {"property_path": issue.path, "reason": issue.message}
                for issue in (error.issues if isinstance(error, config.ConfigError) else ())
            ]
            raise InputPropertiesError(str(err.inner), details or None) from None


def _whole_numbers(value: Any) -> Any:
    """Whole floats as ints, through maps and lists. The wire has one number type, so `70000`
    arrives as `70000.0`; the provider converts the schema's integer properties, but not those in
    the pass-through blocks (`kafka`, topic `config`, ...), which the strict config model checks."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def schema() -> dict[str, Any]:
    """The package schema, exactly as the provider serves it."""
    text = ReplicationProvider().schema
    assert text is not None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_text() -> str:
    """The committed form of :func:`schema`."""
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def engine_arguments(args: list[str]) -> list[str]:
    """The plugin's arguments without `--tracing <endpoint>`.

    The engine passes `[--logtostderr] [-v=N] [--tracing <endpoint>] <engine address>` (pulumi/pulumi
    pkg/resource/plugin/plugin.go, buildPluginArguments); the SDK's parser does not know `--tracing`,
    so it would take the endpoint for the engine's address, and every log call would fail.
    """
    kept: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--tracing":
            next(rest, None)  # its endpoint
        else:
            kept.append(arg)
    return kept


def serve(args: list[str]) -> None:
    """Run the provider: what `pulumi package add` and every program using the package start."""
    from pulumi.provider import main

    # The SDK's main parses sys.argv, not its `args`.
    sys.argv[1:] = engine_arguments(args)
    main(ReplicationProvider(), sys.argv[1:])


def main() -> int:
    """Rewrite `schema/package.json`, or with `--check` only say whether it is stale."""
    return write_or_check(SCHEMA_PATH, schema_text(), "python -m replication.package")


if __name__ == "__main__":
    sys.exit(main())
