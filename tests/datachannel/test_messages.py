"""The wire format, pinned byte by byte against the plugin's layout (src/message/clientmessage.go)."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from vouch_desktop.core.tunnels.datachannel.messages import (
    ClientMessage,
    Flag,
    PayloadType,
    ProtocolError,
    acknowledged_sequence,
    acknowledgement,
    flag_of,
    flag_payload,
    open_data_channel_input,
)

MESSAGE_ID = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")


def test_the_header_is_laid_out_as_the_plugin_reads_it():
    raw = ClientMessage("input_stream_data", 7, b"hello", PayloadType.OUTPUT, message_id=MESSAGE_ID,
                        created_ms=1_700_000_000_123).encode()
    assert len(raw) == 120 + 5
    assert raw[0:4] == (116).to_bytes(4, "big")  # header length: where the payload length sits
    assert raw[4:36] == b"input_stream_data".ljust(32, b" ")
    assert raw[36:40] == (1).to_bytes(4, "big")  # schema version
    assert raw[40:48] == (1_700_000_000_123).to_bytes(8, "big")
    assert raw[48:56] == (7).to_bytes(8, "big")
    assert raw[56:64] == bytes(8)  # flags
    assert raw[64:80] == bytes.fromhex("8899aabbccddeeff" "0011223344556677")  # low half of the UUID first
    assert raw[80:112] == hashlib.sha256(b"hello").digest()
    assert raw[112:116] == (1).to_bytes(4, "big")  # payload type: output
    assert raw[116:120] == (5).to_bytes(4, "big")
    assert raw[120:] == b"hello"


def test_decoding_reads_what_encoding_wrote_and_follows_the_header_length():
    message = ClientMessage("output_stream_data", 42, b"\x00\x01data", PayloadType.FLAG, flags=1, message_id=MESSAGE_ID)
    assert ClientMessage.decode(message.encode()) == message
    # a longer header (a field added by a newer agent) is skipped by its declared length
    raw = bytearray(message.encode())
    longer = (120).to_bytes(4, "big") + raw[4:116] + b"XXXX" + raw[116:]
    assert ClientMessage.decode(bytes(longer)).payload == b"\x00\x01data"
    # message types may be padded with NULs instead of spaces
    nul_padded = raw[:4] + b"output_stream_data".ljust(32, b"\x00") + raw[36:]
    assert ClientMessage.decode(bytes(nul_padded)).message_type == "output_stream_data"


@pytest.mark.parametrize("damage, complaint", [
    (lambda raw: raw[:100], "too short"),
    (lambda raw: raw[:-1], "truncated"),
    (lambda raw: raw[:-1] + b"X", "digest"),
    (lambda raw: (3).to_bytes(4, "big") + raw[4:], "header length"),
])
def test_damaged_messages_are_protocol_errors(damage, complaint):
    raw = ClientMessage("output_stream_data", 1, b"payload!", PayloadType.OUTPUT).encode()
    with pytest.raises(ProtocolError, match=complaint):
        ClientMessage.decode(damage(raw))


def test_an_acknowledgement_names_the_message_as_the_agent_expects():
    data = ClientMessage("output_stream_data", 3, b"x", PayloadType.OUTPUT, message_id=MESSAGE_ID)
    ack = acknowledgement(data)
    assert (ack.message_type, ack.sequence_number, ack.flags, ack.payload_type) == ("acknowledge", 0, 3, 0)
    assert ack.payload == (b'{"AcknowledgedMessageType":"output_stream_data",'
                           b'"AcknowledgedMessageId":"00112233-4455-6677-8899-aabbccddeeff",'
                           b'"AcknowledgedMessageSequenceNumber":3,"IsSequentialMessage":true}')
    assert acknowledged_sequence(ClientMessage.decode(ack.encode())) == 3


def test_flags_and_the_opening_frame():
    message = ClientMessage("input_stream_data", 0, flag_payload(Flag.DISCONNECT_TO_PORT), PayloadType.FLAG)
    assert message.payload == b"\x00\x00\x00\x01" and flag_of(message) == Flag.DISCONNECT_TO_PORT
    opening = json.loads(open_data_channel_input("tok", "client-1", "1.2.650.0"))
    assert opening["MessageSchemaVersion"] == "1.0" and opening["TokenValue"] == "tok"
    assert opening["ClientId"] == "client-1" and uuid.UUID(opening["RequestId"])
