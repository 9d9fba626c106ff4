"""MassGen ag2 plugin."""
