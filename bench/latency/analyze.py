#!/usr/bin/python3
"""Latency figures of one bench/latency.sh phase, from three dumps joined on the change number seq.

  --load  the generator's JSON (bench/latency/load.py): rate achieved, first measured seq
  --kafka the topic as Kafka's console consumer prints it with print.timestamp=true:
          "LogAppendTime:<ms>\\t<Debezium value, schemaless JSON>" per message
  --pg    CSV "seq,commit_us,written_us,visible_us" of the PostgreSQL target's rows with seq > 0:
          commit_us as MariaDB wrote it, written_us = the BEFORE trigger's clock_timestamp(),
          visible_us = pg_xact_commit_timestamp(xmin): the commit of cdc_sync's batch transaction

Every time is in microseconds since the epoch, from the one machine's clock (CLOCK_REALTIME read
by MariaDB, the JVMs and PostgreSQL). Kafka's LogAppendTime has millisecond resolution.

Prints a table (milliseconds) and appends one JSON object per phase to --results.
"""
import argparse
import json
import sys


def pct(sorted_vals, p):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def summary(vals_us):
    v = sorted(vals_us)
    return {"p50": pct(v, 50) / 1000, "p95": pct(v, 95) / 1000, "p99": pct(v, 99) / 1000,
            "max": v[-1] / 1000 if v else float("nan"), "n": len(v)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--load", required=True)
    ap.add_argument("--kafka", required=True)
    ap.add_argument("--pg", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--slice", type=float, default=10.0, help="seconds per slice of the over-time line")
    ap.add_argument("--seconds", type=float, required=True, help="measured seconds (the last slice takes the rest)")
    a = ap.parse_args()

    load = json.load(open(a.load))
    first = load["measured_from_seq"]

    kafka = {}          # seq -> (kafka_us, debezium_us, source_ts_ms)
    duplicates = 0
    with open(a.kafka) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("LogAppendTime:"):
                continue
            ts, _, value = line.partition("\t")
            if value == "null":
                continue
            msg = json.loads(value)
            after = msg.get("after") or {}
            seq = after.get("seq")
            if not seq:
                continue
            if seq in kafka:
                duplicates += 1
                continue
            dbz_us = msg.get("ts_us") or msg["ts_ms"] * 1000
            kafka[seq] = (int(ts.split(":", 1)[1]) * 1000, dbz_us, msg["source"]["ts_ms"])

    pg = {}             # seq -> (commit_us, written_us, visible_us)
    with open(a.pg) as f:
        for line in f:
            s, c, w, v = line.strip().split(",")
            pg[int(s)] = (int(c), int(w), int(v))

    total, before, cdc, binlog_dbz, dbz_kafka, kafka_written, written_commit = ([] for _ in range(7))
    slices = {}
    missing_kafka = missing_pg = negative = source_ts_off = 0
    last_commit = last_visible = 0
    for seq, (commit, written, visible) in pg.items():
        last_commit = max(last_commit, commit)
        last_visible = max(last_visible, visible)
    measured = range(first, load["changes"] + 1)
    t0 = None
    for seq in measured:
        if seq not in pg:
            missing_pg += 1
            continue
        if seq not in kafka:
            missing_kafka += 1
            continue
        commit, written, visible = pg[seq]
        kafka_us, dbz_us, source_ms = kafka[seq]
        if t0 is None:
            t0 = commit
        # Debezium's source.ts_ms is the binlog event's time, truncated to the second: the row's own
        # time must fall into that second (a check that the clocks and the join agree).
        if not (source_ms * 1000 <= commit < source_ms * 1000 + 1_000_000):
            source_ts_off += 1
        parts = (visible - commit, kafka_us - commit, visible - kafka_us,
                 dbz_us - commit, kafka_us - dbz_us, written - kafka_us, visible - written)
        if min(parts[0], parts[2], parts[3], parts[6]) < 0 or parts[1] < -1000:
            negative += 1
        for lst, val in zip((total, before, cdc, binlog_dbz, dbz_kafka, kafka_written, written_commit), parts):
            lst.append(val)
        last_slice = max(0, int(-(-a.seconds // a.slice)) - 1)
        slices.setdefault(min(last_slice, int((commit - t0) / (a.slice * 1e6))), []).append(parts[0])

    rows = [("total: MariaDB commit -> PG commit", total),
            ("before Kafka: commit -> Kafka append", before),
            ("cdc_sync: Kafka append -> PG commit", cdc),
            ("  binlog -> Debezium event (ts_us)", binlog_dbz),
            ("  Debezium event -> Kafka append", dbz_kafka),
            ("  Kafka append -> row written in PG", kafka_written),
            ("  row written -> PG commit", written_commit)]
    stats = {name: summary(vals) for name, vals in rows}
    over_time = [(k, summary(v)) for k, v in sorted(slices.items())]
    drain_s = (last_visible - last_commit) / 1e6

    # cdc_sync's batches: the rows of one transaction share its commit timestamp.
    batches = {}
    for seq, (commit, written, visible) in pg.items():
        b = batches.setdefault(visible, [written, written, 0])
        b[0], b[1], b[2] = min(b[0], written), max(b[1], written), b[2] + 1
    sizes = sorted(b[2] for b in batches.values())
    spans = sorted(b[1] - b[0] for b in batches.values())
    tails = sorted(v - b[1] for v, b in batches.items())
    batch_stats = {"batches": len(batches), "size_p50": pct(sizes, 50), "size_p99": pct(sizes, 99),
                   "size_max": sizes[-1] if sizes else 0, "span_p50_ms": pct(spans, 50) / 1000,
                   "span_p99_ms": pct(spans, 99) / 1000, "tail_p50_ms": pct(tails, 50) / 1000,
                   "tail_p99_ms": pct(tails, 99) / 1000}

    print("%s: target %g changes/s, achieved %.0f/s (%d changes in %.1f s, %d transactions; generator at most %.0f ms "
          "behind schedule, %d transactions more than 10 ms late)" % (
              a.label, load["target_rate"], load["achieved_rate"], load["changes"], load["elapsed_s"],
              load["transactions"], load["max_behind_ms"], load["transactions_late_over_10ms"]))
    print("  measured: %d changes (seq %d..%d, after the warm-up); missing in Kafka %d, in PostgreSQL %d; "
          "duplicates in Kafka %d; negative parts %d; source.ts_ms off %d" % (
              len(total), first, load["changes"], missing_kafka, missing_pg, duplicates, negative, source_ts_off))
    print("  %-38s %9s %9s %9s %9s" % ("latency (ms)", "p50", "p95", "p99", "max"))
    for name, _ in rows:
        s = stats[name]
        print("  %-38s %9.1f %9.1f %9.1f %9.1f" % (name, s["p50"], s["p95"], s["p99"], s["max"]))
    print("  total p50/p99 per %gs of the run: %s" % (a.slice, "  ".join(
        "%.0f/%.0f" % (s["p50"], s["p99"]) for _, s in over_time)))
    print("  cdc_sync's batches (transactions, all changes): %d, changes per batch p50 %d, p99 %d, max %d; first to last"
          " row written p50 %.1f ms, p99 %.1f ms; last row written -> commit p50 %.1f ms, p99 %.1f ms" % (
              batch_stats["batches"], batch_stats["size_p50"], batch_stats["size_p99"], batch_stats["size_max"],
              batch_stats["span_p50_ms"], batch_stats["span_p99_ms"], batch_stats["tail_p50_ms"], batch_stats["tail_p99_ms"]))
    print("  the last change was visible in PostgreSQL %.2f s after its MariaDB commit" % drain_s)
    with open(a.results, "a") as f:
        json.dump({"label": a.label, "load": load, "measured": len(total), "missing_kafka": missing_kafka,
                   "missing_pg": missing_pg, "duplicates": duplicates, "negative": negative,
                   "source_ts_off": source_ts_off, "drain_s": drain_s, "batches": batch_stats,
                   "stats": stats, "over_time": [s for _, s in over_time]}, f)
        f.write("\n")
    if missing_pg or missing_kafka or not total:
        sys.exit(1)


if __name__ == "__main__":
    main()
