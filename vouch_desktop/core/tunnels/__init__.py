"""Port-forward tunnels: the manager, its carriers, and the built-in SSM data channel."""
