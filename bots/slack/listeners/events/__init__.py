"""Listeners for Slack events."""
