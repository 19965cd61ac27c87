// Reading a MySQL/MariaDB table directly (full loads): a connection through the libmysqlclient API
// (MariaDB Connector/C), the table's columns and key, key-range chunks, and rows streamed as
// PostgreSQL COPY text. Knows nothing of PostgreSQL's internals.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct st_mysql;

namespace cdc::mysql {

// How to reach the server (cdc_sync.create_mysql_connection's options).
struct ConnectOptions {
  std::string host = "localhost";
  unsigned port = 3306;
  std::string user;
  std::string password;
  std::string database;
  std::string socket;       // a Unix socket instead of host and port
  std::string ssl_mode;     // "", "disabled", "required", "verify_ca", "verify_identity"
  std::string ssl_ca;       // a CA file (verify_ca, verify_identity)
  std::string option_file;  // a MySQL option file ([client] group), read by the library
  unsigned timeout_s = 30;  // connect, read and write timeouts
};

// The options of cdc_sync.mysql_connections (a JSON object, validated by the SQL API).
ConnectOptions options_from_json(std::string_view json);

// A MySQL error: the server's or the client library's message and number.
class Error : public std::runtime_error {
 public:
  Error(const std::string& what, unsigned code) : std::runtime_error(what), code_(code) {}
  unsigned code() const { return code_; }

 private:
  unsigned code_;
};

struct Column {
  std::string name;
  std::string data_type;    // information_schema.columns.data_type: "int", "varchar", ...
  std::string column_type;  // the full spelling: "int(10) unsigned", "varchar(40)", ...
};

// One row: values[i] is null for SQL NULL; lengths[i] its length (values may hold NUL bytes).
struct Row {
  const char* const* values;
  const unsigned long* lengths;
  size_t count;
};

// `identifier` quoted for MySQL (backticks, doubled inside).
std::string quote_identifier(std::string_view identifier);

// Appends MySQL's text-protocol value of a column of `data_type` to `out` as a PostgreSQL COPY
// text field: escaped text; binary strings, BLOBs and spatial values as bytea hex; BIT as a bit
// string of `bits` bits; zero dates ('0000-00-00 ...') as NULL when `zero_dates_null` (else kept,
// for the input function to refuse); TIMESTAMP (read in UTC) with its zone.
void append_copy_field(std::string& out, std::string_view data_type, int bits, const char* value, unsigned long length,
                       bool zero_dates_null);

class Connection {
 public:
  explicit Connection(const ConnectOptions& options);  // connects (UTF-8, time zone UTC); throws Error
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The table's columns in their order; empty when it does not exist.
  std::vector<Column> columns(const std::string& db, const std::string& table);
  // Its primary key columns in key order (empty: none).
  std::vector<std::string> primary_key(const std::string& db, const std::string& table);
  // The key value that ends the chunk of `rows` rows after `after` (none: from the first row), or
  // none past the last row. Single-column keys only.
  std::optional<std::string> chunk_end(const std::string& db, const std::string& table, const std::string& key,
                                       const std::optional<std::string>& after, long rows);
  // Streams the rows with `lo` < key <= `hi` (either side open when absent) that pass `where` (an
  // SQL condition, "" for all), in key order, to `sink`; returns the count. A single-column `key`
  // or none (the whole table).
  long read(const std::string& db, const std::string& table, const std::vector<Column>& columns,
            const std::string& key, const std::optional<std::string>& lo, const std::optional<std::string>& hi,
            const std::string& where, const std::function<void(const Row&)>& sink);
  // Runs a query; every row to `sink`.
  void rows(const std::string& sql, const std::function<void(const Row&)>& sink);
  // Runs a statement that returns one row of one value (null: none).
  std::optional<std::string> scalar(const std::string& sql);
  // `value` as a quoted MySQL string literal.
  std::string literal(std::string_view value);

 private:
  void query(const std::string& sql);
  [[noreturn]] void fail(const std::string& what);

  st_mysql* m_ = nullptr;
};

}  // namespace cdc::mysql
