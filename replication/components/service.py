"""What every Aiven service this stack creates shares: placement, maintenance, network, safety."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from replication.config import MaintenanceWindow


@dataclass(frozen=True, kw_only=True)
class ServiceArgs:
    """Inputs common to the Kafka and MirrorMaker components."""

    project: pulumi.Input[str]
    """Aiven project of the service."""
    service_name: str
    """Aiven service name."""
    cloud: str
    """Aiven cloud, for example `google-europe-west1`."""
    plan: str
    """Aiven plan, for example `business-4`."""
    maintenance_window: MaintenanceWindow | None = None
    """Maintenance window; None for one chosen by Aiven."""
    ip_filter: Sequence[str] | None = None
    """Allowed CIDR networks; None for Aiven's default."""
    protect: bool = False
    """Protect the service: Aiven termination protection and Pulumi `protect`."""
    import_id: str | None = None
    """Import ID of the existing service, in adopt mode (`replication.adoption`)."""

    @property
    def maintenance_dow(self) -> str | None:
        """The window's day, as the provider's `maintenance_window_dow`."""
        return self.maintenance_window.dow if self.maintenance_window else None

    @property
    def maintenance_time(self) -> str | None:
        """The window's start, as the provider's `maintenance_window_time`."""
        return self.maintenance_window.time if self.maintenance_window else None

    @property
    def ip_filter_strings(self) -> list[str] | None:
        """The filter as the provider's `ip_filter_strings` (`ip_filters` is deprecated)."""
        return list(self.ip_filter) if self.ip_filter is not None else None

    @property
    def termination_protection(self) -> bool | None:
        # Unset when off, as in the recipe: the provider's attribute is optional, not computed,
        # so unsetting it turns Aiven's protection off again.
        return True if self.protect else None

    def service_options(
        self, parent: pulumi.Resource, aliases: list[pulumi.Input[str | pulumi.Alias]] | None = None
    ) -> pulumi.ResourceOptions:
        """Options of the service resource: parented, protected and imported as configured, and
        answering to `aliases` (its names before a rename)."""
        return pulumi.ResourceOptions(
            parent=parent,
            protect=self.protect,
            import_=self.import_id,
            aliases=aliases,
        )
