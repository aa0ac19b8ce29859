"""The provider plugin as the Pulumi engine runs it: its own process, spoken to over gRPC.

How Pulumi runs `provider/` (PulumiPlugin.yaml: runtime python, toolchain pip, virtualenv .venv), read
in pulumi/pulumi at 1b594989 (3.259, the newest source at hand; the plugin side, `pulumi.provider.main`,
in the pinned 3.272.0): `pkg/resource/plugin/provider_plugin.go` and `plugin.go` (`newPlugin`,
`ExecPlugin`), `sdk/python/cmd/pulumi-language-python/main.go` (`RunPlugin`) and
`sdk/python/toolchain/pip.go`:

- command: `<provider>/.venv/bin/python <absolute provider dir> [--logtostderr] [-v=N] [--tracing URL]
  <engine address>` (a directory with `__main__.py` runs as a script: no `-u`, no `-m`), with the
  virtualenv activated (`VIRTUAL_ENV`, `PATH`) and the rest of the CLI's environment;
- working directory: the Pulumi program's (the CLI's), not the plugin's;
- the first line of stdout is the port; the engine dials 127.0.0.1:<port>, calls `Handshake` (an
  unimplemented one is fine), then `GetSchema` / `Configure`, and `Construct` with the address of its
  resource monitor, where the component registers its children;
- at stop the plugin is interrupted (SIGINT) or killed: either must do.

This test does the engine's part: the same command line from another directory, a fake engine and
resource monitor over gRPC, and the program's own registrations (under mocks) to compare with.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs in the dev lock
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    errors_pb2,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
    status_pb2,
)
from pulumi.runtime.rpc import _special_output_value_sig, _special_sig_key

from replication import config, engine, package
from replication.engine import RunResult, Unknown, make_urn
from replication.program import _parse_value as parse_config_value
from tests.conftest import ROOT, run_checked
from tests.test_package import SENDABLE, STACKS, _catalog_config, _registrations, _said

PLUGIN_DIR = ROOT / "provider"
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]


class FakeEngine(engine_pb2_grpc.EngineServicer, resource_pb2_grpc.ResourceMonitorServicer):
    """The engine's two services a component provider calls back: the log, and the resource monitor.

    The monitor is the offline engine's (`engine.recording_monitor`), so registrations are recorded,
    and answered, exactly as for the program run in-process."""

    def __init__(self) -> None:
        self.result = RunResult(project=PROJECT, stack="")
        self.monitor: Any = None
        self.preview = False
        self.lock = threading.Lock()

    def begin(self, stack: str, *, preview: bool = False) -> RunResult:
        """A fresh recording for the next Construct."""
        self.preview = preview
        self.result = RunResult(project=PROJECT, stack=stack)
        self.monitor = engine.recording_monitor(stack, PROJECT, self.result)
        return self.result

    # Engine
    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        self.result.logs.append((engine.LOG_LEVELS.get(request.severity, "info"), request.message))
        return empty_pb2.Empty()

    # ResourceMonitor: the features the real engine advertises (pkg/resource/deploy/source_eval.go,
    # supportedMonitorFeatures): all but state migrations, which it offers only when asked to.
    def GetDeploymentInfo(self, request: empty_pb2.Empty, context: Any) -> resource_pb2.DeploymentInfo:
        features = [v for k, v in resource_pb2.ResourceMonitorFeature.items() if k != "RESOURCE_MONITOR_FEATURE_STATE_MIGRATIONS"]
        return resource_pb2.DeploymentInfo(
            project=PROJECT, stack=self.result.stack, dryRun=self.preview, supportedFeatures=features
        )

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest, context: Any
    ) -> resource_pb2.RegisterResourceResponse:
        with self.lock:  # the mock monitor keeps its state unguarded
            response: resource_pb2.RegisterResourceResponse = self.monitor.RegisterResource(request)
            return response

    def RegisterResourceOutputs(
        self, request: resource_pb2.RegisterResourceOutputsRequest, context: Any
    ) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def Invoke(
        self, request: resource_pb2.ResourceInvokeRequest, context: Any
    ) -> resource_pb2.ResourceInvokeResponse:
        with self.lock:
            response: resource_pb2.ResourceInvokeResponse = self.monitor.Invoke(request)
            return response


@dataclasses.dataclass
class Plugin:
    """The provider process, and a client as the engine holds one."""

    process: subprocess.Popen[bytes]
    client: provider_pb2_grpc.ResourceProviderStub
    engine: FakeEngine
    address: str
    stderr: Path


def plugin_command(engine_args: list[str]) -> list[str]:
    """The language host's command line: the venv's python, the plugin directory, the engine's arguments."""
    return [sys.executable, str(PLUGIN_DIR), *engine_args]


