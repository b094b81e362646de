"""The homehabits test suite."""
