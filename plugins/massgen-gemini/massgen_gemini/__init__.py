"""MassGen gemini plugin."""
