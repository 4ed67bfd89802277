"""Emulated wazo-calld."""
