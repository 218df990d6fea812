#include "model/Detector.h"
#include "model/HeadCheckpoint.h"
#include "model/TensorArchive.h"
#include "scoring/ImageScorer.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QFile>
#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "TestFiles.h"

using namespace rine;
using test::readAll;

namespace {

const QString kTiny = QStringLiteral(RINE_TEST_DATA "/reference-tiny/");

QString str(const std::string &s) { return QString::fromStdString(s); }

// A string literal with embedded NULs, whole.
template <std::size_t N>
std::string bytes(const char (&literal)[N])
{
    return std::string(literal, N - 1);
}

} // namespace

// The tiny CLIP under Hugging Face transformers' names, q/k/v split.
std::vector<std::pair<std::string, at::Tensor>> huggingFaceNames(const TensorArchive &openai)
{
    std::vector<std::pair<std::string, at::Tensor>> out;
    const std::string v = "vision_model.";
    auto get = [&](const std::string &name) { return openai.find("visual." + name)->clone(); };
    out.emplace_back(v + "embeddings.patch_embedding.weight", get("conv1.weight"));
    out.emplace_back(v + "embeddings.class_embedding", get("class_embedding"));
    out.emplace_back(v + "embeddings.position_embedding.weight", get("positional_embedding"));
    out.emplace_back(v + "pre_layrnorm.weight", get("ln_pre.weight"));
    out.emplace_back(v + "pre_layrnorm.bias", get("ln_pre.bias"));
    for (int l = 0; l < 3; ++l) {
        const std::string hf = v + "encoder.layers." + std::to_string(l) + ".";
        const std::string oa = "transformer.resblocks." + std::to_string(l) + ".";
        for (const std::string p : {"weight", "bias"}) {
            out.emplace_back(hf + "layer_norm1." + p, get(oa + "ln_1." + p));
            out.emplace_back(hf + "layer_norm2." + p, get(oa + "ln_2." + p));
            out.emplace_back(hf + "self_attn.out_proj." + p, get(oa + "attn.out_proj." + p));
            out.emplace_back(hf + "mlp.fc1." + p, get(oa + "mlp.c_fc." + p));
            out.emplace_back(hf + "mlp.fc2." + p, get(oa + "mlp.c_proj." + p));
            auto qkv = get(oa + "attn.in_proj_" + p).chunk(3, 0);
            out.emplace_back(hf + "self_attn.q_proj." + p, qkv[0].clone());
            out.emplace_back(hf + "self_attn.k_proj." + p, qkv[1].clone());
            out.emplace_back(hf + "self_attn.v_proj." + p, qkv[2].clone());
        }
    }
    out.emplace_back("text_model.final_layer_norm.weight", at::ones({8})); // ignored
    return out;
}

// safetensors as the format's specification lays it out.
QByteArray safeTensors(const std::vector<std::pair<std::string, at::Tensor>> &tensors)
{
    QJsonObject header{{"__metadata__", QJsonObject{{"format", "pt"}}}};
    QByteArray data;
    for (const auto &[name, tensor] : tensors) {
        const at::Tensor t = tensor.contiguous();
        QJsonArray shape;
        for (auto d : t.sizes())
            shape.append(qint64(d));
        const qint64 begin = data.size();
        data.append(static_cast<const char *>(t.data_ptr()), qsizetype(t.nbytes()));
        header.insert(QString::fromStdString(name),
                      QJsonObject{{"dtype", t.scalar_type() == at::kHalf ? "F16" : "F32"},
                                  {"shape", shape},
                                  {"data_offsets", QJsonArray{begin, qint64(data.size())}}});
    }
    const QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    QByteArray out(8, 0);
    const quint64 size = quint64(json.size());
    std::memcpy(out.data(), &size, 8);
    return out + json + data;
}

