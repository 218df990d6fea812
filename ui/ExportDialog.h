#pragma once

#include "report/CaseReport.h"

#include <QDialog>

class QCheckBox;
class QLineEdit;

namespace rine {

// File > Export Report: title, analyst, where the PDF (and the CSV/JSON exports) go. The
// images selected in the results table get detail pages.
class ExportDialog : public QDialog {
    Q_OBJECT

public:
    // brokenCase: why the case does not verify against its audit chain ("" when it does); the
    // report is then written only when the analyst ticks that it may be, marked on every page.
    ExportDialog(const QString &caseName, const QStringList &detailPaths, const QString &brokenCase = {},
                 QWidget *parent = nullptr);
    // The request as filled in (scan id and verdict rule are the caller's).
    ReportRequest request() const;

private:
    QStringList m_details;
    QLineEdit *m_title, *m_analyst, *m_pdf, *m_csv, *m_json;
    QCheckBox *m_writeCsv, *m_writeJson;
    QCheckBox *m_allowUnverified = nullptr;
};

} // namespace rine
