// Writes the hostile-input corpus (tests/HostileCorpus.h) into a folder, for fuzzing seeds and
// for trying files by hand: make_hostile_corpus FOLDER
#include "HostileCorpus.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    if (argc != 2) {
        QTextStream(stderr) << "usage: make_hostile_corpus FOLDER" << Qt::endl;
        return 2;
    }
    for (const rine::test::HostileFile &file : rine::test::writeHostileCorpus(QString::fromLocal8Bit(argv[1]), QStringLiteral(RINE_TEST_DATA)))
        out << file.name << "\t" << file.allowed.join(QLatin1Char('|')) << "\t" << file.why << "\n";
    return 0;
}
