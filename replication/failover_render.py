"""The failover map as text, JSON or markdown (`python -m replication failover`).

Renders the `failoverMap` stack output, which is plain data. Every string in it comes from config
(aliases, topic and user names, flows), so each goes through :mod:`replication.escape`: `line` on a
terminal, `code` inside markdown, `cell` in a table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from replication import escape


def _metric(check: Mapping[str, Any] | None) -> str:
    if check is None:
        return "none (the original)"
    metrics = check.get("metrics") or []
    if not metrics:
        return f"flow {check['flow']}: no lag metric is exported (no monitoring configured)"
    shown = []
    for m in metrics:
        where = f" {{{', '.join(m['filter'])}}}" if m["filter"] else ""
        caveat = f" (unverified: {'; '.join(m['unverified'])})" if m["unverified"] else ""
        shown.append(f"{m['system']}: {m['metric']}{where} by {m['flowKey']}{caveat}")
    return f"flow {check['flow']}: " + "; ".join(shown)


def _readers(readers: list[str] | None) -> str:
    if readers is None:
        return "not managed by this stack"
    return ", ".join(readers) if readers else "nobody"


def _offsets(place: Mapping[str, Any]) -> str:
    if place["offsetsSynced"]:
        return f"{place['offsets']} (groups {place['consumerGroups']})"
    return f"not synced ({place['offsets']})"


def text(doc: Mapping[str, Any]) -> str:
    """A tree per lost cluster, one line per fact, every value escaped for a terminal."""
    out: list[str] = []
    for alias, topics in doc["clusters"].items():
        out.append(f"If {escape.line(alias)} is lost:")
        if not topics:
            out.append("    it holds no topic")
        for t in topics:
            if t["singleCopy"]:
                out.append(f"    {escape.line(t['topic'])}: SINGLE COPY, held nowhere else")
                continue
            out.append(f"    {escape.line(t['topic'])}:")
            for p in t["places"]:
                out.append(f"        on {escape.line(p['cluster'])} as {escape.line(p['topic'])} ({p['relation']})")
                out.append(f"            consumer offsets: {escape.line(_offsets(p))}")
                out.append(f"            readers: {escape.line(_readers(p['readers']))}")
                out.append(f"            check first: {escape.line(_metric(p['checkFirst']))}")
    for warning in doc["warnings"]:
        out.append(f"warning: {escape.line(warning)}")
    return "\n".join(out) + "\n"


def json_text(doc: Mapping[str, Any]) -> str:
    """The map as sorted, indented JSON."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def markdown(doc: Mapping[str, Any], stack: str) -> str:
    """A section per lost cluster with a table of where each topic survives; values in code spans."""
    out = [f"## Failover map: {escape.code(stack)}", ""]
    if doc["warnings"]:
        out += ["> [!WARNING]", *(f"> - {escape.code(w)}" for w in doc["warnings"]), ""]
    header = "| topic | held on | as | relation | consumer offsets | readers | check first |"
    for alias, topics in doc["clusters"].items():
        out += [f"### If {escape.code(alias)} is lost", ""]
        if not topics:
            out += ["It holds no topic.", ""]
            continue
        out += [header, "| --- | --- | --- | --- | --- | --- | --- |"]
        for t in topics:
            name = escape.code(t["topic"])
            if t["singleCopy"]:
                out.append(f"| {escape.cell(name)} | **single copy** |  |  |  |  |  |")
                continue
            for p in t["places"]:
                readers = _readers(p["readers"])
                cells = [
                    name,
                    escape.code(p["cluster"]),
                    escape.code(p["topic"]),
                    escape.text(p["relation"]),
                    escape.code(_offsets(p)),
                    escape.code(readers),
                    escape.code(_metric(p["checkFirst"])),
                ]
                out.append("| " + " | ".join(escape.cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)
