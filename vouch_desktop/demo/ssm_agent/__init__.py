"""A fake SSM agent (and the message gateway in front of it) that behaves as AWS's does.

``server``: the websocket endpoint and the agent's sessions; ``datachannel``: sequencing,
acknowledgements and resends the agent's way; ``smux``: the agent's multiplexer; ``port`` and
``shell``: the session plugins; ``facts``: what they follow, read from AWS's sources.
"""

from vouch_desktop.demo.ssm_agent.datachannel import LinkFaults
from vouch_desktop.demo.ssm_agent.server import DEFAULT_AGENT_VERSION, AgentSession, AgentTarget, FakeSsmAgent

__all__ = ["DEFAULT_AGENT_VERSION", "AgentSession", "AgentTarget", "FakeSsmAgent", "LinkFaults"]
