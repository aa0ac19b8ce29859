"""No secret from any stack of a corpus reaches any output, any error or any log.

The corpus: every committed stack and example; each with a `secure:` value in place of every value
it holds, one at a time; passwords, numbers and PEM keys typed where a credential *name* belongs;
PEM private keys pasted into plain fields; secret-looking values under misspelt keys; and stacks
that keep secrets right (`credentials`, a secret SASL user name). Every plain-text secret contains
`MARK`; every `secure:` value is a ciphertext containing it, which the offline engine replaces by a
placeholder. `plan` runs in every format, `diff` in every format that can apply, and the program's
errors and logs are read: none may contain the mark, the placeholder, the mock password or any part
of a PEM private key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import cli, config, engine, program
from replication.engine import Secret
from tests.conftest import ROOT, git, project_repo

NS = config.NAMESPACE
MARK = "Zq7x-SECRETMARK"
NUMBER = 9182736450  # a numeric password
PEM = f"-----BEGIN PRIVATE KEY-----\n{MARK}MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
# What must never be printed: the mark (plain secrets and ciphertexts), the offline placeholder,
# the mock service password, a numeric password, and any piece of a PEM key.
FORBIDDEN = (MARK, "offline-placeholder-for-", "mock-password", str(NUMBER), "PRIVATE KEY", "-----BEGIN PRIVATE")

COMMITTED: dict[str, Path] = {
    "dev": ROOT / "Pulumi.dev.yaml",
    "prod": ROOT / "Pulumi.prod.yaml",
    **{f"example-{p.stem}": p for p in sorted((ROOT / "examples").glob("*.yaml"))},
}


def _doc(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


def _secure(n: int | str) -> dict[str, str]:
    return {"secure": f"v1:{MARK}-ciphertext-{n}"}


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every value (scalars, and maps and lists as a whole) below `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*path, i)
            yield from _leaves(item, (*path, i))


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out["config"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def _external(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The migration example with its external cluster's keys changed (None removes a key)."""
    out = copy.deepcopy(doc)
    ext = out["config"][f"{NS}:clusters"]["onprem"]["external"]
    for key, value in changes.items():
        if value is None:
            ext.pop(key, None)
        else:
            ext[key] = value
    return out


def _tls(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    tls = {"securityProtocol": "SSL", "saslMechanism": None, "saslUsername": None, "saslPassword": None,
           "sslClientCert": cert}
    return _external(doc, **{**tls, **changes})


def _secure_everywhere(name: str, doc: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str | None]]:
    """A `secure:` value in place of each value of the stack, one at a time, with the key it must
    be refused at (None: accepted, inside `credentials`)."""
    out: dict[str, tuple[dict[str, Any], str | None]] = {}
    for n, path in enumerate(_leaves(doc["config"])):
        top = str(path[0])
        if not top.startswith(f"{NS}:"):
            continue
        # Inside `credentials` a secret belongs; the whole map as one ciphertext is not decrypted offline.
        refused = None if top == f"{NS}:credentials" and len(path) > 1 else top.removeprefix(f"{NS}:")
        label = ".".join(str(p) for p in path).removeprefix(f"{NS}:")
        out[f"{name}-secure-{label}"] = (_set(doc, path, _secure(n)), refused)
    return out


