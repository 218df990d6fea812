// rine-cli slurm without a cluster: the job scripts it writes are run by bash as Slurm would
// run them (the array task's variables set), over a folder whose name holds quotes and a
// command substitution, and must scan it as it is; the merge script then merges the shards.
// Submission goes through a stand-in sbatch that records its arguments (the merge depends on
// the array); status reads the shards and a stand-in squeue. What the real cluster adds
// (requeue, SIGTERM, the dependency honoured) is tests/slurm/run.sh's.

#include "RunCli.h"
#include "TestFiles.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace rine;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

using test::Run;

QStringList tinyModel()
{
    return {"--backbone", kTiny + "clip_tiny_traced.pt", "--head", kTiny + "rine_tiny_head.pth", "--device", "cpu",
            "--trust"};
}

QString writeScript(const QString &path, const QByteArray &text)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
        qFatal("cannot write %s", qPrintable(path));
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

// Runs a job script as an array task would run it.
int runTask(const QString &script, int index, QByteArray *output = nullptr)
{
    QProcess bash;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("SLURM_ARRAY_TASK_ID", QString::number(index));
    env.insert("SLURM_ARRAY_JOB_ID", "4242");
    env.insert("SLURM_CPUS_PER_TASK", "1");
    bash.setProcessEnvironment(env);
    bash.setProcessChannelMode(QProcess::MergedChannels);
    bash.start("bash", {script});
    bash.waitForFinished(300000);
    if (output)
        *output = bash.readAll();
    return bash.exitStatus() == QProcess::NormalExit ? bash.exitCode() : -1;
}

} // namespace

