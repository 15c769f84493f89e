"""What the fake SSM agent does, and why: facts read from AWS's sources, in one place.

Sources (public, Apache-2.0): aws/amazon-ssm-agent (``agent/session/...``) for the agent's side,
aws/session-manager-plugin (``src/...``) for the client's. tests/demo/test_fake_agent_facts.py checks
the fake against these facts, and tests/realplugin runs AWS's own plugin against the fake.
"""

from __future__ import annotations

# agent/session/config/config.go
RESEND_INTERVAL = 0.1  # ResendSleepInterval: the resend scheduler looks at the oldest message this often
DEFAULT_RTO = 0.2  # DefaultTransmissionTimeout
DEFAULT_RTT = 0.1  # DefaultRoundTripTime
MAX_RTO = 1.0  # MaxTransmissionTimeout
CLOCK_GRANULARITY = 0.01
PAYLOAD_SIZE = 1024  # StreamDataPayloadSize: the agent reads 1 KB from a connection per message
OUTGOING_CAPACITY = INCOMING_CAPACITY = 100_000  # OutgoingMessageBufferCapacity, IncomingMessageBufferCapacity
# port_mux.go transferDataToMgs / port_basic.go WritePump: "Wait for TCP to process more data"
READ_PAUSE = 0.001
LOCAL_PORT_FORWARDING = "LocalPortForwarding"

# agent/session/datachannel/datachannel.go
HANDSHAKE_TIMEOUT = 15.0  # handshakeTimeout
SYN_FLAG = 1  # SendStreamDataMessage: flag 1 on the message with sequence number 0
AGENT_MESSAGE_FLAGS = 3  # messageFlags of acknowledge (and other non-stream) messages
CLOSE_DRAIN = 2.0  # PrepareToCloseChannel waits this long for the outgoing buffer to empty

# agent/session/plugins/port/port.go
MUX_SUPPORTED_CLIENT_VERSION = "1.1.70"  # muxSupportedClientVersion: multiplex when client >= this
MUX_KEEPALIVE_DISABLED_AFTER_CLIENT = "1.2.331.0"  # muxKeepAliveDisabledAfterThisClientVersion
# session-manager-plugin src/config/config.go: agents after these versions have these features (the agent
# releases that brought them: multiplexing in the port plugin, then the client-version check above)
MUX_AFTER_AGENT = "3.0.196.0"  # TCPMultiplexingSupportedAfterThisAgentVersion
KEEPALIVE_CHECK_AFTER_AGENT = "3.1.1511.0"  # TCPMultiplexingWithSmuxKeepAliveDisabledAfterThisAgentVersion
TERMINATE_FLAG_AFTER_AGENT = "2.3.722.0"  # TerminateSessionFlagSupportedAfterThisAgentVersion

# github.com/xtaci/smux mux.go DefaultConfig (vendored by both)
SMUX_KEEPALIVE_INTERVAL = 10.0
SMUX_KEEPALIVE_TIMEOUT = 30.0
SMUX_MAX_FRAME = 32768
SMUX_RECEIVE_BUFFER = 4 * 1024 * 1024

# agent/session/plugins/sessionplugin/sessionplugin.go: isEncryptionEnabled is kmsKeyId != "" and the
# plugin is not Port; standardstream.go: RequireHandshake() is false, GetPluginParameters() is nil
PORT, STANDARD_STREAM = "Port", "Standard_Stream"

# The session documents' "properties", parameters substituted (AWS's documents; the agent hands them to
# the client unchanged in the handshake: port.go GetPluginParameters returns them as they are)
DOCUMENT_PROPERTIES: dict[str, dict[str, str]] = {
    "AWS-StartPortForwardingSession": {"portNumber": "{{ portNumber }}", "type": LOCAL_PORT_FORWARDING,
                                       "localPortNumber": "{{ localPortNumber }}"},
    "AWS-StartPortForwardingSessionToRemoteHost": {"portNumber": "{{ portNumber }}", "type": LOCAL_PORT_FORWARDING,
                                                   "localPortNumber": "{{ localPortNumber }}",
                                                   "host": "{{ host }}"},
    "AWS-StartSSHSession": {"portNumber": "{{ portNumber }}"},
}
DOCUMENT_DEFAULTS = {"portNumber": "80", "localPortNumber": "", "host": ""}
SSH_PORT_DEFAULT = "22"


def version_key(text: str) -> tuple[int, ...]:
    """A dotted version as numbers, zero-padded: versionutil.Compare's order for these versions."""
    parts: list[int] = []
    for part in text.strip().split("."):
        try:
            parts.append(int(part))
        except ValueError:
            parts.append(0)
    return tuple(parts + [0] * (4 - len(parts)))


def newer(version: str, than: str) -> bool:
    return version_key(version) > version_key(than)


def multiplexes(agent_version: str, client_version: str, forwarding_type: str) -> bool:
    """port.go GetSession: an agent with multiplexing uses it for local port forwarding when the
    client is at least 1.1.70; older agents, and other session types, carry one connection."""
    return (forwarding_type == LOCAL_PORT_FORWARDING and newer(agent_version, MUX_AFTER_AGENT)
            and version_key(client_version) >= version_key(MUX_SUPPORTED_CLIENT_VERSION))


def agent_smux_keepalive(agent_version: str, client_version: str) -> bool:
    """port_mux.go initialize: keep-alives stay on unless the client is newer than 1.2.331.0 (agents
    up to 3.1.1511.0 predate that check and always keep them)."""
    if not newer(agent_version, KEEPALIVE_CHECK_AFTER_AGENT):
        return True
    return not newer(client_version, MUX_KEEPALIVE_DISABLED_AFTER_CLIENT)


def session_properties(document: str, parameters: dict[str, list[str]]) -> dict[str, str] | None:
    """The handshake's Properties for a port document (None for shell documents)."""
    template = DOCUMENT_PROPERTIES.get(document)
    if template is None:
        return None
    defaults = dict(DOCUMENT_DEFAULTS, portNumber=SSH_PORT_DEFAULT if document == "AWS-StartSSHSession" else "80")
    values = {name: (parameters.get(name) or [defaults.get(name, "")])[0] for name in defaults}
    return {key: values[value.strip("{} ")] if value.startswith("{{") else value for key, value in template.items()}
