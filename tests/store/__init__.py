"""Tests of the homehabits store."""