class TestCliSlurm : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_evidence; // a folder whose name a shell would expand, were it not quoted
    QString m_fakeSbatch, m_fakeSqueue;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_evidence = m_dir.filePath(QStringLiteral("it's \"evidence\" $(touch PWNED) `touch PWNED2`"));
        QVERIFY(QDir().mkpath(m_evidence + "/sub"));
        for (const QString &name : QDir(kTiny + "images").entryList(QDir::Files))
            QVERIFY(QFile::copy(kTiny + "images/" + name, m_evidence + (name.startsWith('c') ? "/sub/" : "/") + name));
        // sbatch: records its arguments, answers a job id as --parsable does ("ID;CLUSTER").
        m_fakeSbatch = writeScript(m_dir.filePath("sbatch"),
                                   "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$(dirname \"$0\")/sbatch.calls\"\n"
                                   "n=$(wc -l < \"$(dirname \"$0\")/sbatch.calls\")\necho \"$((700 + n));rinetest\"\n");
        // squeue: task 2 of job 701 still running, the merge job waiting on the array.
        m_fakeSqueue = writeScript(m_dir.filePath("squeue"), "#!/bin/sh\necho '701_2 RUNNING'\necho '702 PENDING'\n");
    }

    void theScriptsScanAndMergeAsTasksWould()
    {
        const QString output = m_dir.filePath("job");
        Run run = test::rineCli(QStringList{"slurm", "--dry-run", "--output", output, "--shards", "3", "--gpus-per-task",
                                            "1", "--mem-per-task", "8G", "--time", "2:00:00", "--max-parallel", "2",
                                            "--sbatch-option=--qos=long", "--"}
                                + tinyModel() + QStringList{m_evidence});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(!QFile::exists(output)); // a dry run writes nothing
        for (const char *line : {"#SBATCH --array=0-2%2\n", "#SBATCH --requeue\n", "#SBATCH --gres=gpu:1\n",
                                 "#SBATCH --mem=8G\n", "#SBATCH --time=2:00:00\n", "#SBATCH --qos=long\n",
                                 "#SBATCH --cpus-per-task=2\n", "#SBATCH --job-name=rine-merge\n",
                                 "/logs/shard-%a.log\n"})
            QVERIFY2(run.out.contains(line), line);
        // The models are named by SHA-256 in both scripts.
        QCOMPARE(run.out.count("e71469df2f00670d1a8c2bd69b26472c273d0c0131cae53e5214756da7288919"), 2);

        // Submitted (through the stand-in sbatch), then each task run by bash as Slurm would.
        run = test::rineCli(QStringList{"slurm", "--sbatch", m_fakeSbatch, "--output", output, "--shards", "3", "--"}
                            + tinyModel() + QStringList{m_evidence});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("submitted job 701 (3 shard tasks) and merge job 702"), run.out.constData());
        const QStringList calls = QString::fromUtf8(test::readAll(m_dir.filePath("sbatch.calls"))).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(calls.size(), 2);
        QCOMPARE(calls[0], QStringLiteral("--parsable %1/job/shard.sbatch").arg(output));
        QCOMPARE(calls[1], QStringLiteral("--parsable --dependency=afterok:701 --kill-on-invalid-dep=yes %1/job/merge.sbatch").arg(output));
        const QJsonObject job = QJsonDocument::fromJson(test::readAll(output + "/job/job.json")).object();
        QCOMPARE(job.value("array_job").toString(), QStringLiteral("701"));
        QCOMPARE(job.value("shards").toInt(), 3);
        QCOMPARE(job.value("roots").toArray(), QJsonArray{m_evidence});

        // Before any task ran: status says every shard failed (none queued, per this squeue).
        run = test::rineCli({"slurm", "status", "--output", output, "--squeue", m_fakeSqueue});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("shard 2/3: running") && run.out.contains("shard 0/3: failed or cancelled")
                     && run.out.contains("merge job 702: pending"),
                 run.out.constData());

        for (int task = 0; task < 3; ++task) {
            QByteArray log;
            QCOMPARE(runTask(output + "/job/shard.sbatch", task, &log), 0);
            QVERIFY2(log.contains(QStringLiteral("shard %1 of 3").arg(task).toUtf8()), log.constData());
        }
        QVERIFY(!QFile::exists(m_dir.filePath("PWNED")) && !QFile::exists(m_dir.filePath("PWNED2"))
                && !QFile::exists("PWNED") && !QFile::exists("PWNED2"));
        run = test::rineCli({"slurm", "status", "--output", output, "--squeue", m_fakeSqueue, "--format", "json"});
        const QJsonObject status = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(status.value("summary").toObject().value("finished").toInt(), 3);
        QCOMPARE(status.value("summary").toObject().value("files_total").toInteger(), 7);
        QCOMPARE(status.value("shards").toArray()[1].toObject().value("progress").toObject().value("state").toString(),
                 QStringLiteral("completed"));

        QByteArray log;
        QCOMPARE(runTask(output + "/job/merge.sbatch", 0, &log), 0);
        QVERIFY2(log.contains("3 of 3 shards"), log.constData());
        run = test::rineCli({"results", "--db", output + "/case.sqlite"});
        const QJsonArray files = QJsonDocument::fromJson(run.out).object().value("files").toArray();
        QCOMPARE(files.size(), 7);
        QVERIFY(files[0].toObject().value("path").toString().startsWith(m_evidence + "/"));
        run = test::rineCli({"slurm", "status", "--output", output, "--squeue", m_fakeSqueue});
        QVERIFY2(run.exitCode == 0 && run.out.contains("merged: ") && run.out.contains("(verified"), run.out.constData());
        // No scratch folder is left behind on the "node".
        for (int task = 0; task < 3; ++task)
            QVERIFY(!QFile::exists(QDir::tempPath() + QStringLiteral("/rine-studio-4242-%1").arg(task)));

        // A job that was merged is not submitted again into the same folder.
        run = test::rineCli(QStringList{"slurm", "--sbatch", m_fakeSbatch, "--output", output, "--shards", "3", "--"}
                            + tinyModel() + QStringList{m_evidence});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("merged already"), run.err.constData());
    }

    // SPAI alone on the cluster: the tasks get SPAI's file and no --backbone (the check found
    // none: this test's RINE_BACKBONE names no file), their cases carry the models checked at
    // submission, and the merged case holds SPAI's score of every image.
    void aScanWithSpaiAloneRunsWithoutABackbone()
    {
        const QString output = m_dir.filePath("spai-job");
        const QString weights = QStringLiteral(RINE_TEST_DATA "/spai-tiny/spai_tiny_checkpoint.pth");
        const QStringList scan{"--detector", "spai", "--spai-weights", weights, "--trust", m_evidence};
        Run run = test::rineCli(QStringList{"slurm", "--sbatch", m_fakeSbatch, "--output", output, "--shards", "2", "--"} + scan);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString script = QString::fromUtf8(test::readAll(output + "/job/shard.sbatch"));
        QVERIFY2(script.contains("--spai-weights") && !script.contains("--backbone"), qPrintable(script));
        for (int task = 0; task < 2; ++task) {
            QByteArray log;
            QCOMPARE(runTask(output + "/job/shard.sbatch", task, &log), 0);
        }
        run = test::rineCli({"slurm", "status", "--output", output, "--squeue", m_fakeSqueue, "--format", "json"});
        const QJsonObject status = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(status.value("summary").toObject().value("finished").toInt(), 2);
        for (const QJsonValue &shard : status.value("shards").toArray())
            QVERIFY2(!shard.toObject().contains("problem"), run.out.constData());
        QByteArray log;
        QCOMPARE(runTask(output + "/job/merge.sbatch", 0, &log), 0);
        run = test::rineCli({"results", "--db", output + "/case.sqlite"});
        const QJsonObject results = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(results.value("models").toObject().value("detectors").toArray(), QJsonArray{"spai"});
        const QJsonArray files = results.value("files").toArray();
        QCOMPARE(files.size(), 7);
        for (const QJsonValue &file : files)
            QVERIFY2(file.toObject().value("spai").toObject().contains("logit"),
                     qPrintable(file.toObject().value("path").toString()));
    }

    void badRequestsAreRefusedBeforeAnythingIsSubmitted()
    {
        QFile::remove(m_dir.filePath("sbatch.calls"));
        const QString output = m_dir.filePath("refused");
        const struct {
            QStringList arguments;
            const char *says;
        } cases[] = {
            {QStringList{"--output", output, "--shards", "2", "--", "--db", "x.sqlite"} + tinyModel() + QStringList{m_evidence},
             "--db is set by rine-cli slurm"},
            {QStringList{"--output", output, "--shards", "2", "--"} + tinyModel() + QStringList{m_dir.filePath("nowhere")},
             "no such folder"},
            {QStringList{"--output", output, "--shards", "0", "--"} + tinyModel() + QStringList{m_evidence}, "--shards must be"},
            {QStringList{"--output", m_dir.filePath("with space"), "--shards", "2", "--"} + tinyModel() + QStringList{m_evidence},
             "plain paths"},
            {QStringList{"--output", output + "%j", "--shards", "2", "--"} + tinyModel() + QStringList{m_evidence}, "plain paths"},
            {QStringList{"--output", output, "--shards", "2", "--backbone", "x.pt", m_evidence}, "after '--'"},
            {QStringList{"--output", output, "--shards", "2", "--", "--backbone", m_dir.filePath("missing.pt"), m_evidence},
             "missing.pt"},
        };
        for (const auto &c : cases) {
            const Run run = test::rineCli(QStringList{"slurm", "--sbatch", m_fakeSbatch} + c.arguments);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains(c.says), run.err.constData());
        }
        QVERIFY(!QFile::exists(m_dir.filePath("sbatch.calls")));
        QVERIFY(!QFile::exists(output));

        // sbatch that fails: its message, exit 2.
        const QString failing = writeScript(m_dir.filePath("sbatch-fails"), "#!/bin/sh\necho 'sbatch: error: invalid partition' >&2\nexit 1\n");
        const Run run = test::rineCli(QStringList{"slurm", "--sbatch", failing, "--output", output, "--shards", "2", "--"}
                                      + tinyModel() + QStringList{m_evidence});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("invalid partition"), run.err.constData());
        // Status of a folder that holds no job.
        const Run status = test::rineCli({"slurm", "status", "--output", m_dir.filePath("nothing")});
        QCOMPARE(status.exitCode, 2);
        QVERIFY2(status.err.contains("no job of rine-cli slurm here"), status.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliSlurm)
#include "tst_cli_slurm.moc"
