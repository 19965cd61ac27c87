#!/usr/bin/python3
"""Steady load for bench/latency.sh: paced inserts and updates into one MariaDB table.

Every change writes, in the row itself, a change number (`seq`, 1, 2, ... in commit order) and the
time MariaDB executed the statement (`commit_us`: UNIX_TIMESTAMP(NOW(6)) in microseconds). The
statements of a transaction and its COMMIT go to the server in one round trip, so the time in a row
is at most the rest of that round trip (well under a millisecond here) before MariaDB's COMMIT.

The table must hold rows 1..--prepopulated (seq 0) beforehand: updates go through them in order,
each at most once, and inserts take new ids after them. So every change leaves exactly one row
version that no later change of the same run overwrites, and its arrival in PostgreSQL can be
measured on the row itself.

Pacing: transaction i is due at start + i * txn_size / rate; the generator sleeps until then. When it
falls behind (the server or the machine cannot keep up) it sends the next transaction at once, and
it stops after warm-up + seconds of wall time whatever it sent; the achieved rate and how far it
fell behind are reported on stdout as one JSON object.
"""
import argparse
import json
import random
import string
import sys
import time

import pymysql
from pymysql.constants import CLIENT


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--table", required=True, help="db.table")
    ap.add_argument("--rate", type=float, required=True, help="changes per second")
    ap.add_argument("--seconds", type=float, required=True, help="measured seconds (after the warm-up)")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of load before the measurement")
    ap.add_argument("--txn-size", type=int, default=5, help="changes per transaction")
    ap.add_argument("--update-fraction", type=float, default=0.5)
    ap.add_argument("--prepopulated", type=int, required=True, help="rows 1..N exist (updated in order)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    conn = pymysql.connect(unix_socket=a.socket, user="root", autocommit=False,
                           client_flag=CLIENT.MULTI_STATEMENTS)
    cur = conn.cursor()
    now_us = "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)"
    pads = ["".join(rnd.choice(string.ascii_letters) for _ in range(64)) for _ in range(256)]

    total = a.warmup + a.seconds
    interval = a.txn_size / a.rate
    next_update = 1             # the next pre-populated id to update
    next_insert = a.prepopulated + 1
    seq = 0
    inserts = updates = txns = 0
    measured_from_seq = None    # first seq of the measured period
    max_behind = 0.0
    behind_txns = 0             # transactions sent later than 10 ms after they were due
    start = time.monotonic()
    while True:
        due = start + txns * interval
        now = time.monotonic()
        if now - start >= total or due - start >= total:
            break
        if due > now:
            time.sleep(due - now)
        else:
            behind = now - due
            max_behind = max(max_behind, behind)
            if behind > 0.010:
                behind_txns += 1
        if measured_from_seq is None and max(due, now) - start >= a.warmup:
            measured_from_seq = seq + 1
        ins_rows, upd_rows = [], []
        for _ in range(a.txn_size):
            seq += 1
            if rnd.random() < a.update_fraction and next_update <= a.prepopulated:
                upd_rows.append((next_update, seq))
                next_update += 1
            else:
                ins_rows.append((next_insert, seq))
                next_insert += 1
        sql = ["BEGIN"]
        if ins_rows:
            sql.append("INSERT INTO %s (id, seq, v, pad, commit_us) VALUES %s" % (a.table, ", ".join(
                "(%d, %d, %d, '%s', %s)" % (i, s, rnd.randrange(1000000), rnd.choice(pads), now_us)
                for i, s in ins_rows)))
        if upd_rows:
            sql.append("UPDATE %s SET v = v + 1, pad = '%s', seq = CASE id %s END, commit_us = %s WHERE id IN (%s)" % (
                a.table, rnd.choice(pads), " ".join("WHEN %d THEN %d" % (i, s) for i, s in upd_rows), now_us,
                ", ".join(str(i) for i, _ in upd_rows)))
        sql.append("COMMIT")
        cur.execute(";\n".join(sql))
        while cur.nextset():
            pass
        inserts += len(ins_rows)
        updates += len(upd_rows)
        txns += 1
    elapsed = time.monotonic() - start
    conn.close()
    out = {
        "changes": seq, "inserts": inserts, "updates": updates, "transactions": txns,
        "elapsed_s": round(elapsed, 3), "achieved_rate": round(seq / elapsed, 1), "target_rate": a.rate,
        "measured_from_seq": measured_from_seq or seq + 1,
        "max_behind_ms": round(max_behind * 1000, 1), "transactions_late_over_10ms": behind_txns,
    }
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
