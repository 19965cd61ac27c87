#!/usr/bin/env python3
"""The demo's workload: INSERTs, UPDATEs and DELETEs on business_db.store_sales and store_returns,
in MariaDB transactions, through the `mariadb` command-line client (no driver needed).

    workload.py --socket SOCK --changes N [--rate R] [--seed S] [--committed FILE] [--expect FILE]

It reads the tables' keys first and keeps track of every key it creates or removes, so each
statement changes exactly the rows it means to (one row per key; an UPDATE always changes a value,
a new key never exists yet). That makes the number of Debezium messages known in advance, written
to --expect as "table messages" lines: an insert is one message, an update one, a delete two (the
delete and its tombstone), a primary-key change three (delete, tombstone, create).

--rate caps the row changes per second (0: as fast as MariaDB goes). After each COMMIT the client
prints the number of row changes committed so far into --committed (its last line), which is how
the demo shows the workload's progress. The same seed and starting rows give the same changes.
"""
import argparse
import random
import subprocess
import sys
import time

SALES_COLS = ("ss_sold_date_sk ss_sold_time_sk ss_item_sk ss_customer_sk ss_cdemo_sk ss_hdemo_sk "
              "ss_addr_sk ss_store_sk ss_promo_sk ss_ticket_number ss_quantity ss_wholesale_cost "
              "ss_list_price ss_sales_price ss_ext_discount_amt ss_ext_sales_price "
              "ss_ext_wholesale_cost ss_ext_list_price ss_ext_tax ss_coupon_amt ss_net_paid "
              "ss_net_paid_inc_tax ss_net_profit").split()
RETURNS_COLS = ("sr_returned_date_sk sr_return_time_sk sr_item_sk sr_customer_sk sr_cdemo_sk "
                "sr_hdemo_sk sr_addr_sk sr_store_sk sr_reason_sk sr_ticket_number "
                "sr_return_quantity sr_return_amt sr_return_tax sr_return_amt_inc_tax sr_fee "
                "sr_return_ship_cost sr_refunded_cash sr_reversed_charge sr_store_credit "
                "sr_net_loss").split()
ITEMS = 18000
# Tickets given to store_returns rows whose key changes: far above every store_sales ticket.
MOVED_TICKETS_START = 1_000_000_000


