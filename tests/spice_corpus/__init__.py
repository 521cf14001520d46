"""The real-world SPICE corpus (third-party netlists), regression netlists and their harness."""
