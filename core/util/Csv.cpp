#include "Csv.h"

namespace rine {

QString csvCell(QString text, bool neutralise)
{
    static const QString risky = QStringLiteral("=+-@\t\r'");
    if (neutralise && !text.isEmpty() && risky.contains(text.front()))
        text.prepend(QLatin1Char('\''));
    if (text.contains(QLatin1Char('"')) || text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('\n'))
        || text.contains(QLatin1Char('\r'))) {
        text.replace(QLatin1String("\""), QLatin1String("\"\""));
        text = QLatin1Char('"') + text + QLatin1Char('"');
    }
    return text;
}

QString csvText(const QString &cell) { return cell.startsWith(QLatin1Char('\'')) ? cell.mid(1) : cell; }

Result<std::vector<QStringList>> parseCsv(const QByteArray &bytes)
{
    using R = Result<std::vector<QStringList>>;
    const QString text = QString::fromUtf8(bytes);
    std::vector<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false, wasQuoted = false;
    int line = 1;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == QLatin1Char('\n'))
                    ++line;
                field += c;
            }
            continue;
        }
        if (c == QLatin1Char('"')) {
            if (!field.isEmpty() || wasQuoted)
                return R::failure("line " + std::to_string(line) + ": a quote inside an unquoted field");
            quoted = wasQuoted = true;
        } else if (c == QLatin1Char(',')) {
            record << field;
            field.clear();
            wasQuoted = false;
        } else if (c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
            if (c == QLatin1Char('\r') && i + 1 < text.size() && text[i + 1] == QLatin1Char('\n'))
                ++i;
            record << field;
            records.push_back(record);
            record.clear();
            field.clear();
            wasQuoted = false;
            ++line;
        } else {
            if (wasQuoted)
                return R::failure("line " + std::to_string(line) + ": text after a closing quote");
            field += c;
        }
    }
    if (quoted)
        return R::failure("line " + std::to_string(line) + ": a quoted field is not closed");
    if (!field.isEmpty() || !record.isEmpty() || wasQuoted) {
        record << field;
        records.push_back(record);
    }
    return records;
}

} // namespace rine
