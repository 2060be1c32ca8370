"""Tests of the members portal (issue 8)."""
