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
    """uuid.UUID(int=value) without its argument checks."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


# uuid4's version and variant bits, as they sit in the wire order (the UUID's low 8 bytes first): the mask
# keeping the random bits, and the bits set
_WIRE_VERSION_4 = (0x3FFFFFFFFFFFFFFFFFFFFFFFFFFF0FFF, 0x80000000000000000000000000004000)
_LOW_64 = (1 << 64) - 1


def _new_wire_id() -> bytes:
    """A fresh message id in wire order: a version-4 UUID, unique, not secret (uuid4 would cost a
    system call for every 1 KB message)."""
    return (random.getrandbits(128) & _WIRE_VERSION_4[0] | _WIRE_VERSION_4[1]).to_bytes(16, "big")


def uuid_to_wire(value: uuid.UUID) -> bytes:
    return ((value.int & _LOW_64) << 64 | value.int >> 64).to_bytes(16, "big")


def uuid_from_wire(data: bytes) -> uuid.UUID:
    return _uuid(int.from_bytes(data[8:16] + data[0:8], "big"))


def wire_id_text(wire_id: bytes) -> str:
    """The message id as text ("00112233-4455-…"), straight from its wire bytes."""
    h = (wire_id[8:16] + wire_id[0:8]).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_TYPE_FIELDS: dict[str, bytes] = {}  # message type → its 32-byte header field
_TYPE_NAMES: dict[bytes, str] = {}  # header field → message type, for the types seen


def type_field(message_type: str) -> bytes:
    field = _TYPE_FIELDS.get(message_type)
    if field is None:
        field = message_type.encode("ascii").ljust(32, b" ")
        if len(_TYPE_FIELDS) < 64:
            _TYPE_FIELDS[message_type] = field
    return field


def _type_name(field: bytes) -> str:
    name = _TYPE_NAMES.get(field)
    if name is None:
        name = field.strip(b"\x00").decode("ascii", errors="replace").strip()
        if len(_TYPE_NAMES) < 64:
            _TYPE_NAMES[field] = name
    return name


_sha256 = hashlib.sha256
_pack_header = HEADER.pack
_unpack_header = HEADER.unpack_from


def encode(message_type: str, sequence_number: int, payload: bytes, payload_type: int = 0, flags: int = 0) -> bytes:
    """A new message's bytes (a fresh id, created now): ``ClientMessage(...).encode()`` without the object,
    for the data channel's every 1 KB."""
    return _pack_header(HEADER_LENGTH, type_field(message_type), 1, int(time.time() * 1000), sequence_number,
                        flags, _new_wire_id(), _sha256(payload).digest(), payload_type, len(payload)) + payload


class ClientMessage:
    """One message: made to be sent (id and creation time filled in) or decoded from the wire.
    A plain class with slots rather than a dataclass: one is decoded for every message received."""

    __slots__ = ("message_type", "sequence_number", "payload", "payload_type", "flags", "wire_id", "created_ms",
                 "schema_version")

    def __init__(self, message_type: str, sequence_number: int = 0, payload: bytes = b"", payload_type: int = 0,
                 flags: int = 0, message_id: uuid.UUID | None = None, created_ms: int | None = None,
                 schema_version: int = 1) -> None:
        self.message_type = message_type
        self.sequence_number = sequence_number
        self.payload = payload
        self.payload_type = payload_type
        self.flags = flags
        self.wire_id = _new_wire_id() if message_id is None else uuid_to_wire(message_id)
        self.created_ms = int(time.time() * 1000) if created_ms is None else created_ms
        self.schema_version = schema_version

    @property
    def message_id(self) -> uuid.UUID:
        return uuid_from_wire(self.wire_id)

    def _fields(self) -> tuple:
        return (self.message_type, self.sequence_number, self.payload, self.payload_type, self.flags, self.wire_id,
                self.created_ms, self.schema_version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClientMessage) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable: not a dict key

    def __repr__(self) -> str:
        return (f"ClientMessage({self.message_type!r}, {self.sequence_number}, payload={len(self.payload)} bytes, "
                f"payload_type={self.payload_type}, flags={self.flags}, id={wire_id_text(self.wire_id)})")

    def encode(self) -> bytes:
        return _pack_header(HEADER_LENGTH, type_field(self.message_type), self.schema_version, self.created_ms,
                            self.sequence_number, self.flags, self.wire_id, _sha256(self.payload).digest(),
                            self.payload_type, len(self.payload)) + self.payload

    @classmethod
    def decode(cls, data: bytes) -> ClientMessage:
        if len(data) < 120:
            raise ProtocolError(f"data channel message too short ({len(data)} bytes)")
        (header_length, raw_type, schema, created, sequence, flags, raw_id, digest,
         payload_type, payload_length) = _unpack_header(data)
        if header_length != HEADER_LENGTH:  # a longer header (fields added later): skip to its payload length
            if header_length < HEADER_LENGTH or header_length + 4 > len(data):
                raise ProtocolError(f"data channel message has a bad header length ({header_length})")
            payload_length = int.from_bytes(data[header_length:header_length + 4], "big")
        start = header_length + 4
        payload = data[start:start + payload_length]
        if len(payload) != payload_length:
            raise ProtocolError(f"data channel message truncated ({len(payload)} of {payload_length} payload bytes)")
        message_type = _type_name(raw_type)
        if payload_length and _sha256(payload).digest() != digest \
                and message_type not in (START_PUBLICATION, PAUSE_PUBLICATION):
            raise ProtocolError(f"data channel message {sequence} failed its payload digest")
        message = cls.__new__(cls)
        message.message_type = message_type
        message.sequence_number = sequence
        message.payload = payload if isinstance(payload, bytes) else bytes(payload)
        message.payload_type = payload_type
        message.flags = flags
        message.wire_id = raw_id
        message.created_ms = created
        message.schema_version = schema
        return message

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


def acknowledgement_payload(message: ClientMessage) -> bytes:
    if message.message_type in (INPUT_STREAM, OUTPUT_STREAM):  # the usual case, written out: one per message
        return (f'{{"AcknowledgedMessageType":"{message.message_type}","AcknowledgedMessageId":'
                f'"{wire_id_text(message.wire_id)}","AcknowledgedMessageSequenceNumber":{message.sequence_number},'
                f'"IsSequentialMessage":true}}').encode()
    return compact_json({"AcknowledgedMessageType": message.message_type,
                         "AcknowledgedMessageId": wire_id_text(message.wire_id),
                         "AcknowledgedMessageSequenceNumber": message.sequence_number,
                         "IsSequentialMessage": True})


def acknowledgement(message: ClientMessage) -> ClientMessage:
    """What the receiver of a stream message sends back (sequence 0, flags SYN|FIN as the plugin does)."""
    return ClientMessage(ACKNOWLEDGE, 0, acknowledgement_payload(message), flags=3)


def encode_acknowledgement(message: ClientMessage) -> bytes:
    """``acknowledgement(message).encode()``, without the object in between."""
    return encode(ACKNOWLEDGE, 0, acknowledgement_payload(message), 0, 3)


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
