"""Stand-ins for providers, shared by tests and benchmarks (never used by the running product)."""
