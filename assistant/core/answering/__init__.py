"""Turning retrieved passages into an honest answer: extractive, or written by an LLM and verified."""
