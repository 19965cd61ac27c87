// Table shapes of gen_events (TPC-DS store_sales / store_returns, the crash-test items table),
// their PostgreSQL DDL, and the TPC-DS-like row generators.
//
// Rows are pure functions of (seed, key, version): an update's `before` image is simply the row of
// the previous version, so the generator keeps only (key, version) per live row, and the bench's
// update phase can rebuild the insert phase's rows without having run it.
#pragma once

#include "gen_common.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace gen {

enum class ColType { Int32, Int64, Decimal, Text };

struct Column {
  std::string name;
  ColType type;
  int precision = 0;  // Decimal only
  int scale = 0;      // Decimal only
  bool key = false;   // part of the primary key (and of the Kafka message key)
};

struct Table {
  std::string name;
  std::vector<Column> cols;
};

// One value of a row image: an integer, an unscaled decimal (num) or text (a view into storage
// owned by the caller), or NULL.
struct Cell {
  bool null = false;
  int64_t num = 0;
  std::string_view text;
};
using Row = std::vector<Cell>;

// An integer column.
inline Column int_col(const char* name, bool key = false) { return {name, ColType::Int32, 0, 0, key}; }
// A TPC-DS money column, decimal(7,2).
inline Column money_col(const char* name) { return {name, ColType::Decimal, 7, 2, false}; }

// TPC-DS store_sales, all 23 columns in specification order; PK (ss_item_sk, ss_ticket_number).
inline Table store_sales_table(const std::string& name) {
  return {name,
          {int_col("ss_sold_date_sk"), int_col("ss_sold_time_sk"), int_col("ss_item_sk", true),
           int_col("ss_customer_sk"), int_col("ss_cdemo_sk"), int_col("ss_hdemo_sk"), int_col("ss_addr_sk"),
           int_col("ss_store_sk"), int_col("ss_promo_sk"), int_col("ss_ticket_number", true),
           int_col("ss_quantity"), money_col("ss_wholesale_cost"), money_col("ss_list_price"),
           money_col("ss_sales_price"), money_col("ss_ext_discount_amt"), money_col("ss_ext_sales_price"),
           money_col("ss_ext_wholesale_cost"), money_col("ss_ext_list_price"), money_col("ss_ext_tax"),
           money_col("ss_coupon_amt"), money_col("ss_net_paid"), money_col("ss_net_paid_inc_tax"),
           money_col("ss_net_profit")}};
}

// TPC-DS store_returns, all 20 columns in specification order; PK (sr_item_sk, sr_ticket_number).
inline Table store_returns_table(const std::string& name) {
  return {name,
          {int_col("sr_returned_date_sk"), int_col("sr_return_time_sk"), int_col("sr_item_sk", true),
           int_col("sr_customer_sk"), int_col("sr_cdemo_sk"), int_col("sr_hdemo_sk"), int_col("sr_addr_sk"),
           int_col("sr_store_sk"), int_col("sr_reason_sk"), int_col("sr_ticket_number", true),
           int_col("sr_return_quantity"), money_col("sr_return_amt"), money_col("sr_return_tax"),
           money_col("sr_return_amt_inc_tax"), money_col("sr_fee"), money_col("sr_return_ship_cost"),
           money_col("sr_refunded_cash"), money_col("sr_reversed_charge"), money_col("sr_store_credit"),
           money_col("sr_net_loss")}};
}

// The crash-consistency table: id bigint PK, seq bigint, val text, amount numeric(12,2), note text.
inline Table items_table(const std::string& name) {
  return {name,
          {{"id", ColType::Int64, 0, 0, true},
           {"seq", ColType::Int64},
           {"val", ColType::Text},
           {"amount", ColType::Decimal, 12, 2},
           {"note", ColType::Text}}};
}

// The PostgreSQL type of a column.
inline std::string pg_type(const Column& c) {
  switch (c.type) {
    case ColType::Int32: return "integer";
    case ColType::Int64: return "bigint";
    case ColType::Decimal: return "numeric(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
    case ColType::Text: return "text";
  }
  return "text";
}

// CREATE TABLE IF NOT EXISTS for the table in schema pg_schema, on one line, with its primary key.
inline std::string ddl(const Table& t, const std::string& pg_schema) {
  std::string s = "CREATE TABLE IF NOT EXISTS " + pg_schema + "." + t.name + " (", pk;
  for (const auto& c : t.cols) {
    s += c.name + " " + pg_type(c) + (c.key ? " NOT NULL" : "") + ", ";
    if (c.key) pk += (pk.empty() ? "" : ", ") + c.name;
  }
  return s + "PRIMARY KEY (" + pk + "));";
}

