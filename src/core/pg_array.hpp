// JSON arrays (how Debezium, Maxwell and plain JSON events carry array columns) -> PostgreSQL
// array input text.
#pragma once
#include "core/pure_cpp.hpp"

#include <functional>
#include <string>
#include <string_view>

#include "core/change.hpp"

namespace cdc {

// Converts one scalar element (kind String, Number, Bool or Json for an object) to the element
// type's input text, appending to `out`; false when no conversion applies (the element's own
// text is then used).
using ElementConverter = std::function<bool(const FieldValue& element, std::string& out)>;

// A JSON array ("[1, 2]", "[[\"a\", null], [\"b\", \"c\"]]") -> PostgreSQL array input
// ('{"1","2"}', '{{"a",NULL},{"b","c"}}'), appended to `out`. Every element is double-quoted
// (so any text is safe inside it), JSON null becomes NULL, nested arrays become nested braces,
// objects keep their JSON text (json[]/jsonb[] columns). False, with `out` unchanged, when the
// text is not a well-formed JSON array or nests deeper than PostgreSQL's 6 dimensions.
bool append_pg_array_from_json(std::string_view json, const ElementConverter& convert, std::string& out);

}  // namespace cdc
