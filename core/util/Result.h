#pragma once

#include <optional>
#include <string>
#include <utility>

namespace rine {

// A value or a message saying why there is none. Foreseeable failures (a bad file, a shape
// mismatch) travel as values of this type instead of exceptions, so that callers must look.
template <typename T>
class Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    static Result failure(std::string message)
    {
        Result r;
        r.m_error = std::move(message);
        return r;
    }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const std::string &error() const { return m_error; }

    T &value() & { return *m_value; }
    const T &value() const & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    T *operator->() { return &*m_value; }
    const T *operator->() const { return &*m_value; }

private:
    Result() = default;
    std::optional<T> m_value;
    std::string m_error;
};

} // namespace rine