def plugin_env() -> dict[str, str]:
    """The CLI's environment with the virtualenv activated (toolchain.ActivateVirtualEnv), and nothing
    that would let the plugin find the repository's code other than by itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    env["VIRTUAL_ENV"] = sys.prefix
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@contextlib.contextmanager
def running_plugin(workdir: Path, flags: tuple[str, ...] = ()) -> Iterator[Plugin]:
    """Start the plugin as the engine does, with `flags` before the engine address, and stop it as the
    engine does; it must exit cleanly."""
    fake = FakeEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(fake, server)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(fake, server)
    address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    stderr = workdir / "plugin.stderr"
    with stderr.open("wb") as err:
        command = plugin_command([*flags, address])
        process = subprocess.Popen(command, cwd=workdir, env=plugin_env(), stdout=subprocess.PIPE, stderr=err)
    assert process.stdout is not None
    # A safety net for a plugin that hangs before it prints its port, not a timing check.
    ready, _, _ = select.select([process.stdout], [], [], 300)
    first = process.stdout.readline() if ready else b""
    # Like the engine, keep reading stdout after the port, so the plugin never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}") if first.strip().isdigit() else None
    try:
        assert channel is not None, f"no port on stdout: {first!r}\n{stderr.read_text()}"
        yield Plugin(process, provider_pb2_grpc.ResourceProviderStub(channel), fake, address, stderr)
    finally:
        if channel is not None:
            channel.close()
        process.send_signal(signal.SIGINT)  # as the engine stops a plugin it runs itself
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        finally:
            server.stop(None)
    assert code == 0, stderr.read_text()


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    # The working directory is the program's (where the CLI runs), not the plugin's.
    with running_plugin(tmp_path_factory.mktemp("program")) as started:
        yield started


def _pip_requirements(path: Path) -> list[Any]:
    """A requirements file as pip reads it, nested files included."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    return list(parse_requirements(str(path), session=PipSession()))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pip's own use of pkg_resources
def test_plugin_installs_the_hashed_lock() -> None:
    # The pip toolchain runs `python -m pip install -r requirements.txt` in the plugin directory
    # (toolchain/pip.go, InstallDependencies); pip resolves the nested `-r` from the file's directory.
    assert yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text())["runtime"] == {
        "name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}
    }
    installed = _pip_requirements(PLUGIN_DIR / "requirements.txt")
    assert {r.requirement.strip() for r in installed} == {r.requirement.strip() for r in _pip_requirements(ROOT / "requirements.lock")}
    assert {"pulumi==3.272.0", "pulumi-aiven==6.62.0"} <= {r.requirement.strip() for r in installed}
    # Hashes on every requirement: pip checks them all (hash-checking mode), as the deploy does.
    assert all(r.options and r.options.get("hashes") for r in installed)


def test_plugin_answers_the_engines_handshake(plugin: Plugin) -> None:
    request = provider_pb2.ProviderHandshakeRequest(engine_address=plugin.address, root_directory=str(PLUGIN_DIR))
    try:
        plugin.client.Handshake(request, timeout=60)
    except grpc.RpcError as err:
        # The engine falls back to the older protocol when a provider does not implement Handshake.
        assert err.code() == grpc.StatusCode.UNIMPLEMENTED, err
    info = plugin.client.GetPluginInfo(empty_pb2.Empty(), timeout=60)
    assert info.version == package.VERSION
    configured = plugin.client.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True, acceptResources=True), timeout=60)
    # So the engine sends secrets and outputs as such, as `wire_inputs` does.
    assert (configured.acceptSecrets, configured.acceptResources, configured.acceptOutputs) == (True, True, True)


