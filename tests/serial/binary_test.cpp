// The binary snapshot: round trips and the rejection of malformed input.
#include <catch2/catch.hpp>

#include <cstring>

#include "core/encoding.h"
#include "serial/binary_format.h"
#include "serial_test_util.h"

using namespace datalite;
using namespace datalite::testing;
using serial::deserializeDb;
using serial::serializeDb;

namespace {

Db roundTrip(const Db& db) { return deserializeDb(serializeDb(db)); }

// A snapshot with `body` as its body (header and checksum made to match).
std::string withBody(const std::string& snapshot, const std::string& body) {
  std::string out = snapshot.substr(0, serial::binary::kHeaderSize) + body;
  uint64_t n = body.size();
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  serial::binary::sealChecksum(out);
  return out;
}

std::string bodyOf(const std::string& snapshot) { return snapshot.substr(serial::binary::kHeaderSize); }

Caught load(const std::string& bytes) {
  return catchError([&] { deserializeDb(bytes); });
}

}  // namespace

TEST_CASE("binary: CRC-32 and varints", "[serial][binary]") {
  CHECK(serial::binary::crc32("123456789") == 0xCBF43926u);
  CHECK(serial::binary::crc32("") == 0u);
  std::string v;
  serial::binary::putVarint(0, v);
  serial::binary::putVarint(127, v);
  serial::binary::putVarint(128, v);
  serial::binary::putVarint(300, v);
  CHECK(v == std::string("\x00\x7f\x80\x01\xac\x02", 6));
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, INT64_MAX, INT64_MIN})
    CHECK(serial::binary::unzigzag(serial::binary::zigzag(n)) == n);
  CHECK(serial::binary::zigzag(-1) == 1);
  CHECK(serial::binary::zigzag(1) == 2);
}

TEST_CASE("binary: empty and schema-only dbs round-trip", "[serial][binary]") {
  Db empty;
  std::string bytes = serializeDb(empty);
  CHECK(bytes.substr(0, 4) == std::string("\x89" "DLS", 4));
  CHECK(bytes[4] == 1);  // version 1, little-endian
  CHECK(bytes[5] == 0);
  CHECK(bytes[6] == 1);  // keepHistory
  CHECK(describe(roundTrip(empty)) == describe(empty));

  Db schemaOnly = Db::empty(read(kRichSchema));
  Db back = roundTrip(schemaOnly);
  CHECK(describe(back) == describe(schemaOnly));
  CHECK(back.count() == 0);

  DbOptions noHistory;
  noHistory.keepHistory = false;
  Db nh = Db::empty(Value(), noHistory);
  CHECK_FALSE(roundTrip(nh).keepHistory());
}

TEST_CASE("binary: a db with every value kind and schema form round-trips exactly", "[serial][binary]") {
  Db db = richDb();
  std::string bytes = serializeDb(db);
  Db back = deserializeDb(bytes);
  CHECK(describe(back) == describe(db));
  CHECK(serializeDb(back) == bytes);  // deterministic and stable
  // History is not in the snapshot.
  CHECK(back.history().count() == back.count());
  CHECK(db.history().count() > db.count());
  // Same answers.
  for (const std::string& q : richQueries()) {
    INFO(q);
    CHECK(runQuery(back, q) == runQuery(db, q));
  }
  // Ident-transacted schema stays schema, and its entity is known.
  const Attribute* color = back.attribute(Keyword::intern("ident/color"));
  REQUIRE(color);
  CHECK(color->many);
  CHECK(color->type == ValueType::Keyword);
  CHECK(color->entity == db.attribute(Keyword::intern("ident/color"))->entity);
  // Transactions continue from the same counters; instants stay monotonic.
  TxReport r = back.transact(tx(R"([{:person/name "New"}])"));
  CHECK(r.tx == db.maxTx() + 1);
  CHECK(r.dbAfter.maxEid() == db.maxEid() + 1);
  Value txInstant[] = {Value::integer(r.tx), Value::keyword("db/txInstant")};
  CHECK(r.dbAfter.datoms(IndexOrder::EAVT, txInstant).at(0).v.asInstant() >= 1'700'000'000'000);
  // Composite tuples keep being maintained.
  TxReport r2 = back.transact(tx(R"([[:db/add 100 :a 5] [:db/add 100 :b "z"]])"));
  Value comps[] = {Value::integer(100), Value::keyword("a+b")};
  CHECK(edn::print(r2.dbAfter.datoms(IndexOrder::EAVT, comps).at(0).v) == "[5 \"z\"]");
}

TEST_CASE("binary: views serialize what they show; history views are refused", "[serial][binary]") {
  Db db = richDb();
  Db earlier = db.asOf(db.maxTx() - 1);
  Db back = roundTrip(earlier);
  CHECK(datomLines(back, IndexOrder::EAVT) == datomLines(earlier, IndexOrder::EAVT));
  Db since = db.since(db.maxTx() - 1);
  CHECK(datomLines(roundTrip(since), IndexOrder::EAVT) == datomLines(since, IndexOrder::EAVT));
  Caught c = catchError([&] { serializeDb(db.history()); });
  CHECK(c.code == "invalid-input");
  CHECK_THAT(c.message, Catch::Matchers::Contains("history"));
}

