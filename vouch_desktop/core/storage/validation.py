"""Field checks shared by settings and profiles, each with a message that says what is wrong."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

from vouch_desktop.core.errors import ValidationError
from vouch_desktop.core.storage.files import shorten

INSTANCE_ID_RE = re.compile(r"^(i|mi)-[0-9a-f]{8,17}\Z")
TAG_FILTER_RE = re.compile(r"^[^=\s][^=]{0,127}=[^=]{1,256}\Z")
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}\Z")
NAME_RE = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,64}\Z")
HOST_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    import botocore.session

    return frozenset(botocore.session.get_session().get_available_regions("ec2"))


def check_region(field: str, region: str) -> None:
    # botocore's list can lag behind AWS: a well-formed name of a region it does not know yet is accepted;
    # the form is checked first, so loading settings at start-up does not import botocore
    if not REGION_RE.match(region) and region not in known_regions():
        raise ValidationError(field, f"'{shorten(region)}' is not an AWS region (for example: eu-west-1).")


def check_name(field: str, name: str, what: str) -> None:
    if not name.strip():
        raise ValidationError(field, f"Give the {what} a name.")
    if name != name.strip():
        raise ValidationError(field, f"The {what} name must not start or end with spaces.")
    if not NAME_RE.match(name):
        raise ValidationError(field, f"The {what} name must be 1–64 characters, without control characters or slashes.")


def check_aws_profile(field: str, name: str, *, optional: bool = False) -> None:
    """``optional``: "" stands for the profile chosen in Settings."""
    if optional and not name:
        return
    # botocore reads `[profile NAME]` without spaces; and it follows `--profile` on the command lines
    # we build, so it must not look like an option
    if not 0 < len(name) <= 128 or name.startswith("-") or not name.isprintable() or any(c.isspace() for c in name):
        raise ValidationError(field, f"'{shorten(name)}' is not an AWS profile name: up to 128 characters, "
                                     "without spaces or control characters, not starting with '-'.")


def is_tag_filter(target: str) -> bool:
    return "=" in target


def check_target(field: str, target: str) -> None:
    if not target:
        raise ValidationError(field, "Give an instance id (i-0123456789abcdef0) or a tag filter (Name=web-*).")
    if is_tag_filter(target):
        if not TAG_FILTER_RE.match(target):
            raise ValidationError(field, f"'{shorten(target)}' is not a tag filter: write Key=pattern, "
                                         "for example Name=web-*.")
    elif not INSTANCE_ID_RE.match(target):
        raise ValidationError(field, f"'{shorten(target)}' is not an instance id: they look like "
                                     "i-0123456789abcdef0 or mi-0123456789abcdef0.")


def check_port(field: str, port: object, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(port, bool) or not isinstance(port, int) or not low <= port <= 65535:
        hint = " (0 picks a free one)" if allow_zero else ""
        raise ValidationError(field, f"Port must be a whole number from {low} to 65535{hint}.")
    return port


def check_host(field: str, host: str) -> None:
    if not host:
        raise ValidationError(field, "Give the remote host, for example mydb.cluster-abc.eu-west-1.rds.amazonaws.com.")
    if not host.isprintable() or any(c.isspace() for c in host):  # an IPv6 scope (%…) takes any text
        raise ValidationError(field, f"{shorten(repr(host))} is not a valid host name or IP address.")
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(HOST_LABEL_RE.match(label) for label in labels):
        raise ValidationError(field, f"'{shorten(host)}' is not a valid host name or IP address.")


def collect(*checks: Callable[[], object]) -> list[ValidationError]:
    """Run every check (a zero-argument callable) and gather the failures, so all are shown at once."""
    errors: list[ValidationError] = []
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors.append(exc)
    return errors
