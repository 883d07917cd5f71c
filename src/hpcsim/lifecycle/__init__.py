"""The execution lifecycle: states, services and the background worker."""
