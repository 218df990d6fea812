// Choosing OpenBLAS's kernels: the decision on its own (every case), the processor's features
// against /proc/cpuinfo (the kernel's own reading of CPUID), and rine-cli as a user starts it:
// with OpenBLAS as it loads here, and with OpenBLAS made to fall back to Prescott kernels (a
// preloaded shim), where the program must restart itself with the right ones.

#include "util/BlasKernels.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

using namespace rine;

namespace {

CpuFeatures avx512Cpu(bool bf16)
{
    CpuFeatures cpu;
    cpu.avx = cpu.fma = cpu.avx2 = cpu.avx512 = true;
    cpu.avx512bf16 = bf16;
    return cpu;
}

QStringList cpuinfoFlags()
{
    QFile file(QStringLiteral("/proc/cpuinfo"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : file.readAll().split('\n'))
        if (line.startsWith("flags"))
            return QString::fromLatin1(line.mid(line.indexOf(':') + 1)).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    return {};
}

struct CliRun {
    int exitCode = -1;
    QString out;
};

CliRun version(const QProcessEnvironment &env)
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(RINE_CLI), {QStringLiteral("--version")});
    CliRun run;
    if (process.waitForFinished(60000) && process.exitStatus() == QProcess::NormalExit)
        run.exitCode = process.exitCode();
    run.out = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
    return run;
}

QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("OPENBLAS_CORETYPE"));
    env.remove(QStringLiteral("RINE_BLAS_CORETYPE"));
    return env;
}

} // namespace

class TestBlasKernels : public QObject {
    Q_OBJECT

private slots:
    void coreNamesHaveTheirLevels()
    {
        VectorLevel level;
        QVERIFY(openBlasCoreLevel("Prescott", level) && level == VectorLevel::Sse);
        QVERIFY(openBlasCoreLevel("Sandybridge", level) && level == VectorLevel::Avx);
        QVERIFY(openBlasCoreLevel("Haswell", level) && level == VectorLevel::Avx2);
        QVERIFY(openBlasCoreLevel("Zen", level) && level == VectorLevel::Avx2);
        QVERIFY(openBlasCoreLevel("SkylakeX", level) && level == VectorLevel::Avx512);
        QVERIFY(openBlasCoreLevel("cooperlake", level) && level == VectorLevel::Avx512);
        QVERIFY(!openBlasCoreLevel("NEOVERSEN1", level));
        QVERIFY(!openBlasCoreLevel("", level));
    }

    void prescottOnAnAvx512ProcessorIsReplaced()
    {
        const BlasDecision d = decideBlasKernels("Prescott", avx512Cpu(true), nullptr, nullptr);
        QVERIFY(d.reexec);
        QCOMPARE(QString::fromStdString(d.coreType), QStringLiteral("Cooperlake"));
        QVERIFY(d.warning.empty());
        QCOMPARE(QString::fromStdString(decideBlasKernels("Prescott", avx512Cpu(false), nullptr, nullptr).coreType),
                 QStringLiteral("SkylakeX"));
        CpuFeatures avx2;
        avx2.avx = avx2.fma = avx2.avx2 = true;
        QCOMPARE(QString::fromStdString(decideBlasKernels("Nehalem", avx2, nullptr, nullptr).coreType),
                 QStringLiteral("Haswell"));
    }

    void fittingKernelsAreKept()
    {
        QVERIFY(!decideBlasKernels("Cooperlake", avx512Cpu(true), nullptr, nullptr).reexec);
        CpuFeatures avx2;
        avx2.avx = avx2.fma = avx2.avx2 = true;
        QVERIFY(!decideBlasKernels("Zen", avx2, nullptr, nullptr).reexec);
        QVERIFY(!decideBlasKernels("SkylakeX", avx2, nullptr, nullptr).reexec); // wider than needed: its choice
        CpuFeatures sse; // an old processor: nothing better to ask for
        QVERIFY(!decideBlasKernels("Prescott", sse, nullptr, nullptr).reexec);
        // Not OpenBLAS, or a core name this code does not know: nothing to judge.
        QVERIFY(!decideBlasKernels("", avx512Cpu(true), nullptr, nullptr).reexec);
        QVERIFY(!decideBlasKernels("Future", avx512Cpu(true), nullptr, nullptr).reexec);
    }

    void theUsersChoiceIsNeverOverriddenButWarned()
    {
        const BlasDecision d = decideBlasKernels("Haswell", avx512Cpu(true), "Haswell", nullptr);
        QVERIFY(!d.reexec);
        QVERIFY2(QString::fromStdString(d.warning).contains(QLatin1String("OPENBLAS_CORETYPE=Haswell")), d.warning.c_str());
    }

    void neverTwice()
    {
        // After the restart OpenBLAS still reports narrow kernels (it did not take the type):
        // a warning, no second restart.
        const BlasDecision d = decideBlasKernels("Prescott", avx512Cpu(true), "Cooperlake", "Prescott");
        QVERIFY(!d.reexec);
        QVERIFY(!d.warning.empty());
        // "keep": measure OpenBLAS as it loads (the benchmark), silently.
        const BlasDecision keep = decideBlasKernels("Prescott", avx512Cpu(true), nullptr, "keep");
        QVERIFY(!keep.reexec && keep.warning.empty());
    }

