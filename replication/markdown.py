"""Markdown for pull-request comments: a plan or a diff, with a Mermaid diagram of the topology.

Everything is rendered from plan documents (:func:`plandoc.plan_document`), which are already
masked, so no secret can reach a comment. GitHub renders the ```` ```mermaid ```` block inline.

Every string from config reaches the markdown through :mod:`replication.escape`: values as inline
code, prose as escaped text, table cells, fenced blocks and Mermaid labels each by their own rule.
Each stack's section is self-contained: the only HTML in it is the program's own, balanced, so the
sections of several stacks can be pasted into one comment without one folding or restyling another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from replication import diff as diffs
from replication import diff_rules
from replication.escape import cell, code, fence, mermaid_label, text

KAFKA_CLUSTER = "aiven-kafka-replication:index:KafkaCluster"
EXTERNAL_CLUSTER = "aiven-kafka-replication:index:ExternalKafkaCluster"
MIRRORMAKER_COMPONENT = "aiven-kafka-replication:index:MirrorMaker"

def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A GitHub table of inline fragments (from `escape.code`, `escape.text` or the program's own
    words), each through `escape.cell`; `align` holds one character per column, `r` for right-aligned."""
    rule = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(header))]
    return ["| " + " | ".join(map(cell, cells)) + " |" for cells in (header, rule, *rows)]


# A maximal backtick run, content, and the next run of the same length (CommonMark's code span).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)


def message(value: str) -> str:
    """A finding's message in markdown: its code spans as code, the rest as text.

    Messages mark values as inline code (made by :func:`escape.code`); every piece is escaped
    again here, so a message that interpolated a value without it cannot inject markup either
    (though GitHub would then autolink or mention in it: values go through `code`).
    """
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(value):
        content = m.group(2)
        if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
            content = content[1:-1]
        out += [text(value[pos : m.start()]), code(content)]
        pos = m.end()
    return "".join([*out, text(value[pos:])])


# --- the topology, read back from a plan document -----------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """A cluster as the diagram shows it."""

    alias: str
    kind: str
    """`managed`, `existing` (an Aiven service managed elsewhere) or `external` (outside Aiven)."""
    detail: str
    """Service name, plan and cloud; or the endpoint name."""


@dataclass(frozen=True)
class MirrorMakerNode:
    """A MirrorMaker 2 service."""

    key: str
    service_name: str
    detail: str


@dataclass(frozen=True)
class Flow:
    """A replication flow with what its edge label says."""

    source: str
    target: str
    mirrormaker: str
    topics: tuple[str, ...]
    topics_exclude: tuple[str, ...]
    policy: str
    enabled: bool


@dataclass(frozen=True)
class Topology:
    """Clusters, MirrorMakers and flows of a planned stack."""

    clusters: tuple[Cluster, ...]
    mirrormakers: tuple[MirrorMakerNode, ...]
    flows: tuple[Flow, ...]


def _children(doc: Mapping[str, Any], parent_type: str, alias: str) -> list[Mapping[str, Any]]:
    parent = next(
        (r["urn"] for r in doc["resources"] if r["type"] == parent_type and r["name"] == alias), None
    )
    return [r for r in doc["resources"] if parent is not None and r["parent"] == parent]


def _output(doc: Mapping[str, Any], key: str, kind: type) -> Any:
    value = doc.get("outputs", {}).get(key)
    return value if isinstance(value, kind) else kind()


def _placement(inputs: Mapping[str, Any]) -> str:
    return f"{inputs.get('serviceName')} · {inputs.get('plan')} · {inputs.get('cloudName')}"


