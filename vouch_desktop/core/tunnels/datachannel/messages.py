"""The data channel's binary message: a 120-byte header and a payload.

    offset  size  field
         0     4  header length (116: where the payload length sits), big-endian like all integers
         4    32  message type, ASCII padded with spaces
        36     4  schema version
        40     8  created date, milliseconds since the epoch
        48     8  sequence number (signed)
        56     8  flags
        64    16  message id: a UUID, its low 8 bytes first, then its high 8 bytes
        80    32  SHA-256 of the payload
       112     4  payload type
       116     4  payload length
       120     …  payload
"""

from __future__ import annotations

import enum
import hashlib
import json
import random
import re
import struct
import time
import uuid
from dataclasses import dataclass, field

from vouch_desktop.core.tunnels.errors import TunnelError

HEADER = struct.Struct(">I32sIQqQ16s32sII")
HEADER_LENGTH = 116  # the header length field's value: the payload length field's offset
assert HEADER.size == HEADER_LENGTH + 4 == 120

INPUT_STREAM = "input_stream_data"  # client → agent
OUTPUT_STREAM = "output_stream_data"  # agent → client
ACKNOWLEDGE = "acknowledge"
CHANNEL_CLOSED = "channel_closed"
START_PUBLICATION = "start_publication"
PAUSE_PUBLICATION = "pause_publication"


class PayloadType(enum.IntEnum):
    OUTPUT = 1
    ERROR = 2
    SIZE = 3
    PARAMETER = 4
    HANDSHAKE_REQUEST = 5
    HANDSHAKE_RESPONSE = 6
    HANDSHAKE_COMPLETE = 7
    ENC_CHALLENGE_REQUEST = 8
    ENC_CHALLENGE_RESPONSE = 9
    FLAG = 10
    STDERR = 11
    EXIT_CODE = 12


class Flag(enum.IntEnum):
    """The payload of a FLAG message (a big-endian uint32)."""

    DISCONNECT_TO_PORT = 1
    TERMINATE_SESSION = 2
    CONNECT_TO_PORT_ERROR = 3


class ProtocolError(TunnelError):
    """The other side sent something that is not the data channel protocol."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _uuid(value: int) -> uuid.UUID:
    """uuid.UUID(int=value) without its argument checks: a message id is made for every 1 KB message."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


# uuid4's version and variant bits: the mask keeping the random ones, and the bits set
_VERSION_4 = (0xFFFFFFFFFFFF0FFF3FFFFFFFFFFFFFFF, 0x00000000000040008000000000000000)


def _new_id() -> uuid.UUID:
    """A message id: unique, not secret (uuid4 would cost a system call for every 1 KB message)."""
    return _uuid(random.getrandbits(128) & _VERSION_4[0] | _VERSION_4[1])


def uuid_to_wire(value: uuid.UUID) -> bytes:
    return value.bytes[8:] + value.bytes[:8]


def uuid_from_wire(data: bytes) -> uuid.UUID:
    return _uuid(int.from_bytes(data[8:16] + data[0:8], "big"))


@dataclass(frozen=True)
class ClientMessage:
    message_type: str
    sequence_number: int = 0
    payload: bytes = b""
    payload_type: int = 0
    flags: int = 0
    message_id: uuid.UUID = field(default_factory=_new_id)
    created_ms: int = field(default_factory=_now_ms)
    schema_version: int = 1

    def encode(self) -> bytes:
        return HEADER.pack(HEADER_LENGTH, self.message_type.encode("ascii").ljust(32, b" "), self.schema_version,
                           self.created_ms, self.sequence_number, self.flags, uuid_to_wire(self.message_id),
                           hashlib.sha256(self.payload).digest(), self.payload_type, len(self.payload)) + self.payload

    @classmethod
    def decode(cls, data: bytes) -> ClientMessage:
        if len(data) < HEADER.size:
            raise ProtocolError(f"data channel message too short ({len(data)} bytes)")
        header_length = struct.unpack_from(">I", data)[0]
        if header_length < HEADER_LENGTH or header_length + 4 > len(data):
            raise ProtocolError(f"data channel message has a bad header length ({header_length})")
        (_, raw_type, schema, created, sequence, flags, raw_id, digest,
         payload_type, _) = HEADER.unpack_from(data)
        payload_length = struct.unpack_from(">I", data, header_length)[0]
        payload = bytes(data[header_length + 4:header_length + 4 + payload_length])
        if len(payload) != payload_length:
            raise ProtocolError(f"data channel message truncated ({len(payload)} of {payload_length} payload bytes)")
        message_type = raw_type.strip(b"\x00").decode("ascii", errors="replace").strip()
        if payload_length and message_type not in (START_PUBLICATION, PAUSE_PUBLICATION) \
                and hashlib.sha256(payload).digest() != digest:
            raise ProtocolError(f"data channel message {sequence} failed its payload digest")
        return cls(message_type, sequence, payload, payload_type, flags, uuid_from_wire(raw_id), created, schema)

    def json(self) -> dict:
        try:
            value = json.loads(self.payload)
        except ValueError as exc:
            raise ProtocolError(f"{self.message_type} payload is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ProtocolError(f"{self.message_type} payload is not a JSON object")
        return value


def compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def acknowledgement(message: ClientMessage) -> ClientMessage:
    """What the receiver of a stream message sends back (sequence 0, flags SYN|FIN as the plugin does)."""
    if message.message_type in (INPUT_STREAM, OUTPUT_STREAM):  # the usual case, written out: one per message
        payload = (f'{{"AcknowledgedMessageType":"{message.message_type}","AcknowledgedMessageId":'
                   f'"{message.message_id}","AcknowledgedMessageSequenceNumber":{message.sequence_number},'
                   f'"IsSequentialMessage":true}}').encode()
    else:
        payload = compact_json({"AcknowledgedMessageType": message.message_type,
                                "AcknowledgedMessageId": str(message.message_id),
                                "AcknowledgedMessageSequenceNumber": message.sequence_number,
                                "IsSequentialMessage": True})
    return ClientMessage(ACKNOWLEDGE, 0, payload, flags=3)


_ACKNOWLEDGED_NUMBER = re.compile(rb'"AcknowledgedMessageSequenceNumber":(\d+)[,}]')


def acknowledged_sequence(message: ClientMessage) -> int:
    found = _ACKNOWLEDGED_NUMBER.search(message.payload)  # one per message sent: no JSON parse when plain
    if found is not None:
        return int(found.group(1))
    number = message.json().get("AcknowledgedMessageSequenceNumber")
    if not isinstance(number, int):
        raise ProtocolError("acknowledge without a sequence number")
    return number


def flag_payload(flag: Flag) -> bytes:
    return struct.pack(">I", flag)


def flag_of(message: ClientMessage) -> int:
    return struct.unpack(">I", message.payload[:4])[0] if len(message.payload) >= 4 else 0


def open_data_channel_input(token: str, client_id: str, client_version: str) -> str:
    """The first (text) frame on a new data channel websocket: it presents the session's token."""
    return json.dumps({"MessageSchemaVersion": "1.0", "RequestId": str(uuid.uuid4()), "TokenValue": token,
                       "ClientId": client_id, "ClientVersion": client_version})
