#pragma once

// Case databases of earlier formats, made from a current one for upgrade tests. The tables
// are written as format 2 defined them (git history of core/store/CaseDatabase.cpp), an
// independent record of what older cases hold.

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>

namespace rine::test {

// Rewrites the case at path as format 2: no precision in scans, results or features.
// Returns "" or the SQL error.
inline QString downgradeToFormat2(const QString &path)
{
    QString error;
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
