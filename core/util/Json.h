#pragma once

#include "Result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rine {

// A small strict JSON reader for headers that core/model parses without Qt (safetensors).
struct JsonValue {
    enum class Kind { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    double number = 0;
    bool isInteger = false;
    std::int64_t integer = 0;
    std::string string;
    std::vector<JsonValue> array;
    std::map<std::string, JsonValue> object;

    const JsonValue *find(const std::string &key) const;
};

// Parses one JSON document; nesting deeper than maxDepth is refused.
Result<JsonValue> parseJson(const char *data, std::size_t size, int maxDepth = 64);

} // namespace rine
