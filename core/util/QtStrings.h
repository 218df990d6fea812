#pragma once

#include <QString>

#include <string>

// The one rule for strings (docs/architecture.md): core/util and core/model speak std::string
// (UTF-8; LibTorch and the standard library), every layer that links Qt speaks QString at its
// interfaces. Where the two meet, they convert here and nowhere else.

namespace rine {

inline QString q(const std::string &text) { return QString::fromStdString(text); }
inline std::string toStd(const QString &text) { return text.toStdString(); }

// Exactly 64 lowercase hexadecimal digits: a SHA-256 as the program writes them. What a case
// received from elsewhere holds where a hash belongs is checked with this before it is shown.
inline bool isSha256Hex(const QString &text)
{
    if (text.size() != 64)
        return false;
    for (QChar c : text)
        if (!((c >= QLatin1Char('0') && c <= QLatin1Char('9')) || (c >= QLatin1Char('a') && c <= QLatin1Char('f'))))
            return false;
    return true;
}

} // namespace rine
