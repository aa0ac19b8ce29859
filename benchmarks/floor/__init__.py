"""Pulumi project directory of the benchmark's flat floor program (see :mod:`benchmarks.flat`)."""
