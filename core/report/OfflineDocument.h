#pragma once

#include <QStringList>
#include <QTextDocument>
#include <QUrl>
#include <QVariant>

namespace rine {

// The report's document: it shows the images the report added (addResource) and loads
// nothing else. QTextDocument would otherwise read any file an <img src=...> names; the
// report's strings are escaped, but a case received from elsewhere is not trusted to be
// escaped correctly everywhere, so the document itself refuses (what it refused is kept).
class OfflineDocument : public QTextDocument {
public:
    using QTextDocument::QTextDocument;
    QStringList refused() const { return m_refused; }

protected:
    QVariant loadResource(int /*type*/, const QUrl &name) override
    {
        if (m_refused.size() < 100)
            m_refused << name.toString();
        return {};
    }

private:
    QStringList m_refused;
};

} // namespace rine
