#include "Json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace rine {

namespace {

struct JsonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Parser {
public:
    Parser(const char *data, std::size_t size, int maxDepth) : m_data(data), m_size(size), m_maxDepth(maxDepth) {}

    JsonValue document()
    {
        JsonValue v = value(0);
        skipSpace();
        if (m_pos != m_size)
            fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string &what) const
    {
        throw JsonError(what + " at byte " + std::to_string(m_pos));
    }
    void skipSpace()
    {
        while (m_pos < m_size && (m_data[m_pos] == ' ' || m_data[m_pos] == '\t' || m_data[m_pos] == '\n' || m_data[m_pos] == '\r'))
            ++m_pos;
    }
    char peek()
    {
        skipSpace();
        if (m_pos >= m_size)
            fail("unexpected end");
        return m_data[m_pos];
    }
    void expect(const char *word)
    {
        for (const char *c = word; *c; ++c, ++m_pos)
            if (m_pos >= m_size || m_data[m_pos] != *c)
                fail(std::string("expected ") + word);
    }

    JsonValue value(int depth)
    {
        if (depth > m_maxDepth)
            fail("nesting too deep");
        JsonValue v;
        const char c = peek();
        if (c == '{') {
            v.kind = JsonValue::Kind::Object;
            ++m_pos;
            if (peek() == '}') {
                ++m_pos;
                return v;
            }
            while (true) {
                if (peek() != '"')
                    fail("expected a key");
                std::string key = string();
                if (peek() != ':')
                    fail("expected ':'");
                ++m_pos;
                if (v.object.count(key))
                    fail("duplicate key '" + key + "'");
                v.object.emplace(std::move(key), value(depth + 1));
                const char next = peek();
                ++m_pos;
                if (next == '}')
                    return v;
                if (next != ',')
                    fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            v.kind = JsonValue::Kind::Array;
            ++m_pos;
            if (peek() == ']') {
                ++m_pos;
                return v;
            }
            while (true) {
                v.array.push_back(value(depth + 1));
                const char next = peek();
                ++m_pos;
                if (next == ']')
                    return v;
                if (next != ',')
                    fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            v.kind = JsonValue::Kind::String;
            v.string = string();
            return v;
        }
        if (c == 't' || c == 'f') {
            v.kind = JsonValue::Kind::Bool;
            v.boolean = c == 't';
            expect(v.boolean ? "true" : "false");
            return v;
        }
        if (c == 'n') {
            expect("null");
            return v;
        }
        return number();
    }

    std::string string()
    {
        ++m_pos; // opening quote
        std::string out;
        while (true) {
            if (m_pos >= m_size)
                fail("unterminated string");
            const char c = m_data[m_pos++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_pos >= m_size)
                fail("unterminated escape");
            const char e = m_data[m_pos++];
            switch (e) {
            case '"': case '\\': case '/': out += e; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                if (m_pos + 4 > m_size)
                    fail("short \\u escape");
                const unsigned code = unsigned(std::strtoul(std::string(m_data + m_pos, 4).c_str(), nullptr, 16));
                m_pos += 4;
                // Names in weight headers are ASCII; other code points are kept as UTF-8 of the BMP.
                if (code < 0x80) {
                    out += char(code);
                } else if (code < 0x800) {
                    out += char(0xC0 | (code >> 6));
                    out += char(0x80 | (code & 0x3F));
                } else {
                    out += char(0xE0 | (code >> 12));
                    out += char(0x80 | ((code >> 6) & 0x3F));
                    out += char(0x80 | (code & 0x3F));
                }
                break;
            }
            default:
                fail("bad escape");
            }
        }
    }

    JsonValue number()
    {
        const std::size_t start = m_pos;
        bool integral = true;
        if (m_pos < m_size && m_data[m_pos] == '-')
            ++m_pos;
        while (m_pos < m_size) {
            const char c = m_data[m_pos];
            if (c >= '0' && c <= '9') {
                ++m_pos;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                ++m_pos;
            } else {
                break;
            }
        }
        if (m_pos == start)
            fail("unexpected character");
        const std::string text(m_data + start, m_pos - start);
        JsonValue v;
        v.kind = JsonValue::Kind::Number;
        char *end = nullptr;
        v.number = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || !std::isfinite(v.number))
            fail("bad number");
        if (integral) {
            errno = 0;
            v.integer = std::strtoll(text.c_str(), nullptr, 10);
            v.isInteger = errno == 0;
        }
        return v;
    }

    const char *m_data;
    std::size_t m_size;
    int m_maxDepth;
    std::size_t m_pos = 0;
};

} // namespace

const JsonValue *JsonValue::find(const std::string &key) const
{
    auto it = object.find(key);
    return it == object.end() ? nullptr : &it->second;
}

Result<JsonValue> parseJson(const char *data, std::size_t size, int maxDepth)
{
    try {
        return Parser(data, size, maxDepth).document();
    } catch (const JsonError &e) {
        return Result<JsonValue>::failure(e.what());
    }
}

} // namespace rine