def corpus() -> dict[str, tuple[dict[str, Any], str | None]]:
    """Every stack of the corpus, with the one key path its refusal must name (None: accepted)."""
    dev, migration = _doc(COMMITTED["dev"]), _doc(COMMITTED["example-migration"])
    stacks: dict[str, tuple[dict[str, Any], str | None]] = {name: (_doc(p), None) for name, p in COMMITTED.items()}
    active = _doc(COMMITTED["example-active-active"])
    stacks |= _secure_everywhere("dev", dev) | _secure_everywhere("migration", migration)
    stacks |= _secure_everywhere("active-active", active)  # users and their credentials
    ext = "clusters.onprem.external"
    creds = f"{NS}:credentials"
    secret_key = {**migration["config"][creds], "client-key": _secure("key"), "sasl-user": _secure("user")}
    with_keys = copy.deepcopy(migration)
    with_keys["config"][creds] = secret_key
    for field in ("saslPassword", "sslClientKey", "saslUsernameCredential"):
        for kind, value in (("spaced", f"correct horse {MARK}"), ("name-like", f"{MARK}hunter2"),
                            ("number", NUMBER), ("pem", PEM), ("long", MARK * 40), ("list", [MARK])):
            if field == "sslClientKey":
                bad = _tls(with_keys, sslClientKey=value)
            elif field == "saslUsernameCredential":
                bad = _external(with_keys, saslUsername=None, saslUsernameCredential=value)
            else:
                bad = _external(with_keys, saslPassword=value)
            stacks[f"{field}-{kind}"] = (bad, f"{ext}.{field}")
    # The same in the other fields that name a credential: a user's password, monitoring's secrets.
    user = (f"{NS}:users", "orders-service", "password")
    monitoring = {"prometheus": {"basicAuthUsername": "scraper", "basicAuthPassword": "orders-service-password"},
                  "datadog": {"apiKey": "orders-service-password"}}
    for kind, value in (("spaced", f"correct horse {MARK}"), ("name-like", f"{MARK}hunter2"), ("number", NUMBER)):
        stacks[f"users-password-{kind}"] = (_set(active, user, value), "users.orders-service.password")
        for dest, field in (("prometheus", "basicAuthPassword"), ("datadog", "apiKey")):
            bad = copy.deepcopy(monitoring)
            bad[dest][field] = value
            stacks[f"monitoring-{field}-{kind}"] = (_set(active, (f"{NS}:monitoring",), bad),
                                                    f"monitoring.{dest}.{field}")
    stacks["secret-monitoring"] = (_set(active, (f"{NS}:monitoring",), monitoring), None)
    # A password where SASL does not apply, under misspelt keys, and a PEM key in plain fields.
    stacks["password-without-sasl"] = (_external(with_keys, securityProtocol="SSL", saslPassword=f"{MARK}pw"),
                                       f"{ext}.saslMechanism")
    for key in ("saslPasword", "password", "secretKey", "sslClientKeys"):
        stacks[f"typo-{key}"] = (_external(with_keys, **{key: f"{MARK}typo"}), f"{ext}.{key}")
    typo = copy.deepcopy(with_keys)
    typo["config"][f"{NS}:credential"] = {"x": _secure("typo")}
    stacks["typo-credential-secure"] = (typo, "credential")
    typo = copy.deepcopy(with_keys)
    typo["config"][f"{NS}:credential"] = {"x": f"{MARK}typo"}
    stacks["typo-credential-plain"] = (typo, "credential")
    for field in ("sslClientCert", "sslCaCert"):
        stacks[f"pem-in-{field}"] = (_tls(with_keys, sslClientKey="client-key", **{field: PEM}), f"{ext}.{field}")
    stacks["pem-in-saslUsername"] = (_external(with_keys, saslUsername=PEM), f"{ext}.saslUsername")
    stacks["pem-in-project"] = (_set(dev, (f"{NS}:project",), PEM), "project")
    stacks["pem-in-topic-name"] = (_set(dev, (f"{NS}:clusters", "source", "topics"), {PEM: {"partitions": 1,
                                   "replication": 1}}), "clusters.source.topics.<key 1>")
    stacks["pem-in-unknown-key"] = (_set(dev, (f"{NS}:clusters", "source", "notes"), PEM), "clusters.source.notes")
    # A password in URL userinfo (`user:password@host`), typed where a server, network, ID, name or URL belongs.
    userinfo = f"replicator:{MARK}@kafka.example.com:9092"
    servers = ["kafka-1.example.com:9092", userinfo]
    stacks["userinfo-in-bootstrapServers"] = (_external(with_keys, bootstrapServers=servers),
                                              f"{ext}.bootstrapServers[1]")
    stacks["token-url-in-bootstrapServers"] = (_external(with_keys, bootstrapServers=[f"SASL_SSL://{MARK}@k:9092"]),
                                               f"{ext}.bootstrapServers[0]")
    stacks["userinfo-under-a-typo"] = (_external(with_keys, bootstrapServer=[userinfo]), f"{ext}.bootstrapServer")
    stacks["userinfo-in-ipFilter"] = (_set(dev, (f"{NS}:clusters", "source", "ipFilter"), [f"ops:{MARK}@10.0.0.0/8"]),
                                      "clusters.source.ipFilter[0]")
    stacks["userinfo-in-serviceName"] = (_set(dev, (f"{NS}:clusters", "source", "serviceName"), userinfo),
                                         "clusters.source.serviceName")
    stacks["userinfo-in-endpointId"] = (
        _set(active, (f"{NS}:monitoring",), {"existingEndpoint": {"type": "prometheus", "endpointId": userinfo}}),
        "monitoring.existingEndpoint.endpointId")
    site = copy.deepcopy(monitoring)
    site["datadog"]["site"] = userinfo
    stacks["userinfo-in-datadog-site"] = (_set(active, (f"{NS}:monitoring",), site), "monitoring.datadog.site")
    url = f"https://jwks:{MARK}@idp.example.com/{'k' * 2048}"  # longer than Aiven allows
    stacks["userinfo-in-a-url-setting"] = (_set(dev, (f"{NS}:clusters", "source", "kafka"),
                                                {"saslOauthbearerJwksEndpointUrl": url}),
                                           "clusters.source.kafka.saslOauthbearerJwksEndpointUrl")
    # Secrets kept right: accepted, and masked.
    stacks["secret-client-key"] = (_tls(with_keys, sslClientKey="client-key"), None)
    stacks["secret-sasl-user"] = (_external(with_keys, saslUsername=None, saslUsernameCredential="sasl-user"), None)
    return stacks


