"""Cluster access: SSH connections, scheduler commands and staging of files."""
