"""The offline engine: run the real program for a stack under Pulumi's in-process mock engine.

No CLI, no token, no network. It reads `Pulumi.<stack>.yaml` the way the CLI would (with
:mod:`replication.stackfile`), runs
`__main__.py` with `runpy`, and records every registration the program makes: type, name,
parent, inputs (secrets kept marked), dependencies and resource options. The plan command and the
tests both use it, so what the tests prove is what reviewers see.

Mocked outputs follow the provider: IDs use the provider's import-ID formats, and the outputs
the provider marks secret (service URIs, passwords) come back as secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import runpy
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2

from replication.plandoc import Registration as Registration
from replication.plandoc import RunResult as RunResult
from replication.plandoc import Secret as Secret
from replication.plandoc import Unknown as Unknown
from replication.plandoc import make_urn as make_urn
from replication.stackfile import StackFileError, encode, safe_name

# Re-exported: callers read stack files through the engine too.
from replication.stackfile import StackFiles as StackFiles
from replication.stackfile import load_stack_files as load_stack_files

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Pulumi's wire markers (sdk/python/lib/pulumi/runtime/rpc.py).
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class ProgramError(Exception):
    """The program stopped with an error a user must fix (config or topology), not a crash."""

    def __init__(self, message: str, partial: RunResult | None = None) -> None:
        super().__init__(message)
        self.partial = partial
        """What was registered before the program stopped (nothing, for config errors)."""


# --- the mock engine --------------------------------------------------------------------------


def _from_wire(value: Any) -> Any:
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            return Secret(_from_wire(value.get("value")))
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        return {k: _from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_wire(v) for v in value]
    if value == _UNKNOWN:
        return Unknown()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf's Struct carries every number as a double
    return value


def _struct_to_python(struct: Any) -> dict[str, Any]:
    plain: dict[str, Any] = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    return {k: _from_wire(v) for k, v in plain.items()}


def mock_outputs(token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """ID and outputs the provider would report for a resource, derived from its inputs."""
    project = inputs.get("project", "project")
    service = inputs.get("serviceName", name)
    outputs = dict(inputs)
    fake_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{token}/{name}"))
    kind = token.rsplit(":", 1)[-1]
    if kind in ("Kafka", "KafkaMirrorMaker"):
        host = f"{service}-{project}.aivencloud.com"
        outputs.update(
            serviceHost=host,
            servicePort=12345,
            serviceUsername="avnadmin",
            servicePassword="mock-password",
            serviceUri=f"avnadmin:mock-password@{host}:12345",
            state="RUNNING",
        )
        return f"{project}/{service}", outputs
    if kind == "KafkaTopic":
        return f"{project}/{service}/{inputs.get('topicName')}", outputs
    if kind == "ServiceIntegration":
        outputs["integrationId"] = fake_uuid
        return f"{project}/{fake_uuid}", outputs
    if kind == "ServiceIntegrationEndpoint":
        return f"{project}/{fake_uuid}", outputs
    if kind == "KafkaUser":
        # Aiven generates the password when none is given, and issues a client key and certificate.
        if not outputs.get("password"):
            outputs["password"] = f"mock-password-{fake_uuid}"
        outputs.update(
            accessKey=f"mock-access-key-{fake_uuid}", accessCert=f"mock-access-cert-{fake_uuid}", type="normal"
        )
        return f"{project}/{service}/{inputs.get('username')}", outputs
    if kind == "KafkaAcl":
        outputs["aclId"] = f"acl{fake_uuid[:13]}"
        return f"{project}/{service}/{outputs['aclId']}", outputs
    if kind == "MirrorMakerReplicationFlow":
        return f"{project}/{service}/{inputs.get('sourceCluster')}/{inputs.get('targetCluster')}", outputs
    return f"{name}-id", outputs


#: Pulumi's log severities (engine.proto LogSeverity), as the run result names them.
LOG_LEVELS = {0: "debug", 1: "info", 2: "warning", 3: "error"}


def recording_monitor(stack: str, project: str, result: RunResult) -> Any:
    """Pulumi's mock resource monitor, recording each registration into `result` and answering
    with :func:`mock_outputs`. The offline engine runs programs against it; the plugin tests put
    it behind a gRPC server, as the monitor of the provider process."""
    import pulumi
    from pulumi.runtime import mocks

    class _Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            return mock_outputs(args.typ, args.name, args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
            return {}, None

    class _RecordingMonitor(mocks.MockMonitor):
        # The stock mock monitor drops dependencies and options; record the whole request.
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            return make_urn(stack, project, parent or None, type_, name)

        def RegisterResource(self, request: Any) -> Any:
            if request.type != "pulumi:pulumi:Stack":
                urn = self.make_urn(request.parent, request.type, request.name)
                result.resources.append(
                    Registration(
                        urn=urn,
                        type=request.type,
                        name=request.name,
                        parent=request.parent or None,
                        custom=request.custom,
                        inputs=_struct_to_python(request.object),
                        # Sets to Pulumi, sorted here: the SDK's order follows the process's hash seed.
                        dependencies=tuple(sorted(request.dependencies)),
                        property_dependencies={
                            k: tuple(sorted(v.urns)) for k, v in request.propertyDependencies.items()
                        },
                        protect=request.protect,
                        delete_before_replace=request.deleteBeforeReplace,
                        import_id=request.importId or None,
                        aliases=tuple(str(a) for a in request.aliasURNs)
                        + tuple(json_format.MessageToJson(a, indent=None) for a in request.aliases),
                        retain_on_delete=request.retainOnDelete,
                        ignore_changes=tuple(request.ignoreChanges),
                        additional_secret_outputs=tuple(request.additionalSecretOutputs),
                    )
                )
                response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
                # Like the engine: outputs the provider marks secret come back as secrets.
                for key in request.additionalSecretOutputs:
                    if key in response.object.fields:
                        wrapped = struct_pb2.Value()
                        wrapped.struct_value.fields[_SIG].string_value = _SECRET_SIG
                        wrapped.struct_value.fields["value"].CopyFrom(response.object.fields[key])
                        response.object.fields[key].CopyFrom(wrapped)
                return response
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    return _RecordingMonitor(_Mocks())


def _run(files: StackFiles, stack: str, result: RunResult, main: Path) -> None:
    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime import stack as runtime_stack
    from pulumi.runtime.config import set_all_config

    class _Engine(mocks.MockEngine):
        def Log(self, request: Any) -> None:
            result.logs.append((LOG_LEVELS.get(request.severity, "info"), request.message))

    set_all_config(files.config, files.secret_keys)
    monitor = recording_monitor(stack, files.project, result)
    pulumi.runtime.set_mocks(monitor.mocks, project=files.project, stack=stack, preview=False, monitor=monitor)
    settings.SETTINGS.engine = _Engine(None)

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    loop = asyncio.get_event_loop()
    loop.run_until_complete(runtime_stack.run_pulumi_func(program))

    root = settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})

    async def resolve(value: Any) -> Any:
        out = pulumi.Output.from_input(value)
        known = await out.is_known()
        raw = await out.future(with_unknowns=True) if known else Unknown()
        return Secret(raw) if await out.is_secret() else raw

    for key, value in exported.items():
        # Plain data (the topic map) is taken as is: Output.from_input would wrap every element in
        # an Output of its own, a tenth of a 10,000-resource plan spent on one export.
        result.outputs[key] = value if _plain(value) else loop.run_until_complete(resolve(value))


def _plain(value: Any) -> bool:
    """Whether a value is JSON-like data with no Output or awaitable anywhere inside."""
    # A loop with exact-type shortcuts, not recursion: the failover map holds 80 values per topic.
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or kind is float or item is None:
            continue
        if kind is list or (kind is not dict and isinstance(item, list)):
            pending.extend(item)
        elif isinstance(item, dict):
            for key in item:
                if type(key) is not str and not isinstance(key, str):
                    return False
            pending.extend(item.values())
        elif not isinstance(item, str | int | float | bool):
            return False
    return True


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run with the cyclic garbage collector mostly out of the way, then restore it.

    Each registration allocates hundreds of short-lived tasks, futures and Outputs, so at
    CPython's default thresholds the collector ran every few resources and full collections
    rescanned every object the Pulumi and Aiven SDKs loaded: 40% of a 1,200-resource plan.
    Objects alive before the run are frozen (never scanned) and collections come less often.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_program(
    stack: str,
    program_dir: Path = PROJECT_ROOT,
    *,
    stack_file: Path | None = None,
    config_overrides: Mapping[str, Any] | None = None,
) -> RunResult:
    """Run the program in `program_dir` for `stack` under mocks, and return what it registered.

    `config_overrides` replace namespace keys (without the `aiven-kafka-replication:` prefix),
    for tests. Raises :class:`ProgramError` when the program stops on a user error.
    """
    import pulumi

    try:
        # Composing a large file allocates a node per value and none is garbage: collections there
        # only rescan what is alive (a 1 MiB file of tiny values spent most of its time in them).
        with _fewer_collections():
            files = load_stack_files(program_dir, stack, stack_file)
    except StackFileError as err:
        # Stopped before the program ran: nothing is declared.
        partial = RunResult(project=err.project, stack=stack) if err.project else None
        raise ProgramError(str(err), partial) from None
    for key, value in (config_overrides or {}).items():
        full = f"{files.project}:{key}"
        if value is None:
            files.config.pop(full, None)
        else:
            files.config[full] = encode(value)
    result = RunResult(project=files.project, stack=stack)
    main = program_dir / "__main__.py"

    def isolated() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        added = str(program_dir) not in sys.path
        if added:
            sys.path.insert(0, str(program_dir))
        try:
            _run(files, stack, result, main)
        finally:
            loop.close()
            asyncio.set_event_loop(None)
            if added:
                sys.path.remove(str(program_dir))

    # A fresh context per run: Pulumi keeps settings, config and the root stack in ContextVars.
    try:
        with _fewer_collections():
            contextvars.copy_context().run(isolated)
    except pulumi.RunError as err:
        # The program's errors are config errors, one line per issue: each names the file.
        name = safe_name((stack_file or program_dir / f"Pulumi.{stack}.yaml").name)
        lines = str(err).splitlines() or ["the program stopped"]
        raise ProgramError("\n".join(f"{name}: {line}" for line in lines), result) from None
    return result

