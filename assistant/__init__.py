"""whatworks: answers "what works for X?" from a curated crime-prevention evidence base."""

__version__ = "0.1.0"