def test_plugin_serves_the_committed_schema(plugin: Plugin) -> None:
    response = plugin.client.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
    assert json.loads(response.schema) == json.loads(package.SCHEMA_PATH.read_text())


# --- Construct ----------------------------------------------------------------------------------


def output_value(value: Any, *, secret: bool = False) -> dict[str, Any]:
    """An output value on the wire: how the engine passes every secret and output to Construct."""
    return {_special_sig_key: _special_output_value_sig, "value": value} | ({"secret": True} if secret else {})


def wire_inputs(raw: dict[str, Any], *, project_output: bool = False) -> struct_pb2.Struct:
    """Stack config as the engine sends it to Construct for a YAML or TypeScript program. The engine's
    monitor holds every secret or output input as an output value (pkg/resource/deploy/source_eval.go,
    RegisterResource: UpgradeToOutputValues) and Construct keeps them (provider_plugin.go:
    KeepOutputValues), so credential values are secret output values, and so is the project when it is
    another resource's output. Numbers become doubles."""
    inputs = dict(raw)
    if "credentials" in raw:
        inputs["credentials"] = {name: output_value(value, secret=True) for name, value in raw["credentials"].items()}
    if project_output:
        inputs["project"] = output_value(raw["project"])
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return struct


def program_config(stack: str) -> dict[str, Any]:
    """The stack's namespace as the program reads it (encrypted values as the offline engine's stand-ins)."""
    files = engine.load_stack_files(ROOT, stack, STACKS[stack])
    prefix = f"{config.NAMESPACE}:"
    return {k.removeprefix(prefix): parse_config_value(v) for k, v in files.config.items() if k.startswith(prefix)}


def construct(
    plugin: Plugin, stack: str, inputs: struct_pb2.Struct, *, preview: bool = False
) -> tuple[RunResult, provider_pb2.ConstructResponse]:
    """Construct the component as the root resource's child, as a program in another language does."""
    result = plugin.engine.begin(stack, preview=preview)
    request = provider_pb2.ConstructRequest(
        project=PROJECT,
        stack=stack,
        dryRun=preview,
        monitorEndpoint=plugin.address,
        type=package.TOKEN,
        name="replication",
        parent=make_urn(stack, PROJECT, None, "pulumi:pulumi:Stack", f"{PROJECT}-{stack}"),
        inputs=inputs,
    )
    return result, plugin.client.Construct(request, timeout=120)


HOSTED = [("dev", False), ("prod", False), ("migration", True)]


@pytest.mark.parametrize(("stack", "project_output"), HOSTED, ids=[s for s, _ in HOSTED])
def test_construct_registers_what_the_program_does(plugin: Plugin, stack: str, project_output: bool) -> None:
    program = run_checked(stack, stack_file=STACKS[stack])
    hosted, response = construct(plugin, stack, wire_inputs(program_config(stack), project_output=project_output))
    assert response.urn == make_urn(stack, PROJECT, program.resources[0].parent, package.TOKEN, "replication")
    assert _registrations(hosted) == _registrations(program)
    assert sorted(_said(hosted)) == sorted(_said(program))  # each log line is an RPC of its own
    state = engine._struct_to_python(response.state)
    assert {k: v for k, v in state.items() if k in program.outputs} == program.outputs
    assert set(state) == set(package.schema()["resources"][package.TOKEN]["properties"])