class KeySet:
    """The keys a table has now: O(1) add, remove and uniform random pick."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}

    def __contains__(self, key):
        return key in self.index

    def __len__(self):
        return len(self.keys)

    def add(self, key):
        assert key not in self.index, key
        self.index[key] = len(self.keys)
        self.keys.append(key)

    def remove(self, key):
        i = self.index.pop(key)
        last = self.keys.pop()
        if i < len(self.keys):
            self.keys[i] = last
            self.index[last] = i

    def pick(self, rng):
        return self.keys[rng.randrange(len(self.keys))]


def money(rng, low, high):
    """A decimal(7,2) literal between low and high."""
    cents = rng.randint(int(low * 100), int(high * 100))
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def maybe_null(rng, value, share=0.05):
    return "NULL" if rng.random() < share else str(value)


def sales_row(rng, item, ticket):
    q = rng.randint(1, 100)
    wholesale = rng.randint(100, 9999)          # cents
    listp = wholesale * rng.randint(100, 199) // 100
    price = listp * rng.randint(50, 100) // 100
    coupon = price * q // 20 if rng.random() < 0.15 else 0
    tax = price * q * rng.randint(0, 9) // 100

    def c(cents):
        return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"

    values = [rng.randint(2450816, 2452642), rng.randint(28800, 64799), item,
              maybe_null(rng, rng.randint(1, 100000)), rng.randint(1, 1920800), rng.randint(1, 7200),
              rng.randint(1, 50000), rng.randint(1, 12), maybe_null(rng, rng.randint(1, 300), 0.08),
              ticket, q, c(wholesale), c(listp), c(price), c((listp - price) * q), c(price * q),
              c(wholesale * q), c(listp * q), c(tax), c(coupon), c(price * q - coupon),
              c(price * q - coupon + tax), maybe_null(rng, c(price * q - coupon - wholesale * q), 0.01)]
    return "(" + ", ".join(str(v) for v in values) + ")"


def returns_row(rng, item, ticket):
    amt = rng.randint(100, 49999)
    values = [rng.randint(2450816, 2452715), rng.randint(28800, 64799), item,
              maybe_null(rng, rng.randint(1, 100000)), rng.randint(1, 1920800), rng.randint(1, 7200),
              rng.randint(1, 50000), rng.randint(1, 12), maybe_null(rng, rng.randint(1, 35)),
              ticket, rng.randint(1, 10), money(rng, amt / 100, amt / 100), money(rng, 0, 40),
              money(rng, 0, 540), money(rng, 0, 10), money(rng, 0, 50), money(rng, 0, 400),
              money(rng, 0, 100), money(rng, 0, 150), maybe_null(rng, money(rng, -150, 600), 0.01)]
    return "(" + ", ".join(str(v) for v in values) + ")"


class Workload:
    def __init__(self, rng, sales, returns):
        self.rng = rng
        self.sales = KeySet(sales)
        self.returns = KeySet(returns)
        self.next_ticket = max((t for _, t in sales), default=0) + 1
        self.next_moved = max([MOVED_TICKETS_START] + [t + 1 for _, t in returns]
                              + [t + 1 for _, t in sales])
        self.messages = {"store_sales": 0, "store_returns": 0}
        self.ops = {}

    def count(self, table, op, rows, messages_per_row):
        self.messages[table] += rows * messages_per_row
        self.ops[(table, op)] = self.ops.get((table, op), 0) + rows
        return rows

    # Each returns (sql, row changes).
    def sales_insert(self):
        ticket = self.next_ticket
        self.next_ticket += 1
        items = self.rng.sample(range(1, ITEMS + 1), self.rng.randint(1, 4))
        for item in items:
            self.sales.add((item, ticket))
        rows = ", ".join(sales_row(self.rng, item, ticket) for item in items)
        return (f"INSERT INTO store_sales VALUES {rows};",
                self.count("store_sales", "insert", len(items), 1))

    def sales_update(self):
        item, ticket = self.sales.pick(self.rng)
        r = self.rng
        sets = ["ss_quantity = COALESCE(ss_quantity, 0) % 100 + 1",  # always a change
                f"ss_sales_price = {money(r, 1, 199)}", f"ss_net_paid = {money(r, 0, 19998)}",
                f"ss_net_profit = {maybe_null(r, money(r, -9999, 9999), 0.1)}"]
        if r.random() < 0.3:
            sets.append(f"ss_promo_sk = {maybe_null(r, r.randint(1, 300), 0.5)}")
        if r.random() < 0.2:
            sets.append(f"ss_customer_sk = {maybe_null(r, r.randint(1, 100000), 0.5)}")
        return (f"UPDATE store_sales SET {', '.join(sets)} "
                f"WHERE ss_item_sk = {item} AND ss_ticket_number = {ticket};",
                self.count("store_sales", "update", 1, 1))

    def sales_delete(self):
        item, ticket = self.sales.pick(self.rng)
        self.sales.remove((item, ticket))
        return (f"DELETE FROM store_sales WHERE ss_item_sk = {item} AND ss_ticket_number = {ticket};",
                self.count("store_sales", "delete", 1, 2))

    def sales_rekey(self):
        """A line moved to a new ticket: the primary key changes."""
        item, ticket = self.sales.pick(self.rng)
        new = self.next_ticket
        self.next_ticket += 1
        self.sales.remove((item, ticket))
        self.sales.add((item, new))
        return (f"UPDATE store_sales SET ss_ticket_number = {new} "
                f"WHERE ss_item_sk = {item} AND ss_ticket_number = {ticket};",
                self.count("store_sales", "key change", 1, 3))

    def returns_insert(self):
        """A return of a sold line (or of an unknown sale when the picks keep hitting returned ones)."""
        for _ in range(10):
            key = self.sales.pick(self.rng)
            if key not in self.returns:
                break
        else:
            key = (self.rng.randint(1, ITEMS), self.next_moved)
            self.next_moved += 1
        self.returns.add(key)
        return (f"INSERT INTO store_returns VALUES {returns_row(self.rng, *key)};",
                self.count("store_returns", "insert", 1, 1))

    def returns_update(self):
        item, ticket = self.returns.pick(self.rng)
        r = self.rng
        sets = ["sr_return_quantity = COALESCE(sr_return_quantity, 0) % 10 + 1",  # always a change
                f"sr_fee = {money(r, 0, 10)}", f"sr_refunded_cash = {money(r, 0, 400)}",
                f"sr_net_loss = {maybe_null(r, money(r, -150, 600), 0.1)}"]
        if r.random() < 0.3:
            sets.append(f"sr_reason_sk = {maybe_null(r, r.randint(1, 35), 0.5)}")
        return (f"UPDATE store_returns SET {', '.join(sets)} "
                f"WHERE sr_item_sk = {item} AND sr_ticket_number = {ticket};",
                self.count("store_returns", "update", 1, 1))

    def returns_delete(self):
        item, ticket = self.returns.pick(self.rng)
        self.returns.remove((item, ticket))
        return (f"DELETE FROM store_returns WHERE sr_item_sk = {item} AND sr_ticket_number = {ticket};",
                self.count("store_returns", "delete", 1, 2))

    def returns_rekey(self):
        item, ticket = self.returns.pick(self.rng)
        new = self.next_moved
        self.next_moved += 1
        self.returns.remove((item, ticket))
        self.returns.add((item, new))
        return (f"UPDATE store_returns SET sr_ticket_number = {new} "
                f"WHERE sr_item_sk = {item} AND sr_ticket_number = {ticket};",
                self.count("store_returns", "key change", 1, 3))

    def statement(self):
        r = self.rng.random()
        if r < 0.70 or len(self.returns) == 0:
            if len(self.sales) == 0:
                return self.sales_insert()
            r = self.rng.random()
            if r < 0.25:
                return self.sales_insert()
            if r < 0.70:
                return self.sales_update()
            if r < 0.97:
                return self.sales_delete()
            return self.sales_rekey()
        r = self.rng.random()
        if r < 0.35:
            return self.returns_insert()
        if r < 0.75:
            return self.returns_update()
        if r < 0.95:
            return self.returns_delete()
        return self.returns_rekey()


def read_keys(mariadb, table, item, ticket):
    out = subprocess.run(mariadb + ["--batch", "--skip-column-names", "-e",
                                    f"SELECT {item}, {ticket} FROM {table} ORDER BY 1, 2"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return [tuple(int(v) for v in line.split("\t")) for line in out.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", required=True, help="MariaDB socket (connects as root)")
    ap.add_argument("--database", default="business_db")
    ap.add_argument("--changes", type=int, required=True, help="row changes to make")
    ap.add_argument("--rate", type=float, default=0, help="row changes per second at most (0: no cap)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--committed", help="file the client writes the committed row changes into")
    ap.add_argument("--expect", help="file for the Debezium messages expected per table")
    args = ap.parse_args()

    mariadb = ["mariadb", f"--socket={args.socket}", "-uroot", args.database]
    sales = read_keys(mariadb, "store_sales", "ss_item_sk", "ss_ticket_number")
    returns = read_keys(mariadb, "store_returns", "sr_item_sk", "sr_ticket_number")
    work = Workload(random.Random(args.seed), sales, returns)

    out = open(args.committed, "w") if args.committed else subprocess.DEVNULL
    client = subprocess.Popen(mariadb + ["--batch", "--skip-column-names", "--unbuffered"], stdin=subprocess.PIPE,
                              stdout=out, text=True, bufsize=1)
    start = time.monotonic()
    done = txns = 0
    try:
        while done < args.changes:
            parts = ["START TRANSACTION;"]
            for _ in range(work.rng.randint(1, 8)):
                sql, rows = work.statement()
                parts.append(sql)
                done += rows
                if done >= args.changes:
                    break
            parts.append(f"COMMIT; SELECT {done};")
            client.stdin.write("\n".join(parts) + "\n")
            txns += 1
            if args.rate > 0:
                ahead = done / args.rate - (time.monotonic() - start)
                if ahead > 0:
                    client.stdin.flush()
                    time.sleep(ahead)
        client.stdin.close()
    except BrokenPipeError:
        pass
    rc = client.wait()
    if rc != 0:
        print(f"workload: the mariadb client failed (exit {rc}) after {txns} transactions", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - start
    ops = ", ".join(f"{t} {op} {n}" for (t, op), n in sorted(work.ops.items()))
    print(f"workload: {done} row changes in {txns} transactions, {elapsed:.1f} s "
          f"({done / max(elapsed, 1e-9):.0f} changes/s): {ops}", file=sys.stderr)
    if args.expect:
        with open(args.expect, "w") as f:
            for table, n in work.messages.items():
                print(table, n, file=f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
