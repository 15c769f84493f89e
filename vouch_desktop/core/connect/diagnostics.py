"""Pre-flight checks before a connection, each with plain advice (from the Vouch SSM guide)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from vouch_desktop.core.aws.access import check_access
from vouch_desktop.core.aws.sessions import AwsSessions, available_profiles, translate
from vouch_desktop.core.aws.ssm_commands import ToolPaths
from vouch_desktop.core.connect.ssh_config import SAMPLE_TARGETS, SshConfigEditor
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.processes import ProcessRegistry, run
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.errors import SETUP_AWS_HINT

PLUGIN_ADVICE = ("Install the Session Manager plugin for the AWS CLI and make sure it is on your PATH "
                 "(or set its path in Settings). Shells and SSH need it; tunnels work without it "
                 "(built-in backend).")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str
    advice: str = ""
    blocking: bool = True  # False: a warning, connecting can still work


class Diagnostics:
    def __init__(self, vouch: VouchClient, aws: AwsSessions, tools: Callable[[], ToolPaths], profile: str,
                 region: str, ssh: SshConfigEditor | None = None, *, processes: ProcessRegistry | None = None) -> None:
        self.vouch, self.aws, self.tools = vouch, aws, tools
        self.profile, self.region = profile, region
        self.ssh = ssh
        self.processes = processes if processes is not None else vouch.processes  # the app's: stopped at quit

    async def vouch_cli(self) -> CheckResult:
        try:
            status = await self.vouch.status()
        except VouchDesktopError as exc:
            return CheckResult("Vouch CLI", False, exc.message, exc.advice)
        if not status.authenticated:
            return CheckResult("Vouch login", False, "You are not logged in to Vouch.",
                               "Log in from the tray (YubiKey touch + PIN).")
        return CheckResult("Vouch login", True, f"Logged in as {status.email or 'you'}.")

    async def aws_profile(self) -> CheckResult:
        profiles = await asyncio.to_thread(available_profiles)
        if self.profile not in profiles:
            return CheckResult("AWS profile", False, f"The AWS profile '{self.profile}' does not exist.",
                               f"{SETUP_AWS_HINT} Or choose another profile in Settings.")
        return CheckResult("AWS profile", True, f"Profile '{self.profile}' found.")

    async def aws_access(self) -> CheckResult:
        try:
            identity = await check_access(self.aws, self.profile, self.region)
        except VouchDesktopError as exc:
            return CheckResult("AWS access", False, exc.message, exc.advice)
        return CheckResult("AWS access", True, f"AWS knows you as {identity.arn}.")

    async def aws_cli(self) -> CheckResult:
        if self.tools().aws:
            return CheckResult("AWS CLI", True, f"Found at {self.tools().aws}.", blocking=False)
        return CheckResult("AWS CLI", False, "The AWS CLI was not found; shells start through Vouch Desktop instead.",
                           "Install the AWS CLI v2 to use 'aws ssm start-session' and SSH over SSM.", blocking=False)

    async def plugin(self) -> CheckResult:
        plugin = self.tools().plugin
        if not plugin:
            return CheckResult("Session Manager plugin", False, "SessionManagerPlugin is not found.", PLUGIN_ADVICE)
        try:
            result = await run([plugin, "--version"], timeout=10, registry=self.processes)
        except VouchDesktopError as exc:
            return CheckResult("Session Manager plugin", False, exc.message, PLUGIN_ADVICE)
        version = result.stdout.strip() or "unknown version"
        return CheckResult("Session Manager plugin", result.returncode == 0, f"Version {version} at {plugin}.")

    async def target(self, instance_id: str, region: str | None = None) -> CheckResult:
        region = region or self.region

        def look() -> tuple[list, list]:
            ssm = self.aws.client("ssm", self.profile, region)
            ec2 = self.aws.client("ec2", self.profile, region)
            info = ssm.describe_instance_information(
                Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]).get("InstanceInformationList", [])
            try:
                reservations = ec2.describe_instances(InstanceIds=[instance_id]).get("Reservations", [])
            except Exception:  # the instance may be hybrid (mi-) or outside EC2's view
                reservations = []
            return info, reservations

        name = f"Instance {instance_id}"
        try:
            info, reservations = await asyncio.to_thread(look)
        except Exception as exc:
            error = translate(exc, profile=self.profile, target=instance_id, action=f"checking {instance_id}")
            return CheckResult(name, False, error.message, error.advice)
        state = next((i["State"]["Name"] for r in reservations for i in r.get("Instances", [])), "")
        if state and state != "running":
            return CheckResult(name, False, f"{instance_id} is {state}.", "Start the instance, then connect again.")
        if not info:
            return CheckResult(name, False, f"{instance_id} is not managed by Systems Manager (TargetNotConnected).",
                               "The instance needs the SSM agent running, an instance profile with "
                               "AmazonSSMManagedInstanceCore, and a route to the SSM endpoint (NAT or VPC endpoint).")
        ping = info[0].get("PingStatus", "")
        if ping != "Online":
            return CheckResult(name, False, f"The SSM agent on {instance_id} is not connected ({ping}).",
                               "Check the agent: 'sudo systemctl status amazon-ssm-agent', and its network route.")
        return CheckResult(name, True, f"{instance_id} is running and its SSM agent is online.")

    async def ssh_over_ssm(self) -> CheckResult:
        if self.ssh is None:
            return CheckResult("SSH over SSM", True, "Not checked.", blocking=False)
        status = await asyncio.to_thread(self.ssh.status)
        if status.routed:
            disagreement = await self.ssh_disagrees()
            if disagreement:
                return CheckResult("SSH over SSM", False, disagreement,
                                   "Run 'ssh -G i-0123456789abcdef0' to see what ssh reads, and fix the lines "
                                   "that win over the block.", blocking=False)
        return CheckResult("SSH over SSM", status.routed, status.text,
                           "" if status.routed else "Use 'Set up SSH over SSM' in the tray, or run 'vouch setup ssm'.",
                           blocking=False)

    async def ssh_disagrees(self) -> str:
        """What the real ssh does for an instance when it does not go through SSM ("" when it does, or when
        no ssh is installed to ask): `ssh -G` prints the settings ssh would use, without connecting."""
        assert self.ssh is not None
        ssh = shutil.which("ssh")
        if ssh is None:
            return ""
        try:
            result = await run([ssh, "-G", *self.ssh.ssh_options(), SAMPLE_TARGETS[0]], timeout=10,
                               registry=self.processes)
        except VouchDesktopError:
            return ""
        if result.returncode != 0:
            return f"ssh cannot read {self.ssh.where}: {result.stderr.strip()[:200] or 'it says no more'}."
        proxy = next((line.split(None, 1)[1] for line in result.stdout.splitlines()
                      if line.lower().startswith("proxycommand ")), "")
        if "ssm start-session" in proxy:
            return ""
        return (f"{self.ssh.where} has the block, but ssh does not use it for i-* hosts "
                f"({'it uses: ' + proxy if proxy else 'no ProxyCommand'}).")

    async def run_all(self, instance_id: str = "", region: str | None = None) -> list[CheckResult]:
        checks: list[Awaitable[CheckResult]] = [self.vouch_cli(), self.aws_profile(), self.aws_access(), self.aws_cli(),
                                                self.plugin(), self.ssh_over_ssm()]
        if instance_id:
            checks.append(self.target(instance_id, region))
        return list(await asyncio.gather(*checks))

    async def before_connect(self, instance_id: str, region: str) -> list[CheckResult]:
        """What must hold to open a shell: failures only (empty = go)."""
        results = await asyncio.gather(self.vouch_cli(), self.plugin(), self.target(instance_id, region))
        return [r for r in results if not r.ok and r.blocking]
