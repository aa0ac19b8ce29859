"""Pulumi entry point of the floor: the flat program lives in :mod:`benchmarks.flat`."""

from benchmarks.flat import main

main()
