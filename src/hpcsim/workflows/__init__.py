"""Workflow templates: the git repository, manifests and script rendering."""
