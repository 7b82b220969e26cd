"""Routers: each parses a body, calls the service, wraps a response."""
