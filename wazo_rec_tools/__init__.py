"""wazo-rec-tools: call-recording policy, export and admin commands for Wazo Platform."""

__version__ = "0.1.0"
