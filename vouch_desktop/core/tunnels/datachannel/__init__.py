"""The SSM Session Manager data channel, spoken natively (no session-manager-plugin).

``messages``: the binary message format; ``channel``: sequencing, acknowledgements and
retransmission over a websocket; ``smux``: many TCP connections over one session (smux v1);
``port_forwarding``: a local port forwarded through one port-forwarding session.
The protocol is the one AWS's open-source session-manager-plugin speaks; this is our own code.
"""
