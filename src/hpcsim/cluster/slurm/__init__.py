"""Slurm: one module per command (build the argv, parse the output)."""
