"""Company backends: the simulator, the real ADK, and the optional ODBC read path."""
