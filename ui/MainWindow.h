#pragma once

#include <QMainWindow>

class QLabel;

namespace rine {

// The application window. At this stage it shows whether the detector's files are in place;
// the Scan, Inspect, Robustness, Training and Models pages come with their issues.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void refreshModelStatus();
    void showAbout();

    QLabel *m_status = nullptr;
    QLabel *m_deviceLabel = nullptr;
    QLabel *m_modelLabel = nullptr;
};

} // namespace rine
