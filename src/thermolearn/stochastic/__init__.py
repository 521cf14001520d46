"""Subpackage of thermolearn."""
