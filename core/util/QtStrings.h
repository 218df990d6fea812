#pragma once

#include <QString>

#include <string>

// The one rule for strings (docs/architecture.md): core/util and core/model speak std::string
// (UTF-8; LibTorch and the standard library), every layer that links Qt speaks QString at its
// interfaces. Where the two meet, they convert here and nowhere else.

namespace rine {

inline QString q(const std::string &text) { return QString::fromStdString(text); }
inline std::string toStd(const QString &text) { return text.toStdString(); }

} // namespace rine
