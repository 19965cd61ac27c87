# Shared by the throughput benchmarks (run.sh, apply_options.sh); sourced after test/harness/common.sh.

# A timestamped progress line on stderr.
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The median of the numbers on stdin (space or newline separated; the mean of the middle two).
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

# Stops what a run of this RUN_DIR left, empties it, and starts Kafka and PostgreSQL afresh.
fresh_instances() {
  [[ -n $RUN_DIR && $RUN_DIR != / ]] || { echo "bench: bad CDC_RUN_DIR '$RUN_DIR'" >&2; exit 2; }
  stop_all
  rm -rf "$RUN_DIR"
  stage_tools
  start_kafka
  start_pg
}
