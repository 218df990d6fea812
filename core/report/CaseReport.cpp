#include "CaseReport.h"

#include "image/EvidenceImage.h"
#include "image/Preprocessing.h"
#include "model/Detector.h"
#include "report/OfflineDocument.h"
#include "report/Pictures.h"
#include "catalog/ModelLocator.h"
#include "catalog/ModelStore.h"
#include "scoring/TileMap.h"
#include "util/Sha256.h"
#include "util/Version.h"
#include "util/QtStrings.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QDateTime>
#include <QFileInfo>
#include <QFontDatabase>
#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTextDocument>
#include <QUrl>

#include <algorithm>
#include <optional>
#include <QRegularExpression>

#include <cmath>
#include <map>

namespace rine {

namespace {

QString h(const QString &text) { return text.toHtmlEscaped(); }

// Hashes whole (a reader copies them from the PDF), small, in a monospace face. They come from
// the case database, which may have been received: anything but 64 hex digits is shown as
// text, escaped, and said not to be a hash.
QString hashHtml(const QString &sha)
{
    if (sha.isEmpty())
        return QStringLiteral("&mdash;");
    if (!isSha256Hex(sha))
        return QObject::tr("(not a SHA-256: %1)").arg(h(sha.left(80)));
    return QStringLiteral("<span style=\"font-family: monospace; font-size: 6.5pt; white-space: nowrap\">%1</span>").arg(sha);
}

// A bar chart drawn for print: bars, axes with ticks, axis labels.
QImage barChart(const std::vector<double> &keys, const std::vector<double> &values, double barWidth, double xMin,
                double xMax, const QString &xLabel, const QString &yLabel, const std::vector<double> &markers = {},
                std::pair<double, double> band = {-1, -1})
{
    const int w = 1800, hgt = 700, left = 170, right = 40, top = 40, bottom = 150;
    QImage image(w, hgt, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPixelSize(34);
    p.setFont(font);
    const double top_ = values.empty() ? 1.0 : std::max(1e-9, *std::max_element(values.begin(), values.end())) * 1.15;
    const QRectF plot(left, top, w - left - right, hgt - top - bottom);
    auto x = [&](double v) { return plot.left() + (v - xMin) / (xMax - xMin) * plot.width(); };
    auto y = [&](double v) { return plot.bottom() - v / top_ * plot.height(); };
    if (band.first >= 0)
        p.fillRect(QRectF(QPointF(x(band.first), plot.top()), QPointF(x(band.second), plot.bottom())), QColor(0xe0, 0xa0, 0x00, 70));
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x3a, 0x6e, 0xa5));
    for (std::size_t i = 0; i < values.size(); ++i)
        p.drawRect(QRectF(QPointF(x(keys[i] - barWidth / 2), y(values[i])), QPointF(x(keys[i] + barWidth / 2), y(0))));
    p.setPen(QPen(QColor(0xc0, 0x1f, 0x1f), 5));
    for (double m : markers)
        p.drawLine(QPointF(x(m), plot.top()), QPointF(x(m), plot.bottom()));
    p.setPen(QPen(Qt::black, 2));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    // y ticks: 4 steps; whole numbers for counts
    const bool counts = std::all_of(values.begin(), values.end(), [](double v) { return v == std::floor(v); });
    const double yStep = counts ? std::max(1.0, std::ceil(top_ / 1.15 / 4)) : top_ / 1.15 / 4;
    for (int i = 0; i <= 4 && yStep * i <= top_; ++i) {
        const double v = yStep * i;
        p.drawLine(QPointF(plot.left() - 10, y(v)), QPointF(plot.left(), y(v)));
        p.drawText(QRectF(0, y(v) - 25, plot.left() - 16, 50), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(v, 'g', 3));
    }
    // x ticks: every block (every other one beyond 12), or every 0.1 on a probability axis.
    std::vector<std::pair<double, QString>> ticks;
    if (barWidth >= 0.5) {
        const std::size_t step = keys.size() > 12 ? 2 : 1;
        for (std::size_t i = 0; i < keys.size(); i += step)
            ticks.emplace_back(keys[i], QString::number(int(std::lround(keys[i]))));
    } else {
        for (int i = 0; i <= 10; ++i)
            ticks.emplace_back(xMin + (xMax - xMin) * i / 10.0, QString::number(xMin + (xMax - xMin) * i / 10.0, 'f', 1));
    }
    for (const auto &[k, label] : ticks) {
        p.drawLine(QPointF(x(k), plot.bottom()), QPointF(x(k), plot.bottom() + 10));
        p.drawText(QRectF(x(k) - 60, plot.bottom() + 12, 120, 44), Qt::AlignCenter, label);
    }
    p.drawText(QRectF(plot.left(), hgt - 80, plot.width(), 70), Qt::AlignCenter, xLabel);
    p.save();
    p.translate(40, plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-plot.height() / 2, -40, plot.height(), 70), Qt::AlignCenter, yLabel);
    p.restore();
    return image;
}

QImage histogram(const std::vector<double> &probabilities, const VerdictRule &rule)
{
    std::vector<double> keys, counts(20, 0.0);
    for (int i = 0; i < 20; ++i)
        keys.push_back(0.025 + 0.05 * i);
    for (double p : probabilities)
        counts[std::size_t(std::clamp(int(p * 20), 0, 19))] += 1;
    return barChart(keys, counts, 0.05, 0, 1, QObject::tr("Probability of being generated"), QObject::tr("Images"),
                    {rule.threshold}, {std::max(0.0, rule.threshold - rule.band), std::min(1.0, rule.threshold + rule.band)});
}

std::vector<double> blockKeys(std::size_t count)
{
    std::vector<double> keys;
    for (std::size_t i = 0; i < count; ++i)
        keys.push_back(double(i + 1));
    return keys;
}

struct Detail {
    FileReport file;
    QImage picture; // upright, with the analysed region and the tile map drawn on it
    QStringList notes;
    ImageFacts facts;
    bool tiles = false;
    int tileCount = 0;
    double tileLow = 0, tileHigh = 0;
    bool spaiPatches = false; // SPAI's patches are drawn (numbered as in the patch table)
};

struct Thumbnails {
    std::map<QString, QImage> byPath;
    QStringList notes;
};

