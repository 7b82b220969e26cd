"""Listeners for Slack commands."""
