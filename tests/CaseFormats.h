#pragma once

// Case databases of earlier formats, made from a current one for upgrade tests. The tables
// are written as format 2 defined them (git history of core/store/CaseDatabase.cpp), an
// independent record of what older cases hold.

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QStringList>
#include <QVariantList>

namespace rine::test {

// Runs SQL on a case as someone with a plain SQLite tool would (to alter it behind the
// program's back); "" or the first error.
inline QString runSql(const QString &path, const QStringList &statements)
{
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("run-sql"));
        db.setDatabaseName(path);
        if (!db.open())
            return db.lastError().text();
        QSqlQuery query(db);
        for (const QString &statement : statements)
            if (error.isEmpty() && !query.exec(statement))
                error = statement + QStringLiteral(": ") + query.lastError().text();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("run-sql"));
    return error;
}

// Rewrites the case at path as format 5: results without the detector column of format 6 (and
// with format 5's key), no spai_patches table (the case must hold no SPAI result). Returns ""
// or the SQL error.
inline QString downgradeToFormat5(const QString &path)
{
    return runSql(
        path,
        {QStringLiteral("PRAGMA journal_mode=DELETE"),
         QStringLiteral("CREATE TABLE results5(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT "
                        "NULL, head_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL, logit REAL NOT NULL, probability "
                        "REAL NOT NULL, contributions TEXT NOT NULL, device TEXT NOT NULL, backbone_dtype TEXT NOT NULL, "
                        "from_cached_features INTEGER NOT NULL, scan_id INTEGER NOT NULL, scored_at TEXT NOT NULL, "
                        "precision TEXT NOT NULL, audit_id INTEGER, UNIQUE(sha256, backbone_sha256, head_sha256, "
                        "preprocessing, precision))"),
         QStringLiteral("INSERT INTO results5 SELECT id, sha256, backbone_sha256, head_sha256, preprocessing, logit, "
                        "probability, contributions, device, backbone_dtype, from_cached_features, scan_id, scored_at, "
                        "precision, audit_id FROM results"),
         QStringLiteral("DROP TABLE results"), QStringLiteral("ALTER TABLE results5 RENAME TO results"),
         QStringLiteral("CREATE INDEX results_audit ON results(audit_id)"), QStringLiteral("DROP TABLE spai_patches"),
         QStringLiteral("PRAGMA user_version=5")});
}

// Rewrites the case at path as format 4: without the windows table of format 5 (TextureCrop's
// windows; the case must hold none). Returns "" or the SQL error.
inline QString downgradeToFormat4(const QString &path)
{
    if (const QString error = downgradeToFormat5(path); !error.isEmpty())
        return error;
    return runSql(path, {QStringLiteral("PRAGMA journal_mode=DELETE"), QStringLiteral("DROP TABLE windows"),
                         QStringLiteral("PRAGMA user_version=4")});
}

