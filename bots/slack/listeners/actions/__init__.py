"""Listeners for Slack actions."""