CORPUS = corpus()


def leaks(text: str) -> list[str]:
    return [s for s in FORBIDDEN if s in text]


@pytest.fixture(scope="module")
def corpus_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git copy of the project with the corpus written into it, uncommitted: `diff` against HEAD
    plans the base without it (a new stack) and shows every input of the head."""
    dest = project_repo(tmp_path_factory.mktemp("corpus") / "repo")
    (dest / "corpus").mkdir()
    for name, (doc, _) in CORPUS.items():
        (dest / "corpus" / f"{name}.yaml").write_text(yaml.safe_dump(doc))
    return dest


@pytest.fixture
def plan_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each corpus stack planned once per worker, not once per command and format: the run does not
    depend on the format, so every command gets a fresh copy of the same result (the CLI appends
    its warnings to it). Refusals are not kept: they raise again, from a new run each time."""
    run = engine.run_program

    def planned(stack: str, program_dir: Path = engine.PROJECT_ROOT, *, stack_file: Path | None = None,
                config_overrides: Any = None) -> engine.RunResult:
        key = (stack, str(program_dir), str(stack_file), json.dumps(config_overrides, sort_keys=True))
        if key not in _PLANNED:
            _PLANNED[key] = run(stack, program_dir, stack_file=stack_file, config_overrides=config_overrides)
        return copy.deepcopy(_PLANNED[key])

    monkeypatch.setattr(engine, "run_program", planned)


_PLANNED: dict[tuple[str, str, str, str], engine.RunResult] = {}


