"""Vouch: the CLI, its login, the session's state and clock, the security key."""
