"""Connecting to an instance: pre-flight checks, terminals, SSH over SSM."""
