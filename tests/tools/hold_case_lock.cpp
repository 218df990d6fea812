// Holds a case's lock (<case>.lock, as rine-cli scan and the application take it) from another
// process until its standard input closes: the tests' stand-in for a scan running elsewhere.
#include <QCoreApplication>
#include <QFile>
#include <QLockFile>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: hold_case_lock CASE.sqlite\n");
        return 2;
    }
    QLockFile lock(QFile::decodeName(argv[1]) + QStringLiteral(".lock"));
    lock.setStaleLockTime(0);
    if (!lock.tryLock(0)) {
        std::fprintf(stderr, "hold_case_lock: the lock is taken already\n");
        return 1;
    }
    std::printf("locked\n");
    std::fflush(stdout);
    while (std::getchar() != EOF) {
    }
    return 0;
}
