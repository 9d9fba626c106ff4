"""Test kit for MassGen and plugin authors: a scripted backend and a fake provider server."""
