"""AWS access for the whole app: one botocore session per profile, thread-safe clients, and botocore's
exceptions turned into messages a person can act on (advice from the Vouch SSM guide).

Profiles and their settings are read by botocore (``AWS_CONFIG_FILE``, ``AWS_PROFILE``...), never
parsed by hand. The endpoint comes from the environment (``AWS_ENDPOINT_URL``), which is how the
demo and the tests point every client, ours and the AWS CLI's, at the fake AWS.

botocore's session is imported when the first client is made, not with this module: it and the
service models it loads are half the app's memory, which an idle tray icon does not need.
"""

from __future__ import annotations

import threading
import traceback
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSLError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from vouch_desktop.core.aws.credentials import use_vouch_aware_credential_process
from vouch_desktop.core.aws.errors import AccessDenied, AwsError, AwsUnreachable, ProfileMissing, TargetNotConnected
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.vouch.errors import SETUP_AWS_HINT

if TYPE_CHECKING:
    import botocore.session

ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
                       "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"}


def available_profiles() -> list[str]:
    """The profiles in the user's AWS config and credentials files, as botocore reads them."""
    import botocore.session

    return sorted(botocore.session.Session().available_profiles)


def translate(exc: BaseException, *, profile: str = "", target: str = "", action: str = "") -> VouchDesktopError:
    """Turn a botocore failure into an error with plain words and advice."""
    where = f" ({action})" if action else ""
    if isinstance(exc, VouchDesktopError):
        return exc
    if isinstance(exc, ProfileNotFound):
        return ProfileMissing(
            f"The AWS profile '{profile}' does not exist{where}.",
            advice=f"{SETUP_AWS_HINT} Or choose another profile in Settings.",
            code="ProfileNotFound")
    if isinstance(exc, CredentialRetrievalError):  # not a Vouch login missing: that is VouchNotLoggedIn already
        return AwsError(f"Getting AWS credentials for profile '{profile}' failed{where}.",
                        advice="Check that you are logged in to Vouch and that the profile's "
                               "credential_process works ('vouch credential aws').",
                        code="CredentialRetrievalError", detail=str(exc))
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AwsError(f"The AWS profile '{profile}' gives no credentials{where}.",
                        advice=f"The profile needs Vouch's credential_process. {SETUP_AWS_HINT}",
                        code="NoCredentials")
    if isinstance(exc, NoRegionError):
        return AwsError("No AWS region is set.", advice="Choose your regions in Settings.", code="NoRegion")
    if isinstance(exc, (BotoConnectionError, HTTPClientError)) and not isinstance(exc, SSLError):
        # EndpointConnectionError (refused, no route, DNS), ConnectTimeoutError, ReadTimeoutError,
        # ConnectionClosedError; a certificate problem (SSLError) is not cured by waiting
        return AwsUnreachable(f"AWS could not be reached{where}.",
                              advice="Check your network connection (and VPN), then try again.",
                              code=type(exc).__name__, detail=str(exc))
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        text = error.get("Message", "") or str(exc)
        if code == "TargetNotConnected":
            return TargetNotConnected(
                f"{target or 'The instance'} is not connected to Systems Manager.",
                advice="The instance needs a running SSM agent ('sudo systemctl status amazon-ssm-agent'), "
                       "an instance profile with AmazonSSMManagedInstanceCore, and a route to the SSM "
                       "endpoint (NAT gateway or VPC endpoint).",
                code=code, detail=text)
        if code in ACCESS_DENIED_CODES:
            return AccessDenied(
                f"AWS denied access{where}: {text}",
                advice="Check that your role allows this (for sessions: ssm:StartSession on the instance "
                       "ARN and the document), that the resource ARNs in the policy match, and that "
                       "your Vouch session is active.",
                code=code, detail=text)
        return AwsError(f"AWS refused the request{where}: {code}: {text}", code=code, detail=text)
    if isinstance(exc, BotoCoreError):
        return AwsError(f"The AWS request failed{where}: {exc}", code=type(exc).__name__)
    if isinstance(exc, OSError) and _from_credential_process(exc):
        return _credential_program_failure(exc, profile, where)
    return AwsError(f"Unexpected failure{where}: {exc}", code=type(exc).__name__)


def _from_credential_process(exc: OSError) -> bool:
    """Whether botocore raised ``exc`` starting the profile's credential_process program (it does not
    catch the OSError that starting a missing or non-executable program raises)."""
    return any(frame.f_code.co_name == "_retrieve_credentials_using" and "botocore" in frame.f_code.co_filename
               for frame, _ in traceback.walk_tb(exc.__traceback__))


