"""The fake SSM agent: see ``vouch_desktop.demo.ssm_agent`` (kept under this name for its users)."""

from vouch_desktop.demo.ssm_agent import DEFAULT_AGENT_VERSION, AgentSession, AgentTarget, FakeSsmAgent, LinkFaults

__all__ = ["DEFAULT_AGENT_VERSION", "AgentSession", "AgentTarget", "FakeSsmAgent", "LinkFaults"]
