"""Vouch Desktop: a system-tray companion for the vouch CLI and AWS Systems Manager."""

__version__ = "0.1.0"