TEST_CASE("binary: 50k datoms round-trip with the same query answers", "[serial][binary]") {
  Db db = bigDb(10'000);
  REQUIRE(db.count() > 50'000);
  std::string bytes = serializeDb(db);
  Db back = deserializeDb(bytes);
  CHECK(back.count() == db.count());
  CHECK(datomLines(back, IndexOrder::EAVT) == datomLines(db, IndexOrder::EAVT));
  CHECK(back.maxEid() == db.maxEid());
  CHECK(back.maxTx() == db.maxTx());
  for (const char* q : {"[:find (count ?e) . :where [?e :p/age 42]]",
                        "[:find ?n . :where [?e :p/email \"p777@x.org\"] [?e :p/name ?n]]",
                        "[:find (sum ?s) . :where [?e :p/score ?s]]",
                        "[:find ?f . :where [?e :p/email \"p5@x.org\"] [?e :p/friend ?f]]",
                        "[:find (count ?e) . :where [?e :p/tags :t/tag3]]"}) {
    INFO(q);
    CHECK(runQuery(back, q) == runQuery(db, q));
  }
  // Compact: a few bytes per datom.
  CHECK(bytes.size() < db.count() * 16);
}

TEST_CASE("binary: header problems are invalid input", "[serial][binary]") {
  std::string good = serializeDb(richDb());
  CHECK(load("").code == "invalid-input");
  CHECK_THAT(load("").message, Catch::Matchers::Contains("truncated"));
  CHECK(load(good.substr(0, 10)).code == "invalid-input");

  std::string bad = good;
  bad[1] = 'X';
  CHECK_THAT(load(bad).message, Catch::Matchers::Contains("magic"));
  bad = good;
  bad[4] = 2;
  CHECK_THAT(load(bad).message, Catch::Matchers::Contains("version 2"));
  bad = good;
  bad[6] = 0x03;
  CHECK_THAT(load(bad).message, Catch::Matchers::Contains("flags"));
  CHECK_THAT(load(good.substr(0, good.size() - 1)).message, Catch::Matchers::Contains("truncated"));
  CHECK_THAT(load(good + "x").message, Catch::Matchers::Contains("padded"));
  bad = good;
  bad[good.size() / 2] ^= 0x10;
  Caught c = load(bad);
  CHECK(c.code == "invalid-input");
  CHECK_THAT(c.message, Catch::Matchers::Contains("checksum"));
  CHECK_THAT(c.message, Catch::Matchers::StartsWith("deserializeDb: "));
}

TEST_CASE("binary: body problems behind a valid checksum are invalid input", "[serial][binary]") {
  // Hand-built bodies: maxEid, maxTx - tx0, attributes, datoms.
  auto v = [](uint64_t n) {
    std::string s;
    serial::binary::putVarint(n, s);
    return s;
  };
  auto z = [](int64_t n) {
    std::string s;
    serial::binary::putVarint(serial::binary::zigzag(n), s);
    return s;
  };
  std::string base = serializeDb(Db());
  // One attribute :x (id 13), declared with cardinality many; datoms follow.
  std::string attrX = v(1) + "x" + std::string("\x03\0\0", 3) + v(0) + v(0);
  std::string head = v(5) + v(1) + v(1) + attrX;
  std::string one = encodeValue(Value::integer(1)), two = encodeValue(Value::integer(2));

  auto expect = [&](const std::string& body, const std::string& needle) {
    Caught c = load(withBody(base, body));
    INFO("needle: " << needle);
    CHECK(c.code == "invalid-input");
    CHECK_THAT(c.message, Catch::Matchers::Contains(needle));
  };
  // The well-formed body loads.
  Db ok = deserializeDb(withBody(base, head + v(2) + v(1) + v(13) + one + z(1) + v(0) + v(13) + two + z(0)));
  CHECK(datomLines(ok, IndexOrder::EAVT) == "[1 :x 1 536870913]\n[1 :x 2 536870913]\n");
  CHECK(ok.maxEid() == 5);

  expect(head + v(1) + v(1) + v(14) + one + z(1), "unknown attribute index 14");
  expect(head + v(1) + v(1) + v(0) + one + z(1), "unknown attribute index 0");
  expect(head + v(2) + v(1) + v(13) + two + z(1) + v(0) + v(13) + one + z(0), "out of EAVT order");
  expect(head + v(2) + v(1) + v(13) + one + z(1) + v(0) + v(13) + one + z(0), "repeats the previous");
  expect(head + v(1) + v(0) + v(13) + one + z(1), "entity id 0");
  expect(head + v(1) + v(1) + v(13) + one + z(0), "tx out of range");
  expect(head + v(1) + v(1) + v(13) + one + z(-5), "tx out of range");
  expect(head + v(1) + v(1) + v(13) + one, "truncated tx");
  expect(head + v(1) + v(1) + v(13) + std::string("\x11\x81", 2), "truncated");
  expect(head + v(1) + v(1) + v(13) + std::string("\x01", 1) + z(1), "nil value");
  expect(head + v(1) + v(1) + v(13) + std::string("\x7e", 1) + z(1), "corrupt");  // unknown value tag
  // Non-canonical integer: 1 in two bytes.
  expect(head + v(1) + v(1) + v(13) + std::string("\x11\x82\x00\x01\x00", 5) + z(1), "canonical");
  expect(head + v(1000) + v(1) + v(13) + one + z(1), "datom count 1000 exceeds");
  expect(head + v(1) + v(1) + v(13) + one + z(1) + "junk", "unexpected bytes after the datoms");
  expect(v(0) + v(1) + v(1) + attrX + v(1) + v(9) + v(13) + one + z(1), "maxEid 0 is below");
  expect(v(5) + v(0) + v(1) + attrX + v(1) + v(1) + v(13) + one + z(1), "maxTx 536870912 is below");
  expect(head + std::string("\x80\x80", 2), "truncated datom count");
  expect(head + std::string("\x80\x00", 2), "not minimally encoded");
  expect(head + std::string(11, '\xff'), "overflows");
  // Tuples nested deeper than the encoder allows.
  expect(head + v(1) + v(1) + v(13) + std::string(40, '\x60') + std::string(40, '\x00') + z(1), "nest too deeply");
  // Attribute table.
  expect(v(5) + v(1) + v(1) + v(0) + std::string("\0\0\0", 3) + v(0) + v(0) + v(0), "invalid name");
  expect(v(5) + v(1) + v(1) + v(50) + "xxxxxx", "attribute name of 50 bytes runs past the end");
  expect(v(5) + v(1) + v(300) + attrX, "attribute count 300 exceeds");
  expect(v(5) + v(1) + v(2) + attrX + attrX + v(0), "appears twice");
  expect(v(5) + v(1) + v(1) + v(8) + "db/ident" + std::string("\0\0\0", 3) + v(0) + v(0) + v(0), "appears twice or redefines");
  expect(v(5) + v(1) + v(1) + v(1) + "x" + std::string("\x01\x63\x00", 3) + v(0) + v(0) + v(0), "unknown value type");
  expect(v(5) + v(1) + v(1) + v(1) + "x" + std::string("\x01\x00\x07", 3) + v(0) + v(0) + v(0), "uniqueness");
  expect(v(5) + v(1) + v(1) + v(1) + "x" + std::string("\x00\x01\x00", 3) + v(0) + v(0) + v(0), "undeclared but");
  // A composite naming an attribute id that does not exist.
  expect(v(5) + v(1) + v(1) + v(1) + "x" + std::string("\x01\x0d\x00", 3) + v(2) + v(1) + v(99) + v(0) + v(0),
         "unknown tuple attribute id 99");
  // Schema validation failures surface as invalid input too.
  expect(v(5) + v(1) + v(1) + v(1) + "x" + std::string("\x09\x00\x00", 3) + v(0) + v(0) + v(0), "isComponent");
}

TEST_CASE("binary: values that contradict the schema are invalid input", "[serial][binary]") {
  auto v = [](uint64_t n) {
    std::string s;
    serial::binary::putVarint(n, s);
    return s;
  };
  std::string base = serializeDb(Db());
  // :s is a declared string attribute (flags declared, type 1); :m is many.
  std::string attrS = v(1) + "s" + std::string("\x01\x01\x00", 3) + v(0) + v(0);
  std::string attrU = v(1) + "u" + std::string("\x01\x00\x01", 3) + v(0) + v(0);  // unique value
  std::string head = v(9) + v(1) + v(2) + attrS + attrU;
  std::string z1 = v(2), z0 = v(0);
  auto expect = [&](const std::string& body, const std::string& needle) {
    Caught c = load(withBody(base, body));
    INFO("needle: " << needle);
    CHECK(c.code == "invalid-input");
    CHECK_THAT(c.message, Catch::Matchers::Contains(needle));
  };
  expect(head + v(1) + v(1) + v(13) + encodeValue(Value::integer(5)) + z1, "does not fit :s");
  // Two values of a cardinality-one attribute.
  expect(head + v(2) + v(1) + v(13) + encodeValue(Value::string("a")) + z1 + v(0) + v(13) +
             encodeValue(Value::string("b")) + z0,
         "several values of cardinality-one attribute :s");
  // A unique value held twice.
  expect(head + v(2) + v(1) + v(14) + encodeValue(Value::integer(7)) + z1 + v(1) + v(14) +
             encodeValue(Value::integer(7)) + z0,
         "held by entities 1 and 2");
  // A ref that is not a positive id.
  std::string attrR = v(1) + "r" + std::string("\x01\x0b\x00", 3) + v(0) + v(0);
  expect(v(9) + v(1) + v(1) + attrR + v(1) + v(1) + v(13) + encodeValue(Value::integer(-3)) + z1, "does not fit :r");
}