def _credential_program_failure(exc: OSError, profile: str, where: str) -> AwsError:
    program = str(exc.filename) if exc.filename else "its program"
    if isinstance(exc, FileNotFoundError):
        problem = f"the program it names, {program}, does not exist"
    elif isinstance(exc, PermissionError):
        problem = f"the program it names, {program}, cannot be run (not executable, or a folder)"
    else:
        problem = f"its program {program} could not be started ({exc.strerror or exc})"
    name = f"'{profile}'" if profile else "(the default)"
    return AwsError(f"The AWS profile {name} gets its credentials from a credential_process, but {problem}{where}.",
                    advice=f"Set the profile up again, so that it names where vouch is now: {SETUP_AWS_HINT} Or fix "
                           "the credential_process line of the profile in your AWS config (~/.aws/config).",
                    code="CredentialProcessNotFound" if isinstance(exc, FileNotFoundError)
                    else "CredentialProcessFailed", detail=str(exc))


class AwsSessions:
    """One botocore session per profile, shared across threads.

    Sessions are not thread-safe but the clients they make are; clients are made under a lock and
    cached, so discovery in several regions at once shares one credential cache (one call to
    ``vouch credential aws`` per hour, not one per region). The service models are parsed once, into
    a loader every session shares, so a new login (which drops the sessions) does not parse them again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loader: Any = None
        self._sessions: dict[str, botocore.session.Session] = {}
        self._clients: dict[tuple[str, str, str, bool], Any] = {}  # (service, profile, region, quick)

    @property
    def models_loaded(self) -> bool:
        """Whether botocore has been asked for a model yet (a client made, or ``warm_up``)."""
        return self._loader is not None

    def _loader_locked(self) -> Any:
        if self._loader is None:
            from botocore.loaders import create_loader

            self._loader = create_loader()
        return self._loader

    def _session_locked(self, profile: str) -> botocore.session.Session:
        if profile not in self._sessions:
            import botocore.session

            session = botocore.session.Session(profile=profile or None)
            session.register_component("data_loader", self._loader_locked())
            use_vouch_aware_credential_process(session)
            self._sessions[profile] = session
        return self._sessions[profile]

    def client(self, service: str, profile: str, region: str, *, quick: bool = False) -> Any:
        """A shared client. ``quick`` ones (listing instances and databases: many small reads) give up on a
        silent endpoint within ~15 s instead of ~60 s, so that a region out of reach does not hold a
        worker thread (and the app's quit, which waits for it) for a minute."""
        key = (service, profile, region, quick)
        with self._lock:
            if key not in self._clients:
                from botocore.config import Config

                if quick:
                    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=8)
                else:
                    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
                self._clients[key] = self._create_client(self._session_locked(profile), service, region, config)
            return self._clients[key]

    @staticmethod
    def _create_client(session: botocore.session.Session, service: str, region: str, config: Any) -> Any:
        return session.create_client(service, region_name=region, config=config)

    def keys_in_use(self, profile: str) -> list[str]:
        """The AWS keys the profile's session holds now (blocking: a refresh may run its
        credential_process), so that they can be removed from any text (core.system.redaction)."""
        with self._lock:
            session = self._sessions.get(profile)
        credentials = session.get_credentials() if session is not None else None
        if credentials is None:
            return []
        frozen = credentials.get_frozen_credentials()
        return [key for key in (frozen.access_key, frozen.secret_key, frozen.token) if key]

    def warm_up(self, services: tuple[str, ...] = ("ssm", "ec2", "rds", "sts")) -> None:
        """Parse the service models now (blocking: call it in a thread when the user reaches for the
        app, e.g. opens its menu). Parsing holds the GIL for up to ~100 ms a model, which would
        otherwise stall the UI the first time a window lists instances. Nothing is sent and no
        credentials are fetched (making a client would run the profile's credential_process)."""
        with self._lock:
            loader = self._loader_locked()
        for service in services:
            for kind in ("service-2", "endpoint-rule-set-1"):
                # called as botocore's client creator calls it: the loader caches by the call's arguments
                loader.load_service_model(service, kind, api_version=None)

    def forget(self, profile: str | None = None) -> None:
        """Drop cached sessions (after a settings change or a new login) so credentials are re-read."""
        with self._lock:
            for key in [k for k in self._clients if profile is None or k[1] == profile]:
                del self._clients[key]
            for name in [p for p in self._sessions if profile is None or p == profile]:
                del self._sessions[name]