def topology(doc: Mapping[str, Any]) -> Topology:
    """The topology of a plan document, from its resources and its stack outputs."""
    summaries = _output(doc, "flows", list)
    service_names = _output(doc, "clusterServiceNames", dict)
    expected = _output(doc, "expectedTopics", dict)
    aliases = set(service_names) | set(expected) | {f[k] for f in summaries for k in ("source", "target")}

    clusters = []
    for alias in sorted(aliases):
        kafka = [r for r in _children(doc, KAFKA_CLUSTER, alias) if r["type"] == diffs.KAFKA]
        endpoint = [r for r in _children(doc, EXTERNAL_CLUSTER, alias) if r["type"] == diffs.ENDPOINT]
        if kafka:
            clusters.append(Cluster(alias, "managed", _placement(kafka[0]["inputs"])))
        elif endpoint:
            clusters.append(Cluster(alias, "external", f"external: {endpoint[0]['inputs'].get('endpointName')}"))
        else:
            clusters.append(Cluster(alias, "existing", f"existing: {service_names.get(alias, alias)}"))

    mm_names = _output(doc, "mirrormakerServiceNames", dict)
    mirrormakers = []
    for key in sorted(mm_names):
        service = [r for r in _children(doc, MIRRORMAKER_COMPONENT, key) if r["type"] == diffs.MIRRORMAKER]
        inputs = service[0]["inputs"] if service else {"serviceName": mm_names[key]}
        mirrormakers.append(MirrorMakerNode(key, str(mm_names[key]), _placement(inputs)))

    flow_resources = {
        (i.get("serviceName"), i.get("sourceCluster"), i.get("targetCluster")): i
        for i in (r["inputs"] for r in doc["resources"] if r["type"] == diffs.FLOW)
    }
    flows = []
    for s in summaries:
        inputs = flow_resources.get((mm_names.get(s["mirrormaker"]), s["source"], s["target"]), {})
        flows.append(
            Flow(
                source=s["source"],
                target=s["target"],
                mirrormaker=s["mirrormaker"],
                topics=tuple(inputs.get("topics") or ()),
                topics_exclude=tuple(inputs.get("topicsBlacklists") or ()),
                policy=str(s.get("replicationPolicy")),
                enabled=bool(s.get("enabled", True)),
            )
        )
    return Topology(tuple(clusters), tuple(mirrormakers), tuple(flows))


def mermaid(topo: Topology) -> str:
    """A `flowchart LR` of the topology: clusters, MirrorMakers, one labelled edge per flow.

    Flow edges go from source to target cluster and are labelled with the MirrorMaker, the topic
    patterns and the policy; thick when enabled, dotted when paused. Dotted lines without arrows
    join each MirrorMaker to the clusters it is integrated with.
    """
    ids = {c.alias: f"c{i}" for i, c in enumerate(topo.clusters, 1)}
    mm_ids = {m.key: f"m{i}" for i, m in enumerate(topo.mirrormakers, 1)}
    lines = ["flowchart LR"]
    for c in topo.clusters:
        lines.append(f"    {ids[c.alias]}[({mermaid_label(c.alias, c.detail)})]")
    for m in topo.mirrormakers:
        lines.append(f"    {mm_ids[m.key]}{{{{{mermaid_label(m.key, 'MirrorMaker 2', m.detail)}}}}}")
    for f in topo.flows:
        label = mermaid_label(
            f"via {f.mirrormaker}" + ("" if f.enabled else " (disabled)"),
            "topics: " + ", ".join(f.topics),
            "exclude: " + (", ".join(f.topics_exclude) or "(none)"),
            f"policy: {f.policy}",
        )
        arrow = "==>" if f.enabled else "-.->"
        lines.append(f"    {ids[f.source]} {arrow}|{label}| {ids[f.target]}")
    attached = sorted({(f.mirrormaker, a) for f in topo.flows for a in (f.source, f.target)})
    lines += [f"    {mm_ids[mm]} -.- {ids[alias]}" for mm, alias in attached if mm in mm_ids]
    lines += [
        "    classDef managed fill:#e8f1fb,stroke:#1f6feb",
        "    classDef existing fill:#f6f8fa,stroke:#57606a,stroke-dasharray:4 3",
        "    classDef external fill:#fff8e6,stroke:#9a6700,stroke-dasharray:4 3",
        "    classDef mirrormaker fill:#eefbf0,stroke:#1a7f37",
    ]
    for kind in ("managed", "existing", "external"):
        members = [ids[c.alias] for c in topo.clusters if c.kind == kind]
        if members:
            lines.append(f"    class {','.join(members)} {kind}")
    if mm_ids:
        lines.append(f"    class {','.join(mm_ids.values())} mirrormaker")
    return "\n".join(lines) + "\n"


def _topic_map(doc: Mapping[str, Any]) -> list[str]:
    expected = _output(doc, "expectedTopics", dict)
    if not expected:
        return ["No topic map (the plan has no `expectedTopics` output)."]
    rows = [(code(alias), ", ".join(map(code, sorted(expected[alias]))) or "(none)") for alias in sorted(expected)]
    return table(("cluster", "topics once replication has settled"), rows)


