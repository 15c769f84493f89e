"""The demo world: fake AWS, fake vouch and a fake session-manager-plugin (the tests use them too)."""