// Reads an evidence file (read-only) and checks that its bytes are the ones the case scored.
Result<DecodedImage> readRecorded(const FileReport &file, FileBytes &bytes)
{
    auto decoded = readImage(file.path.toStdString(), bytes);
    if (!bytes.sha256.empty() && q(bytes.sha256) != file.sha256)
        return Result<DecodedImage>::failure(
            QObject::tr("the file's bytes changed since the scan (SHA-256 now %1)").arg(q(bytes.sha256)).toStdString());
    return decoded;
}

// spaiAlone: the scan ran SPAI alone; there is no RINE region or tile map to draw.
Detail makeDetail(const FileReport &file, const QString &preprocessing, const std::shared_ptr<Detector> &detector,
                  bool detectorMatches, bool spaiAlone, const std::atomic<bool> &cancel)
{
    Detail d;
    d.file = file;
    // Read as Inspect reads it, and only if its bytes are still those the case scored.
    const EvidenceImage image = readEvidence(toStd(file.path), {}, toStd(file.sha256));
    d.facts = image.facts;
    if (!image.decoded) {
        d.notes << QObject::tr("The picture is not shown: %1.").arg(q(image.error));
        return d;
    }
    const DecodedImage *decoded = &*image.decoded;
    const Preprocessing scored = Preprocessing::fromName(toStd(preprocessing)).value_or(Preprocessing{});
    std::vector<CropRegion> regions;
    if (!spaiAlone)
        regions = scored.regions(decoded->width, decoded->height);
    QStringList labels; // TextureCrop: each kept window once, numbered by rank, as the case recorded them
    if (!spaiAlone && scored.crop == CropMode::Texture) {
        if (!file.scores.empty())
            for (const KeptWindow &k : distinctWindows(file.scores.front().windows)) {
                regions.push_back(k.region);
                labels << QString::fromStdString(k.label());
            }
        if (regions.empty()) // under 224 px on a side: scored on its center crop
            regions.push_back(centerCropRegion(decoded->width, decoded->height, scored.inputSize));
    }
    std::optional<TileScores> tiles;
    if (spaiAlone) {
        // SPAI's patches and their weights are in the table below the picture.
    } else if (detector && detectorMatches) {
        auto scored = scoreTiles(*detector, decoded->rgb, 8, cancel);
        if (scored && !scored->cancelled) {
            tiles = scored.value();
        } else {
            d.notes << QObject::tr("The tile map could not be computed: %1.")
                           .arg(scored ? QObject::tr("cancelled") : q(scored.error()));
        }
    } else {
        d.notes << (detector ? QObject::tr("No tile map: the loaded model is not the one that scored this scan.")
                             : QObject::tr("No tile map: no model was loaded for this report (rine-cli report "
                                           "--tile-map, or export from the application with the model loaded)."));
    }
    const QImage stored = toQImage(decoded->rgb);
    QTransform toPicture = uprightTransform(d.facts.orientation, stored.width(), stored.height());
    QImage picture = stored.transformed(toPicture, Qt::SmoothTransformation);
    const int longest = std::max(picture.width(), picture.height());
    if (longest > 1400) {
        const QSize before = picture.size();
        picture = picture.scaled(before * (1400.0 / longest), Qt::KeepAspectRatio, Qt::SmoothTransformation);
        toPicture *= QTransform::fromScale(double(picture.width()) / before.width(), double(picture.height()) / before.height());
    }
    picture = picture.convertToFormat(QImage::Format_RGB32);
    QPainter p(&picture);
    if (tiles) {
        d.tiles = true;
        d.tileCount = int(tiles->done);
        d.tileLow = *std::min_element(tiles->probabilities.begin(), tiles->probabilities.end());
        d.tileHigh = *std::max_element(tiles->probabilities.begin(), tiles->probabilities.end());
        for (std::size_t i = 0; i < tiles->done; ++i) {
            int w = 0, hgt = 0;
            const CropRegion cell = tileCell(tiles->grid, i, w, hgt);
            p.fillRect(toPicture.mapRect(QRectF(cell.left, cell.top, w, hgt)), probabilityColour(tiles->probabilities[i], 120));
        }
    }
    QFont font = p.font();
    font.setPixelSize(std::max(12, picture.width() / 45));
    font.setBold(true);
    p.setFont(font);
    auto label = [&](const QRectF &box, const QString &text, const QColor &colour) {
        const QRectF area = p.boundingRect(QRectF(box.topLeft(), QSizeF(1, 1)), Qt::AlignLeft | Qt::AlignTop | Qt::TextDontClip,
                                           text).adjusted(-3, -1, 3, 1).translated(3, 1);
        p.fillRect(area, QColor(0, 0, 0, 170));
        p.setPen(colour);
        p.drawText(area, Qt::AlignCenter, text);
    };
    // SPAI's patches where no tile map is drawn (the two colourings would mix), as Inspect draws
    // them: colour the patch's own score alone, opacity its share of the attention; numbered
    // as in the patch table. The case records them in SPAI's padded coordinates.
    if (!tiles && file.spai && !file.spai->patches.empty()) {
        d.spaiPatches = true;
        const SpaiLayout pads = spaiLayout(decoded->width, decoded->height, SpaiConfig::published());
        const QRectF storedArea(0, 0, decoded->width, decoded->height);
        const auto &patches = file.spai->patches;
        double strongest = 0;
        for (const SpaiPatchScore &patch : patches)
            strongest = std::max(strongest, patch.attentionMean);
        const int side = int(SpaiConfig::published().imageSize);
        for (const SpaiPatchScore &patch : patches) {
            const QRectF stored = QRectF(patch.left - pads.padLeft, patch.top - pads.padTop, side, side).intersected(storedArea);
            const double solo = 1.0 / (1.0 + std::exp(-patch.soloLogit));
            const double weight = strongest > 0 ? patch.attentionMean / strongest : 0;
            p.setPen(QPen(QColor(255, 255, 255, 200), 1));
            p.setBrush(probabilityColour(solo, 20 + int(std::lround(90 * weight)))); // lighter than Inspect: five-crop patches overlap
            p.drawRect(toPicture.mapRect(stored));
        }
        p.setBrush(Qt::NoBrush);
        if (patches.size() <= 64) // beyond, the numbers would hide the picture
            for (std::size_t k = 0; k < patches.size(); ++k) {
                const QRectF stored = QRectF(patches[k].left - pads.padLeft, patches[k].top - pads.padTop, side, side)
                                          .intersected(storedArea);
                label(toPicture.mapRect(stored), QString::number(k + 1), Qt::white);
            }
    }
    QPen pen(QColor(0xff, 0xd0, 0x00), std::max(2, picture.width() / 250), Qt::DashLine);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    for (const CropRegion &region : regions)
        p.drawRect(toPicture.mapRect(QRectF(region.left, region.top, region.size, region.size)));
    for (int i = 0; i < labels.size(); ++i)
        label(toPicture.mapRect(QRectF(regions[std::size_t(i)].left, regions[std::size_t(i)].top,
                                       regions[std::size_t(i)].size, regions[std::size_t(i)].size)),
              labels[i], QColor(0xff, 0xd0, 0x00));
    p.end();
    d.picture = picture;
    return d;
}

