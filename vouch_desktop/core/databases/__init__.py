"""Signing in to a database through a tunnel: the engine and sign-in method a tunnel profile carries,
passwords in the OS keyring, RDS IAM authentication tokens, and opening psql/mysql (pgcli/mycli) with
the password handed over in a private file that lives as long as the client."""