def test_the_corpus_covers_every_place() -> None:
    assert len(CORPUS) > 250
    accepted = {name for name, (_, refused) in CORPUS.items() if refused is None}
    assert {"dev", "prod", "example-migration", "secret-client-key", "secret-sasl-user", "secret-monitoring"} <= accepted
    assert "migration-secure-credentials.onprem-sasl-password" in accepted
    for name, (doc, _) in CORPUS.items():
        if name not in COMMITTED:
            text = json.dumps(doc)
            assert MARK in text or str(NUMBER) in text or '{"secure": ' in text, name


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.usefixtures("plan_once")
def test_plan_and_diff_show_no_secret_in_any_format(
    name: str, corpus_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, refused = CORPUS[name]
    stack = corpus_repo / "corpus" / f"{name}.yaml"
    for fmt in sorted(cli.FORMATS):
        code = cli.main(["plan", "--stack", "corpus", "--dir", str(corpus_repo), "--config", str(stack), "--format", fmt])
        out, err = capsys.readouterr()
        assert leaks(out + err) == [], f"plan --format {fmt}"
        if refused is None:
            assert code == 0 and err == "", f"plan --format {fmt}: {err}"
        else:
            # The error goes to stderr (and, in markdown, into the comment as well).
            assert code == 2 and f"{NS}:{refused}: " in err, f"plan --format {fmt}: {err}"
            assert "Traceback" not in err
    # A refused stack stops before any format applies: its diff runs once (and not at all for the
    # secure-everywhere families, refused by the one check `plan` just went through).
    formats = sorted(cli.DIFF_FORMATS) if refused is None else [] if "-secure-" in name else ["markdown"]
    for fmt in formats:
        code = cli.main(["diff", "--stack", "corpus", "--base", "HEAD", "--dir", str(corpus_repo),
                         "--config", str(stack), "--format", fmt])
        out, err = capsys.readouterr()
        assert leaks(out + err) == [], f"diff --format {fmt}"
        assert code == (0 if refused is None else 2), f"diff --format {fmt}: {err}"


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.usefixtures("plan_once")
def test_errors_and_logs_show_no_secret(name: str, corpus_repo: Path) -> None:
    _, refused = CORPUS[name]
    stack = corpus_repo / "corpus" / f"{name}.yaml"
    try:
        result = engine.run_program("corpus", corpus_repo, stack_file=stack)
    except engine.ProgramError as err:
        assert refused is not None, str(err)
        assert leaks(str(err)) == [] and err.partial is not None and err.partial.resources == []
        return
    assert refused is None, f"accepted, but must be refused at {refused}"
    assert leaks(json.dumps(result.logs)) == []


def test_a_secure_value_outside_credentials_is_refused_once_naming_the_key() -> None:
    doc, refused = CORPUS["migration-secure-clusters.onprem.external.saslUsername"]
    assert refused == "clusters"
    with pytest.raises(engine.ProgramError) as info:
        engine.run_program("x", ROOT, stack_file=_write(doc))
    assert str(info.value).splitlines() == [
        f"Pulumi.x.yaml: {NS}:clusters: holds a secret (a `secure:` value) but must not be one: it names services, topics and "
        "flows that every plan shows, and Pulumi marks the whole key secret; keep secrets in "
        f"{NS}:credentials and name the entry (external.saslPassword, external.sslClientKey, "
        "external.saslUsernameCredential)",
    ]


def _write(doc: dict[str, Any]) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="corpus-")) / "Pulumi.x.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_password_typed_as_a_credential_name_is_described_not_shown() -> None:
    def one(**changes: Any) -> list[str]:
        raw = yaml.safe_load((ROOT / "examples" / "migration.yaml").read_text())["config"]
        raw = {k.removeprefix(f"{NS}:"): v for k, v in raw.items()}
        raw["credentials"] = {"onprem-sasl-password": "placeholder"}
        raw["clusters"]["onprem"]["external"].update(changes)
        with pytest.raises(config.ConfigError) as info:
            config.parse(raw)
        return [str(i) for i in info.value.issues]

    at = f"{NS}:clusters.onprem.external.saslPassword"
    assert one(saslPassword="hunter2 is my password") == [
        f"{at}: expected the name of an entry in {NS}:credentials (1 to 128 letters, digits, '.', '_' or '-'), "
        "got 22 characters, not all of them allowed in a name (value not shown: it may be a secret; put the "
        "secret in credentials and its name here)"
    ]
    assert one(saslPassword="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n") == [
        f"{at}: expected the name of an entry in {NS}:credentials (1 to 128 letters, digits, '.', '_' or '-'), "
        "got a PEM block (value not shown: it may be a secret; put the secret in credentials and its name here)"
    ]
    assert one(saslPassword=PEM) == [
        f"{at}: holds a PEM private key in plain text (value not shown); set it with `pulumi config set --secret "
        f"--path '{NS}:credentials.<name>' <key>` and name the entry in external.sslClientKey"
    ]
    assert one(saslPassword=NUMBER) == [f"{at}: Input should be a valid string (value not shown: it is or may be a secret)"]
    assert one(saslPassword="Hunter2") == [
        f"{at}: expected the name of an entry in {NS}:credentials (declared: onprem-sasl-password), got a "
        "7-character value that names none (value not shown: it may be a secret); set the secret with `pulumi "
        f"config set --secret --path '{NS}:credentials.<name>' <value>` and put <name> here"
    ]


