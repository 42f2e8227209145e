"""Stand-in for the ``visma-administration`` package on Linux: see ``backends/simulated/wrapper.py``."""
