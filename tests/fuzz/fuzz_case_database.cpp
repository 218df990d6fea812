// libFuzzer target: opening a case database received from elsewhere, and reading it the way
// the application and rine-cli results/audit do. The bytes are written to a private file
// (SQLite reads files); opening must refuse damaged, foreign or booby-trapped files with a
// message, never crash.
#include "store/CaseDatabase.h"

#include <QCoreApplication>
#include <QFile>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <unistd.h>

namespace {

void readEverything(rine::CaseDatabase &database)
{
    auto scans = database.scans();
    if (scans)
        for (const rine::ScanRow &scan : scans.value()) {
            (void)database.scanSummary(scan.id);
            (void)database.fileReports(scan.id);
            (void)database.statusCounts(scan.id);
        }
    (void)database.auditLog();
    (void)database.verifyAudit();
    (void)database.integrity(); // every covered row against its entry's digest
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static int argc = 1;
    static char name[] = "fuzz_case_database";
    static char *argv[] = {name, nullptr};
    static QCoreApplication app(argc, argv); // Qt SQL's driver needs an application
    static const QString path = QStringLiteral("/tmp/fuzz-case-%1.sqlite").arg(::getpid());
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        QFile::remove(path + QString::fromLatin1(suffix));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(reinterpret_cast<const char *>(data), qint64(size)) != qint64(size))
        return 0;
    file.close();
    for (auto mode : {rine::CaseDatabase::Mode::ReadOnly, rine::CaseDatabase::Mode::OpenExisting}) {
        auto database = rine::CaseDatabase::open(path, mode);
        if (database)
            readEverything(*database.value());
    }
    return 0;
}
