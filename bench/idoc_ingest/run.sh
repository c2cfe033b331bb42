#!/bin/bash
# Runs bench/idoc_ingest at two sizes and both formats, each in its own
# process so peak RSS is per run: RSS should not grow with the file size.
set -euo pipefail
BIN="${1:-$(dirname "$0")/../../build/bench/idoc_ingest/idoc_ingest}"
for format in xml flat; do
  for count in 10000 100000; do
    "$BIN" --count "$count" --format "$format"
  done
done
