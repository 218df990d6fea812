#pragma once

// Text from outside (file names, paths, errors and warnings about files, anything read from a
// case database or a weight file) shown where Qt would take markup: tooltips, and labels in
// rich text. A tooltip that looks like markup is rendered as markup (Qt::mightBeRichText), so
// a file named <img src=...> would make Qt load that path on hover; these keep it as text.

#include <QString>
#include <QTextDocument>

namespace rine {

// A tooltip showing text as it is (escaped; line breaks kept).
inline QString plainToolTip(const QString &text)
{
    return text.isEmpty() ? QString() : Qt::convertFromPlainText(text, Qt::WhiteSpaceNormal);
}

} // namespace rine
