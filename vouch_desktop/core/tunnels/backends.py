"""Which carrier a tunnel's bytes take (core/tunnels/carriers.py): the user's choice in Settings,
and the backend a running tunnel actually uses. Light: the settings module imports it at start-up."""

from __future__ import annotations

import enum


class TunnelBackend(enum.StrEnum):
    AUTO = "auto"  # the plugin when it is installed, else the built-in data channel
    PLUGIN = "plugin"  # AWS's session-manager-plugin, a child process
    BUILTIN = "builtin"  # our data channel (core/tunnels/datachannel)

    @property
    def choice_label(self) -> str:
        """How Settings offers it."""
        return {TunnelBackend.AUTO: "Automatic (AWS plugin when installed, else built-in)",
                TunnelBackend.PLUGIN: "AWS session-manager-plugin",
                TunnelBackend.BUILTIN: "Built-in (no plugin needed)"}[self]

    @property
    def carrier_label(self) -> str:
        """How a running tunnel's carrier is named to the user."""
        return {TunnelBackend.PLUGIN: "AWS plugin", TunnelBackend.BUILTIN: "built-in"}.get(self, "automatic")
