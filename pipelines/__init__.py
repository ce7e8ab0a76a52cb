"""The Dagster pipeline, its CLI and its assets."""

import os

# The linear algebra of disclosure control works on many small matrices: OpenBLAS's threads
# cost more than they give there (5x slower on a busy 2-core machine) and compete with
# DuckDB's own threads. Read once, when numpy first loads; an operator's setting wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
