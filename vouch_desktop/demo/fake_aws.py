"""A fake AWS on 127.0.0.1: moto's server plus the SSM session calls moto lacks.

moto (5.x) implements EC2, RDS and STS, but not SSM's ``DescribeInstanceInformation``,
``StartSession``, ``TerminateSession``, ``ResumeSession`` or ``DescribeSessions``. ``SsmSessionsMiddleware``
sits in front of moto's WSGI app and answers those five itself; everything else goes to moto.

Which instances are SSM-managed is read from moto's EC2 backend (the same process): an
instance with the tag ``vouch-demo:ssm-agent = online`` runs an agent, which is "Online" while
the instance runs and "ConnectionLost" otherwise.

Where a port-forwarding session's bytes really go is a route table (``add_route``). Both ends of a
session use it: ``StartSession``'s ``StreamUrl`` points at a fake SSM agent (``fake_ssm_agent``: the
real data channel protocol, for the built-in tunnel backend), and the fake ``session-manager-plugin``
asks ``GET /_vouch_demo/sessions/<id>`` on the endpoint for its session, including the route.
Both end when the session is terminated (``drop_session`` simulates a dropped session).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from werkzeug.serving import BaseWSGIServer, make_server

from vouch_desktop.demo.ssm_agent import DEFAULT_AGENT_VERSION, AgentTarget, FakeSsmAgent
from vouch_desktop.demo.ssm_agent.facts import PORT, STANDARD_STREAM, session_properties

MANAGED_TAG = "vouch-demo:ssm-agent"
AGENT_VERSION_TAG = "vouch-demo:agent-version"  # the instance's SSM agent version (else the fake agent's default)
SHELL_DOCUMENTS = {"", "SSM-SessionManagerRunShell", "AWS-StartInteractiveCommand"}
PORT_DOCUMENTS = {"AWS-StartSSHSession", "AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost"}
KNOWN_DOCUMENTS = SHELL_DOCUMENTS | PORT_DOCUMENTS | {"AWS-StartNonInteractiveCommand"}
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_REGION_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


class SsmError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class FakeSession:
    session_id: str
    target: str
    document: str
    parameters: dict[str, list[str]]
    region: str
    token: str
    status: str = "Connected"  # Connected → Terminated
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    ended: str = ""
    instance_name: str = ""
    resumed: int = 0
    agent_version: str = ""  # the target's agent, when its instance says (AGENT_VERSION_TAG)


class FakeAws:
    """``with FakeAws() as aws: boto3.client("ec2", endpoint_url=aws.endpoint_url, ...)``"""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sessions: dict[str, FakeSession] = {}
        self._routes: dict[tuple[str, int], tuple[str, int]] = {}
        self._denied: set[str] = set()
        self._session: boto3.session.Session | None = None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self.calls: list[str] = []  # the SSM actions answered here, in order (for tests)
        self.agent = FakeSsmAgent(self._agent_target, self.drop_session, host=host)

    # ---- life cycle
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeAws:
        self.agent.start()
        return self._serve()

    def _serve(self) -> FakeAws:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: object) -> None:  # no access log on the user's terminal
                pass

        app = SsmSessionsMiddleware(DomainDispatcherApplication(create_backend_app), self)
        self._server = server = make_server(self.host, self._requested_port or self.port, app, threaded=True,
                                            request_handler=QuietHandler)
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="fake-aws", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_api()
        self.agent.stop()

    def stop_api(self) -> None:
        """An AWS outage, for fault tests: the API stops answering (``restart`` brings it back)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def restart(self) -> None:
        """Stop the API and serve it again on the same port (state kept): for network-fault tests.
        The data channel endpoint (the fake agent) stays up, as ssmmessages is a separate service."""
        port = self.port
        self.stop_api()
        self._requested_port = port
        self._serve()

    def __enter__(self) -> FakeAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget everything: moto's state (it is global to the process) and ours."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        with self._lock:
            self._sessions.clear()
            self._routes.clear()
            self._denied.clear()
            self.calls.clear()
        self.agent.reset()

    # ---- clients and test controls
    def client(self, service: str, region: str = "eu-west-1") -> Any:
        """A client of our own, blind to the environment: in --demo the app shares this process and
        sets AWS_PROFILE, which must not leak into the fake's internal calls."""
        key = (service, region, self.endpoint_url)
        with self._lock:  # clients are thread-safe and costly to make: one per service and region
            if key not in self._clients:
                if self._session is None:
                    botocore_session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
                    self._session = boto3.session.Session(botocore_session=botocore_session, **DUMMY_CREDENTIALS)
                self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                                          config=Config(retries={"max_attempts": 1}))
            return self._clients[key]

    def add_route(self, host: str, port: int, target: tuple[str, int]) -> None:
        with self._lock:
            self._routes[(host.lower(), int(port))] = (target[0], int(target[1]))

    def deny_start_session(self, target: str) -> None:
        """StartSession on this target (an id or a glob) answers AccessDeniedException from now on."""
        with self._lock:
            self._denied.add(target)

    def sessions(self) -> list[FakeSession]:
        with self._lock:
            return list(self._sessions.values())

    def active_sessions(self) -> list[FakeSession]:
        return [s for s in self.sessions() if s.status == "Connected"]

    def drop_session(self, session_id: str) -> None:
        """The session ends on the service's side (idle timeout, network change)."""
        self._end(session_id)

    def _end(self, session_id: str) -> FakeSession:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise SsmError("DoesNotExistException", f"Session {session_id} does not exist.")
            ending = session.status != "Terminated"
            if ending:
                session.status = "Terminated"
                session.ended = datetime.now(UTC).isoformat()
        if ending:
            self.agent.end_session(session_id)
        return session

    def _agent_target(self, session_id: str) -> AgentTarget | None:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.status != "Connected":
            return None
        properties = session_properties(session.document, session.parameters)
        version = session.agent_version or None
        if properties is None:  # a shell document: the agent's Standard_Stream plugin
            return AgentTarget(session.token, None, None, session_type=STANDARD_STREAM, agent_version=version)
        return AgentTarget(session.token, properties, self.route_for(session), session_type=PORT,
                           agent_version=version)

    # ---- what the fake SSM calls need from EC2
    def ec2_instances(self, region: str) -> list[dict]:
        """The region's instances as DescribeInstances shows the fields the SSM calls use, read from
        moto's EC2 backend in this process. Through its API, thousands of instances took seconds a
        listing (moto looks up each instance's tags by scanning every tag, then renders XML)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        tags = backend.tags
        return [{"InstanceId": instance.id, "State": {"Name": instance.state},
                 "PrivateIpAddress": instance.private_ip or "",
                 "Tags": [{"Key": key, "Value": value} for key, value in tags.get(instance.id, {}).items()]}
                for reservation in backend.all_reservations() for instance in reservation.instances]

    def route_for(self, session: FakeSession) -> tuple[str, int] | None:
        params = session.parameters
        port = int((params.get("portNumber") or ["22" if session.document == "AWS-StartSSHSession" else "0"])[0])
        host = session.target
        if session.document.endswith("ToRemoteHost"):
            host = (params.get("host") or [session.target])[0]
        with self._lock:
            route = self._routes.get((host.lower(), port))
        if route is None and host in ("127.0.0.1", "localhost"):
            route = ("127.0.0.1", port)
        return route


def _tags(instance: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def _instance_information(instance: dict, default_agent_version: str = DEFAULT_AGENT_VERSION) -> dict:
    running = instance["State"]["Name"] == "running"
    platform = instance.get("PlatformDetails", "Linux/UNIX")
    return {
        "InstanceId": instance["InstanceId"],
        "PingStatus": "Online" if running else "ConnectionLost",
        "LastPingDateTime": datetime.now(UTC).timestamp(),
        "AgentVersion": _tags(instance).get(AGENT_VERSION_TAG) or default_agent_version,
        "IsLatestVersion": True,
        "PlatformType": "Windows" if "Windows" in platform else "Linux",
        "PlatformName": "Amazon Linux" if "Windows" not in platform else "Microsoft Windows Server 2022",
        "PlatformVersion": "2023",
        "ResourceType": "EC2Instance",
        "IPAddress": instance.get("PrivateIpAddress", ""),
        "ComputerName": f"ip-{instance.get('PrivateIpAddress', '0.0.0.0').replace('.', '-')}.ec2.internal",
        "AssociationStatus": "Success",
    }


def _filters_match(info: dict, filters: Iterable[dict]) -> bool:
    for f in filters:
        key = f.get("Key") or f.get("key") or ""
        values = f.get("Values") or f.get("valueSet") or []
        field_name = {"InstanceIds": "InstanceId", "PingStatus": "PingStatus", "PlatformTypes": "PlatformType",
                      "ResourceType": "ResourceType", "AgentVersion": "AgentVersion"}.get(key, key)
        if str(info.get(field_name, "")) not in values:
            return False
    return True


class SsmSessionsMiddleware:
    """WSGI: answers the SSM session actions and the demo control endpoint; passes the rest to moto."""

    def __init__(self, app: Callable, fake: FakeAws) -> None:
        self.app = app
        self.fake = fake
        self._managed_cache: dict[str, list[dict]] = {}
        self.actions = {
            "DescribeInstanceInformation": self.describe_instance_information,
            "StartSession": self.start_session,
            "TerminateSession": self.terminate_session,
            "ResumeSession": self.resume_session,
            "DescribeSessions": self.describe_sessions,
        }

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_vouch_demo/sessions/"):
            return self.control(path.rsplit("/", 1)[-1], start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service, _, action = target.partition(".")
        if service != "AmazonSSM" or action not in self.actions:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        match = _REGION_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else "us-east-1"
        self.fake.calls.append(action)
        try:
            return self.reply(start_response, 200, self.actions[action](body, region))
        except SsmError as exc:
            return self.reply(start_response, exc.status, {"__type": exc.code, "message": exc.message})

    @staticmethod
    def reply(start_response: Callable, status: int, payload: dict) -> list[bytes]:
        data = json.dumps(payload, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
        start_response(f"{status} {reason}", [("Content-Type", "application/x-amz-json-1.1"),
                                              ("Content-Length", str(len(data)))])
        return [data]

    def control(self, session_id: str, start_response: Callable) -> list[bytes]:
        session = next((s for s in self.fake.sessions() if s.session_id == session_id), None)
        if session is None:
            return self.reply(start_response, 404, {"error": f"no session {session_id}"})
        info = asdict(session)
        del info["token"]
        route = self.fake.route_for(session)
        info["route"] = list(route) if route else None
        return self.reply(start_response, 200, info)

    # ---- the SSM actions
    def managed(self, region: str, continuing: bool = False) -> list[dict]:
        # the later pages of one DescribeInstanceInformation listing reuse the first page's snapshot
        if continuing and region in self._managed_cache:
            return self._managed_cache[region]
        found = [i for i in self.fake.ec2_instances(region)
                 if _tags(i).get(MANAGED_TAG) == "online" and i["State"]["Name"] != "terminated"]
        self._managed_cache[region] = found
        return found

    def describe_instance_information(self, body: dict, region: str) -> dict:
        filters = list(body.get("Filters", [])) + list(body.get("InstanceInformationFilterList", []))
        infos = [_instance_information(i, self.fake.agent.version)
                 for i in self.managed(region, continuing=bool(body.get("NextToken")))]
        infos = [i for i in infos if _filters_match(i, filters)]
        infos.sort(key=lambda i: i["InstanceId"])
        size = max(1, min(int(body.get("MaxResults") or 50), 50))
        start = int(body.get("NextToken") or 0)
        result: dict = {"InstanceInformationList": infos[start:start + size]}
        if start + size < len(infos):
            result["NextToken"] = str(start + size)
        return result

    def start_session(self, body: dict, region: str) -> dict:
        target = str(body.get("Target", ""))
        document = str(body.get("DocumentName", ""))
        parameters = {k: [str(v) for v in vs] for k, vs in (body.get("Parameters") or {}).items()}
        if not target:
            raise SsmError("ValidationException", "1 validation error detected: Value null at 'target'")
        if document not in KNOWN_DOCUMENTS:
            raise SsmError("InvalidDocument", f"Document with name {document} does not exist.")
        with self.fake._lock:
            denied = any(fnmatch.fnmatchcase(target, pattern) for pattern in self.fake._denied)
        if denied:
            raise SsmError("AccessDeniedException",
                           f"User: arn:aws:sts::123456789012:assumed-role/VouchDemo/demo is not authorized to "
                           f"perform: ssm:StartSession on resource: "
                           f"arn:aws:ec2:{region}:123456789012:instance/{target}")
        instance = next((i for i in self.managed(region) if i["InstanceId"] == target), None)
        if instance is None or instance["State"]["Name"] != "running":
            raise SsmError("TargetNotConnected", f"{target} is not connected.")
        session_id = f"vouch-demo-{secrets.token_hex(8)}"
        session = FakeSession(session_id=session_id, target=target, document=document, parameters=parameters,
                              region=region, token=secrets.token_urlsafe(48),
                              instance_name=_tags(instance).get("Name", ""),
                              agent_version=_tags(instance).get(AGENT_VERSION_TAG, ""))
        with self.fake._lock:
            self.fake._sessions[session_id] = session
        return self._session_reply(session)

    def _session_reply(self, session: FakeSession) -> dict:
        return {"SessionId": session.session_id, "TokenValue": session.token,
                "StreamUrl": self.fake.agent.url_for(session.session_id)}

    def terminate_session(self, body: dict, region: str) -> dict:
        session_id = str(body.get("SessionId", ""))
        with contextlib.suppress(SsmError):  # like the real API: terminating an unknown or ended session is fine
            self.fake._end(session_id)
        return {"SessionId": session_id}

    def resume_session(self, body: dict, region: str) -> dict:
        session_id = str(body.get("SessionId", ""))
        with self.fake._lock:
            session = self.fake._sessions.get(session_id)
            if session is None or session.status != "Connected":
                raise SsmError("DoesNotExistException", f"Session {session_id} does not exist or has ended.")
            session.token = secrets.token_urlsafe(48)
            session.resumed += 1
        return self._session_reply(session)

    def describe_sessions(self, body: dict, region: str) -> dict:
        state = body.get("State", "Active")
        wanted = "Connected" if state == "Active" else "Terminated"
        sessions = [s for s in self.fake.sessions() if s.region == region and s.status == wanted]
        return {"Sessions": [{"SessionId": s.session_id, "Target": s.target, "Status": s.status,
                              "StartDate": s.started, "EndDate": s.ended or None,
                              "DocumentName": s.document or "SSM-SessionManagerRunShell",
                              "Owner": "arn:aws:sts::123456789012:assumed-role/VouchDemo/demo"} for s in sessions]}
