from __future__ import annotations


class ParseError(ValueError):
    """A file that cannot be read as a payout; the message names the file and what is wrong."""

    def __init__(self, file: str, problem: str):
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")
