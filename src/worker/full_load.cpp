// A full load's worker: reads one MySQL table in key-range chunks and hands each to PostgreSQL as
// COPY text, written in the transaction that marks the chunk done (bridge/load_host.hpp), so a
// killed worker or a restarted server goes on where it stopped and no row is written twice.
#include "bridge/host.hpp"
#include "bridge/load_host.hpp"
#include "bridge/runtime.hpp"
#include "core/mysql_source.hpp"
#include "core/source_types.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace cdc::runtime {

namespace load = cdc::host::load;

namespace {

// `name` quoted for PostgreSQL.
std::string pg_quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The bits of a MySQL "bit(n)" column type (1 when unsaid).
int bits_of(const std::string& column_type) {
  size_t open = column_type.find('(');
  return open == std::string::npos ? 1 : std::atoi(column_type.c_str() + open + 1);
}

// The target column of MySQL column `name` under the sync table's columns option; "" when it is
// left out.
std::string target_name(const host::ColumnMapping& map, const std::string& name) {
  if (std::find(map.exclude.begin(), map.exclude.end(), name) != map.exclude.end()) return "";
  if (!map.include.empty() && std::find(map.include.begin(), map.include.end(), name) == map.include.end()) return "";
  for (const auto& [from, to] : map.rename)
    if (from == name) return to;
  return name;
}

// Worker 0's plan: the target from MySQL's own column types when it is missing, then the chunks
// (key ranges of chunk_rows rows of the primary key's first column), recorded a few at a time so
// that the other workers load the first ones while the rest are found. A plan cut short (the
// worker stopped) goes on from its last recorded chunk.
void plan_load(const load::Load& l, mysql::Connection& my) {
  std::vector<mysql::Column> columns = my.columns(l.db, l.table);
  if (columns.empty()) throw host::HostError("MySQL table " + l.db + "." + l.table + " does not exist", "42P01");
  std::vector<std::string> pk = my.primary_key(l.db, l.table);
  load::Plan plan;
  // With a composite key, rows that share its first column's value stay in one chunk, which may
  // then be larger. A table without a primary key is read in one pass, so only up to
  // max_unchunked_rows.
  plan.key_column = pk.empty() ? "" : pk[0];
  if (pk.empty()) {
    std::optional<std::string> estimate = my.scalar(
        "SELECT table_rows FROM information_schema.tables WHERE table_schema = " + my.literal(l.db) +
        " AND table_name = " + my.literal(l.table));
    long rows = estimate ? std::atol(estimate->c_str()) : 0;
    if (rows > l.max_unchunked_rows)
      throw host::HostError("MySQL table " + l.db + "." + l.table + " has no primary key and about " + std::to_string(rows) +
                                " rows: without a key it is read in one pass, in one transaction; add a primary key, or "
                                "raise the full_load option max_unchunked_rows (now " +
                                std::to_string(l.max_unchunked_rows) + ")",
                            "54000");
  }
  plan.table_key = l.key;
  if (plan.table_key.empty())
    for (const std::string& k : pk) plan.table_key.push_back(target_name(l.field_map, k));
  if (!l.target_exists && l.chunks_recorded == 0) {
    if (!l.auto_create)
      throw host::HostError("target " + l.target + " does not exist and the sync table's auto_create is off", "42P01");
    // IF NOT EXISTS: the stream may have created it since the load read its state.
    std::string ddl = "CREATE TABLE IF NOT EXISTS " + l.target + " (";
    bool first = true;
    for (const mysql::Column& c : columns) {
      std::string name = target_name(l.field_map, c.name);
      if (name.empty()) continue;
      std::string type = pg_type_for_mysql(c.column_type);
      ddl += (first ? "" : ", ") + pg_quote(name) + " " + (type.empty() ? "text" : type);
      first = false;
    }
    if (!plan.table_key.empty() && !l.append) {
      ddl += ", PRIMARY KEY (";
      for (size_t i = 0; i < plan.table_key.size(); i++) ddl += (i ? ", " : "") + pg_quote(plan.table_key[i]);
      ddl += ")";
    }
    plan.create_ddl = ddl + ")";
  }
  plan.first_chunk = l.chunks_recorded;
  plan.after = l.last_end;
  for (size_t part = 0; !plan.complete && !load::stop_requested(); part++) {
    plan.ends.clear();
    // Two chunks first, so that the others start at once; then sixteen per transaction.
    for (size_t i = 0; i < (part == 0 ? 2 : 16); i++) {
      std::optional<std::string> end;
      if (!plan.key_column.empty())
        end = my.chunk_end(l.db, l.table, plan.key_column, plan.ends.empty() ? plan.after : plan.ends.back(), l.chunk_rows);
      plan.ends.push_back(end);
      if (!end) {
        plan.complete = true;  // the rest, and rows inserted past the last end meanwhile
        break;
      }
    }
    load::commit_plan(l, plan);
    plan.first_chunk += (int)plan.ends.size();
    plan.after = plan.ends.back();
  }
}

// Loads one chunk nobody else holds; false when none is left to take.
bool load_chunk(const load::Load& l, mysql::Connection& my, const std::vector<mysql::Column>& source_columns) {
  load::Chunk chunk;
  std::vector<std::string> target_columns;
  if (!load::claim(l, chunk, target_columns)) return false;
  try {
    // The source's columns that the target has, in the source's order.
    std::vector<mysql::Column> read_columns;
    std::vector<std::string> names;
    std::vector<int> bits;
    for (const mysql::Column& c : source_columns) {
      std::string name = target_name(l.field_map, c.name);
      if (!name.empty() && std::find(target_columns.begin(), target_columns.end(), name) != target_columns.end()) {
        read_columns.push_back(c);
        names.push_back(name);
        bits.push_back(c.data_type == "bit" ? bits_of(c.column_type) : 0);
      }
    }
    if (read_columns.empty())
      throw host::HostError("target " + l.target + " has none of the columns of MySQL table " + l.db + "." + l.table, "42703");
    std::string text;
    long rows = my.read(l.db, l.table, read_columns, l.key_column, chunk.lo, chunk.hi, l.where, [&](const mysql::Row& r) {
      for (size_t i = 0; i < r.count; i++) {
        if (i) text += '\t';
        mysql::append_copy_field(text, read_columns[i].data_type, bits[i], r.values[i], r.lengths[i], true);
      }
      text += '\n';
    });
    load::write_chunk(l, chunk, names, text, rows);
  } catch (...) {
    load::abandon();
    throw;
  }
  return true;
}

}  // namespace

