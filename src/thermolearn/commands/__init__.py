"""CLI sub-commands, one module each, discovered by :mod:`thermolearn.cli`.

Each module defines ``register(subparsers)``. Keep heavy imports inside the command function.
"""