def plan_comment(doc: Mapping[str, Any]) -> str:
    """A plan as a PR comment: summary, clusters, flows, diagram, topic map, resources."""
    topo = topology(doc)
    custom = [r for r in doc["resources"] if r["custom"]]
    topics = [r for r in custom if r["type"] == diffs.TOPIC]
    imported = [r for r in custom if r.get("importId")]
    enabled = sum(1 for f in topo.flows if f.enabled)
    lines = [
        f"## Replication plan: {code(doc['stack'])}",
        "",
        f"Stack {code(doc['stack'])} of {code(doc['project'])}, planned offline under Pulumi's mock engine: "
        "no credentials, no API calls, secrets masked.",
        "",
        *table(
            ("", "count"),
            [
                ("Kafka clusters", f"{len(topo.clusters)} ({_kinds(topo.clusters)})"),
                ("MirrorMaker services", str(len(topo.mirrormakers))),
                ("replication flows", f"{len(topo.flows)} ({enabled} enabled)"),
                ("topics declared", str(len(topics))),
                ("Aiven resources to create", str(len(custom) - len(imported))),
                *([("Aiven resources to import (adopt mode)", str(len(imported)))] if imported else []),
                ("provisioning waves", str(doc.get("waves", ""))),
            ],
            align="lr",
        ),
        "",
        "### Topology",
        "",
        fence(mermaid(topo), "mermaid"),
        "",
        *table(
            ("flow", "MirrorMaker", "topics", "excluded", "policy", "enabled"),
            [
                (
                    f"{code(f.source)} → {code(f.target)}",
                    code(f.mirrormaker),
                    ", ".join(code(t) for t in f.topics),
                    ", ".join(code(t) for t in f.topics_exclude) or "(none)",
                    text(f.policy),
                    "yes" if f.enabled else "**no**",
                )
                for f in topo.flows
            ],
        ),
        "",
        "### Topic map",
        "",
        *_topic_map(doc),
        "",
        "<details><summary>Aiven resources</summary>",
        "",
        *table(
            ("type", "name", "options"),
            [(text(r["type"].rsplit(":", 1)[-1]), code(r["name"]), _options(r)) for r in custom],
        ),
        "",
        "</details>",
    ]
    diagnostics = doc.get("diagnostics") or []
    if diagnostics:
        lines += ["", *_diagnostics(diagnostics)]
    return "\n".join(lines) + "\n"


def _diagnostics(warnings: Sequence[str]) -> list[str]:
    # As on a terminal, in a block: config issues quote values in prose, where GitHub would link
    # a URL or mention a team.
    return ["### Diagnostics", "", fence("\n".join(f"warning: {w}" for w in warnings), "text")]


def _kinds(clusters: Sequence[Cluster]) -> str:
    counts = {k: sum(1 for c in clusters if c.kind == k) for k in ("managed", "existing", "external")}
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "none"


def _options(resource: Mapping[str, Any]) -> str:
    flags = [name for name in ("protect", "deleteBeforeReplace") if resource.get(name)]
    if resource.get("importId"):
        flags.append(f"import {code(resource['importId'])}")
    return ", ".join(flags)


# --- the diff -----------------------------------------------------------------------------------

#: GitHub refuses a comment body over 65,536 characters. A stack's section is kept under this many UTF-8
#: bytes (never fewer than the characters GitHub counts), leaving room for the sticky-comment action's header
#: and the workflow's separators; the workflow divides it between the stacks of one comment.
COMMENT_LIMIT = 60_000
GITHUB_COMMENT_CHARACTERS = 65_536
#: How many findings of each rule, resources of each action and names of each topic-map cell a shortened
#: report shows, tried in turn until the section fits (0: counts only).
_SHORTENED = (20, 10, 5, 3, 1, 0)


def marker(stack: str) -> str:
    """An HTML comment that identifies a stack's section in a sticky comment.

    The stack name is written as escaped text, `>` behind a backslash, so it cannot end the
    comment (`-->`) or the line."""
    return f"<!-- aiven-kafka-replication diff {text(stack)} -->"


