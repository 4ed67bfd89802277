"""Emulated wazo-auth (auth.md)."""
