"""Plain Python, no Django models: the only code that talks to the outside world."""
