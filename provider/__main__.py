"""Provider entry point of the component package: serves `aiven-kafka-replication:index:Replication`.

Pulumi's Python language host runs it as `<this dir>/.venv/bin/python <this dir> [flags] <engine
address>`, from the program's working directory, not this one (RunPlugin in pulumi/pulumi
sdk/python/cmd/pulumi-language-python/main.go); tests/test_plugin_process.py runs it so.
"""

import sys
from pathlib import Path

# Run as a directory, only this directory is on sys.path; the `replication` package is one up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from replication.package import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