@pytest.mark.parametrize(("loc", "hidden"), [
    (("clusters", "x", "external", "saslPassword"), True),
    (("clusters", "x", "external", "sslClientKey"), True),
    (("clusters", "x", "external", "saslUsernameCredential"), True),
    (("users", "app", "password"), True),
    (("monitoring", "prometheus", "basicAuthPassword"), True),
    (("monitoring", "datadog", "apiKey"), True),
    (("clusters", "x", "external", "saslUsername"), False),
    (("clusters", "x", "cloud"), False),
    (("clusters", "x", "nope"), False),
])
def test_every_field_that_names_a_credential_is_known(loc: tuple[str, ...], hidden: bool) -> None:
    # Errors at these never show the value (it may be the secret, typed where its name belongs).
    assert config.names_a_credential(loc) is hidden


def test_the_scan_would_see_a_value_printed_in_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    # A plain SASL user name is public and printed: the same scan catches it, so it is not vacuous.
    doc = _external(_doc(COMMITTED["example-migration"]), saslUsername=f"{MARK}user")
    assert cli.main(["plan", "--stack", "x", "--config", str(_write(doc))]) == 0
    assert leaks(capsys.readouterr().out) == [MARK]


def test_a_secret_user_name_and_client_key_reach_the_endpoint_only_as_secrets() -> None:
    for name, field in (("secret-sasl-user", "saslPlainUsername"), ("secret-client-key", "sslClientKey")):
        result = engine.run_program("x", ROOT, stack_file=_write(CORPUS[name][0]))
        [endpoint] = result.of_type("aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint")
        value = endpoint.inputs["externalKafkaUserConfig"][field]
        assert isinstance(value, Secret) and value.value == f"offline-placeholder-for-{NS}:credentials"


def test_the_real_cli_s_secret_keys_from_the_environment_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the CLI, config may come from PULUMI_CONFIG and its secret keys from
    PULUMI_CONFIG_SECRET_KEYS: the program treats them as the offline engine's."""
    import contextvars

    from pulumi.runtime import config as runtime_config

    files = engine.load_stack_files(ROOT, "x", _write(CORPUS["migration-secure-clusters.onprem.external.saslUsername"][0]))
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(files.config))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(files.secret_keys))

    def read() -> tuple[dict[str, Any], set[str]]:
        runtime_config.set_all_config({}, [])
        return program.read_raw_config()

    raw, secret = contextvars.copy_context().run(read)
    assert secret == {"clusters", "credentials"}
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw, secret)
    assert [i.path for i in info.value.issues] == ["clusters"]