class TestTensorArchive : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeTemp(const QString &name, const QByteArray &data) { return test::writeFile(m_dir, name, data); }

    // A zip archive as torch.save writes it, holding the given data.pkl.
    QString writeArchive(const QString &name, const std::string &pickle)
    {
        const QString path = m_dir.filePath(name);
        caffe2::serialize::PyTorchStreamWriter writer(path.toStdString());
        writer.writeRecord("data.pkl", pickle.data(), pickle.size());
        writer.writeEndOfFile();
        return path;
    }

private slots:
    void readsTheTinyHead()
    {
        auto archive = readTensorArchive((kTiny + "rine_tiny_head.pth").toStdString());
        QVERIFY2(archive.ok(), archive.error().c_str());
        QCOMPARE(archive->format, TensorArchive::Format::StateDict);
        // 15 tensors: alpha, proj1.{1,4}, proj2.{1,4}, head.{0,3,6}, weights and biases.
        QCOMPARE(archive->tensors.size(), std::size_t(15));
        QCOMPARE(str(shapeString(archive->find("alpha")->sizes())), QStringLiteral("[1, 3, 32]"));
        QCOMPARE(str(shapeString(archive->find("proj1.1.weight")->sizes())), QStringLiteral("[32, 128]"));
        QCOMPARE(archive->find("head.6.bias")->numel(), 1);
    }

    void writtenHeadsRoundTripWithIdenticalScores()
    {
        // The tiny head's tensors written by our writer: read back bit for bit, and a detector
        // with the rewritten head scores the reference images exactly as the reference code did.
        auto original = readTensorArchive((kTiny + "rine_tiny_head.pth").toStdString());
        QVERIFY2(original.ok(), original.error().c_str());
        const std::string path = m_dir.filePath("rewritten_head.pth").toStdString();
        auto sha = writeTensorArchive(path, original->tensors);
        QVERIFY2(sha, sha.error().c_str());
        const QByteArray written = readAll(QString::fromStdString(path));
        QCOMPARE(QString::fromStdString(sha.value()),
                 QString::fromLatin1(QCryptographicHash::hash(written, QCryptographicHash::Sha256).toHex()));
        QVERIFY(written.startsWith("PK")); // a zip archive, as torch.save writes
        QVERIFY(QDir(m_dir.path()).entryList({"rewritten_head.pth.writing-*"}).isEmpty()); // nothing left beside it

        auto back = readTensorArchive(path);
        QVERIFY2(back.ok(), back.error().c_str());
        QCOMPARE(back->format, TensorArchive::Format::StateDict);
        QCOMPARE(back->tensors.size(), original->tensors.size());
        for (const auto &[name, tensor] : original->tensors) {
            const at::Tensor *copy = back->find(name);
            QVERIFY2(copy, name.c_str());
            QCOMPARE(copy->scalar_type(), tensor.scalar_type());
            QVERIFY2(at::equal(*copy, tensor), name.c_str());
        }
        // LibTorch's own reader (what torch.load shares) reads it as a dict of the same tensors.
        const std::vector<char> raw(written.begin(), written.end());
        const c10::IValue loaded = torch::jit::pickle_load(raw);
        QVERIFY(loaded.isGenericDict());
        QCOMPARE(loaded.toGenericDict().size(), original->tensors.size());

        DetectorOptions options;
        options.backbonePath = (kTiny + "clip_tiny_traced.pt").toStdString();
        options.headPaths = {path};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY2(detector.ok(), detector.error().c_str());
        const QJsonObject images = QJsonDocument::fromJson(readAll(kTiny + "reference.json")).object().value("images").toObject();
        std::vector<std::string> paths;
        for (const QString &name : images.keys())
            paths.push_back((kTiny + "images/" + name).toStdString());
        ImageScorer scorer(*detector.value(), ScoreOptions{});
        const auto records = scorer.scoreFiles(paths);
        QCOMPARE(records.size(), std::size_t(images.size()));
        for (std::size_t i = 0; i < records.size(); ++i) {
            QVERIFY2(records[i].ok, records[i].error.c_str());
            const double expected = images.value(images.keys()[int(i)]).toObject().value("logit").toDouble();
            QVERIFY2(std::abs(records[i].logit - expected) < 1e-4, paths[i].c_str());
        }

        // Nothing to write, or nowhere to write it: a message, and no file.
        QVERIFY(!writeTensorArchive(m_dir.filePath("empty.pth").toStdString(), {}));
        auto nowhere = writeTensorArchive(m_dir.filePath("no/such/folder/head.pth").toStdString(), original->tensors);
        QVERIFY(!nowhere);
        QVERIFY2(nowhere.error().find("no/such/folder/head.pth") != std::string::npos, nowhere.error().c_str());
    }

    void readsTheCudaSavedOfficialHead()
    {
        auto archive = readTensorArchive(RINE_SOURCE_MODELS "/rine_2class.pth");
        QVERIFY2(archive.ok(), archive.error().c_str());
        QCOMPARE(str(shapeString(archive->find("alpha")->sizes())), QStringLiteral("[1, 24, 128]"));
        QCOMPARE(str(shapeString(archive->find("proj1.1.weight")->sizes())), QStringLiteral("[128, 1024]"));
        QVERIFY(archive->find("proj1.10.weight"));
        QVERIFY(archive->find("alpha")->device().is_cpu());
    }

    void torchScriptAndStateDictHoldTheSameWeights()
    {
        auto traced = readTensorArchive((kTiny + "clip_tiny_traced.pt").toStdString());
        auto plain = readTensorArchive((kTiny + "clip_tiny_state_dict.pt").toStdString());
        QVERIFY2(traced.ok(), traced.error().c_str());
        QVERIFY2(plain.ok(), plain.error().c_str());
        QCOMPARE(traced->format, TensorArchive::Format::TorchScript);
        QCOMPARE(plain->format, TensorArchive::Format::StateDict);
        const at::Tensor *conv = plain->find("visual.conv1.weight");
        QVERIFY(conv);
        QCOMPARE(conv->scalar_type(), at::kHalf); // fp16 weights, as OpenAI ships them
        QCOMPARE(plain->find("visual.ln_pre.weight")->scalar_type(), at::kFloat);
        int compared = 0;
        for (const auto &[name, tensor] : plain->tensors) {
            if (name.rfind("visual.", 0) != 0)
                continue;
            const at::Tensor *other = traced->find(name);
            QVERIFY2(other, name.c_str());
            QVERIFY2(at::equal(*other, tensor), name.c_str());
            ++compared;
        }
        QVERIFY(compared > 40);
    }

    void truncatedFileGivesAMessage()
    {
        const QByteArray head = readAll(kTiny + "rine_tiny_head.pth");
        for (double fraction : {0.1, 0.5, 0.9, 0.999}) {
            const QString path = writeTemp("cut.pth", head.left(int(head.size() * fraction)));
            auto archive = readTensorArchive(path.toStdString());
            QVERIFY(!archive.ok());
            QVERIFY2(str(archive.error()).contains(path), archive.error().c_str());
        }
    }

    void wrongFileGivesAMessage()
    {
        const QString path = writeTemp("notes.pth", "just some text\n");
        auto archive = readTensorArchive(path.toStdString());
        QVERIFY(!archive.ok());
        QVERIFY(str(archive.error()).contains(path));
        QVERIFY(str(archive.error()).contains("not a PyTorch weight file"));
        const QString missing = m_dir.filePath("absent.pth");
        auto none = readTensorArchive(missing.toStdString());
        QVERIFY(!none.ok());
        QVERIFY(str(none.error()).contains(missing));
    }

    void codeInAPickleIsRefused()
    {
        // protocol 2: GLOBAL 'os system', ('echo pwned',), REDUCE, STOP
        const std::string pickle = bytes("\x80\x02" "cos\nsystem\n" "X\x0a\x00\x00\x00" "echo pwned" "\x85R.");
        const QString path = writeArchive("evil.pth", pickle);
        auto archive = readTensorArchive(path.toStdString());
        QVERIFY(!archive.ok());
        QVERIFY2(str(archive.error()).contains("'os.system'"), archive.error().c_str());
        QVERIFY(str(archive.error()).contains("refusing"));
    }

    void tensorPastItsStorageIsRefused()
    {
        // A tensor [4, 4] over a storage that declares 8 elements: checked before allocation.
        const std::string pickle = bytes("\x80\x02}(X\x01\x00\x00\x00" "w"
                                         "ctorch._utils\n_rebuild_tensor_v2\n"
                                         "((X\x07\x00\x00\x00" "storage" "ctorch\nFloatStorage\n"
                                         "X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K\x08" "tQ"
                                         "K\x00" "K\x04" "K\x04" "\x86" "K\x04" "K\x01" "\x86" "\x89"
                                         "ccollections\nOrderedDict\n)RtRu.");
        const QString path = m_dir.filePath("overrun.pth");
        {
            caffe2::serialize::PyTorchStreamWriter writer(path.toStdString());
            writer.writeRecord("data.pkl", pickle.data(), pickle.size());
            std::vector<float> data(8, 1.0f);
            writer.writeRecord("data/0", data.data(), data.size() * sizeof(float));
            writer.writeEndOfFile();
        }
        auto archive = readTensorArchive(path.toStdString());
        QVERIFY(!archive.ok());
        QVERIFY2(str(archive.error()).contains("past its storage"), archive.error().c_str());
    }

    void shapeMismatchNamesFileTensorAndShapes()
    {
        // The tiny head with one tensor of the wrong shape, written by LibTorch's own pickler
        // (torch.load-compatible).
        auto head = readTensorArchive((kTiny + "rine_tiny_head.pth").toStdString());
        QVERIFY(head.ok());
        c10::Dict<std::string, at::Tensor> dict;
        for (const auto &[name, tensor] : head->tensors)
            dict.insert(name, name == "proj2.4.weight" ? at::zeros({32, 16}) : tensor.clone());
        const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
        const QString path = writeTemp("bad_head.pth", QByteArray(bytes.data(), int(bytes.size())));

        DetectorOptions options;
        options.backbonePath = (kTiny + "clip_tiny_state_dict.pt").toStdString();
        options.headPaths = {path.toStdString()};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY(!detector.ok());
        const QString message = str(detector.error());
        QVERIFY2(message.contains(path), qPrintable(message));
        QVERIFY2(message.contains("'proj2.4.weight'"), qPrintable(message));
        QVERIFY2(message.contains("[32, 16]"), qPrintable(message));
        QVERIFY2(message.contains("expected [32, 32]"), qPrintable(message));
    }

    void huggingFaceBackbonesMatchTheReference_data()
    {
        QTest::addColumn<bool>("safetensors");
        QTest::newRow("model.safetensors") << true;
        QTest::newRow("pytorch_model.bin") << false;
    }
    void huggingFaceBackbonesMatchTheReference()
    {
        QFETCH(bool, safetensors);
        auto openai = readTensorArchive((kTiny + "clip_tiny_state_dict.pt").toStdString());
        QVERIFY(openai.ok());
        const auto tensors = huggingFaceNames(openai.value());
        QString path;
        if (safetensors) {
            path = writeTemp("model.safetensors", safeTensors(tensors));
        } else {
            c10::Dict<std::string, at::Tensor> dict;
            for (const auto &[name, tensor] : tensors)
                dict.insert(name, tensor);
            const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
            path = writeTemp("pytorch_model.bin", QByteArray(bytes.data(), int(bytes.size())));
        }
        DetectorOptions options;
        options.backbonePath = path.toStdString();
        options.headPaths = {(kTiny + "rine_tiny_head.pth").toStdString()};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY2(detector.ok(), detector.error().c_str());
        QVERIFY(QString::fromStdString(detector.value()->info().backboneFormat).contains("Hugging Face"));

        const QJsonObject reference = QJsonDocument::fromJson(readAll(kTiny + "reference.json")).object();
        const QStringList names = reference.value("images").toObject().keys();
        std::vector<std::string> paths;
        for (const QString &name : names)
            paths.push_back((kTiny + "images/" + name).toStdString());
        ImageScorer scorer(*detector.value(), ScoreOptions{});
        const auto records = scorer.scoreFiles(paths);
        for (int i = 0; i < names.size(); ++i) {
            QVERIFY2(records[std::size_t(i)].ok, records[std::size_t(i)].error.c_str());
            const double expected = reference.value("images").toObject().value(names[i]).toObject().value("logit").toDouble();
            QVERIFY2(std::abs(records[std::size_t(i)].logit - expected) < 1e-4, qPrintable(names[i]));
        }
    }

    void damagedSafeTensorsGiveMessages()
    {
        auto head = readTensorArchive((kTiny + "rine_tiny_head.pth").toStdString());
        const QByteArray good = safeTensors(head->tensors);
        QVERIFY(readTensorArchive(writeTemp("head.safetensors", good).toStdString()).ok());
        const QString cut = writeTemp("cut.safetensors", good.left(good.size() - 100));
        auto truncated = readTensorArchive(cut.toStdString());
        QVERIFY(!truncated.ok());
        QVERIFY2(str(truncated.error()).contains(cut) && str(truncated.error()).contains("outside the file"),
                 truncated.error().c_str());
        QByteArray badHeader = good;
        badHeader[20] = '\x01';
        auto damaged = readTensorArchive(writeTemp("bad.safetensors", badHeader).toStdString());
        QVERIFY(!damaged.ok());
        QVERIFY2(str(damaged.error()).contains("safetensors header"), damaged.error().c_str());
    }

    void missingBackboneTensorIsNamed()
    {
        auto plain = readTensorArchive((kTiny + "clip_tiny_state_dict.pt").toStdString());
        QVERIFY(plain.ok());
        c10::Dict<std::string, at::Tensor> dict;
        for (const auto &[name, tensor] : plain->tensors)
            if (name != "visual.transformer.resblocks.1.attn.in_proj_bias")
                dict.insert(name, tensor.clone());
        const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
        const QString path = writeTemp("partial_clip.pt", QByteArray(bytes.data(), int(bytes.size())));
        DetectorOptions options;
        options.backbonePath = path.toStdString();
        options.headPaths = {(kTiny + "rine_tiny_head.pth").toStdString()};
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY(!detector.ok());
        const QString message = str(detector.error());
        QVERIFY2(message.contains(path), qPrintable(message));
        QVERIFY2(message.contains("'visual.transformer.resblocks.1.attn.in_proj_bias' is missing"), qPrintable(message));
        QVERIFY2(message.contains("[384]"), qPrintable(message));
    }

    // ---- Issue 19: weight files that crashed, hung or exhausted memory before. Each must fail
    // with a message naming the file; the time and memory they may take are the parser's
    // budgets (64 MB of pickle, 2 million objects, 4 million visits, records inside the file).

    QString weightFile(const char *name, const std::string &pickle,
                       const std::vector<std::pair<std::string, std::string>> &records = {})
    {
        const QString path = m_dir.filePath(QString::fromLatin1(name));
        caffe2::serialize::PyTorchStreamWriter writer(path.toStdString());
        writer.writeRecord("data.pkl", pickle.data(), pickle.size());
        for (const auto &[key, data] : records)
            writer.writeRecord(key, data.data(), data.size());
        writer.writeEndOfFile();
        return path;
    }

    void expectRefusal(const QString &path, const char *says)
    {
        QElapsedTimer timer;
        timer.start();
        auto archive = readTensorArchive(path.toStdString());
        QVERIFY2(!archive.ok(), qPrintable(path));
        QVERIFY2(str(archive.error()).contains(path) && str(archive.error()).contains(QLatin1String(says)),
                 archive.error().c_str());
        qInfo("%s: refused in %lld ms: %s", qPrintable(QFileInfo(path).fileName()), timer.elapsed(), archive.error().c_str());
    }

    void aDeeplyNestedPickleIsFreedWithoutRecursion()
    {
        // 900,000 lists, each inside the next: freeing them link by link overflowed the stack.
        const int depth = 900000;
        std::string pickle = "\x80\x02";
        pickle.append(std::size_t(depth), ']');
        pickle.append(std::size_t(depth - 1), 'a');
        pickle += '.';
        expectRefusal(weightFile("nested.pth", pickle), "holds no tensors");
    }

    void sharedSubObjectsAreNotWalkedExponentially()
    {
        // 40 levels of dicts, each holding the one below twice: 2^40 paths to walk.
        std::string pickle = bytes("\x80\x02}q\x00");
        for (int level = 1; level <= 40; ++level) {
            pickle += bytes("}(X\x01\x00\x00\x00" "ah");
            pickle += char(level - 1);
            pickle += bytes("X\x01\x00\x00\x00" "bh");
            pickle += char(level - 1);
            pickle += "uq";
            pickle += char(level);
        }
        pickle += '.';
        expectRefusal(weightFile("shared.pth", pickle), "refer to each other");
    }

    void tooManyObjectsAreRefused()
    {
        std::string pickle = "\x80\x02";
        for (int k = 0; k < 2500000; ++k)
            pickle += "N0"; // None, popped: the stack stays small, the objects add up
        pickle += "}.";
        expectRefusal(weightFile("objects.pth", pickle), "objects");
    }

    // A tensor record over one storage of `numel` floats, with the given sizes and strides
    // (two dimensions, each a LONG1 of 8 bytes).
    static std::string tensorPickle(std::int64_t numel, std::int64_t size0, std::int64_t size1, std::int64_t stride0,
                                    std::int64_t stride1)
    {
        const auto long8 = [](std::int64_t v) {
            std::string out = "\x8a\x08";
            for (int k = 0; k < 8; ++k)
                out += char((std::uint64_t(v) >> (8 * k)) & 0xff);
            return out;
        };
        return bytes("\x80\x02}(X\x01\x00\x00\x00" "w"
                     "ctorch._utils\n_rebuild_tensor_v2\n"
                     "((X\x07\x00\x00\x00" "storage" "ctorch\nFloatStorage\n"
                     "X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu")
             + long8(numel) + bytes("tQK\x00") + long8(size0) + long8(size1) + "\x86" + long8(stride0) + long8(stride1)
             + bytes("\x86\x89" "ccollections\nOrderedDict\n)RtRu.");
    }

    void sizesThatOverflowAreRefused()
    {
        const std::string four(16, '\0');
        // (2^40 - 1) * 2^40 does not fit 64 bits: the extent check wrapped around.
        expectRefusal(weightFile("extent.pth", tensorPickle(4, std::int64_t(1) << 40, 2, std::int64_t(1) << 40, 1),
                                 {{"data/0", four}}),
                      "overflows");
        // A storage that declares 2^62 floats over a record of 16 bytes: 2^62 * 4 wrapped too.
        expectRefusal(weightFile("storage.pth", tensorPickle(std::int64_t(1) << 62, 2, 2, 2, 1), {{"data/0", four}}),
                      "fewer than");
        // 4096 x 4096 over one float (zero strides): a 100-byte file standing for 64 MB.
        expectRefusal(weightFile("repeated.pth", tensorPickle(1, 4096, 4096, 0, 0), {{"data/0", four}}),
                      "more elements than its storage");
    }

    void aCompressedRecordIsNotInflated()
    {
        // data/0 declared deflated to 400 MB: it was inflated to whatever it declared.
        const QString path = weightFile("inflate.pth", tensorPickle(4, 2, 2, 2, 1), {{"data/0", std::string(16, '\0')}});
        QByteArray zip = test::readAll(path);
        const QByteArray name = "/data/0";
        int entry = -1;
        for (int at = zip.indexOf("PK\x01\x02"); at >= 0; at = zip.indexOf("PK\x01\x02", at + 4)) {
            const int nameLength = quint8(zip[at + 28]) | (quint8(zip[at + 29]) << 8);
            if (zip.mid(at + 46, nameLength).endsWith(name))
                entry = at;
        }
        QVERIFY(entry > 0);
        zip[entry + 10] = 8; // deflate
        const quint32 declared = 400u << 20;
        for (int k = 0; k < 4; ++k)
            zip[entry + 24 + k] = char((declared >> (8 * k)) & 0xff);
        expectRefusal(writeTemp("inflate-forged.pth", zip), "compressed");
    }

    void safeTensorsElementCountsThatWrapAreRefused()
    {
        // [2^40, 2^24] has 2^64 elements, which wrapped to 0 and matched an empty byte range.
        QJsonObject header{{"w", QJsonObject{{"dtype", "F32"},
                                             {"shape", QJsonArray{qint64(1) << 40, qint64(1) << 24}},
                                             {"data_offsets", QJsonArray{0, 0}}}}};
        const QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
        QByteArray file(8, 0);
        const quint64 size = quint64(json.size());
        std::memcpy(file.data(), &size, 8);
        expectRefusal(writeTemp("wrap.safetensors", file + json), "too large");
    }

    void aForgedArchitectureIsRefusedBeforeAnyModuleIsBuilt()
    {
        // A 60 kB backbone that claims 1,000 blocks of width 4096 (200 billion parameters):
        // the modules were built and zero-filled from these shapes before being compared.
        std::vector<std::pair<std::string, at::Tensor>> tensors{
            {"visual.conv1.weight", at::zeros({4096, 3, 1, 1})},
            {"visual.positional_embedding", at::zeros({2, 4096})},
        };
        for (int block = 0; block < 1000; ++block)
            tensors.emplace_back("visual.transformer.resblocks." + std::to_string(block) + ".ln_1.weight", at::zeros({1}));
        const QString path = writeTemp("forged-vit.safetensors", safeTensors(tensors));
        DetectorOptions options;
        options.backbonePath = path.toStdString();
        options.headPaths = {(kTiny + "rine_tiny_head.pth").toStdString()};
        options.device = DeviceChoice::Cpu;
        QElapsedTimer timer;
        timer.start();
        auto detector = Detector::load(options);
        QVERIFY(!detector.ok());
        QVERIFY2(str(detector.error()).contains(path) && str(detector.error()).contains("refusing to build it"),
                 detector.error().c_str());
        qInfo("forged architecture refused in %lld ms", timer.elapsed());
    }

    void aFileSwappedAfterItsTrustWasDecidedIsNotParsed()
    {
        // The loader is given the SHA-256 the trust decision was made on; the bytes it reads
        // (once) must be those, or nothing of them is parsed.
        DetectorOptions options;
        options.backbonePath = (kTiny + "clip_tiny_traced.pt").toStdString();
        options.headPaths = {(kTiny + "rine_tiny_head.pth").toStdString()};
        options.headSha256s = {std::string(64, 'a')}; // what was checked: another file
        options.device = DeviceChoice::Cpu;
        auto detector = Detector::load(options);
        QVERIFY(!detector.ok());
        QVERIFY2(str(detector.error()).contains("changed after it was checked") && str(detector.error()).contains("rine_tiny_head.pth"),
                 detector.error().c_str());
        options.headSha256s = {QCryptographicHash::hash(test::readAll(kTiny + "rine_tiny_head.pth"), QCryptographicHash::Sha256)
                                   .toHex()
                                   .toStdString()};
        detector = Detector::load(options);
        QVERIFY2(detector.ok(), detector.ok() ? "" : detector.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestTensorArchive)
#include "tst_tensor_archive.moc"
