"""The plugin host: finding plugins through their entry points, loading each in isolation, and
the registry of what they declare (backend types, capability kinds), which builds backends."""
