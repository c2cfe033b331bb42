#!/bin/bash
# Runs bench/store_writer with 1 and 16 concurrent senders, each against one
# fsync'd transaction per post in the same run. The issue's bound: with 16
# senders, at least 5x.
set -euo pipefail
BIN="${1:-$(dirname "$0")/../../build/bench/store_writer/store_writer_bench}"
"$BIN" --senders 1 --posts 200
"$BIN" --senders 16 --posts 50