void run_load(int load_id, int index) {
  std::unique_ptr<mysql::Connection> my;
  std::vector<mysql::Column> columns;
  while (!load::stop_requested()) {
    load::Load l = load::read(load_id, index);
    if (l.state != "running") return;
    if (!my) my = std::make_unique<mysql::Connection>(mysql::options_from_json(l.connection_json));
    if (!l.planned && index == 0) {
      plan_load(l, *my);
      continue;
    }
    if (l.chunks_recorded == 0) {  // worker 0 has not recorded the first chunks yet
      if (!load::nap(20)) return;
      continue;
    }
    if (columns.empty()) columns = my->columns(l.db, l.table);
    if (load_chunk(l, *my, columns)) continue;
    if (l.planned && load::end_if_done(l)) return;
    if (!load::nap(l.planned ? 500 : 20)) return;  // the last chunks are other workers', or not found yet
  }
}

std::string mysql_query_json(const std::string& options_json, const std::string& sql) {
  mysql::Connection my(mysql::options_from_json(options_json));
  std::string out = "[";
  bool first_row = true;
  my.rows(sql, [&](const mysql::Row& r) {
    out += first_row ? "[" : ",[";
    first_row = false;
    for (size_t i = 0; i < r.count; i++) {
      if (i) out += ',';
      if (r.values[i] == nullptr) {
        out += "null";
        continue;
      }
      out += '"';
      for (unsigned long b = 0; b < r.lengths[i]; b++) {
        unsigned char c = (unsigned char)r.values[i][b];
        if (c == '"' || c == '\\') {
          out += '\\';
          out += (char)c;
        } else if (c < 0x20) {
          static const char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += (char)c;
        }
      }
      out += '"';
    }
    out += ']';
  });
  return out + "]";
}

}  // namespace cdc::runtime