QString runtimeNow()
{
    return QObject::tr("RINE Studio %1 (%2), LibTorch %3, OpenCV %4, Qt %5")
        .arg(QStringLiteral(RINE_VERSION), QStringLiteral(RINE_GIT_DESCRIBE), q(libtorchVersion()), q(opencvVersion()),
             QString::fromLatin1(qVersion()));
}

QString modelName(const QList<KnownModel> &known, const QString &sha, const QString &path)
{
    if (const KnownModel *model = ModelStore::knownBySha(known, sha))
        return model->name;
    return path.isEmpty() ? QObject::tr("not in the model manifest") : QFileInfo(path).fileName() + QObject::tr(" (not in the manifest)");
}

// The document: HTML laid out by QTextDocument, then drawn page by page with a footer.
// SPAI's part of "Methods and limits", for scans that ran it (alone: the scan's only detector).
QString spaiMethods(bool alone)
{
    QString text = alone ? QObject::tr("<p><b>What the score is.</b> ") : QObject::tr("<p><b>The second detector.</b> ");
    text += QObject::tr(
        "SPAI (Karageorgiou et al., \"Any-Resolution AI-Generated Image Detection by "
        "Spectral Learning\", CVPR 2025, from RINE's group) scores the image at its own resolution: every "
        "non-overlapping 224 x 224 patch (an image with fewer than 4 patches: five overlapping crops; a side under "
        "224 px: padded by reflection) goes through a ViT-B/16 pretrained by masked frequency modelling, as it is and "
        "with its low and high spatial frequencies separated. How far each patch departs from the spectral "
        "distribution of real images gives a vector; an attention over the patches weighs them into one logit, and "
        "the probability shown is its sigmoid. Each patch's attention weight and its score alone are reported.</p>");
    if (alone)
        text += QObject::tr("<p><b>What it is not.</b> It is not a calibrated probability for images unlike the "
                            "training data, and it is not proof. A verdict depends on the threshold chosen; "
                            "probabilities near the threshold are reported as inconclusive.</p>");
    text += QObject::tr(
        "<p><b>SPAI's limits.</b> The published weights were trained on latent-diffusion images against real "
        "photographs (COCO, LSUN); they detect many recent diffusion models that RINE's ProGAN-trained heads miss, but "
        "are not calibrated for every generator, and the same recompression, resizing and filtering caveats apply "
        "(recompression, resizing, heavy filtering and screenshots can flip verdicts either way). Its cost grows with "
        "the image's area.</p>");
    if (!alone)
        text += QObject::tr(
            "<p><b>When the detectors disagree.</b> Both detectors are given the same threshold and band. RINE and SPAI "
            "look at different evidence (CLIP's intermediate representations of one crop; the spectrum of every "
            "patch) and fail on different generators. A file one calls generated and the other real is flagged; "
            "neither score settles it alone.</p>");
    return text;
}

// RINE (its first head) and SPAI call the file differently: one generated, the other real.
bool detectorsDisagree(const FileReport &f, const VerdictRule &rule)
{
    if (f.scores.empty() || !f.spai)
        return false;
    const Verdict rine = rule.of(f.scores.front().probability), spai = rule.of(f.spai->probability);
    return (rine == Verdict::Fake && spai == Verdict::Real) || (rine == Verdict::Real && spai == Verdict::Fake);
}

Result<QByteArray> renderPdf(const QString &html, QTextDocument &document, const QString &footer, const QString &title, int &pages)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter writer(&buffer);
        writer.setResolution(96); // layout in CSS pixels
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, QMarginsF(16, 14, 16, 14),
                                         QPageLayout::Millimeter));
        writer.setTitle(title);
        writer.setCreator(QStringLiteral("RINE Studio " RINE_VERSION));
        const QRect page = writer.pageLayout().paintRectPixels(writer.resolution());
        const int footerHeight = 28;
        document.documentLayout()->setPaintDevice(&writer);
        document.setPageSize(QSizeF(page.width(), page.height() - footerHeight));
        document.setHtml(html);
        pages = document.pageCount();
        QPainter painter;
        if (!painter.begin(&writer))
            return Result<QByteArray>::failure("cannot start the PDF writer");
        QFont small = document.defaultFont();
        small.setPointSizeF(7.5);
        for (int i = 0; i < pages; ++i) {
            if (i > 0)
                writer.newPage();
            painter.save();
            painter.translate(0, -double(i) * document.pageSize().height());
            document.drawContents(&painter, QRectF(0, double(i) * document.pageSize().height(), page.width(),
                                                   document.pageSize().height()));
            painter.restore();
            painter.setFont(small);
            painter.setPen(Qt::darkGray);
            const QRectF foot(0, page.height() - footerHeight + 8, page.width(), footerHeight - 8);
            painter.drawLine(QPointF(0, foot.top() - 4), QPointF(page.width(), foot.top() - 4));
            painter.drawText(foot, Qt::AlignLeft | Qt::AlignVCenter, footer);
            painter.drawText(foot, Qt::AlignRight | Qt::AlignVCenter, QObject::tr("Page %1 of %2").arg(i + 1).arg(pages));
        }
        painter.end();
    }
    return bytes;
}

} // namespace

