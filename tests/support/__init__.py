"""Helpers shared by tests: a real HTTP server on the loopback interface."""
