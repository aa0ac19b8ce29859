"""Benchmarks of the program at scale: a topology generator, a flat floor program and a runner."""
