"""The fake SSM agent against the facts read from AWS's sources (vouch_desktop/demo/ssm_agent/facts.py).
AWS's plugin judges the whole (tests/realplugin); these pin the details a client must not rely on
getting wrong: the first message, the handshake's properties, who encrypts, who multiplexes."""

from __future__ import annotations

import pytest
from websockets.sync.client import connect

from tests.fixtures.fake_aws import TEST_REGION
from vouch_desktop.core.tunnels.datachannel.messages import ClientMessage, PayloadType, open_data_channel_input
from vouch_desktop.demo.fake_aws import MANAGED_TAG
from vouch_desktop.demo.ssm_agent import DEFAULT_AGENT_VERSION, facts

DB_HOST = "db.internal"
DOCUMENTS = {
    "AWS-StartPortForwardingSession": (
        {"portNumber": ["5432"], "localPortNumber": ["15432"]},
        {"portNumber": "5432", "type": "LocalPortForwarding", "localPortNumber": "15432"}),
    "AWS-StartPortForwardingSessionToRemoteHost": (
        {"host": [DB_HOST], "portNumber": ["5432"], "localPortNumber": ["15432"]},
        {"portNumber": "5432", "type": "LocalPortForwarding", "localPortNumber": "15432", "host": DB_HOST}),
    "AWS-StartSSHSession": ({"portNumber": ["22"]}, {"portNumber": "22"}),
}


@pytest.fixture
def instance(fake_aws) -> str:
    return fake_aws.client("ec2", TEST_REGION).run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": MANAGED_TAG, "Value": "online"}]}],
    )["Instances"][0]["InstanceId"]


def first_message(fake_aws, **start) -> ClientMessage:
    started = fake_aws.client("ssm", TEST_REGION).start_session(**start)
    with connect(started["StreamUrl"], open_timeout=10) as ws:
        ws.send(open_data_channel_input(started["TokenValue"], "facts-test", "1.2.0.0"))
        return ClientMessage.decode(ws.recv(timeout=10))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_port_session_opens_with_a_handshake_carrying_the_documents_properties(fake_aws, instance, document):
    parameters, properties = DOCUMENTS[document]
    fake_aws.agent.kms_key_id = "alias/session-manager"  # the preference: it never applies to port sessions
    message = first_message(fake_aws, Target=instance, DocumentName=document, Parameters=parameters)
    assert (message.message_type, message.sequence_number, message.flags) == ("output_stream_data", 0, facts.SYN_FLAG)
    assert message.payload_type == PayloadType.HANDSHAKE_REQUEST
    assert message.json() == {"AgentVersion": DEFAULT_AGENT_VERSION, "RequestedClientActions": [
        {"ActionType": "SessionType", "ActionParameters": {"SessionType": "Port", "Properties": properties}}]}


def test_a_shell_session_skips_the_handshake_unless_kms_encrypts_it(fake_aws, instance):
    message = first_message(fake_aws, Target=instance)
    assert message.payload_type == PayloadType.OUTPUT and message.flags == facts.SYN_FLAG  # the shell's first output
    fake_aws.agent.kms_key_id = "alias/session-manager"
    message = first_message(fake_aws, Target=instance)
    actions = message.json()["RequestedClientActions"]
    assert message.payload_type == PayloadType.HANDSHAKE_REQUEST
    assert [a["ActionType"] for a in actions] == ["SessionType", "KMSEncryption"]
    assert actions[0]["ActionParameters"] == {"SessionType": "Standard_Stream", "Properties": None}


@pytest.mark.parametrize(("agent", "client", "kind", "expected"), [
    ("3.3.1142.0", "1.2.650.0", "LocalPortForwarding", True),
    ("3.0.196.1", "1.1.70.0", "LocalPortForwarding", True),
    ("3.0.196.0", "1.2.650.0", "LocalPortForwarding", False),  # "after" 3.0.196.0, not from it
    ("3.3.1142.0", "1.1.69.0", "LocalPortForwarding", False),  # clients before 1.1.70 cannot
    ("3.3.1142.0", "1.2.650.0", "", False),  # AWS-StartSSHSession: one connection
])
def test_multiplexing_is_decided_from_both_versions(agent, client, kind, expected):
    assert facts.multiplexes(agent, client, kind) is expected


@pytest.mark.parametrize(("agent", "client", "expected"), [
    ("3.3.1142.0", "1.2.650.0", False),  # the client is after 1.2.331.0: off (it breaks the idle timeout)
    ("3.3.1142.0", "1.2.331.0", True),
    ("3.3.1142.0", "1.2.0.0", True),
    ("3.1.1446.0", "1.2.650.0", True),  # agents up to 3.1.1511.0 always keep it
])
def test_the_agents_smux_keepalive_follows_the_clients_version(agent, client, expected):
    assert facts.agent_smux_keepalive(agent, client) is expected


def test_the_agent_acknowledges_a_stream_message_as_the_agent_does(fake_aws, instance):
    """sequence 0, flags 3, naming the message's type, id and number (the fake encodes these without JSON)."""
    started = fake_aws.client("ssm", TEST_REGION).start_session(
        Target=instance, DocumentName="AWS-StartPortForwardingSessionToRemoteHost",
        Parameters={"host": [DB_HOST], "portNumber": ["5432"], "localPortNumber": ["15432"]})
    with connect(started["StreamUrl"], open_timeout=10) as ws:
        ws.send(open_data_channel_input(started["TokenValue"], "facts-test", "1.2.0.0"))
        ClientMessage.decode(ws.recv(timeout=10))  # the handshake request
        response = ClientMessage("input_stream_data", 0, b'{"ClientVersion":"1.2.0.0","ProcessedClientActions":[]}',
                                 PayloadType.HANDSHAKE_RESPONSE)
        ws.send(response.encode())
        while (ack := ClientMessage.decode(ws.recv(timeout=10))).message_type != "acknowledge":
            pass
    assert (ack.sequence_number, ack.flags, ack.payload_type) == (0, facts.AGENT_MESSAGE_FLAGS, 0)
    assert ack.json() == {"AcknowledgedMessageType": "input_stream_data",
                          "AcknowledgedMessageId": str(response.message_id),
                          "AcknowledgedMessageSequenceNumber": 0, "IsSequentialMessage": True}
