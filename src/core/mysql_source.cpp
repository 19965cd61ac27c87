// Reads MySQL/MariaDB tables through MariaDB Connector/C (the libmysqlclient API).
#include "core/mysql_source.hpp"

#include <mysql.h>

#include <simdjson.h>

#include <cstring>
#include <memory>

namespace cdc::mysql {

namespace {

const char kHex[] = "0123456789abcdef";

bool is_binary_type(std::string_view t) {
  return t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" || t == "longblob" ||
         t == "geometry" || t == "point" || t == "linestring" || t == "polygon" || t == "multipoint" ||
         t == "multilinestring" || t == "multipolygon" || t == "geometrycollection" || t == "geomcollection";
}

// Frees a result set when it goes out of scope.
struct Result {
  MYSQL_RES* res;
  ~Result() {
    if (res) mysql_free_result(res);
  }
};

}  // namespace

ConnectOptions options_from_json(std::string_view json) {
  ConnectOptions o;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get(obj)) throw Error("MySQL connection options are not a JSON object", 0);
  for (simdjson::dom::key_value_pair member : obj) {
    std::string_view text;
    int64_t number = 0;
    if (member.key == "port" && !member.value.get(number)) o.port = (unsigned)number;
    if (member.value.get(text)) continue;
    if (member.key == "host") o.host = text;
    else if (member.key == "user") o.user = text;
    else if (member.key == "password") o.password = text;
    else if (member.key == "database") o.database = text;
    else if (member.key == "socket") o.socket = text;
    else if (member.key == "ssl_mode") o.ssl_mode = text;
    else if (member.key == "ssl_ca") o.ssl_ca = text;
    else if (member.key == "option_file") o.option_file = text;
  }
  return o;
}

