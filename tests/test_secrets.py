"""Secrets: where they live, how they travel, and that no offline plan shows one.

- The Aiven API token lives only in the provider's secret config, never in a stack file, and the
  program never reads it.
- Every value derived from a property the provider contract marks `secret` (service URIs and
  passwords today; access keys and certificates if the program ever reads them) stays a Pulumi
  secret in every resource input and stack output.
- External clusters' credentials come from secret config and reach the provider only as secrets.
- Every plan format, and every diff format, masks all of them.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import cli, echo, engine, javaregex, stackfile
from replication.engine import Registration, RunResult, Secret, Unknown
from tests.conftest import ROOT, git, run_checked
from tests.contract import contract

TOKEN_KEY = "aiven:apiToken"
STACKS: dict[str, Path] = {
    "dev": ROOT / "Pulumi.dev.yaml",
    "prod": ROOT / "Pulumi.prod.yaml",
    **{p.stem: p for p in sorted((ROOT / "examples").glob("*.yaml"))},
}
# Every YAML file of the repository that could hold config, workflows included.
YAML_FILES = sorted(
    p for p in ROOT.rglob("*.y*ml")
    if not any(part.startswith(".") and part not in (".github", ".ci") for part in p.relative_to(ROOT).parts)
    and "venv" not in p.parts
    and "hostile" not in p.relative_to(ROOT).parts  # tests/hostile: broken on purpose (test_stackfile)
)


# --- where secrets come from ------------------------------------------------------------------


def secret_properties() -> dict[str, frozenset[str]]:
    """Output properties the provider contract marks secret, by resource type."""
    return {
        token: frozenset(name for name, prop in spec.get("properties", {}).items() if prop.get("secret"))
        for token, spec in contract().resources.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def provider_secret_values(result: RunResult) -> set[str]:
    """What the provider would return, for each declared resource, in its secret properties."""
    marked = secret_properties()
    values: set[str] = set()
    for r in result.resources:
        if r.is_aiven and marked.get(r.type):
            _, outputs = engine.mock_outputs(r.type, r.name, _plain(dict(r.inputs)))
            for prop in marked[r.type] & outputs.keys():
                values.update(_strings(outputs[prop]))
    return values


def config_secret_values(stack_file: Path) -> set[str]:
    """Plain values of the secret config keys, as the offline engine decrypts them."""
    files = stackfile.load_stack_files(ROOT, "secrets", stack_file)
    values: set[str] = set()
    for key in files.secret_keys:
        text = files.config[key]
        try:
            values.update(_strings(json.loads(text)))
        except ValueError:
            values.add(text)
    return values


def plain_leaks(value: Any, secrets: set[str], at: str, in_secret: bool = False) -> Iterator[str]:
    """Key paths where a secret value (or text embedding one) appears outside a Pulumi secret."""
    if isinstance(value, Secret):
        yield from plain_leaks(value.value, secrets, at, True)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from plain_leaks(item, secrets, f"{at}.{key}", in_secret)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from plain_leaks(item, secrets, f"{at}[{i}]", in_secret)
    elif isinstance(value, str) and not in_secret and any(s in value for s in secrets):
        yield at


def secret_carriers(value: Any, secrets: set[str], in_secret: bool = False) -> int:
    """How many leaves carry a secret value inside a Pulumi secret (so the check is not vacuous)."""
    if isinstance(value, Secret):
        return secret_carriers(value.value, secrets, True)
    if isinstance(value, dict):
        return sum(secret_carriers(v, secrets, in_secret) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(secret_carriers(v, secrets, in_secret) for v in value)
    return int(in_secret and isinstance(value, str) and any(s in value for s in secrets))


def leaks_of(result: RunResult, secrets: set[str]) -> list[str]:
    leaks = [leak for key, value in result.outputs.items() for leak in plain_leaks(value, secrets, f"output {key}")]
    leaks += [leak for r in result.resources for leak in plain_leaks(dict(r.inputs), secrets, f"{r.name} input")]
    return leaks


# --- the API token ------------------------------------------------------------------------------


def test_yaml_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in YAML_FILES}
    assert {"Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "examples/migration.yaml"} <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_yaml_file_holds_the_api_token_in_plain_text(path: Path) -> None:
    text = path.read_text()
    # Any spelling of the key on a line with a plain value after it, in any document shape.
    for line in text.splitlines():
        if re.search(r"apiToken\s*:", line, re.IGNORECASE) and not line.lstrip().startswith("#"):
            value = line.split(":", 2)[-1].strip()
            assert value in ("", "{secure: ...}") or value.startswith("{secure:"), f"{path.name}: {line.strip()}"
    doc = yaml.safe_load(text)
    config = doc.get("config") if isinstance(doc, dict) else None
    if isinstance(config, dict) and TOKEN_KEY in config:
        assert isinstance(config[TOKEN_KEY], dict) and set(config[TOKEN_KEY]) == {"secure"}, path.name


def _token_mentions(source: Path) -> list[str]:
    """Code (not comments or docstrings) in `source` that names the API token."""
    return _token_mentions_text(source.read_text(), source.relative_to(ROOT).as_posix())


def _token_mentions_text(code: str, label: str) -> list[str]:
    tree = ast.parse(code)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        elif isinstance(node, (ast.Name, ast.Attribute, ast.keyword)):
            text = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "arg", None) or ""
        else:
            continue
        if re.search(r"api_?token|AIVEN_TOKEN", text, re.IGNORECASE):
            found.append(f"{label}:{getattr(node, 'lineno', '?')}: {text!r}")
    return sorted(found)


def test_the_program_never_names_the_api_token() -> None:
    sources = [ROOT / "__main__.py", *sorted((ROOT / "replication").rglob("*.py")), *sorted((ROOT / "policy").rglob("*.py"))]
    assert len(sources) > 10
    assert [m for source in sources for m in _token_mentions(source)] == [], "the provider reads the token itself"


def test_the_token_scan_sees_code_not_prose() -> None:
    code = '"""Docs may say aiven:apiToken."""\n# so may comments: apiToken\nx = cfg.require_secret("apiToken")\n'
    code += "y = pulumi_aiven.config.api_token\n"
    assert _token_mentions_text(code, "probe.py") == ["probe.py:3: 'apiToken'", "probe.py:4: 'api_token'"]


def test_the_program_never_reads_the_api_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi.config
    import pulumi.runtime.config

    stack = tmp_path / "Pulumi.secrets.yaml"
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"][TOKEN_KEY] = {"secure": "v1:not-a-real-ciphertext"}
    stack.write_text(yaml.safe_dump(doc))
    read: list[str] = []
    original = pulumi.runtime.config.get_config

    def recording(key: str) -> Any:
        read.append(key)
        return original(key)

    # Both ways in: the runtime function and the name `pulumi.Config` imported from it.
    monkeypatch.setattr(pulumi.runtime.config, "get_config", recording)
    monkeypatch.setattr(pulumi.config, "get_config", recording)
    result = run_checked("secrets", stack_file=stack)
    assert read, "the recorder saw no config reads: it is not wired in"
    assert TOKEN_KEY not in read
    token = f"offline-placeholder-for-{TOKEN_KEY}"
    assert token in stackfile.load_stack_files(ROOT, "secrets", stack).config.values()
    everything = json.dumps([*_plain([dict(r.inputs) for r in result.resources]), _plain(result.outputs)])
    assert token not in everything and not any(token in message for _, message in result.logs)


# --- provider-secret outputs --------------------------------------------------------------------


def test_the_contract_marks_service_uris_and_passwords_secret() -> None:
    marked = secret_properties()
    for token in ("aiven:index/kafka:Kafka", "aiven:index/kafkaMirrorMaker:KafkaMirrorMaker"):
        assert {"serviceUri", "servicePassword"} <= marked[token]
    assert {"accessKey", "accessCert", "password"} <= marked["aiven:index/kafkaUser:KafkaUser"]


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_provider_secrets_stay_secret_in_every_input_and_output(stack: str) -> None:
    result = run_checked(stack, stack_file=STACKS[stack])
    secrets = provider_secret_values(result)
    assert secrets, "the stack declares no resource with secret outputs: nothing was checked"
    assert leaks_of(result, secrets) == []
    managed = [r for r in result.resources if r.type == "aiven:index/kafka:Kafka"]
    if managed:
        # The service URIs are exported, so the check above saw them travel (inside a secret).
        assert secret_carriers(result.outputs, secrets) >= len(managed)
        assert isinstance(result.outputs["clusterServiceUris"], Secret)


def test_the_leak_check_fails_on_an_exported_plain_uri() -> None:
    reg = Registration(
        urn="urn:pulumi:dev::p::aiven:index/kafka:Kafka::k", type="aiven:index/kafka:Kafka", name="k", parent=None,
        custom=True, inputs={"project": "p", "serviceName": "k"}, dependencies=(), property_dependencies={},
        protect=False, delete_before_replace=False, import_id=None, aliases=(), retain_on_delete=False,
        ignore_changes=(), additional_secret_outputs=(),
    )
    result = RunResult(project="p", stack="dev", resources=[reg])
    uri = "avnadmin:mock-password@k-p.aivencloud.com:12345"
    secrets = provider_secret_values(result)
    assert uri in secrets
    result.outputs = {"uris": {"k": uri}, "host": "k-p.aivencloud.com", "safe": Secret({"k": uri})}
    assert leaks_of(result, secrets) == ["output uris.k"]
    result.outputs = {"derived": f"kafka://{uri}/", "unknown": Unknown()}
    assert leaks_of(result, secrets) == ["output derived"]


# --- external clusters' credentials -------------------------------------------------------------


def test_credentials_reach_the_endpoint_only_as_secrets() -> None:
    stack = STACKS["migration"]
    secrets = config_secret_values(stack)
    assert secrets, "the migration example holds its SASL password in secret config"
    result = run_checked("migration", stack_file=stack)
    assert leaks_of(result, secrets) == []
    [endpoint] = result.of_type("aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint")
    password = endpoint.inputs["externalKafkaUserConfig"]["saslPlainPassword"]
    assert isinstance(password, Secret) and password.value in secrets


def test_plain_text_credentials_are_refused(tmp_path: Path) -> None:
    doc = yaml.safe_load(STACKS["migration"].read_text())
    doc["config"]["aiven-kafka-replication:credentials"] = {"onprem-sasl-password": "hunter2"}
    stack = tmp_path / "Pulumi.migration.yaml"
    stack.write_text(yaml.safe_dump(doc))
    with pytest.raises(engine.ProgramError) as info:
        engine.run_program("migration", ROOT, stack_file=stack)
    assert info.value.partial is not None and info.value.partial.resources == []
    assert "aiven-kafka-replication:credentials: is stored in plain text" in str(info.value)
    assert "hunter2" not in str(info.value)


# --- the offline plan masks them all ------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(cli.FORMATS))
@pytest.mark.parametrize("stack", ["dev", "prod", "migration"])
def test_every_plan_format_masks_every_secret(stack: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_checked(stack, stack_file=STACKS[stack])
    secrets = provider_secret_values(result) | config_secret_values(STACKS[stack])
    secrets |= {s for r in result.resources for s in _strings(_plain(_secret_parts(dict(r.inputs))))}
    secrets |= {"mock-password", "offline-placeholder-for-"}
    assert cli.main(["plan", "--stack", stack, "--config", str(STACKS[stack]), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "[secret]" in out or fmt == "markdown", "the masked outputs must still be listed"
    assert [s for s in secrets if s in out] == []


def _secret_parts(value: Any) -> Any:
    # Only the values inside secrets; the rest is public.
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, dict):
        return [_secret_parts(v) for v in value.values()]
    if isinstance(value, (list, tuple)):
        return [_secret_parts(v) for v in value]
    return None


@pytest.mark.parametrize("fmt", sorted(cli.DIFF_FORMATS))
def test_every_diff_format_masks_every_secret(
    repo: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A change that replaces the endpoint holding the SASL password and adds a cluster, whose URI is secret.
    stack = repo / "examples" / "migration.yaml"
    text = stack.read_text()
    text = text.replace("endpointName: onprem-kafka", "endpointName: onprem-kafka-2")
    text = text.replace("  aiven-kafka-replication:mirrormakers:", "    spare:\n      cloud: aws-eu-central-1\n"
                        "      plan: business-4\n      ipFilter: [\"10.0.0.0/8\"]\n  aiven-kafka-replication:mirrormakers:")
    stack.write_text(text)
    git(repo, "commit", "-q", "-am", "change")
    result = run_checked("migration", program_dir=repo, stack_file=stack)
    secrets = provider_secret_values(result) | config_secret_values(stack)
    secrets |= {"mock-password", "offline-placeholder-for-"}
    argv = ["diff", "--stack", "migration", "--base", "HEAD~1", "--dir", str(repo), "--config", str(stack)]
    assert cli.main([*argv, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "onprem-kafka-2" in out and "spare" in out, "the diff must show the changed resources"
    assert [s for s in secrets if s in out] == []


@pytest.mark.parametrize("value", [
    "replicator:hunter2@kafka.example.com:9092", "https://token@idp.example.com/jwks", ["ok", "u:p@h"],
    {"nested": ["u:p@h:1"]}, {"u:p@h": 1},
])
def test_a_value_with_userinfo_is_never_quoted(value: Any) -> None:
    assert echo.has_userinfo(value)
    assert echo.quoted(value) == echo.quoted(value, 10) == (
        "[contains credentials before '@': value not shown; put the password in credentials]"
    )


def test_other_values_are_quoted_and_clipped() -> None:
    assert not echo.has_userinfo(["kafka:9092", {"a": 1}, 3])
    assert echo.quoted("kafka:9092") == "'kafka:9092'"
    assert echo.quoted("x" * 100, 20) == "'xxxxxxxxxxxxxxxx..."
    assert echo.quoted(3.5) == "3.5"


USERINFO_VALUE = "admin:hunter2@x"
MASKED = f"[{echo.USERINFO}]"


def _dev_with(edit: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    edit(doc["config"]["aiven-kafka-replication:clusters"]["source"], doc["config"])
    return doc


# REVIEW3 2: validators that quoted the value themselves printed it next to the claim it was hidden.
@pytest.mark.parametrize(("edit", "expected"), [
    (lambda c, _: c.__setitem__("kafkaVersion", USERINFO_VALUE),
     [f"clusters.source.kafkaVersion: Kafka version {MASKED} must look like \"3.8\""]),
    (lambda c, _: c["maintenanceWindow"].__setitem__("time", USERINFO_VALUE),
     [f"clusters.source.maintenanceWindow.time: time {MASKED} must be HH:MM:SS in 24-hour UTC, "
      "for example '10:00:00'"]),
    (lambda c, _: c["topics"].__setitem__(USERINFO_VALUE, {"partitions": 1}),
     [f"clusters.source.topics: topic name {MASKED} may only contain ASCII letters, digits, '.', '_' and '-' "
      "(at most 249 characters)",
      "clusters.source.topics[<a key with '@': not shown>].replication: required key is missing"]),
    (lambda c, _: c.__setitem__("knownTopics", [USERINFO_VALUE]),
     [f"clusters.source.knownTopics[0]: topic name {MASKED} may only contain ASCII letters, digits, '.', '_' "
      "and '-' (at most 249 characters)"]),
    (lambda _, cfg: cfg["aiven-kafka-replication:flows"][0].__setitem__(
        "configPropertiesExclude", [USERINFO_VALUE + "("]),
     [f"flows[0].configPropertiesExclude[0]: invalid regular expression {MASKED}: "
      "missing ), unterminated subpattern at position 15"]),
    (lambda _, cfg: cfg["aiven-kafka-replication:flows"][0].__setitem__("topicsExclude", ["*" + USERINFO_VALUE]),
     [f"flows[0].topicsExclude[0]: {MASKED} is a glob, not a regular expression: any characters is '.*', "
      f"as in {MASKED}"]),
])
def test_a_validator_never_quotes_a_value_with_userinfo(
    edit: Any, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(_dev_with(edit)))
    assert cli.main(["plan", "--stack", "dev", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    assert "hunter2" not in captured.out + captured.err
    assert captured.err.splitlines() == [f"error: stack.yaml: aiven-kafka-replication:{line}" for line in expected]


def test_java_regex_errors_never_quote_a_pattern_with_userinfo() -> None:
    for bad in (USERINFO_VALUE + "\\", USERINFO_VALUE + "("):
        with pytest.raises(ValueError) as info:
            javaregex.compile_joined([bad])
        assert "hunter2" not in str(info.value) and str(info.value).count(MASKED) == 1
    with pytest.raises(ValueError, match=r"^Java regex \[contains credentials"):
        javaregex.java_regex_to_python(USERINFO_VALUE + "\\")
    with pytest.raises(ValueError) as joined:
        javaregex.compile_joined([f"(?<n>{USERINFO_VALUE})", "(?<n>b)"])
    assert str(joined.value).startswith(f"patterns {MASKED} and '(?<n>b)' cannot be joined")