// ---------------------------------------------------------------------------------------------
// TPC-DS-like values. Ticket-level columns (date, time, customer, store...) come from a per-ticket
// stream so all lines of one ticket agree, as in dsdgen; line-level amounts come from a per-version
// stream so an update changes them. Money is in cents, derived the way the TPC-DS spec derives
// ext_* and net_* columns, so the numbers are internally plausible. Ranges are those of scale 1.

constexpr uint64_t kNullOneIn = 50;  // ~2% NULLs per nullable column, like dsdgen's sparse NULLs

// Marks ~2% of non-key columns NULL, from its own stream so NULLs do not shift the values.
inline void sprinkle_nulls(const Table& t, uint64_t seed, Row& row) {
  Rng n(seed);
  for (size_t i = 0; i < row.size(); ++i) row[i].null = !t.cols[i].key && n.below(kNullOneIn) == 0;
}

// Fills the 23 store_sales columns for key (item, ticket) at the given version.
inline void make_store_sales_row(const Table& t, uint64_t seed, int64_t item, int64_t ticket, uint32_t version,
                                 Row& row) {
  row.assign(23, Cell{});
  Rng tk(hash_seed({seed, 1, static_cast<uint64_t>(ticket)}));
  Rng ln(hash_seed({seed, 2, static_cast<uint64_t>(ticket), static_cast<uint64_t>(item), version}));
  const int64_t qty = ln.range(1, 100);
  const int64_t wholesale = ln.range(100, 10000);                    // 1.00 .. 100.00
  const int64_t list = wholesale * (100 + ln.range(0, 200)) / 100;   // markup 0..200%
  const int64_t sales = list * (100 - ln.range(0, 100)) / 100;       // discount 0..100%
  const int64_t ext_sales = sales * qty;
  const int64_t ext_tax = ext_sales * ln.range(0, 9) / 100;
  const int64_t coupon = ln.chance(1, 5) ? ext_sales * ln.range(0, 100) / 100 : 0;
  const int64_t net_paid = ext_sales - coupon;
  const int64_t values[23] = {
      tk.range(2450816, 2452642), tk.range(28800, 75599), item, tk.range(1, 100000), tk.range(1, 1920800),
      tk.range(1, 7200), tk.range(1, 50000), tk.range(1, 12), ln.range(1, 300), ticket, qty, wholesale, list,
      sales, (list - sales) * qty, ext_sales, wholesale * qty, list * qty, ext_tax, coupon, net_paid,
      net_paid + ext_tax, net_paid - wholesale * qty};
  for (int i = 0; i < 23; ++i) row[i].num = values[i];
  sprinkle_nulls(t, hash_seed({seed, 3, static_cast<uint64_t>(ticket), static_cast<uint64_t>(item), version}), row);
}

// Fills the 20 store_returns columns for key (item, ticket) at the given version.
inline void make_store_returns_row(const Table& t, uint64_t seed, int64_t item, int64_t ticket, uint32_t version,
                                   Row& row) {
  row.assign(20, Cell{});
  Rng tk(hash_seed({seed, 4, static_cast<uint64_t>(ticket)}));
  Rng ln(hash_seed({seed, 5, static_cast<uint64_t>(ticket), static_cast<uint64_t>(item), version}));
  const int64_t qty = ln.range(1, 100);
  const int64_t amt = ln.range(100, 29999) * qty / 10;  // keeps inc_tax within decimal(7,2)
  const int64_t tax = amt * ln.range(0, 9) / 100;
  const int64_t inc_tax = amt + tax;
  const int64_t fee = ln.range(50, 10000);
  const int64_t ship = qty * ln.range(0, 1000);
  const int64_t cash = inc_tax * ln.range(0, 100) / 100;
  const int64_t charge = (inc_tax - cash) * ln.range(0, 100) / 100;
  const int64_t values[20] = {
      tk.range(2450820, 2452822), tk.range(28800, 75599), item, tk.range(1, 100000), tk.range(1, 1920800),
      tk.range(1, 7200), tk.range(1, 50000), tk.range(1, 12), ln.range(1, 35), ticket, qty, amt, tax, inc_tax,
      fee, ship, cash, charge, inc_tax - cash - charge, fee + ship + tax};
  for (int i = 0; i < 20; ++i) row[i].num = values[i];
  sprinkle_nulls(t, hash_seed({seed, 6, static_cast<uint64_t>(ticket), static_cast<uint64_t>(item), version}), row);
}

}  // namespace gen
