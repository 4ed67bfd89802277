"""Emulated wazo-confd: the call-recording surface (confd.md)."""
