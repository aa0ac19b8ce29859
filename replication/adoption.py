"""Adopt mode: the provider's import IDs of resources that already exist (from the Terraform recipe).

With `adopt:` set in the stack config, every resource is declared with `import_`, so the first
`pulumi up` takes over the existing services, topics, integrations and flows instead of creating
them. The formats are the provider's (`pulumi import` docs of pulumi-aiven 6.62.0).

No Pulumi imports.
"""

from __future__ import annotations


def _project(project: object) -> str:
    # Import IDs are plain strings: a project only known at run time cannot be adopted.
    if not isinstance(project, str):
        raise TypeError(f"adopt mode needs the Aiven project as a plain string, got {project!r}")
    return project


def service_id(project: object, service_name: str) -> str:
    """Kafka or MirrorMaker service: `project/service_name`."""
    return f"{_project(project)}/{service_name}"


def topic_id(project: object, service_name: str, topic: str) -> str:
    """Kafka topic: `project/service_name/topic_name`."""
    return f"{_project(project)}/{service_name}/{topic}"


def integration_id(project: object, aiven_id: str) -> str:
    """Service integration or integration endpoint: `project/<id>`. The ID is Aiven's UUID, which
    no config determines: the user reads it from the Terraform state."""
    return f"{_project(project)}/{aiven_id}"


def flow_id(project: object, mirrormaker_service: str, source_alias: str, target_alias: str) -> str:
    """Replication flow: `project/mirrormaker_service/source_alias/target_alias`."""
    return f"{_project(project)}/{mirrormaker_service}/{source_alias}/{target_alias}"