    void cpuFeaturesAgreeWithTheKernel()
    {
        const QStringList flags = cpuinfoFlags();
        if (flags.isEmpty())
            QSKIP("no /proc/cpuinfo flags on this system");
        const CpuFeatures cpu = cpuFeatures();
        QCOMPARE(cpu.avx2, flags.contains(QLatin1String("avx2")));
        QCOMPARE(cpu.fma, flags.contains(QLatin1String("fma")));
        const bool avx512 = flags.contains(QLatin1String("avx512f")) && flags.contains(QLatin1String("avx512bw"))
                         && flags.contains(QLatin1String("avx512vl")) && flags.contains(QLatin1String("avx512dq"))
                         && flags.contains(QLatin1String("avx512cd"));
        QCOMPARE(cpu.avx512, avx512);
        QCOMPARE(cpu.avx512bf16, flags.contains(QLatin1String("avx512_bf16")));
        QCOMPARE(cpu.amxBf16, flags.contains(QLatin1String("amx_bf16")));
    }

    void theProgramRunsKernelsAsWideAsTheProcessor()
    {
        // As a user starts it, with no environment variable set.
        const CliRun run = version(cleanEnvironment());
        QCOMPARE(run.exitCode, 0);
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("BLAS: OpenBLAS (\\w+) kernels")).match(run.out);
        if (!m.hasMatch())
            QSKIP(qPrintable(QStringLiteral("rine-cli does not run on OpenBLAS here: ") + run.out));
        VectorLevel level;
        QVERIFY2(openBlasCoreLevel(m.captured(1).toStdString(), level), qPrintable(run.out));
        const QStringList flags = cpuinfoFlags();
        const VectorLevel machine = flags.contains(QLatin1String("avx512f")) && flags.contains(QLatin1String("avx512bw"))
                                      ? VectorLevel::Avx512
                                  : flags.contains(QLatin1String("avx2")) ? VectorLevel::Avx2
                                  : flags.contains(QLatin1String("avx"))  ? VectorLevel::Avx
                                                                          : VectorLevel::Sse;
        QVERIFY2(int(level) >= int(machine), qPrintable(run.out));
        QVERIFY2(!run.out.contains(QLatin1String("WARNING")), qPrintable(run.out));
    }

    void theBenchmarkMeasuresTheKernelsInUse()
    {
        // One row of `rine-cli bench`'s comparison, as its parent process reads it.
        QProcess process;
        process.setProcessEnvironment(cleanEnvironment());
        process.start(QStringLiteral(RINE_CLI), {QStringLiteral("bench"), QStringLiteral("--row"), QStringLiteral("--gemm-only"),
                                                 QStringLiteral("--precision"), QStringLiteral("fp32")});
        QVERIFY(process.waitForFinished(120000));
        QCOMPARE(process.exitCode(), 0);
        const QJsonObject row = QJsonDocument::fromJson(process.readAllStandardOutput().trimmed()).object();
        QCOMPARE(row.value(QStringLiteral("precision")).toString(), QStringLiteral("fp32"));
        QVERIFY(row.value(QStringLiteral("gemm_gflops")).toDouble() > 0);
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("BLAS: OpenBLAS (\\w+) kernels")).match(version(cleanEnvironment()).out);
        if (m.hasMatch())
            QCOMPARE(row.value(QStringLiteral("blas_core")).toString(), m.captured(1));
    }

    void aFallbackToPrescottIsFixedByARestart()
    {
        QProcessEnvironment env = cleanEnvironment();
        env.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(RINE_FAKE_OPENBLAS_CORE));
        env.insert(QStringLiteral("ASAN_OPTIONS"), QStringLiteral("verify_asan_link_order=0:detect_leaks=0"));
        const CliRun run = version(env);
        QCOMPARE(run.exitCode, 0);
        if (!run.out.contains(QLatin1String("BLAS: OpenBLAS")))
            QSKIP(qPrintable(QStringLiteral("rine-cli does not run on OpenBLAS here: ") + run.out));
        const CpuFeatures cpu = cpuFeatures();
        if (vectorLevel(cpu) == VectorLevel::Sse)
            QSKIP("this processor has no AVX: Prescott kernels are the right ones");
        const QString expected = QString::fromStdString(bestOpenBlasCore(cpu));
        QVERIFY2(run.out.contains(QStringLiteral("BLAS: OpenBLAS %1 kernels, chosen by RINE Studio (OpenBLAS alone "
                                                 "chose Prescott)").arg(expected)),
                 qPrintable(run.out));
        // The user's own value is kept, with a warning.
        env.insert(QStringLiteral("OPENBLAS_CORETYPE"), QStringLiteral("Prescott"));
        const CliRun user = version(env);
        QVERIFY2(user.out.contains(QLatin1String("chosen by OPENBLAS_CORETYPE=Prescott"))
                     && user.out.contains(QLatin1String("WARNING")),
                 qPrintable(user.out));
    }
};

QTEST_GUILESS_MAIN(TestBlasKernels)
#include "tst_blas_kernels.moc"
