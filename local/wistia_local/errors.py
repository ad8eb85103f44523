"""Errors of the local tooling that the user fixes by changing the command line or the environment."""

from __future__ import annotations


class CommandError(Exception):
    """A command cannot run as asked; the message says what to change."""