@pytest.mark.parametrize("fmt", sorted(cli.DIFF_FORMATS))
def test_a_user_name_turned_secret_shows_as_a_masked_change(
    repo: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = repo / "examples" / "migration.yaml"
    head = CORPUS["secret-sasl-user"][0]
    stack.write_text(yaml.safe_dump(_external(head, saslUsername=f"{MARK}-old-user", saslUsernameCredential=None)))
    git(repo, "commit", "-q", "-am", "a plain user name")
    stack.write_text(yaml.safe_dump(head))
    argv = ["diff", "--stack", "migration", "--base", "HEAD", "--dir", str(repo), "--config", str(stack)]
    assert cli.main([*argv, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "saslPlainUsername" in out and "[secret]" in out, "the change must be listed, masked"
    # The old plain value is public (it was in the file); the new one never shows.
    assert leaks(out.replace(f"{MARK}-old-user", "")) == []


def _migration_issues(**changes: Any) -> list[str]:
    raw = {k.removeprefix(f"{NS}:"): v for k, v in _doc(COMMITTED["example-migration"])["config"].items()}
    raw["credentials"] = {"onprem-sasl-password": "placeholder", "onprem-user": "placeholder"}
    ext = raw["clusters"]["onprem"]["external"]
    for key, value in changes.items():
        if value is None:
            ext.pop(key)
        else:
            ext[key] = value
    try:
        config.parse(raw)
    except config.ConfigError as err:
        return [str(i).removeprefix(f"{NS}:clusters.onprem.external.") for i in err.issues]
    return []


def test_the_sasl_user_name_is_given_one_way_or_the_other() -> None:
    assert _migration_issues(saslUsername=None, saslUsernameCredential="onprem-user") == []
    assert _migration_issues(saslUsernameCredential="onprem-user") == [
        "saslUsernameCredential: give saslUsername or saslUsernameCredential, not both"
    ]
    assert _migration_issues(saslUsername=None) == ["saslUsername: required with securityProtocol SASL_SSL"]
    assert _migration_issues(saslUsername=None, saslUsernameCredential="onprem-user", securityProtocol="SSL",
                             saslMechanism=None, saslPassword=None) == [
        "saslUsernameCredential: only applies to SASL_SSL, not SSL"
    ]


def test_credentials_as_one_ciphertext_are_refused_offline_saying_why() -> None:
    doc, refused = CORPUS["migration-secure-credentials"]
    assert refused == "credentials"
    with pytest.raises(engine.ProgramError) as info:
        engine.run_program("x", ROOT, stack_file=_write(doc))
    assert str(info.value).splitlines() == [
        f"Pulumi.x.yaml: {NS}:credentials: is one `secure:` value for the whole map, which the offline plan cannot decrypt; set "
        f"each entry as its own secret: `pulumi config set --secret --path '{NS}:credentials.<name>' <value>`"
    ]


LINE = "        saslPassword: onprem-sasl-password\n"


@pytest.mark.parametrize("broken", [
    LINE + f"        saslPassword: {MARK}-pw\n",  # a duplicate key
    f'        saslPassword: "{MARK}-pw\n',  # an unterminated string
    f"        saslPassword: {MARK}: pw\n",  # a colon in a plain value
    f"        saslPassword: {MARK}\t-pw\n\tfoo: 1\n",  # a tab
    f"        saslPassword: *{MARK}\n",  # an undefined alias
], ids=["duplicate", "unterminated", "colon", "tab", "alias"])
def test_a_stack_file_broken_on_a_secret_s_line_does_not_quote_it(
    broken: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.x.yaml"
    text = (ROOT / "examples" / "migration.yaml").read_text()
    assert LINE in text
    stack.write_text(text.replace(LINE, broken))
    for fmt in sorted(cli.FORMATS):
        assert cli.main(["plan", "--stack", "x", "--config", str(stack), "--format", fmt]) == 2
        out, err = capsys.readouterr()
        assert "Pulumi.x.yaml:" in err and leaks(out + err) == [], err
