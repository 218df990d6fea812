#pragma once

#include "report/ScanExport.h"
#include "util/AtomicFile.h"
#include "util/Csv.h"
#include "report/Verdict.h"
#include "store/CaseDatabase.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace rine {

class Detector;

// What the analyst asks for: the report's title and author, the verdict rule, the files that
// get a detail page, and which files to write.
struct ReportRequest {
    qint64 scanId = 0;
    QString title;
    QString analyst;
    VerdictRule rule;
    QStringList detailPaths; // paths as the scan recorded them
    QString pdfPath, csvPath, jsonPath; // empty: not written
    int maxThumbnails = 2000; // larger scans get a table without pictures (said in the report)
    // A case that does not verify against its audit chain gets no report unless this is set;
    // then every file written says, on its cover and every page, that it does not and why.
    bool allowUnverified = false;
    // The detectors whose results are reported (rine-cli report --detector: "rine", "spai");
    // empty: every one the scan ran. One left out is named in the notes and the exports
    // (keepDetectors); one the scan did not run is refused.
    QStringList detectors;
};

struct WrittenFile {
    QString path;
    QString sha256;
};

struct ReportOutcome {
    std::vector<WrittenFile> files;
    int pages = 0;
    QStringList notes; // what the report could not include, and why
};

// Writes a case's report: a PDF for court (cover with the reproducibility record, summary
// with counts and the score histogram, a table of every file, detail pages, methods and
// limits, page numbers and a footer on every page) and the CSV/JSON exports. Each file is
// written atomically; its SHA-256 is appended to the case's audit log. Evidence files are
// read (thumbnails, detail pages) and their bytes checked against the recorded SHA-256.
//
// detector: when given, and it is the model that scored the scan, detail pages get a tile
// heat map; may be null. The same code serves File > Export Report and `rine-cli report`.
class CaseReport {
public:
    using Progress = std::function<void(const QString &stage, int done, int total)>;
    static Result<ReportOutcome> write(CaseDatabase &database, const ReportRequest &request,
                                       const std::shared_ptr<Detector> &detector, const std::atomic<bool> &cancel,
                                       const Progress &progress = {});
};

} // namespace rine
