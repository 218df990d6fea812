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
    ExportDialog(const QString &caseName, const QStringList &detailPaths, QWidget *parent = nullptr);
    // The request as filled in (scan id and verdict rule are the caller's).
    ReportRequest request() const;

private:
    QStringList m_details;
    QLineEdit *m_title, *m_analyst, *m_pdf, *m_csv, *m_json;
    QCheckBox *m_writeCsv, *m_writeJson;
};

} // namespace rine
