// The file SPAI's users have: a training checkpoint (torch.save of a dict with "model", the
// optimizer's and scheduler's state and a pickled yacs CfgNode, a dict subclass). Its tensors
// under "model" give the state dict's scores; the architecture comes from the stored config
// (3 ViT heads, blocks 0-3 here), else from the published configuration; a config whose
// shapes disagree with the tensors, or of a variant this program does not run, is refused;
// the optimizer's tensors are never read.

#include "image/ImageDecoder.h"
#include "model/SpaiDetector.h"
#include "model/TensorArchive.h"

#include <caffe2/serialize/inline_container.h>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace rine;

namespace {

const QString kData = QStringLiteral(RINE_TEST_DATA "/spai-tiny/");

QString str(const std::string &s) { return QString::fromStdString(s); }

// A string literal with its NUL bytes.
template <std::size_t N>
std::string lit(const char (&literal)[N])
{
    return std::string(literal, N - 1);
}

} // namespace

class TestSpaiCheckpoint : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QJsonObject m_reference;

    // The checkpoint again, its data.pkl passed through `edit` (same-length byte edits).
    QString rewritten(const QString &name, const std::function<void(std::string &)> &edit)
    {
        caffe2::serialize::PyTorchStreamReader reader((kData + "spai_tiny_checkpoint.pth").toStdString());
        const QString path = m_dir.filePath(name);
        caffe2::serialize::PyTorchStreamWriter writer(path.toStdString());
        for (const std::string &record : reader.getAllRecords()) {
            auto [data, size] = reader.getRecord(record);
            std::string bytes(static_cast<const char *>(data.get()), size);
            if (record == "data.pkl")
                edit(bytes);
            if (record != ".data/version" && record != "version") // the writer adds its own
                writer.writeRecord(record, bytes.data(), bytes.size());
        }
        writer.writeEndOfFile();
        return path;
    }

    double logitOf(const SpaiDetector &spai, const QString &image)
    {
        FileBytes bytes;
        auto decoded = readImage((kData + "images/" + image).toStdString(), bytes);
        if (!decoded)
            return NAN;
        const RgbImage &rgb = decoded->rgb;
        return spai.score(rgb.pixels.data(), rgb.width, rgb.height, std::size_t(rgb.width) * 3).logit;
    }

    double expected(const QString &image)
    {
        return m_reference["images"].toObject()[image].toObject()["logit"].toDouble();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QFile file(kData + "reference.json");
        QVERIFY(file.open(QIODevice::ReadOnly));
        m_reference = QJsonDocument::fromJson(file.readAll()).object();
    }

    void theCheckpointReadsAsData()
    {
        auto archive = readTensorArchive((kData + "spai_tiny_checkpoint.pth").toStdString());
        QVERIFY2(archive, archive ? "" : archive.error().c_str());
        QCOMPARE(str(archive->root), QStringLiteral("model"));
        // The model's tensors only (as many as the state dict), named without "model.".
        QCOMPARE(qint64(archive->tensors.size()), m_reference["weights"].toObject()["tensors"].toInteger());
        QVERIFY(archive->find("mfvit.vit.cls_token"));
        // The stored config, as data.
        const TensorArchive::Value *heads = archive->configValue("MODEL.VIT.NUM_HEADS");
        QVERIFY(heads && heads->kind == TensorArchive::Value::Kind::Int);
        QCOMPARE(heads->i, std::int64_t(3));
        const TensorArchive::Value *layers = archive->configValue("MODEL.VIT.INTERMEDIATE_LAYERS");
        QVERIFY(layers && layers->items.size() == 4);
        QCOMPARE(layers->items[3].i, std::int64_t(3));
    }

    void theCheckpointScoresAsTheStateDictDoes()
    {
        SpaiOptions options; // the published configuration: the stored one must override it
        options.path = (kData + "spai_tiny_checkpoint.pth").toStdString();
        auto spai = SpaiDetector::load(options);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        QCOMPARE(spai.value()->config().heads, std::int64_t(3));
        QCOMPARE(spai.value()->config().layers, (std::vector<std::int64_t>{0, 1, 2, 3}));
        for (const QString image : {QStringLiteral("astronaut.png"), QStringLiteral("block.png")})
            QVERIFY2(std::abs(logitOf(*spai.value(), image) - expected(image)) < 5e-5, qPrintable(image));
    }

    void withoutAStoredConfigThePublishedOneIsUsed()
    {
        // "config" renamed "CONFIG": no stored configuration. The heads (not in the weights)
        // are then the published 12; told the tiny model's 3, the scores are upstream's.
        const QString path = rewritten("no-config.pth", [](std::string &pkl) {
            const std::size_t at = pkl.find(lit("\x06\x00\x00\x00") + "config");
            QVERIFY(at != std::string::npos);
            pkl.replace(at + 4, 6, "CONFIG");
        });
        SpaiOptions options;
        options.path = path.toStdString();
        auto spai = SpaiDetector::load(options);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        QCOMPARE(spai.value()->config().heads, std::int64_t(12));
        options.config.heads = 3;
        spai = SpaiDetector::load(options);
        QVERIFY2(spai, spai ? "" : spai.error().c_str());
        QVERIFY(std::abs(logitOf(*spai.value(), QStringLiteral("logo.png")) - expected(QStringLiteral("logo.png"))) < 5e-5);
    }

    void aConfigThatDisagreesWithTheTensorsIsRefused()
    {
        // MODEL.VIT.EMBED_DIM 192 made 128 (BININT1 0xc0 -> 0x80): nothing is built.
        const QString path = rewritten("disagrees.pth", [](std::string &pkl) {
            // The key is written once (SWIN's, then memoised: "r" and its memo id) and used
            // again by MODEL.VIT through the memo ("j" and the id), followed by K 192.
            const std::string key = lit("X\x09\x00\x00\x00") + "EMBED_DIMr";
            const std::size_t at = pkl.find(key);
            QVERIFY(at != std::string::npos);
            const std::string reuse = "j" + pkl.substr(at + key.size(), 4) + "K\xc0";
            const std::size_t value = pkl.find(reuse);
            QVERIFY(value != std::string::npos);
            pkl[value + reuse.size() - 1] = char(0x80);
        });
        SpaiOptions options;
        options.path = path.toStdString();
        auto spai = SpaiDetector::load(options);
        QVERIFY(!spai);
        QVERIFY2(str(spai.error()).contains("stored configuration says MODEL.VIT.EMBED_DIM 128")
                     && str(spai.error()).contains("192"),
                 spai.error().c_str());

        // A variant this program does not compute (the projector's last activation GELU).
        const QString variant = rewritten("variant.pth", [](std::string &pkl) {
            const std::size_t key = pkl.find("PROJECTOR_LAST_LAYER_ACTIVATION_TYPE");
            QVERIFY(key != std::string::npos);
            const std::size_t none = pkl.find('N', key + 36);
            QVERIFY(none != std::string::npos && none < key + 48);
            pkl[none] = char(0x88); // NEWTRUE instead of NONE: not None
        });
        options.path = variant.toStdString();
        spai = SpaiDetector::load(options);
        QVERIFY(!spai);
        QVERIFY2(str(spai.error()).contains("variant") && str(spai.error()).contains("PROJECTOR_LAST_LAYER_ACTIVATION_TYPE"),
                 spai.error().c_str());
    }

    void theOptimizersTensorsAreNeverRead()
    {
        // {"model": {"w": 4 floats in record 0}, "optimizer": {"exp_avg": 4 floats in record
        // 9}}, and the file has no record 9: a reader that built the optimizer's tensors (or
        // read their bytes at all) would fail; this one never touches them.
        auto tensor = [](const std::string &record) {
            return lit("ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00") + "storage"
                   + lit("ctorch\nFloatStorage\nX\x01\x00\x00\x00") + record + lit("X\x03\x00\x00\x00") + "cpu"
                   + lit("K\x04tQK\x00K\x04\x85K\x01\x85\x89") + lit("ccollections\nOrderedDict\n)RtR");
        };
        const std::string pickle = lit("\x80\x02}(X\x05\x00\x00\x00") + "model" + lit("}(X\x01\x00\x00\x00") + "w"
                                   + tensor("0") + "u" + lit("X\x09\x00\x00\x00") + "optimizer"
                                   + lit("}(X\x07\x00\x00\x00") + "exp_avg" + tensor("9") + "uu.";
        const QString path = m_dir.filePath("optimizer.pth");
        {
            caffe2::serialize::PyTorchStreamWriter writer(path.toStdString());
            writer.writeRecord("data.pkl", pickle.data(), pickle.size());
            const std::vector<float> data{1, 2, 3, 4};
            writer.writeRecord("data/0", data.data(), data.size() * sizeof(float));
            writer.writeEndOfFile();
        }
        auto archive = readTensorArchive(path.toStdString());
        QVERIFY2(archive, archive ? "" : archive.error().c_str());
        QCOMPARE(archive->tensors.size(), std::size_t(1));
        QVERIFY(archive->find("w"));
        QCOMPARE(archive->find("w")->sum().item<float>(), 10.0f);
    }
};

QTEST_GUILESS_MAIN(TestSpaiCheckpoint)
#include "tst_spai_checkpoint.moc"
