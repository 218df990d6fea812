#include "util/Json.h"

#include <QTest>

using namespace rine;

namespace {

Result<JsonValue> parse(const std::string &text) { return parseJson(text.data(), text.size()); }

} // namespace

class TestJson : public QObject {
    Q_OBJECT

private slots:
    void readsASafeTensorsHeader()
    {
        auto v = parse("{\"__metadata__\":{\"format\":\"pt\"},"
                       "\"w\":{\"dtype\":\"F16\",\"shape\":[3, 4],\"data_offsets\":[0,24]}}");
        QVERIFY2(v.ok(), v.error().c_str());
        const JsonValue *w = v->find("w");
        QVERIFY(w);
        QCOMPARE(w->find("dtype")->string, std::string("F16"));
        QCOMPARE(w->find("shape")->array.size(), std::size_t(2));
        QCOMPARE(w->find("shape")->array[1].integer, std::int64_t(4));
        QVERIFY(w->find("data_offsets")->array[1].isInteger);
        QCOMPARE(v->find("__metadata__")->find("format")->string, std::string("pt"));
    }

    void decodesEscapes()
    {
        auto v = parse("[\"a\\\"b\\\\c\\/\\n\", \"\\u00e9\", true, false, null, -1.5e3]");
        QVERIFY2(v.ok(), v.error().c_str());
        QCOMPARE(v->array[0].string, std::string("a\"b\\c/\n"));
        QCOMPARE(v->array[1].string, std::string("\xC3\xA9"));
        QVERIFY(v->array[2].boolean);
        QCOMPARE(v->array[4].kind, JsonValue::Kind::Null);
        QCOMPARE(v->array[5].number, -1500.0);
        QVERIFY(!v->array[5].isInteger);
    }

    void refusesMalformedInput_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << "";
        QTest::newRow("unterminated object") << "{\"a\":1";
        QTest::newRow("trailing comma") << "[1,]";
        QTest::newRow("trailing text") << "{} x";
        QTest::newRow("duplicate key") << "{\"a\":1,\"a\":2}";
        QTest::newRow("control character") << "[\"a\x01\"]";
        QTest::newRow("bare word") << "[nope]";
        QTest::newRow("too deep") << QString(100, '[') + QString(100, ']');
    }
    void refusesMalformedInput()
    {
        QFETCH(QString, text);
        QVERIFY(!parse(text.toStdString()).ok());
    }
};

QTEST_GUILESS_MAIN(TestJson)
#include "tst_json.moc"
