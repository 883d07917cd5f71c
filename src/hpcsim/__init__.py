"""hpcsim: run simulation workflows on Slurm clusters through a REST API."""

__version__ = "0.1.0"
