"""The HTTP layer: routes, request parsing, error answers, the app factory."""