def error(command: str, stack: str, error_text: str, limit: int | None = COMMENT_LIMIT) -> str:
    """The section of a stack whose `plan` or `diff` failed (exit 2): a heading, a warning that
    nothing was reviewed, and the error in a fenced block it cannot close; under `limit` UTF-8 bytes,
    the error's first lines and a count of the rest (all of them are on stderr)."""
    errors = error_text.splitlines()
    for shown in (len(errors), *(n for n in (200, 50, 10, 1, 0) if n < len(errors))):
        block = "\n".join(_first(errors, shown, "lines: the whole error is in the job log"))
        lines = [marker(stack)] if command == "diff" else []
        lines += [
            f"## Replication {command}: {code(stack)}",
            "",
            "> [!CAUTION]",
            f"> **The {command} failed**: nothing in this change is reviewed for this stack until the error is fixed.",
            "",
            fence(block, "text"),
        ]
        document = "\n".join(lines) + "\n"
        if limit is None or len(document.encode()) <= limit:
            break
    return document


def _change_detail(change: diffs.Change) -> str:
    parts = [
        f"{code(i.path)}: {code(diffs.value_text(i.before))} → {code(diffs.value_text(i.after))}"
        + (" **(forces replacement)**" if i.replaces else "")
        for i in change.inputs
    ]
    parts += [code(o) for o in change.options]
    renamed = diffs.rename(change)
    if renamed:
        parts.insert(0, f"renamed through an alias: {code(renamed[0])} → {code(renamed[1])}")
    return "<br>".join(parts)


def diff(result: diffs.Diff, head: Mapping[str, Any], limit: int | None = COMMENT_LIMIT) -> str:
    """A diff as a PR comment: findings first, then the changes, the topic map and the diagram.

    Under `limit` UTF-8 bytes (None: no limit): a report that does not fit is shortened, never cut, and
    the verdict and every class's count come first (see :func:`_shortened`)."""
    full = _diff_document(result, head, None, True)
    if limit is None or len(full.encode()) <= limit:
        return full
    for shown in _SHORTENED:
        for diagram in (True, False):
            document = _diff_document(result, head, shown, diagram)
            if len(document.encode()) <= limit:
                return document
    return document  # counts only: bounded by the stack and ref names, not by the change


def _first(items: Sequence[str], shown: int | None, what: str) -> list[str]:
    """The first `shown` items (all when None), then a line counting the rest."""
    if shown is None or len(items) <= shown:
        return list(items)
    return [*items[:shown], f"… and {len(items) - shown} more {what}"]


def _finding(result: diffs.Diff, finding: diff_rules.Finding, clip: bool) -> str:
    """A finding's message, its id, and **accepted** first when it is accepted."""
    mark = "**accepted** " if result.is_accepted(finding) else ""
    body = message(_clipped(finding.message) if clip else finding.message)
    return f"{mark}{body} (id {code(result.finding_id(finding))})"


def _per_rule(result: diffs.Diff, findings: Sequence[diff_rules.Finding], shown: int | None) -> list[str]:
    """Finding messages in their order, at most `shown` of each rule, each rule's rest counted."""
    if shown is None:
        return [_finding(result, f, False) for f in findings]
    lines: list[str] = []
    for rule in dict.fromkeys(f.rule for f in findings):
        of_rule = [_finding(result, f, True) for f in findings if f.rule == rule]
        lines += _first(of_rule, shown, f"findings of rule {code(rule)} (in the full report)")
    return lines


#: How much of one finding's message a shortened report shows: one finding may list a thousand topics.
_MESSAGE_CHARACTERS = 1000


def _clipped(value: str) -> str:
    """A message cut to :data:`_MESSAGE_CHARACTERS` (before :func:`message` escapes it, so a code span cut
    in two shows its backtick as text)."""
    if len(value) <= _MESSAGE_CHARACTERS:
        return value
    return value[:_MESSAGE_CHARACTERS] + " … (cut here: the full report has the whole finding)"


def _shortened(result: diffs.Diff, shown: int) -> list[str]:
    """What a shortened report says first: every class's count, and where the full report is."""
    counts = [f"**{diff_rules.CLASSES[c].title}** {sum(f.cls == c for f in result.findings)}"
              for c in diff_rules.CLASSES if any(f.cls == c for f in result.findings)]
    return [
        f"**Findings**: {' · '.join(counts) or 'none'}.",
        "",
        "> [!IMPORTANT]",
        f"> **This report is shortened** to fit in one PR comment (GitHub takes at most "
        f"{GITHUB_COMMENT_CHARACTERS:,} characters): it shows every class's count"
        + (f" and at most {shown} findings of each rule, resources of each action and topics of each cell."
           if shown else "."),
        "> The full report is in the workflow run's `replication-diff` artifact (`full.md`, also the job "
        "summary when it is under 1 MiB); this `diff` with `--comment-limit 0` or `--format text` prints it.",
        "",
    ]


