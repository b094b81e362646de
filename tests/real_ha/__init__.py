"""Contract tests against the real Home Assistant instances on this machine."""