std::string quote_identifier(std::string_view identifier) {
  std::string out = "`";
  for (char c : identifier) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

void append_copy_field(std::string& out, std::string_view data_type, int bits, const char* value, unsigned long length,
                       bool zero_dates_null) {
  if (value == nullptr) {
    out += "\\N";
    return;
  }
  if (is_binary_type(data_type)) {
    out += "\\\\x";  // COPY's escape of the backslash of bytea's hex format
    for (unsigned long i = 0; i < length; i++) {
      unsigned char b = (unsigned char)value[i];
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
    return;
  }
  if (data_type == "bit") {
    // The bytes of the value, big-endian; its low `bits` bits.
    if (bits <= 0) bits = 1;
    for (int i = bits - 1; i >= 0; i--) {
      unsigned long byte = length - 1 - (unsigned long)(i / 8);
      bool set = byte < length && (((unsigned char)value[byte] >> (i % 8)) & 1);
      out += set ? '1' : '0';
    }
    return;
  }
  std::string_view text(value, length);
  if ((data_type == "date" || data_type == "datetime" || data_type == "timestamp") && text.substr(0, 10) == "0000-00-00") {
    if (zero_dates_null) {
      out += "\\N";
      return;
    }
  }
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  if (data_type == "timestamp") out += "+00";  // the session reads TIMESTAMP in UTC
}

Connection::Connection(const ConnectOptions& o) {
  m_ = mysql_init(nullptr);
  if (m_ == nullptr) throw Error("out of memory for a MySQL connection", 0);
  unsigned timeout = o.timeout_s;
  mysql_options(m_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m_, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m_, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  mysql_options(m_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!o.option_file.empty()) {
    mysql_options(m_, MYSQL_READ_DEFAULT_FILE, o.option_file.c_str());
    mysql_options(m_, MYSQL_READ_DEFAULT_GROUP, "client");
  }
  if (!o.ssl_mode.empty() && o.ssl_mode != "disabled") {
    my_bool on = 1;
    mysql_options(m_, MYSQL_OPT_SSL_ENFORCE, &on);
    if (!o.ssl_ca.empty()) mysql_options(m_, MYSQL_OPT_SSL_CA, o.ssl_ca.c_str());
    my_bool verify = o.ssl_mode == "verify_ca" || o.ssl_mode == "verify_identity";
    mysql_options(m_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  const char* host = o.socket.empty() ? o.host.c_str() : "localhost";
  if (!mysql_real_connect(m_, host, o.user.empty() ? nullptr : o.user.c_str(),
                          o.password.empty() ? nullptr : o.password.c_str(),
                          o.database.empty() ? nullptr : o.database.c_str(), o.port,
                          o.socket.empty() ? nullptr : o.socket.c_str(), 0)) {
    std::string what = std::string("cannot connect to MySQL at ") +
                       (o.socket.empty() ? o.host + ":" + std::to_string(o.port) : o.socket) + ": " + mysql_error(m_);
    unsigned code = mysql_errno(m_);
    mysql_close(m_);
    m_ = nullptr;
    throw Error(what, code);
  }
  // Values exactly as stored: TIMESTAMP in UTC, no zero-date or strict-mode rewriting of reads.
  query("SET time_zone = '+00:00'");
}

Connection::~Connection() {
  if (m_) mysql_close(m_);
}

void Connection::fail(const std::string& what) { throw Error(what + ": " + mysql_error(m_), mysql_errno(m_)); }

void Connection::query(const std::string& sql) {
  if (mysql_real_query(m_, sql.data(), sql.size()) != 0) fail("MySQL query failed");
}

std::string Connection::literal(std::string_view value) {
  std::string out(value.size() * 2 + 3, '\0');
  out[0] = '\'';
  unsigned long n = mysql_real_escape_string(m_, &out[1], value.data(), value.size());
  out.resize(n + 1);
  return out + "'";
}

void Connection::rows(const std::string& sql, const std::function<void(const Row&)>& sink) {
  query(sql);
  Result r{mysql_use_result(m_)};
  if (r.res == nullptr) fail("MySQL query returned nothing");
  size_t n = mysql_num_fields(r.res);
  while (MYSQL_ROW row = mysql_fetch_row(r.res)) sink(Row{row, mysql_fetch_lengths(r.res), n});
  if (mysql_errno(m_) != 0) fail("reading MySQL rows failed");
}

std::optional<std::string> Connection::scalar(const std::string& sql) {
  query(sql);
  Result r{mysql_store_result(m_)};
  if (r.res == nullptr) fail("MySQL query returned nothing");
  MYSQL_ROW row = mysql_fetch_row(r.res);
  if (row == nullptr || row[0] == nullptr) return std::nullopt;
  unsigned long* lengths = mysql_fetch_lengths(r.res);
  return std::string(row[0], lengths[0]);
}

std::vector<Column> Connection::columns(const std::string& db, const std::string& table) {
  query("SELECT column_name, data_type, column_type FROM information_schema.columns WHERE table_schema = " + literal(db) +
        " AND table_name = " + literal(table) + " ORDER BY ordinal_position");
  Result r{mysql_store_result(m_)};
  if (r.res == nullptr) fail("reading MySQL's columns failed");
  std::vector<Column> out;
  while (MYSQL_ROW row = mysql_fetch_row(r.res)) out.push_back({row[0], row[1], row[2]});
  return out;
}

std::vector<std::string> Connection::primary_key(const std::string& db, const std::string& table) {
  query("SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = " + literal(db) +
        " AND table_name = " + literal(table) + " AND constraint_name = 'PRIMARY' ORDER BY ordinal_position");
  Result r{mysql_store_result(m_)};
  if (r.res == nullptr) fail("reading MySQL's primary key failed");
  std::vector<std::string> out;
  while (MYSQL_ROW row = mysql_fetch_row(r.res)) out.emplace_back(row[0]);
  return out;
}

std::optional<std::string> Connection::chunk_end(const std::string& db, const std::string& table, const std::string& key,
                                                 const std::optional<std::string>& after, long rows) {
  std::string k = quote_identifier(key);
  std::string sql = "SELECT " + k + " FROM " + quote_identifier(db) + "." + quote_identifier(table) +
                    (after ? " WHERE " + k + " > " + literal(*after) : std::string()) + " ORDER BY " + k + " LIMIT 1 OFFSET " +
                    std::to_string(rows - 1);
  std::optional<std::string> end = scalar(sql);
  return end;
}

long Connection::read(const std::string& db, const std::string& table, const std::vector<Column>& columns,
                      const std::string& key, const std::optional<std::string>& lo, const std::optional<std::string>& hi,
                      const std::string& where, const std::function<void(const Row&)>& sink) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); i++) sql += (i ? ", " : "") + quote_identifier(columns[i].name);
  sql += " FROM " + quote_identifier(db) + "." + quote_identifier(table);
  std::vector<std::string> conditions;
  if (!key.empty() && lo) conditions.push_back(quote_identifier(key) + " > " + literal(*lo));
  if (!key.empty() && hi) conditions.push_back(quote_identifier(key) + " <= " + literal(*hi));
  if (!where.empty()) conditions.push_back("(" + where + ")");
  for (size_t i = 0; i < conditions.size(); i++) sql += (i ? " AND " : " WHERE ") + conditions[i];
  if (!key.empty()) sql += " ORDER BY " + quote_identifier(key);
  query(sql);
  Result r{mysql_use_result(m_)};  // streamed: a chunk is never held whole in memory
  if (r.res == nullptr) fail("reading MySQL rows failed");
  long count = 0;
  while (MYSQL_ROW row = mysql_fetch_row(r.res)) {
    unsigned long* lengths = mysql_fetch_lengths(r.res);
    sink(Row{row, lengths, columns.size()});
    count++;
  }
  if (mysql_errno(m_) != 0) fail("reading MySQL rows failed");
  return count;
}

}  // namespace cdc::mysql
