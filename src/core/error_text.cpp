// Error texts a user reads in last_error and dead letters (see error_text.hpp).
#include "core/error_text.hpp"

namespace cdc {

namespace {
constexpr size_t kMaxKeyText = 200;

// The value of a Debezium key with its schema envelope ({"schema": ..., "payload": {...}}).
std::string_view key_payload(std::string_view key) {
  if (key.rfind("{\"schema\"", 0) != 0) return key;
  size_t p = key.find("\"payload\":");
  if (p == std::string_view::npos) return key;
  std::string_view rest = key.substr(p + 10);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\n')) rest.remove_suffix(1);
  if (!rest.empty() && rest.back() == '}') rest.remove_suffix(1);  // the envelope's own brace
  return rest;
}
}  // namespace

std::string describe_message(std::string_view topic, int32_t partition, int64_t offset, const char* key,
                             size_t key_len) {
  std::string text = std::string(topic) + "[" + std::to_string(partition) + "]@" + std::to_string(offset);
  if (key == nullptr) return text;
  std::string_view k = key_payload(std::string_view(key, key_len));
  text += ", key ";
  if (k.size() <= kMaxKeyText) return text.append(k);
  size_t cut = kMaxKeyText;
  while (cut > 0 && (static_cast<unsigned char>(k[cut]) & 0xC0) == 0x80) cut--;  // whole UTF-8 characters
  return text.append(k.substr(0, cut)).append("...");
}

std::string readable_apply_error(const std::string& error) {
  // Context lines that quote cdc_sync's own statements (the MERGE into the target from the
  // staging table a user's trigger ran under) say nothing the user can act on: dropped.
  size_t ours = error.find("\nSQL statement \"");
  if (ours != std::string::npos && error.find("cdc_sync_stage.", ours) != std::string::npos) {
    size_t end = error.find('\n', ours + 1);
    std::string shorter = error.substr(0, ours);
    if (end != std::string::npos) {
      shorter += error.substr(end);
    } else if (!error.empty() && error.back() == ')') {
      shorter += ')';
    }
    return readable_apply_error(shorter);
  }
  size_t start = error.find(" (COPY ");
  if (start == std::string::npos) return error;
  size_t end = error.find(')', start);
  // The context is the last part; a value with a ')' in it ends it later: take the last one.
  size_t last = error.rfind(')');
  if (end == std::string::npos || last == std::string::npos) return error;
  std::string context = error.substr(start + 2, last - start - 2);
  size_t column = context.find(", column ");
  std::string head = error.substr(0, start);
  if (column == std::string::npos) return head;
  return head + " (" + context.substr(column + 2) + ")";  // "column qty: \"abc\"": name and value
}

}  // namespace cdc
