// Metadata of staged changes and version comparison (see change_meta.hpp).
#include "core/change_meta.hpp"

#include "core/batch.hpp"

#include <algorithm>
#include <cstdlib>

namespace cdc {

const char* op_name(Op op) {
  switch (op) {
    case Op::Insert: return "insert";
    case Op::Update: return "update";
    case Op::Delete: return "delete";
    case Op::Truncate: return "truncate";
  }
  return "insert";
}

void append_meta_fields(std::string& out, const RowMeta& meta) {
  out.push_back('\t');
  out += op_name(meta.op);
  out.push_back('\t');
  if (meta.source_ts_ms == DecodedChange::kNoSourceTime) {
    out += "\\N";
  } else {
    out += std::to_string(meta.source_ts_ms);
  }
  out.push_back('\t');
  if (meta.offset < 0) {
    out += "\\N\t\\N\t\\N";
  } else {
    append_copy_escaped(out, meta.topic);
    out.push_back('\t');
    out += std::to_string(meta.partition);
    out.push_back('\t');
    out += std::to_string(meta.offset);
  }
  out.push_back('\t');
  if (meta.before.empty()) {
    out += "\\N";
  } else {
    out.append(meta.before.data(), meta.before.size());
  }
}

namespace {
// Appends `text` as a JSON string.
void append_json_string(std::string& out, std::string_view text) {
  static const char* digits = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(digits[c >> 4]);
          out.push_back(digits[c & 15]);
        } else {
          out.push_back((char)c);
        }
    }
  }
  out.push_back('"');
}
}  // namespace

int64_t utc_iso_ms(std::string_view t) {
  auto digits = [&](size_t at, size_t n, int64_t& v) {
    if (at + n > t.size()) return false;
    v = 0;
    for (size_t i = at; i < at + n; i++) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  int64_t y, mo, d, h, mi, sec;
  if (!digits(0, 4, y) || t.size() < 19 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
      (t[10] != 'T' && t[10] != ' ') || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) || t[16] != ':' ||
      !digits(17, 2, sec) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return DecodedChange::kNoSourceTime;
  size_t at = 19;
  int64_t ms = 0;
  if (at < t.size() && t[at] == '.') {
    int scale = 100;
    for (at++; at < t.size() && t[at] >= '0' && t[at] <= '9'; at++, scale /= 10) ms += (t[at] - '0') * scale;
  }
  if (at < t.size() && !(t.substr(at) == "Z" || t.substr(at) == "+00:00" || t.substr(at) == "+00"))
    return DecodedChange::kNoSourceTime;  // another zone: not said in UTC
  // Days from 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse).
  int64_t yy = y - (mo <= 2);
  int64_t era = yy / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t result = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms;
  return DecodedChange::plausible_source_ts(result) ? result : DecodedChange::kNoSourceTime;
}

std::string image_json(const std::vector<FieldValue>& image) {
  std::string out = "{";
  for (size_t i = 0; i < image.size(); i++) {
    const FieldValue& f = image[i];
    if (i) out += ", ";
    append_json_string(out, f.name);
    out += ": ";
    switch (f.kind) {
      case ValueKind::Null: out += "null"; break;
      case ValueKind::Number:
      case ValueKind::Bool:
      case ValueKind::Json: out.append(f.text.data(), f.text.size()); break;
      case ValueKind::String:
      case ValueKind::Text: append_json_string(out, f.text); break;
    }
  }
  return out + "}";
}

namespace {
// A decimal number's parts: sign, integer digits without leading zeros, fraction digits without
// trailing zeros. False when `text` is not plain decimal notation.
bool decimal_parts(std::string_view text, bool& negative, std::string_view& whole, std::string_view& fraction) {
  negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  size_t dot = text.find('.');
  whole = text.substr(0, dot);
  fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(whole) || !digits(fraction) || (whole.empty() && fraction.empty())) return false;
  while (!whole.empty() && whole[0] == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (whole.empty() && fraction.empty()) negative = false;  // -0 is 0
  return true;
}

// Compares two non-negative decimals given by their parts.
int compare_magnitudes(std::string_view wa, std::string_view fa, std::string_view wb, std::string_view fb) {
  if (wa.size() != wb.size()) return wa.size() < wb.size() ? -1 : 1;
  if (int c = wa.compare(wb)) return c < 0 ? -1 : 1;
  if (int c = fa.compare(fb)) return c < 0 ? -1 : 1;
  return 0;
}
}  // namespace

namespace {
// A date-time's parts: "YYYY-MM-DD HH:MM:SS" (a 'T' read as a space) and its fraction's digits
// without trailing zeros.
void time_parts(std::string_view text, std::string& whole, std::string_view& fraction) {
  size_t end = std::min<size_t>(text.size(), 19);
  whole.assign(text.substr(0, end));
  if (whole.size() > 10 && whole[10] == 'T') whole[10] = ' ';
  fraction = {};
  if (end < text.size() && text[end] == '.') {
    size_t stop = end + 1;
    while (stop < text.size() && text[stop] >= '0' && text[stop] <= '9') stop++;
    fraction = text.substr(end + 1, stop - end - 1);
    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  }
}
}  // namespace

int compare_versions(std::string_view a, std::string_view b, VersionOrder order) {
  bool null_a = a == "\\N", null_b = b == "\\N";
  if (null_a || null_b) return null_a == null_b ? 0 : (null_a ? -1 : 1);
  if (order == VersionOrder::Number) {
    bool na, nb;
    std::string_view wa, fa, wb, fb;
    if (decimal_parts(a, na, wa, fa) && decimal_parts(b, nb, wb, fb)) {
      if (na != nb) return na ? -1 : 1;
      int c = compare_magnitudes(wa, fa, wb, fb);
      return na ? -c : c;
    }
    // Exponent notation and the like: as long doubles.
    long double x = std::strtold(std::string(a).c_str(), nullptr), y = std::strtold(std::string(b).c_str(), nullptr);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (order == VersionOrder::Time) {
    std::string wa, wb;
    std::string_view fa, fb;
    time_parts(a, wa, fa);
    time_parts(b, wb, fb);
    int c = wa.compare(wb);
    if (c == 0) c = fa.compare(fb);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace cdc
