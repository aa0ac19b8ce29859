"""Pulumi entry point: the program lives in the `replication` package."""

from replication.program import main

main()
