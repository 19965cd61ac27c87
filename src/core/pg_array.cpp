// JSON arrays -> PostgreSQL array input (see pg_array.hpp). A small recursive-descent reader:
// array values are rare enough that a second simdjson pass (which wants a padded copy) is not
// worth it, and the reader must survive any bytes (it is fuzzed with the decoders).
#include "core/pg_array.hpp"

#include "core/json_util.hpp"
#include "core/value_convert.hpp"

namespace cdc {
namespace {

constexpr int kMaxDimensions = 6;  // PostgreSQL's MAXDIM

class ArrayWriter {
 public:
  ArrayWriter(std::string_view json, const ElementConverter& convert, std::string& out)
      : s_(json), convert_(convert), out_(out) {}

  // The whole text: one array and nothing else but white space.
  bool run() {
    skip_ws();
    if (!array(1)) return false;
    skip_ws();
    return i_ == s_.size();
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  // '[' elements ']' at s_[i_] -> '{' elements '}'.
  bool array(int depth) {
    if (depth > kMaxDimensions || i_ >= s_.size() || s_[i_] != '[') return false;
    ++i_;
    out_.push_back('{');
    skip_ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      out_.push_back('}');
      return true;
    }
    for (;;) {
      skip_ws();
      if (!element(depth)) return false;
      skip_ws();
      if (i_ >= s_.size()) return false;
      char c = s_[i_++];
      if (c == ']') break;
      if (c != ',') return false;
      out_.push_back(',');
    }
    out_.push_back('}');
    return true;
  }

  // One element: a nested array, null, or a scalar/object written as a quoted element.
  bool element(int depth) {
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '[') return array(depth + 1);
    FieldValue v;
    if (c == '"') {
      if (!string_value()) return false;
      v.kind = ValueKind::String;
      v.text = text_;
    } else if (c == '{') {
      size_t start = i_;
      if (!skip_object()) return false;
      v.kind = ValueKind::Json;
      v.text = s_.substr(start, i_ - start);
    } else if (literal("null")) {
      out_ += "NULL";
      return true;
    } else if (literal("true")) {
      v.kind = ValueKind::Bool;
      v.text = "true";
    } else if (literal("false")) {
      v.kind = ValueKind::Bool;
      v.text = "false";
    } else {
      size_t start = i_;
      while (i_ < s_.size() && (s_[i_] == '-' || s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' ||
                                s_[i_] == 'E' || (s_[i_] >= '0' && s_[i_] <= '9')))
        ++i_;
      v.kind = ValueKind::Number;
      v.text = s_.substr(start, i_ - start);
      if (!json::is_number_literal(v.text)) return false;
    }
    converted_.clear();
    quote(convert_(v, converted_) ? std::string_view(converted_) : v.text);
    return true;
  }

  // Consumes `word` when it comes next.
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // Appends `text` as a double-quoted array element.
  void quote(std::string_view text) {
    out_.push_back('"');
    for (char c : text) {
      if (c == '"' || c == '\\') out_.push_back('\\');
      out_.push_back(c);
    }
    out_.push_back('"');
  }

  // Reads the JSON string at s_[i_] into text_, unescaped (UTF-8). False for a malformed string
  // or a NUL character, which PostgreSQL text cannot hold.
  bool string_value() {
    text_.clear();
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        text_.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': text_.push_back(e); break;
        case 'b': text_.push_back('\b'); break;
        case 'f': text_.push_back('\f'); break;
        case 'n': text_.push_back('\n'); break;
        case 'r': text_.push_back('\r'); break;
        case 't': text_.push_back('\t'); break;
        case 'u': if (!unicode_escape()) return false; break;
        default: return false;
      }
    }
    return false;
  }

  // Four hex digits at s_[i_] -> their value; false when they are not there.
  bool hex4(uint32_t& v) {
    if (s_.size() - i_ < 4) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      int d = convert::hex_digit(s_[i_++]);
      if (d < 0) return false;
      v = v * 16 + uint32_t(d);
    }
    return true;
  }

  // The rest of a \u escape (a surrogate pair takes two), appended as UTF-8.
  bool unicode_escape() {
    uint32_t cp;
    if (!hex4(cp) || cp == 0) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    if (cp < 0x80) {
      text_.push_back(char(cp));
    } else if (cp < 0x800) {
      text_.push_back(char(0xC0 | (cp >> 6)));
      text_.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      text_.push_back(char(0xE0 | (cp >> 12)));
      text_.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      text_.push_back(char(0x80 | (cp & 0x3F)));
    } else {
      text_.push_back(char(0xF0 | (cp >> 18)));
      text_.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
      text_.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      text_.push_back(char(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  // Skips the object at s_[i_] by bracket matching outside strings (the message it came from
  // was parsed as JSON already; this only has to find its end safely).
  bool skip_object() {
    int depth = 0;
    bool in_string = false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (in_string) {
        if (c == '\\') {
          ++i_;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i_ <= s_.size();
      }
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
  const ElementConverter& convert_;
  std::string& out_;
  std::string text_;       // the current string element, unescaped
  std::string converted_;  // the current element converted
};

}  // namespace

bool append_pg_array_from_json(std::string_view json, const ElementConverter& convert, std::string& out) {
  size_t at = out.size();
  ArrayWriter writer(json, convert, out);
  if (writer.run()) return true;
  out.resize(at);
  return false;
}

}  // namespace cdc
