#pragma once

// Whether what a widget shows would be rendered as markup that acts: an <img> element makes
// Qt load the path it names (a file, a resource) when a label or tooltip is drawn. Strings that
// come from outside (file names, a case's fields, URLs) must be escaped or set as plain text;
// these helpers find any widget where one was not.

#include <QLabel>
#include <QStringList>
#include <QTextBrowser>
#include <QTextDocument>
#include <QWidget>

namespace rine::test {

// What Qt would build from `text` shown in `format`: true when an image element comes out.
inline bool rendersImage(const QString &text, Qt::TextFormat format)
{
    if (text.isEmpty() || format == Qt::PlainText || (format == Qt::AutoText && !Qt::mightBeRichText(text)))
        return false;
    QTextDocument document;
    document.setHtml(text);
    return document.toHtml().contains(QLatin1String("<img"));
}

// Every tooltip, label and text browser under `root` (root included) that renders an image
// element, as "objectName: text".
inline QStringList imagesRendered(QWidget *root)
{
    QStringList found;
    QList<QWidget *> widgets = root->findChildren<QWidget *>();
    widgets.prepend(root);
    for (QWidget *widget : widgets) {
        if (rendersImage(widget->toolTip(), Qt::AutoText))
            found << widget->objectName() + QStringLiteral(" (tooltip): ") + widget->toolTip();
        if (auto *label = qobject_cast<QLabel *>(widget); label && rendersImage(label->text(), label->textFormat()))
            found << label->objectName() + QStringLiteral(": ") + label->text();
        if (auto *browser = qobject_cast<QTextEdit *>(widget);
            browser && browser->document()->toHtml().contains(QLatin1String("<img")))
            found << browser->objectName() + QStringLiteral(": ") + browser->toPlainText();
    }
    return found;
}

} // namespace rine::test