Result<ReportOutcome> CaseReport::write(CaseDatabase &database, const ReportRequest &request,
                                        const std::shared_ptr<Detector> &detector, const std::atomic<bool> &cancel,
                                        const Progress &progress)
{
    using R = Result<ReportOutcome>;
    ReportOutcome outcome;
    if (database.readOnly())
        outcome.notes << QObject::tr("The case was opened read-only (received from elsewhere, or its audit log does not "
                                     "verify): the files written are not recorded in its audit log.");
    auto scan = readScanExport(database, request.scanId);
    if (!scan)
        return R::failure(scan.error());
    if (!request.detectors.isEmpty())
        if (auto kept = keepDetectors(scan.value(), request.detectors.contains(QLatin1String("rine")),
                                      request.detectors.contains(QLatin1String("spai")));
            !kept)
            return R::failure(database.path().toStdString() + ": " + kept.error());
    for (const QString &detector : scan->leftOut)
        outcome.notes << QObject::tr("%1's results are left out of this report and its exports, as asked (the scan "
                                     "ran it too).")
                             .arg(detector == QLatin1String("rine") ? QStringLiteral("RINE") : QStringLiteral("SPAI"));
    const bool rineLeftOut = scan->leftOut.contains(QStringLiteral("rine"));
    const ScanSummary &s = scan->summary;
    const CaseIntegrity &integrity = scan->integrity;
    if (integrity.state == CaseIntegrity::State::Broken) {
        if (!request.allowUnverified)
            return R::failure(database.path().toStdString() + ": the case does not verify against its audit chain, so no "
                              "report presents its results: " + integrity.problem.toStdString()
                              + " (to write one that says so on every page: rine-cli report --allow-unverified, or "
                                "tick \"Write it although the case does not verify\" in the application)");
        outcome.notes << QObject::tr("The case does not verify against its audit chain; every file written says so: %1")
                             .arg(integrity.problem);
    } else if (integrity.state == CaseIntegrity::State::NotCovered) {
        outcome.notes << QObject::tr("The case's results are not covered by its audit chain: %1").arg(integrity.problem);
    }
    const QList<KnownModel> known = ModelLocator::knownModels();
    const QString headSha = s.headSha256s.isEmpty() ? QString() : s.headSha256s.first();
    auto tell = [&](const QString &stage, int done, int total) {
        if (progress)
            progress(stage, done, total);
    };

    // CSV and JSON first: they need nothing but the database.
    auto record = [&](const QString &path, const QByteArray &bytes, const QString &kind) -> Result<bool> {
        auto written = writeFileAtomically(path, bytes);
        if (!written)
            return written;
        const QString sha = q(Sha256::hex(bytes.constData(), std::size_t(bytes.size())));
        outcome.files.push_back({QFileInfo(path).absoluteFilePath(), sha});
        if (database.readOnly())
            return true; // said once in the notes
        auto logged = database.appendAudit(kind + QStringLiteral(" written"),
                                           QJsonObject{{QStringLiteral("path"), QFileInfo(path).absoluteFilePath()},
                                                       {QStringLiteral("sha256"), sha},
                                                       {QStringLiteral("scan"), request.scanId},
                                                       {QStringLiteral("bytes"), qint64(bytes.size())},
                                                       {QStringLiteral("app_version"), QStringLiteral(RINE_VERSION " (" RINE_GIT_DESCRIBE ")")}});
        if (!logged)
            return Result<bool>::failure(logged.error());
        return true;
    };
    if (!request.csvPath.isEmpty())
        if (auto done = record(request.csvPath, scanToCsv(scan.value(), request.rule), QStringLiteral("CSV export")); !done)
            return R::failure(done.error());
    if (!request.jsonPath.isEmpty())
        if (auto done = record(request.jsonPath, scanToJson(scan.value(), request.rule), QStringLiteral("JSON export")); !done)
            return R::failure(done.error());
    if (request.pdfPath.isEmpty())
        return outcome;

    // Which detectors the scan ran: RINE (its heads), SPAI beside it, or SPAI alone. A file's
    // verdict in the summary, the histogram and the table is its first head's, or SPAI's alone.
    const bool withSpai = !s.spaiSha256.isEmpty();
    const bool spaiAlone = withSpai && s.headSha256s.isEmpty();
    const bool both = withSpai && !spaiAlone;
    auto primary = [&](const FileReport &f) -> std::optional<double> {
        if (spaiAlone)
            return f.spai ? std::optional<double>(f.spai->probability) : std::nullopt;
        return f.scores.empty() ? std::nullopt : std::optional<double>(f.scores.front().probability);
    };

    // Block importance of the head that scored the scan.
    std::vector<double> importance;
    const bool detectorMatches = detector && q(detector->info().backboneSha256) == s.backboneSha256 &&
                                 !detector->info().heads.empty() && q(detector->info().heads.front().sha256) == headSha;
    if (detectorMatches) {
        importance = detector->info().heads.front().blockImportance;
    } else if (!headSha.isEmpty()) {
        // The path comes from the case, which may have been received: the file there is read
        // once, and parsed only when it is the scan's head (by SHA-256) and a weight file this
        // installation trusts (in the manifest, or trusted by the user); nothing else is parsed.
        const QString path = database.modelPath(headSha);
        auto bytes = path.isEmpty() ? Result<FileBytes>::failure("unknown path")
                                    : readFileBytes(path.toStdString(), 1ull << 30);
        if (!bytes || q(bytes->sha256) != headSha) {
            outcome.notes << QObject::tr("The head's block importance is not shown: its file (SHA-256 %1) is no longer at %2.")
                                 .arg(headSha.left(16), path);
        } else if (auto allowed = ModelStore().allowed(path, headSha); !allowed) {
            outcome.notes << QObject::tr("The head's block importance is not shown: the file at %1 is not a weight file "
                                         "this installation trusts (%2), so it was not read.")
                                 .arg(path, q(allowed.error()));
        } else if (auto head = inspectHead(bytes.value()); head) {
            importance = head->blockImportance;
        } else {
            outcome.notes << QObject::tr("The head's block importance is not shown: %1").arg(q(head.error()));
        }
    }

    // Counts and probabilities under the rule.
    std::map<QString, int> statusCounts;
    int fake = 0, real = 0, inconclusive = 0, unscored = 0;
    // SPAI's verdicts beside RINE's under the same rule, and where the two call a file differently.
    int spaiFake = 0, spaiReal = 0, spaiInconclusive = 0, spaiUnscored = 0, disagree = 0;
    for (const FileReport &f : scan->files) {
        if (!both)
            break;
        if (!f.spai) {
            ++spaiUnscored;
            continue;
        }
        const Verdict spai = request.rule.of(f.spai->probability);
        spaiFake += spai == Verdict::Fake;
        spaiReal += spai == Verdict::Real;
        spaiInconclusive += spai == Verdict::Inconclusive;
        disagree += detectorsDisagree(f, request.rule);
    }
    std::vector<double> probabilities;
    for (const FileReport &f : scan->files) {
        ++statusCounts[f.status];
        const std::optional<double> scored = primary(f);
        if (!scored) {
            ++unscored;
            continue;
        }
        const double p = *scored;
        probabilities.push_back(p);
        switch (request.rule.of(p)) {
        case Verdict::Fake: ++fake; break;
        case Verdict::Real: ++real; break;
        default: ++inconclusive; break;
        }
    }

    OfflineDocument document; // loads no file or URL, whatever the HTML names
    QFont body(QStringLiteral("DejaVu Sans"));
    body.setPointSizeF(9);
    document.setDefaultFont(body);
    document.setDefaultStyleSheet(QStringLiteral(
        "h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 14px; } h3 { font-size: 10.5pt; } "
        "th { background-color: #e8e8e8; text-align: left; } td, th { padding: 2px 4px; } .muted { color: #555; }"));

    // Thumbnails for the table (read-only, checked against the recorded hashes).
    Thumbnails thumbs;
    const bool withThumbnails = int(scan->files.size()) <= request.maxThumbnails;
    if (!withThumbnails)
        thumbs.notes << QObject::tr("The file table has no thumbnails: the scan has more than %1 files.").arg(request.maxThumbnails);
    int index = 0;
    for (const FileReport &f : scan->files) {
        if (cancel.load())
            return R::failure("cancelled: no report was written");
        tell(QObject::tr("Thumbnails"), ++index, int(scan->files.size()));
        if (!withThumbnails || !primary(f))
            continue;
        FileBytes bytes;
        auto decoded = readRecorded(f, bytes);
        if (!decoded)
            continue;
        thumbs.byPath[f.path] = uprightThumbnail(decoded.value(), bytes, 120);
    }

    std::vector<Detail> details;
    for (int i = 0; i < request.detailPaths.size(); ++i) {
        if (cancel.load())
            return R::failure("cancelled: no report was written");
        tell(QObject::tr("Detail pages"), i + 1, int(request.detailPaths.size()));
        auto found = std::find_if(scan->files.begin(), scan->files.end(),
                                  [&](const FileReport &f) { return f.path == request.detailPaths[i]; });
        if (found == scan->files.end()) {
            outcome.notes << QObject::tr("%1: not a file of this scan; no detail page.").arg(request.detailPaths[i]);
            continue;
        }
        details.push_back(makeDetail(*found, s.preprocessing, detector, detectorMatches, spaiAlone, cancel));
    }
    tell(QObject::tr("Writing the PDF"), 0, 1);

    // ---- HTML ----
    const QDateTime generated = QDateTime::currentDateTime();
    const int offset = generated.offsetFromUtc();
    const QString generatedText = QStringLiteral("%1 %2 (UTC%3%4:%5)")
                                      .arg(generated.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), generated.timeZoneAbbreviation(),
                                           offset < 0 ? QStringLiteral("-") : QStringLiteral("+"))
                                      .arg(std::abs(offset) / 3600, 2, 10, QLatin1Char('0'))
                                      .arg((std::abs(offset) % 3600) / 60, 2, 10, QLatin1Char('0'));
    const QString title = request.title.isEmpty() ? QObject::tr("Synthetic image analysis: %1").arg(s.caseName) : request.title;
    QString html;
    html += QStringLiteral("<h1>%1</h1>").arg(h(title));
    html += QStringLiteral("<table cellspacing=\"0\" border=\"0\">");
    auto row = [&](const QString &name, const QString &value) {
        html += QStringLiteral("<tr><td width=\"170\"><b>%1</b></td><td>%2</td></tr>").arg(h(name), value);
    };
    row(QObject::tr("Case"), h(s.caseName));
    row(QObject::tr("Case database"), h(scan->database));
    {
        // The chain head printed here lets anyone check later that the case still holds what
        // this report shows: rine-cli audit --db CASE --expect-head HEAD.
        QString state;
        switch (integrity.state) {
        case CaseIntegrity::State::Verified:
            state = QObject::tr("<b>verified</b>: hash chain, signatures and every row of results match");
            break;
        case CaseIntegrity::State::NotCovered:
            state = QObject::tr("<b>results not covered</b>: %1").arg(h(integrity.problem));
            break;
        case CaseIntegrity::State::Broken:
            state = QObject::tr("<span style=\"color: #b00000\"><b>DOES NOT VERIFY</b>: %1. The results below are "
                                "as the case holds them now; they may have been altered.</span>")
                        .arg(h(integrity.problem));
            break;
        }
        row(QObject::tr("Audit chain"), state + QStringLiteral("<br>")
                                            + QObject::tr("%1 entries, head %2").arg(integrity.length).arg(hashHtml(integrity.head))
                                            + QStringLiteral("<br>")
                                            + (integrity.headSigner.isEmpty()
                                                   ? QObject::tr("not signed")
                                                   : QObject::tr("signed by installation key %1").arg(hashHtml(integrity.headSigner))));
    }
    row(QObject::tr("Analyst"), request.analyst.isEmpty() ? QObject::tr("(not given)") : h(request.analyst));
    row(QObject::tr("Report generated"), h(generatedText));
    row(QObject::tr("Report software"), h(runtimeNow()));
    row(QObject::tr("Scan"), QObject::tr("#%1, %2, started %3, finished %4")
                                 .arg(s.scan.id)
                                 .arg(h(s.scan.state), h(s.scan.startedAt), h(s.scan.finishedAt.isEmpty() ? QObject::tr("(not finished)") : s.scan.finishedAt)));
    row(QObject::tr("Scan software"), h(QObject::tr("RINE Studio %1, LibTorch %2, OpenCV %3, Qt %4")
                                           .arg(q(s.runtime.appVersion), q(s.runtime.libtorch), q(s.runtime.opencv), q(s.runtime.qt))));
    row(QObject::tr("Device and precision"), h(q(s.runtime.device) + QStringLiteral(", ") + s.precision
                                                  + QStringLiteral(" (") + q(s.runtime.backboneDtype) + QStringLiteral(")")));
    if (spaiAlone) {
        row(QObject::tr("Detectors"), h(rineLeftOut ? QObject::tr("SPAI (RINE's results are left out of this report)")
                                                    : QObject::tr("SPAI alone (RINE was not run)")));
    } else {
        const QString backbonePath = database.modelPath(s.backboneSha256);
        row(QObject::tr("Backbone"),
            h(modelName(known, s.backboneSha256, backbonePath)) + QStringLiteral("<br>") + hashHtml(s.backboneSha256));
        for (const QString &head : s.headSha256s)
            row(QObject::tr("RINE head"),
                h(modelName(known, head, database.modelPath(head))) + QStringLiteral("<br>") + hashHtml(head));
        row(QObject::tr("Preprocessing"),
            h(Preprocessing::fromName(toStd(s.preprocessing))
                  ? q(Preprocessing::fromName(toStd(s.preprocessing))->describe())
                  : QObject::tr("%1 (not known to this version)").arg(s.preprocessing)));
    }
    if (withSpai) {
        row(QObject::tr("SPAI"), h(modelName(known, s.spaiSha256, database.modelPath(s.spaiSha256))) + QStringLiteral("<br>")
                                     + hashHtml(s.spaiSha256));
        row(QObject::tr("SPAI preprocessing"),
            h(QObject::tr("every 224 x 224 patch of the image at its own resolution (%1; five-crop when fewer than 4 "
                          "fit), %2 on the %3")
                  .arg(QString::fromLatin1(kSpaiPreprocessing), s.spaiPrecision,
                       QString::fromLatin1(kSpaiDevice).toUpper())));
    }
    row(QObject::tr("Verdict rule"), h(request.rule.describe()) + (both ? h(QObject::tr(" (both detectors)")) : QString()));
    html += QStringLiteral("</table>");
    html += QObject::tr("<p class=\"muted\">Every file is identified by the SHA-256 of the exact bytes that were scored. "
                        "With the same bytes, the same weight files (by SHA-256) and the same preprocessing, the scores "
                        "can be reproduced; on another device they agree to about 1e-4.</p>");

    // Summary
    html += QObject::tr("<h2>Summary</h2>");
    html += QObject::tr("<p>%1 files in the scan. Under the verdict rule: <b>%2 fake</b>, <b>%3 inconclusive</b>, "
                        "<b>%4 real</b>, %5 not scored.</p>")
                .arg(scan->files.size())
                .arg(fake)
                .arg(inconclusive)
                .arg(real)
                .arg(unscored);
    if (spaiAlone)
        html += rineLeftOut ? QObject::tr("<p>Those verdicts are SPAI's: RINE's results are left out of this report.</p>")
                            : QObject::tr("<p>Those verdicts are SPAI's: this scan ran SPAI alone.</p>");
    if (both)
        html += QObject::tr("<p>Those verdicts are RINE's. SPAI's, under the same rule: <b>%1 fake</b>, <b>%2 "
                            "inconclusive</b>, <b>%3 real</b>, %4 not scored. <b>The detectors disagree on %5 "
                            "file(s)</b> (one calls it generated, the other real): they fail on different "
                            "generators, so those files deserve a closer look.</p>")
                    .arg(spaiFake)
                    .arg(spaiInconclusive)
                    .arg(spaiReal)
                    .arg(spaiUnscored)
                    .arg(disagree);
    QStringList statuses;
    for (const auto &[status, count] : statusCounts)
        statuses << QStringLiteral("%1 %2").arg(count).arg(h(status));
    html += QObject::tr("<p>File outcomes: %1.</p>").arg(statuses.join(QStringLiteral(", ")));
    document.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("rine:histogram")), histogram(probabilities, request.rule));
    html += QObject::tr("<p><img src=\"rine:histogram\" width=\"600\"><br><span class=\"muted\">Distribution of "
                        "probabilities; red line: the threshold; shaded: the inconclusive band.</span></p>");
    if (!s.events.empty())
        html += QObject::tr("<p>%1 notes from the folder walk (links, unreadable folders, special files) are in the "
                            "JSON export.</p>").arg(s.events.size());

    // The file table
    html += QObject::tr("<h2 style=\"page-break-before: always\">Files</h2>");
    for (const QString &note : thumbs.notes)
        html += QStringLiteral("<p class=\"muted\">%1</p>").arg(h(note));
    html += QStringLiteral("<table width=\"100%\" cellspacing=\"0\" border=\"1\" style=\"border-collapse: collapse; "
                           "border-color: #bbb\"><thead><tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th>%5</tr></thead>")
                .arg(QString(), QObject::tr("File, folder, SHA-256 of the bytes scored"),
                     spaiAlone ? QObject::tr("SPAI probability") : both ? QObject::tr("RINE probability") : QObject::tr("Probability"),
                     spaiAlone ? QObject::tr("SPAI verdict") : both ? QObject::tr("RINE verdict") : QObject::tr("Verdict"),
                     both ? QObject::tr("<th>SPAI probability</th><th>SPAI verdict</th>") : QString());
    int thumbIndex = 0;
    for (const FileReport &f : scan->files) {
        QString picture;
        auto t = thumbs.byPath.find(f.path);
        if (t != thumbs.byPath.end()) {
            const QString url = QStringLiteral("rine:thumb%1").arg(thumbIndex++);
            document.addResource(QTextDocument::ImageResource, QUrl(url), t->second);
            const QSize shown = t->second.size().scaled(40, 40, Qt::KeepAspectRatio);
            picture = QStringLiteral("<img src=\"%1\" width=\"%2\" height=\"%3\">").arg(url).arg(shown.width()).arg(shown.height());
        }
        const std::optional<double> scored = primary(f);
        const QString verdict = scored ? verdictName(request.rule.of(*scored))
                                       : QStringLiteral("%1 (%2)").arg(verdictName(Verdict::None), f.status);
        QString spaiCells;
        if (both)
            spaiCells = f.spai ? QStringLiteral("<td align=\"right\">%1</td><td>%2%3</td>")
                                     .arg(QString::number(f.spai->probability, 'f', 4),
                                          h(verdictName(request.rule.of(f.spai->probability))),
                                          detectorsDisagree(f, request.rule)
                                              ? QObject::tr("<br><b style=\"color: #b05a00\">DISAGREE</b>")
                                              : QString())
                               : QStringLiteral("<td></td><td>%1</td>").arg(h(verdictName(Verdict::None)));
        html += QStringLiteral("<tr><td width=\"46\">%1</td><td>%2<br><span class=\"muted\" style=\"font-size: 7pt\">%3</span>"
                               "<br>%4</td><td align=\"right\">%5</td><td>%6</td>%7</tr>")
                    .arg(picture, h(QFileInfo(f.path).fileName()), h(QFileInfo(f.path).path()), hashHtml(f.sha256),
                         scored ? QString::number(*scored, 'f', 4) : QString(), h(verdict), spaiCells);
    }
    html += QStringLiteral("</table>");

    // Detail pages
    for (std::size_t i = 0; i < details.size(); ++i) {
        const Detail &d = details[i];
        const FileReport &f = d.file;
        html += QObject::tr("<h2 style=\"page-break-before: always\">Detail: %1</h2>").arg(h(QFileInfo(f.path).fileName()));
        html += QStringLiteral("<p>%1<br>SHA-256 %2</p>").arg(h(f.path), hashHtml(f.sha256));
        if (!f.scores.empty()) {
            const auto &score = f.scores.front();
            html += QObject::tr("<p><b>Probability %1 (logit %2): %3.</b> Scored %4 on %5.</p>")
                        .arg(score.probability, 0, 'f', 4)
                        .arg(score.logit, 0, 'f', 4)
                        .arg(verdictName(request.rule.of(score.probability)), h(score.scoredAt), h(score.device));
        } else if (!(spaiAlone && f.spai)) {
            html += QObject::tr("<p><b>Not scored</b> (%1): %2</p>").arg(h(f.status), h(f.error));
        }
        if (f.spai) {
            const FileReport::Spai &spai = *f.spai;
            html += QObject::tr("<p><b>SPAI: probability %1 (logit %2): %3.</b> Scored %4 over %5 patches.%6</p>")
                        .arg(spai.probability, 0, 'f', 4)
                        .arg(spai.logit, 0, 'f', 4)
                        .arg(verdictName(request.rule.of(spai.probability)), h(spai.scoredAt))
                        .arg(spai.patches.size())
                        .arg(detectorsDisagree(f, request.rule)
                                 ? QObject::tr(" <b style=\"color: #b05a00\">RINE and SPAI disagree on this file.</b>")
                                 : QString());
        }
        if (!d.picture.isNull()) {
            const QString url = QStringLiteral("rine:detail%1").arg(i);
            document.addResource(QTextDocument::ImageResource, QUrl(url), d.picture);
            const QSize shown = d.picture.size().scaled(420, 330, Qt::KeepAspectRatio);
            html += QStringLiteral("<p><img src=\"%1\" width=\"%2\" height=\"%3\"><br>").arg(url).arg(shown.width()).arg(shown.height());
            html += spaiAlone ? QObject::tr("<span class=\"muted\">SPAI scored all of the image, patch by patch.")
                    : f.scores.empty() || f.scores.front().windows.empty()
                        ? QObject::tr("<span class=\"muted\">Dashed: the %1 region the model analysed.").arg(h(s.preprocessing))
                        : QObject::tr("<span class=\"muted\">Dashed: the windows TextureCrop kept (%1), numbered by "
                                      "rank.").arg(h(s.preprocessing));
            if (d.tiles)
                html += QObject::tr(" Colours: the tile map, %1 tiles of 224 x 224 each scored alone (blue: real, white: "
                                    "0.5, red: generated); tile probabilities from %2 to %3.")
                            .arg(d.tileCount)
                            .arg(d.tileLow, 0, 'f', 3)
                            .arg(d.tileHigh, 0, 'f', 3);
            if (d.spaiPatches)
                html += QObject::tr(" SPAI's patches, numbered as in the table below: the colour is the patch's own "
                                    "score alone (blue: real, white: 0.5, red: generated), the opacity its share of "
                                    "SPAI's attention.");
            html += QStringLiteral("</span></p>");
        }
        for (const QString &note : d.notes)
            html += QStringLiteral("<p class=\"muted\">%1</p>").arg(h(note));
        if (!f.scores.empty() && !f.scores.front().windows.empty()) {
            html += QObject::tr("<h3>TextureCrop windows</h3><table cellspacing=\"0\" cellpadding=\"3\" border=\"1\">"
                                "<tr><th>Rank</th><th>x</th><th>y</th><th>Side</th><th>Entropy (bits)</th><th>Logit</th>"
                                "<th>Probability</th></tr>");
            const auto &windows = f.scores.front().windows;
            for (std::size_t w = 0; w < windows.size(); ++w)
                html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td><td>%7</td></tr>")
                            .arg(w + 1)
                            .arg(windows[w].region.left)
                            .arg(windows[w].region.top)
                            .arg(windows[w].region.size)
                            .arg(windows[w].entropy, 0, 'f', 4)
                            .arg(windows[w].logit, 0, 'f', 4)
                            .arg(1.0 / (1.0 + std::exp(-windows[w].logit)), 0, 'f', 4);
            html += QObject::tr("</table><p class=\"muted\">The image's logit is the mean of these; its probability "
                                "the sigmoid of that mean.</p>");
        }
        if (f.spai && !f.spai->patches.empty()) {
            // The patches SPAI drew on most, strongest first.
            const auto &patches = f.spai->patches;
            std::vector<std::size_t> order(patches.size());
            for (std::size_t k = 0; k < order.size(); ++k)
                order[k] = k;
            std::stable_sort(order.begin(), order.end(),
                             [&](std::size_t a, std::size_t b) { return patches[a].attentionMean > patches[b].attentionMean; });
            const std::size_t shown = std::min<std::size_t>(order.size(), 12);
            html += QObject::tr("<h3>SPAI's patches (%1 of %2, by attention)</h3><table cellspacing=\"0\" "
                                "cellpadding=\"3\" border=\"1\"><tr><th>Patch</th><th>x</th><th>y</th><th>Attention</th>"
                                "<th>Alone: logit</th><th>Alone: probability</th></tr>")
                        .arg(shown)
                        .arg(patches.size());
            for (std::size_t k = 0; k < shown; ++k) {
                const SpaiPatchScore &p = patches[order[k]];
                html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td></tr>")
                            .arg(order[k] + 1)
                            .arg(p.left)
                            .arg(p.top)
                            .arg(p.attentionMean, 0, 'f', 4)
                            .arg(p.soloLogit, 0, 'f', 4)
                            .arg(1.0 / (1.0 + std::exp(-p.soloLogit)), 0, 'f', 4);
            }
            html += QObject::tr("</table><p class=\"muted\">x and y: the patch's corner in the image as SPAI padded it "
                                "(images under 224 px are padded by reflection to 224). Attention: the patch's weight in "
                                "SPAI's verdict, the mean over its attention heads (the weights sum to 1). Alone: the "
                                "score the patch would get by itself.</p>");
        }
        if (!importance.empty()) {
            const QString url = QStringLiteral("rine:importance%1").arg(i);
            document.addResource(QTextDocument::ImageResource, QUrl(url),
                                 barChart(blockKeys(importance.size()), importance, 0.75, 0.3, double(importance.size()) + 0.7,
                                          QObject::tr("Transformer block (1 = nearest the pixels)"), QObject::tr("Importance")));
            html += QObject::tr("<h3>Learned block importance (the same for every image)</h3><p><img src=\"%1\" width=\"520\"></p>").arg(url);
        }
        if (!f.scores.empty() && !f.scores.front().contributions.empty()) {
            const auto &c = f.scores.front().contributions;
            const QString url = QStringLiteral("rine:contributions%1").arg(i);
            document.addResource(QTextDocument::ImageResource, QUrl(url),
                                 barChart(blockKeys(c.size()), c, 0.75, 0.3, double(c.size()) + 0.7,
                                          QObject::tr("Transformer block (1 = nearest the pixels)"), QObject::tr("Contribution")));
            html += QObject::tr("<h3>Block contributions to this image's score</h3><p><img src=\"%1\" width=\"520\"></p>").arg(url);
        }
        QString facts;
        for (const auto &[name, value] : d.facts.exif)
            facts += QStringLiteral("EXIF %1: %2<br>").arg(h(q(name)), h(q(value)));
        if (!d.facts.c2pa.empty())
            facts += QObject::tr("A C2PA manifest store is present (%1); its signature was not validated.<br>").arg(h(q(d.facts.c2pa)));
        for (const std::string &trace : d.facts.generatorTraces)
            facts += QObject::tr("Generator trace: %1<br>").arg(h(q(trace)));
        html += QObject::tr("<h3>Metadata (stated as found; not part of the verdict)</h3><p>%1</p>")
                    .arg(facts.isEmpty() ? QObject::tr("No EXIF, no C2PA, no generator traces found.") : facts);
    }

    // Methods and limits: RINE's where it ran, SPAI's where it ran.
    html += QObject::tr("<h2 style=\"page-break-before: always\">Methods and limits</h2>");
    if (!spaiAlone)
        html += QObject::tr(
            "<p><b>What the score is.</b> RINE (Koutlis and Papadopoulos, \"Leveraging Representations from Intermediate "
            "Encoder-Blocks for Synthetic Image Detection\", ECCV 2024) passes a 224 x 224 crop of the image, without "
            "resizing, through OpenAI's CLIP ViT-L/14, takes the class token of every transformer block, and lets a small "
            "trained head weigh the blocks and output a logit. The probability shown is the sigmoid of that logit: the "
            "detector's score that the image was made by a generative model.</p>"
            "<p><b>What it is not.</b> It is not a calibrated probability for images unlike the head's training data, and "
            "it is not proof. A verdict depends on the threshold chosen; probabilities near the threshold are reported "
            "as inconclusive.</p>"
            "<p><b>Known failure modes.</b> Recompression (social media, messaging apps), resizing, heavy filtering and "
            "screenshots change the traces the detector relies on and can flip verdicts either way; generators unlike "
            "those in the training data (the published heads were trained on ProGAN images) may go undetected; real "
            "photographs that were edited, upscaled or denoised by neural tools may score as generated. Only the analysed "
            "region enters the score: the tile map shows how the score varies over the rest of the image.</p>");
    if (withSpai)
        html += spaiMethods(spaiAlone);
    html += QObject::tr("<p><b>Metadata</b> (EXIF, PNG text, XMP, C2PA) is reported as found. It is easily removed or "
                        "forged, is not part of the score, and a C2PA manifest's signature is not validated by this "
                        "software.</p>");
    html += database.readOnly()
              ? QObject::tr("<p><b>Integrity.</b> The case database was opened read-only (it was received from "
                            "another installation, or its audit log does not verify), so this report is <b>not</b> "
                            "recorded in its audit log; its SHA-256 is printed by the program that wrote it.</p>")
              : QObject::tr("<p><b>Integrity.</b> This report, and each export, is recorded with its SHA-256 in the "
                            "case database's audit log, whose entries are chained by hash.</p>");
    if (!outcome.notes.isEmpty()) {
        html += QObject::tr("<h3>Notes on this report</h3><ul>");
        for (const QString &note : outcome.notes)
            html += QStringLiteral("<li>%1</li>").arg(h(note));
        html += QStringLiteral("</ul>");
    }

    int pages = 0;
    QString footer = QObject::tr("Case %1 - %2 - RINE Studio %3").arg(s.caseName, title, QStringLiteral(RINE_VERSION));
    if (integrity.state == CaseIntegrity::State::Broken)
        footer = QObject::tr("CASE DOES NOT VERIFY AGAINST ITS AUDIT CHAIN - ") + footer;
    auto pdf = renderPdf(html, document, footer, title, pages);
    if (!pdf)
        return R::failure(pdf.error());
    outcome.pages = pages;
    if (auto done = record(request.pdfPath, pdf.value(), QStringLiteral("PDF report")); !done)
        return R::failure(done.error());
    tell(QObject::tr("Writing the PDF"), 1, 1);
    return outcome;
}

} // namespace rine