// Rewrites the case at path as format 3: no row of it records an audit entry, entries are
// unsigned and claim no rows (their hashes recomputed as format 2 and 3 defined them: SHA-256
// of the compact JSON array [previous hash, at, actor, action, details]).
// Returns "" or the SQL error.
inline QString downgradeToFormat3(const QString &path)
{
    QString error = downgradeToFormat4(path);
    if (!error.isEmpty())
        return error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("downgrade3"));
        db.setDatabaseName(path);
        if (!db.open())
            return db.lastError().text();
        QSqlQuery query(db);
        QStringList statements{QStringLiteral("PRAGMA journal_mode=DELETE")};
        for (const char *table : {"cases", "scans", "models", "scan_models", "contents", "files", "walk_events",
                                  "results", "features"})
            statements << QStringLiteral("DROP INDEX %1_audit").arg(QLatin1String(table))
                       << QStringLiteral("ALTER TABLE %1 DROP COLUMN audit_id").arg(QLatin1String(table));
        statements << QStringLiteral("ALTER TABLE audit_log DROP COLUMN signer")
                   << QStringLiteral("ALTER TABLE audit_log DROP COLUMN signature");
        for (const QString &statement : statements)
            if (error.isEmpty() && !query.exec(statement))
                error = statement + QStringLiteral(": ") + query.lastError().text();
        std::vector<QVariantList> entries;
        if (error.isEmpty() && query.exec(QStringLiteral("SELECT id, at, actor, action, details FROM audit_log ORDER BY id")))
            while (query.next())
                entries.push_back({query.value(0), query.value(1), query.value(2), query.value(3), query.value(4)});
        QString previous(64, QLatin1Char('0'));
        for (QVariantList &entry : entries) {
            QJsonObject details = QJsonDocument::fromJson(entry[4].toString().toUtf8()).object();
            details.remove(QStringLiteral("rows"));
            details.remove(QStringLiteral("rows_of_earlier_entries"));
            const QString text = QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact));
            const QByteArray hashed = QJsonDocument(QJsonArray{previous, entry[1].toString(), entry[2].toString(),
                                                               entry[3].toString(), text})
                                          .toJson(QJsonDocument::Compact);
            const QString hash = QString::fromLatin1(QCryptographicHash::hash(hashed, QCryptographicHash::Sha256).toHex());
            query.prepare(QStringLiteral("UPDATE audit_log SET details=?, previous_hash=?, hash=? WHERE id=?"));
            query.addBindValue(text);
            query.addBindValue(previous);
            query.addBindValue(hash);
            query.addBindValue(entry[0]);
            if (error.isEmpty() && !query.exec())
                error = query.lastError().text();
            previous = hash;
        }
        if (error.isEmpty() && !query.exec(QStringLiteral("PRAGMA user_version=3")))
            error = query.lastError().text();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("downgrade3"));
    return error;
}

// Rewrites the case at path as format 2: no precision in scans, results or features.
// Returns "" or the SQL error.
inline QString downgradeToFormat2(const QString &path)
{
    QString error = downgradeToFormat3(path);
    if (!error.isEmpty())
        return error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("downgrade"));
        db.setDatabaseName(path);
        if (!db.open())
            return db.lastError().text();
        QSqlQuery query(db);
        const char *statements[] = {
            "PRAGMA journal_mode=DELETE",
            "ALTER TABLE scans DROP COLUMN precision",
            "ALTER TABLE results RENAME TO results3",
            "CREATE TABLE results(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT NULL,"
            " head_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL, logit REAL NOT NULL, probability REAL NOT NULL,"
            " contributions TEXT NOT NULL, device TEXT NOT NULL, backbone_dtype TEXT NOT NULL,"
            " from_cached_features INTEGER NOT NULL, scan_id INTEGER NOT NULL, scored_at TEXT NOT NULL,"
            " UNIQUE(sha256, backbone_sha256, head_sha256, preprocessing))",
            "INSERT INTO results SELECT id, sha256, backbone_sha256, head_sha256, preprocessing, logit, probability,"
            " contributions, device, backbone_dtype, from_cached_features, scan_id, scored_at FROM results3",
            "DROP TABLE results3",
            "ALTER TABLE features RENAME TO features3",
            "CREATE TABLE features(sha256 TEXT NOT NULL, backbone_sha256 TEXT NOT NULL, preprocessing TEXT NOT NULL,"
            " crops INTEGER NOT NULL, blocks INTEGER NOT NULL, width INTEGER NOT NULL, dtype TEXT NOT NULL,"
            " data BLOB NOT NULL, PRIMARY KEY(sha256, backbone_sha256, preprocessing))",
            "INSERT INTO features SELECT sha256, backbone_sha256, preprocessing, crops, blocks, width, dtype, data"
            " FROM features3",
            "DROP TABLE features3",
            "PRAGMA user_version=2",
        };
        for (const char *statement : statements)
            if (error.isEmpty() && !query.exec(QString::fromLatin1(statement)))
                error = QString::fromLatin1(statement) + QStringLiteral(": ") + query.lastError().text();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("downgrade"));
    return error;
}

} // namespace rine::test
