"""Provider entry point of the component package: serves `aiven-kafka-replication:index:Replication`."""

import sys
from pathlib import Path

# The `replication` package is the repository's, one directory up: the plugin is this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from replication.package import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
