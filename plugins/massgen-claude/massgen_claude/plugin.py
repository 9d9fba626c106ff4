"""The massgen entry point (declarations only)."""