def _diff_document(result: diffs.Diff, head: Mapping[str, Any], shown: int | None, diagram: bool) -> str:
    """The diff's markdown; `shown` not None shortens it (:func:`diff`), `diagram` keeps the topology."""
    lines = [
        marker(result.stack),
        f"## Replication diff: {code(result.stack)}",
        "",
        f"{code(result.base_ref)} → this change. Planned offline by each side's own code: no credentials, "
        "secrets masked.",
        "",
    ]
    if result.base_missing:
        lines += [f"The stack has no config at {code(result.base_ref)}: everything is new.", ""]
    if shown is not None:
        lines += _shortened(result, shown)
    blocking = [f for f in result.findings if f.cls in diff_rules.failing_classes(True)]
    access = [f for f in result.findings if f.cls == "access-removed"]
    notices = [f for f in result.findings if f.cls == "advisory"]
    accepted = [f for f in result.findings if result.is_accepted(f)]
    if accepted:
        lines += ["**Accepted on purpose** (`accept-finding:` lines of the PR description; approve them knowingly): "
                  + ", ".join(code(result.finding_id(f)) for f in accepted) + ".", ""]
    if blocking:
        verdict = (
            "**Every finding that fails this change is accepted on purpose.**"
            if all(result.is_accepted(f) for f in blocking)
            else "**This change loses records, stops replication or cannot be applied.**"
        )
        lines += ["> [!CAUTION]", f"> {verdict}", ">"]
        for cls in diff_rules.CLASSES:
            of_class = [f for f in blocking if f.cls == cls]
            lines += [f"> - **{diff_rules.CLASSES[cls].title}**: {m}" for m in _per_rule(result, of_class, shown)]
        lines.append("")
    if access:
        lines += ["> [!WARNING]"] + [f"> - **access removed**: {m}" for m in _per_rule(result, access, shown)] + [""]
    if notices:
        lines += ["> [!NOTE]"] + [f"> - {m}" for m in _per_rule(result, notices, shown)] + [""]
    if result.warnings:
        lines += [*_diagnostics(_first(result.warnings, shown, "warnings (in the full report)")), ""]
    if not result.changes:
        lines += ["No changes to Aiven resources.", ""]
    else:
        lines += [
            *table(
                ("", "resources"),
                [
                    (f"{code(diffs.symbol(a))} {a}", str(result.count(a)))
                    for a in diffs.ACTIONS
                    if result.count(a)
                ]
                + ([("renamed through aliases", str(result.renamed))] if result.renamed else [])
                + [("unchanged", str(result.unchanged))],
                align="lr",
            ),
            "",
            *table(
                ("", "resource", "type", "what changes"),
                [
                    (f"{code(diffs.symbol(c.action))} {c.action}", code(c.name), text(c.kind), _change_detail(c))
                    for c in _first_changes(result.changes, shown)
                ],
            ),
            "",
        ]
        hidden = len(result.changes) - len(_first_changes(result.changes, shown))
        if hidden:
            lines += [f"… and {hidden} more changed resources (in the full report).", ""]
    if result.topic_map:
        lines += [
            "### Expected topics",
            "",
            "The topic map's prediction once replication has settled. A remote topic that leaves it is not "
            "deleted by MirrorMaker: it stays on the target and stops being updated.",
            "",
            *table(
                ("cluster", "now expected", "no longer expected"),
                [
                    (code(t.alias), _names(t.added, shown), _names(t.removed, shown))
                    for t in result.topic_map
                ],
            ),
            "",
        ]
    if diagram:
        lines += [
            "<details><summary>Topology after this change</summary>",
            "",
            fence(mermaid(topology(head)), "mermaid"),
            "",
            "</details>",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _first_changes(changes: Sequence[diffs.Change], shown: int | None) -> list[diffs.Change]:
    """At most `shown` changed resources of each action (all when None)."""
    if shown is None:
        return list(changes)
    return [c for a in diffs.ACTIONS for c in [c for c in changes if c.action == a][:shown]]


def _names(names: Sequence[str], shown: int | None) -> str:
    listed = [code(n) for n in (names if shown is None else names[:shown])]
    rest = len(names) - len(listed)
    return ", ".join(listed) + (f", … and {rest} more" if rest else "")