def test_preview_with_the_project_unknown_declares_what_up_does(plugin: Plugin) -> None:
    # `pulumi preview` of a program creating its Aiven project: the engine sends the project as an
    # output value without a value (unknown), with the project resource as its dependency.
    raw = program_config("dev")
    project_urn = make_urn("dev", PROJECT, None, "aiven:index/project:Project", "project")
    inputs = wire_inputs(raw)
    inputs["project"] = {_special_sig_key: _special_output_value_sig, "dependencies": [project_urn]}
    hosted, _ = construct(plugin, "dev", inputs, preview=True)
    program = run_checked("dev", stack_file=STACKS["dev"])
    assert {r.urn: (r.type, r.parent) for r in hosted.resources} == {r.urn: (r.type, r.parent) for r in program.resources}
    with_project = [r for r in hosted.resources if r.custom and "project" in r.inputs]
    assert with_project and all(isinstance(r.inputs["project"], Unknown) for r in with_project)
    assert all(project_urn in r.property_dependencies.get("project", ()) for r in with_project)


def _status(err: grpc.RpcError) -> tuple[str, list[tuple[str, str]]]:
    """The message and input errors of a refused Construct, as the engine reads them."""
    details: list[tuple[str, str]] = []
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for any_ in status.details:
                errors = errors_pb2.InputPropertiesError()
                assert any_.Unpack(errors)
                details += [(e.property_path, e.reason) for e in errors.errors]
    return err.details() or "", details


# A few of the catalog's cases (all of them are sent in-process by tests/test_package.py): a key,
# a value of the wrong type, a cross-reference, a duplicate and a Java pattern.
BAD_IDS = ("flow-unknown-source", "yaml-flow-source-no", "topic-config-number-as-words", "duplicate-flow", "regex-python-named-group")
BAD = [c for c in SENDABLE if c.id in BAD_IDS]


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_construct_refuses_bad_args_with_the_programs_lines(plugin: Plugin, case: Any) -> None:
    with pytest.raises(grpc.RpcError) as info:
        construct(plugin, "dev", wire_inputs(_catalog_config(case)))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    message, details = _status(info.value)
    header, *lines = message.splitlines()
    assert header == "invalid Replication args:"
    assert tuple(lines) == case.errors
    assert [f"{config.NAMESPACE}:{path}: {reason}" for path, reason in details] in ([], lines)
    assert "Traceback" not in message and 'File "' not in message
    assert plugin.engine.result.resources == [], "nothing is declared for bad args"


def test_bad_cases_are_in_the_catalog() -> None:
    assert [c.id for c in BAD] == sorted(BAD_IDS, key=[c.id for c in SENDABLE].index)


def test_plugin_survives_refused_constructs(plugin: Plugin) -> None:
    # One provider process serves every component of a program, so a refusal must leave it usable.
    test_construct_refuses_bad_args_with_the_programs_lines(plugin, BAD[0])
    hosted, _ = construct(plugin, "dev", wire_inputs(program_config("dev")))
    assert _registrations(hosted) == _registrations(run_checked("dev", stack_file=STACKS["dev"]))


def test_plugin_takes_the_engine_address_whatever_the_flags_before_it(tmp_path: Path) -> None:
    # `pulumi --logflow -v=9 --tracing file:up.trace up` starts plugins so (plugin.go:
    # buildPluginArguments); Pulumi's own parser would take the tracing endpoint for the engine's address.
    flags = ("--logtostderr", "-v=9", "--tracing", "127.0.0.1:9")
    with running_plugin(tmp_path, flags) as started:
        hosted, _ = construct(started, "dev", wire_inputs(program_config("dev")))
        assert hosted.logs, "the warnings reach the engine"
        assert sorted(_said(hosted)) == sorted(_said(run_checked("dev", stack_file=STACKS["dev"])))


def test_the_offline_engine_reads_the_wire_markers_the_sdk_writes() -> None:
    # The fake engine records with replication/engine.py, which spells Pulumi's markers itself.
    from pulumi.runtime import rpc

    ours = (engine._SIG, engine._SECRET_SIG, engine._RESOURCE_SIG, engine._UNKNOWN)
    assert ours == (rpc._special_sig_key, rpc._special_secret_sig, rpc._special_resource_sig, rpc.UNKNOWN)
