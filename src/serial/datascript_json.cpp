// DataScript's `serializable` JSON: toSerializableJson / fromSerializableJson.
// The shape (datascript 1.8.1) is described in docs/adr/0008-serialization.md.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "core/encoding.h"
#include "db/show.h"
#include "edn/edn.h"
#include "edn/edn_detail.h"
#include "serial/json.h"
#include "serial/serial.h"
#include "serial/snapshot.h"

namespace datalite::serial {

namespace {

using detail::invalid;

constexpr int64_t kDataScriptTx0 = 536870912;
static_assert(kDataScriptTx0 == kTx0, "datalite and DataScript share the id layout");
constexpr int64_t kExtensionFormat = 1;

// Value markers of DataScript's serializable arrays: [0 i] keyword i of
// "keywords", [1 "edn"] any other value, [2] +Infinity, [3] -Infinity, [4] NaN.
constexpr int64_t kMarkerKeyword = 0;
constexpr int64_t kMarkerOther = 1;
constexpr int64_t kMarkerInf = 2;
constexpr int64_t kMarkerNegInf = 3;
constexpr int64_t kMarkerNaN = 4;

constexpr int64_t kMaxJsSafeInteger = (int64_t{1} << 53) - 1;

// ------------------------------------------------------------------ DataScript's order
//
// DataScript's from_serializable trusts the order of "eavt", "aevt" and
// "avet" (it builds its sorted sets from them as they are), so they must be
// sorted exactly as DataScript sorts the values it will hold after loading.
// In the cljs build, values of different types order by the text of their
// constructor: Keyword (A) < Boolean < Date < Symbol (Mc) < Number < String
// < PersistentVector (X) < UUID (hk); nil sorts first. Values written as
// strings (strings, keywords via the "keywords" table, which DataScript JS
// keeps as strings, chars, base64 bytes) compare as JavaScript strings.
enum class DsClass : uint8_t { Nil, Keyword, Boolean, Date, Symbol, Number, String, Vector, Uuid };

DsClass elementClass(const Value& v) {
  switch (v.kind()) {
    case Kind::Nil: return DsClass::Nil;
    case Kind::Keyword: return DsClass::Keyword;
    case Kind::Boolean: return DsClass::Boolean;
    case Kind::Instant: return DsClass::Date;
    case Kind::Symbol: return DsClass::Symbol;
    case Kind::Long: case Kind::BigInt: case Kind::Double: return DsClass::Number;
    case Kind::Vector: return DsClass::Vector;
    case Kind::Uuid: return DsClass::Uuid;
    default: return DsClass::String;  // strings, chars (cljs reads \c as "c"), bytes
  }
}

// JavaScript compares strings by UTF-16 code units; UTF-8 byte order is
// code point order, which differs only between supplementary characters
// (surrogate pairs in UTF-16) and U+E000..U+FFFF.
int compareUtf16(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  size_t start = i;
  while (start > 0 && (static_cast<unsigned char>(a[start]) & 0xC0) == 0x80) --start;
  uint32_t ca = 0, cb = 0;
  size_t la = edn::detail::decodeUtf8(a.data() + start, a.data() + a.size(), ca);
  size_t lb = edn::detail::decodeUtf8(b.data() + start, b.data() + b.size(), cb);
  if (la == 0 || lb == 0) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
  auto firstUnit = [](uint32_t cp) { return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10); };
  uint32_t ua = firstUnit(ca), ub = firstUnit(cb);
  if (ua != ub) return ua < ub ? -1 : 1;
  return ca < cb ? -1 : (ca > cb ? 1 : 0);
}

int sign(bool less, bool greater) { return less ? -1 : (greater ? 1 : 0); }

std::string charText(uint32_t cp) {
  std::string s;
  edn::detail::appendUtf8(cp, s);
  return s;
}

// cljs compares keywords and symbols by namespace (none first), then name.
int compareNamed(const Interned& a, const Interned& b) {
  if (a.hasNs() != b.hasNs()) return a.hasNs() ? 1 : -1;
  if (int c = compareUtf16(a.ns(), b.ns())) return c;
  return compareUtf16(a.name(), b.name());
}

int compareNumbers(double a, double b) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return sign(!na, !nb);  // NaN last
  return sign(a < b, a > b);
}

// Values inside tuples, as cljs.reader reads them back.
int compareElements(const Value& a, const Value& b) {
  DsClass ca = elementClass(a), cb = elementClass(b);
  if (ca != cb) return ca < cb ? -1 : 1;
  switch (ca) {
    case DsClass::Nil: return 0;
    case DsClass::Keyword: case DsClass::Symbol: return compareNamed(a.interned(), b.interned());
    case DsClass::Boolean: return sign(!a.asBool() && b.asBool(), a.asBool() && !b.asBool());
    case DsClass::Date: return sign(a.asInstant() < b.asInstant(), a.asInstant() > b.asInstant());
    case DsClass::Number: return compareNumbers(a.toDouble(), b.toDouble());
    case DsClass::String: {
      std::string ta = a.kind() == Kind::Char ? charText(a.asChar()) : std::string(a.asString());
      std::string tb = b.kind() == Kind::Char ? charText(b.asChar()) : std::string(b.asString());
      return compareUtf16(ta, tb);
    }
    case DsClass::Vector: {
      // cljs compares vectors by length first.
      if (a.count() != b.count()) return a.count() < b.count() ? -1 : 1;
      for (size_t i = 0; i < a.count(); ++i)
        if (int c = compareElements(a.at(i), b.at(i))) return c;
      return 0;
    }
    case DsClass::Uuid: {
      int c = std::memcmp(a.uuidBytes(), b.uuidBytes(), 16);
      return sign(c < 0, c > 0);
    }
  }
  return 0;
}

// One datom as DataScript will hold it.
struct DsDatom {
  int64_t e;
  uint32_t attrRank;  // position of the attribute name in DataScript's order
  AttrId attr;
  int64_t tx;
  Value v;
  DsClass cls;
  std::string text;  // the JS string of string-like values other than strings

  std::string_view stringForm() const { return v.kind() == Kind::String ? v.asString() : std::string_view(text); }
};

int compareDsValues(const DsDatom& x, const DsDatom& y) {
  if (x.cls != y.cls) return x.cls < y.cls ? -1 : 1;
  if (x.cls == DsClass::String) return compareUtf16(x.stringForm(), y.stringForm());
  return compareElements(x.v, y.v);
}

// ------------------------------------------------------------------ writing

// Attributes DataScript keeps in its AVET index, judged by the schema we
// give it (built-in datalite attributes are plain attributes there).
bool inDataScriptAvet(const Attribute& a) {
  return a.id > attr::kLastBuiltin && (a.isUnique() || a.indexed || a.isRef() || a.isComposite());
}

void appendIndexArray(const std::vector<uint32_t>& xs, std::string& out) {
  out += '[';
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) out += ',';
    json::appendInteger(xs[i], out);
  }
  out += ']';
}

}  // namespace

std::string toSerializableJson(const Db& db) {
  const Schema& schema = db.schema();

  std::vector<DsDatom> datoms;
  if (db.view() == DbView::Current) datoms.reserve(db.count());
  std::vector<bool> used(schema.all().size(), false);
  detail::forEachDatom(db, [&](const KeyParts& k) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
    DsDatom d{k.e, 0, k.a, k.tx, decodeValue(p, p + k.value.size()), DsClass::String, {}};
    switch (d.v.kind()) {
      case Kind::Keyword: d.text = ":" + std::string(d.v.interned().full); break;
      case Kind::Char: d.text = charText(d.v.asChar()); break;
      case Kind::Bytes: edn::detail::base64Encode(d.v.asString(), d.text); break;
      case Kind::String: break;
      default: d.cls = elementClass(d.v);
    }
    used[k.a] = true;
    datoms.push_back(std::move(d));
  });

  // "attrs": the attributes in use, in DataScript's (string) order.
  std::vector<AttrId> attrs;
  for (AttrId a = 1; a < used.size(); ++a)
    if (used[a]) attrs.push_back(a);
  std::sort(attrs.begin(), attrs.end(),
            [&](AttrId x, AttrId y) { return compareUtf16(schema.get(x).ident.str(), schema.get(y).ident.str()) < 0; });
  std::vector<uint32_t> rank(schema.all().size(), 0);
  for (uint32_t i = 0; i < attrs.size(); ++i) rank[attrs[i]] = i;
  for (DsDatom& d : datoms) d.attrRank = rank[d.attr];

  // Stable: datoms DataScript cannot tell apart keep datalite's order.
  std::stable_sort(datoms.begin(), datoms.end(), [](const DsDatom& x, const DsDatom& y) {
    if (x.e != y.e) return x.e < y.e;
    if (x.attrRank != y.attrRank) return x.attrRank < y.attrRank;
    if (int c = compareDsValues(x, y)) return c < 0;
    return x.tx < y.tx;
  });
  std::vector<uint32_t> aevt(datoms.size()), avet;
  for (uint32_t i = 0; i < datoms.size(); ++i) {
    aevt[i] = i;
    if (inDataScriptAvet(schema.get(datoms[i].attr))) avet.push_back(i);
  }
  std::stable_sort(aevt.begin(), aevt.end(), [&](uint32_t i, uint32_t j) {
    const DsDatom &x = datoms[i], &y = datoms[j];
    if (x.attrRank != y.attrRank) return x.attrRank < y.attrRank;
    if (x.e != y.e) return x.e < y.e;
    if (int c = compareDsValues(x, y)) return c < 0;
    return x.tx < y.tx;
  });
  std::stable_sort(avet.begin(), avet.end(), [&](uint32_t i, uint32_t j) {
    const DsDatom &x = datoms[i], &y = datoms[j];
    if (x.attrRank != y.attrRank) return x.attrRank < y.attrRank;
    if (int c = compareDsValues(x, y)) return c < 0;
    if (x.e != y.e) return x.e < y.e;
    return x.tx < y.tx;
  });

  // "eavt", collecting the keyword table (first use first, as DataScript
  // does) and the values JSON alone would not bring back exactly.
  std::string eavt = "[";
  std::vector<std::string> keywords;
  std::unordered_map<const Interned*, uint32_t> keywordIndex;
  std::vector<uint32_t> bytesAt, doublesAt;
  for (uint32_t i = 0; i < datoms.size(); ++i) {
    const DsDatom& d = datoms[i];
    if (i) eavt += ',';
    eavt += '[';
    json::appendInteger(d.e, eavt);
    eavt += ',';
    json::appendInteger(d.attrRank, eavt);
    eavt += ',';
    const Value& v = d.v;
    switch (v.kind()) {
      case Kind::Long:
        if (v.asLong() >= -kMaxJsSafeInteger && v.asLong() <= kMaxJsSafeInteger) {
          json::appendInteger(v.asLong(), eavt);
        } else {
          // Beyond 2^53 a JSON number would lose digits in JavaScript.
          eavt += "[1,";
          json::appendString(edn::print(v), eavt);
          eavt += ']';
        }
        break;
      case Kind::Double: {
        double x = v.asDouble();
        if (std::isnan(x)) eavt += "[4]";
        else if (std::isinf(x)) eavt += x > 0 ? "[2]" : "[3]";
        else {
          json::appendDouble(x, eavt);
          if (std::floor(x) == x) doublesAt.push_back(i);
        }
        break;
      }
      case Kind::String: json::appendString(v.asString(), eavt); break;
      case Kind::Boolean: eavt += v.asBool() ? "true" : "false"; break;
      case Kind::Bytes:
        json::appendString(d.text, eavt);
        bytesAt.push_back(i);
        break;
      case Kind::Keyword: {
        auto [it, added] = keywordIndex.emplace(v.asKeyword().ptr(), static_cast<uint32_t>(keywords.size()));
        if (added) keywords.push_back(d.text);
        eavt += "[0,";
        json::appendInteger(it->second, eavt);
        eavt += ']';
        break;
      }
      default:  // bigint, instant, uuid, symbol, char, tuple: EDN text
        eavt += "[1,";
        json::appendString(edn::print(v), eavt);
        eavt += ']';
    }
    eavt += ',';
    json::appendInteger(d.tx - kTx0, eavt);
    eavt += ']';
  }
  eavt += ']';

  std::vector<Value> dsSchema;
  for (const Attribute* a : detail::userAttributes(schema)) {
    if (!a->declared) continue;
    dsSchema.push_back(Value::string(a->ident.str()));
    dsSchema.push_back(schema.definition(*a, Schema::DefinitionStyle::DataScript));
  }

  std::string out = "{\"count\":";
  json::appendInteger(static_cast<int64_t>(datoms.size()), out);
  out += ",\"tx0\":";
  json::appendInteger(kDataScriptTx0, out);
  out += ",\"max-eid\":";
  json::appendInteger(db.maxEid(), out);
  out += ",\"max-tx\":";
  json::appendInteger(db.maxTx(), out);
  out += ",\"schema\":";
  json::appendString(edn::print(Value::map(std::move(dsSchema))), out);
  out += ",\"attrs\":[";
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i) out += ',';
    json::appendString(schema.get(attrs[i]).ident.str(), out);
  }
  out += "],\"keywords\":[";
  for (size_t i = 0; i < keywords.size(); ++i) {
    if (i) out += ',';
    json::appendString(keywords[i], out);
  }
  out += "],\"eavt\":";
  out += eavt;
  out += ",\"aevt\":";
  appendIndexArray(aevt, out);
  out += ",\"avet\":";
  appendIndexArray(avet, out);
  // Ignored by DataScript; makes the round trip here exact.
  out += ",\"datalite\":{\"format\":";
  json::appendInteger(kExtensionFormat, out);
  out += ",\"keepHistory\":";
  out += db.keepHistory() ? "true" : "false";
  out += ",\"schema\":";
  json::appendString(edn::print(schema.toMap()), out);
  out += ",\"attrs\":[";
  bool first = true;
  for (const Attribute* a : detail::userAttributes(schema)) {
    if (!first) out += ',';
    first = false;
    json::appendString(a->ident.str(), out);
  }
  out += "],\"bytes\":";
  appendIndexArray(bytesAt, out);
  out += ",\"doubles\":";
  appendIndexArray(doublesAt, out);
  out += "}}";
  return out;
}

// ------------------------------------------------------------------ reading

namespace {

std::string jsonType(const json::Ref& r) { return std::string(json::typeName(r.type())); }

int64_t integerMember(const json::Ref& r, const std::string& what) {
  if (r.type() != json::Type::Integer) invalid(what + " must be an integer, got " + jsonType(r));
  return r.asInteger();
}

// An entry of "attrs" or "keywords": a string (":a/b" from Clojure, "a/b"
// from JavaScript), or the JSON dump of a cljs keyword object that
// DataScript JS 1.8.1 writes for keyword values (its "fqn", minified "ga").
Keyword nameEntry(const json::Ref& r, const std::string& where) {
  if (r.isString()) return detail::attributeFromName(r.asString(), where);
  if (r.isObject()) {
    json::Ref fqn;
    if ((r.find("fqn", fqn) || r.find("ga", fqn)) && fqn.isString()) return detail::attributeFromName(fqn.asString(), where);
  }
  invalid(where + " must be a string, got " + jsonType(r));
}

std::vector<bool> indexSet(const json::Ref& ext, const char* key, size_t n) {
  std::vector<bool> set(n, false);
  json::Ref arr;
  if (!ext.find(key, arr)) return set;
  std::string what = std::string("\"datalite\".\"") + key + "\"";
  if (!arr.isArray()) invalid(what + " must be an array of eavt indices, got " + jsonType(arr));
  json::Ref x = arr.firstChild();
  for (size_t i = 0; i < arr.size(); ++i, x = x.next()) {
    int64_t k = integerMember(x, what + " entries");
    if (k < 0 || static_cast<uint64_t>(k) >= n) invalid(what + " index " + std::to_string(k) + " is out of range");
    set[static_cast<size_t>(k)] = true;
  }
  return set;
}

Value readEdn(std::string_view text, const std::string& where) {
  try {
    return edn::readOne(text);
  } catch (const DataliteError& e) {
    invalid(where + ": " + e.what());
  }
}

// A datom value written as EDN (marker 1).
Value readEdnValue(std::string_view text, const std::string& where) {
  Value v = readEdn(text, where);
  if (v.isNil() || !isEncodable(v))
    invalid(where + ": " + show(v) + " cannot be stored; datalite stores scalars and tuples (vectors)");
  return v;
}

}  // namespace

Db fromSerializableJson(std::string_view text) {
  return detail::guardLoad("fromSerializableJson", false, [&] {
    json::Document doc = json::Document::parse(text);
    json::Ref root = doc.root();
    if (!root.isObject()) invalid("expected an object in DataScript's serializable shape, got " + jsonType(root));
    json::Ref r;

    int64_t tx0 = kDataScriptTx0;
    if (root.find("tx0", r)) tx0 = integerMember(r, "\"tx0\"");
    if (tx0 < 0 || tx0 > kMaxSafeId) invalid("\"tx0\" out of range");

    std::vector<Keyword> attrs;
    if (!root.find("attrs", r)) invalid("missing \"attrs\" (the attribute table)");
    if (!r.isArray()) invalid("\"attrs\" must be an array of attribute names, got " + jsonType(r));
    for (json::Ref x = r.firstChild(); attrs.size() < r.size(); x = x.next())
      attrs.push_back(nameEntry(x, "\"attrs\"[" + std::to_string(attrs.size()) + "]"));

    std::vector<Keyword> keywords;
    if (root.find("keywords", r)) {
      if (!r.isArray()) invalid("\"keywords\" must be an array, got " + jsonType(r));
      for (json::Ref x = r.firstChild(); keywords.size() < r.size(); x = x.next())
        keywords.push_back(nameEntry(x, "\"keywords\"[" + std::to_string(keywords.size()) + "]"));
    }

    json::Ref eavt;
    if (!root.find("eavt", eavt)) invalid("missing \"eavt\" (the datoms)");
    if (!eavt.isArray()) invalid("\"eavt\" must be an array of [e a v tx] arrays, got " + jsonType(eavt));
    const size_t n = eavt.size();

    // The schema: datalite's own (exact) when our extension is there,
    // otherwise DataScript's.
    std::shared_ptr<const Schema> schema;
    bool keepHistory = true;
    std::vector<bool> bytesAt(n, false), doublesAt(n, false);
    json::Ref ext;
    if (root.find("datalite", ext)) {
      if (!ext.isObject()) invalid("\"datalite\" must be an object, got " + jsonType(ext));
      if (!ext.find("format", r) || integerMember(r, "\"datalite\".\"format\"") != kExtensionFormat)
        invalid("unsupported \"datalite\".\"format\" (this build reads " + std::to_string(kExtensionFormat) + ")");
      if (ext.find("keepHistory", r)) {
        if (!r.isBool()) invalid("\"datalite\".\"keepHistory\" must be true or false");
        keepHistory = r.asBool();
      }
      std::vector<Keyword> order;
      if (ext.find("attrs", r)) {
        if (!r.isArray()) invalid("\"datalite\".\"attrs\" must be an array, got " + jsonType(r));
        for (json::Ref x = r.firstChild(); order.size() < r.size(); x = x.next())
          order.push_back(nameEntry(x, "\"datalite\".\"attrs\"[" + std::to_string(order.size()) + "]"));
      }
      Value schemaMap;
      if (ext.find("schema", r)) {
        if (!r.isString()) invalid("\"datalite\".\"schema\" must be an EDN string, got " + jsonType(r));
        schemaMap = readEdn(r.asString(), "\"datalite\".\"schema\"");
      }
      schema = detail::buildSchema(order, schemaMap);
      bytesAt = indexSet(ext, "bytes", n);
      doublesAt = indexSet(ext, "doubles", n);
    } else {
      Value schemaMap;
      if (root.find("schema", r) && !r.isNull()) {
        if (!r.isString()) invalid("\"schema\" must be an EDN string, got " + jsonType(r));
        schemaMap = readEdn(r.asString(), "\"schema\"");
      }
      // Attribute ids in DataScript's attribute order, so datoms iterate in
      // the order DataScript shows them.
      std::vector<Keyword> order;
      for (Keyword k : attrs) {
        const Attribute* builtin = Schema::bootstrap()->find(k);
        if (!builtin && std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
      }
      schema = detail::buildSchema(order, detail::schemaFromDataScript(schemaMap));
    }

    std::vector<Db::InitDatom> datoms;
    datoms.reserve(n);
    json::Ref entry = eavt.firstChild();
    for (size_t i = 0; i < n; ++i, entry = entry.next()) {
      auto where = [i] { return "\"eavt\"[" + std::to_string(i) + "]"; };
      if (!entry.isArray() || entry.size() != 4) invalid(where() + " must be an array [e a v tx]");
      json::Ref je = entry.firstChild();
      json::Ref ja = je.next();
      json::Ref jv = ja.next();
      json::Ref jt = jv.next();
      int64_t e = integerMember(je, where() + " entity id");
      if (e <= 0 || e > kMaxSafeId) invalid(where() + ": entity id " + std::to_string(e) + " out of range");
      int64_t ai = integerMember(ja, where() + " attribute index");
      if (ai < 0 || static_cast<uint64_t>(ai) >= attrs.size())
        invalid(where() + ": attribute index " + std::to_string(ai) + " is not in \"attrs\"");
      Keyword attr = attrs[static_cast<size_t>(ai)];
      int64_t dtx = integerMember(jt, where() + " tx");
      if (dtx <= kTx0 - tx0 || dtx > kMaxSafeId - tx0)
        invalid(where() + ": tx " + std::to_string(tx0) + " + " + std::to_string(dtx) + " out of range");

      Value v;
      switch (jv.type()) {
        case json::Type::Integer: v = doublesAt[i] ? Value::real(static_cast<double>(jv.asInteger())) : Value::integer(jv.asInteger()); break;
        case json::Type::Double: v = Value::real(jv.asDouble()); break;
        case json::Type::True: case json::Type::False: v = Value::boolean(jv.asBool()); break;
        case json::Type::String: {
          const Attribute* a = schema->find(attr);
          if (bytesAt[i] || (a && a->type == ValueType::Bytes)) {
            std::string raw;
            if (!edn::detail::base64Decode(jv.asString(), raw)) invalid(where() + ": bytes value is not valid base64");
            v = Value::bytes(raw);
          } else {
            v = Value::string(jv.asString());
          }
          break;
        }
        case json::Type::Array: {
          if (jv.size() == 0) invalid(where() + ": empty value marker array");
          json::Ref m = jv.firstChild();
          int64_t marker = integerMember(m, where() + " value marker");
          size_t expected = (marker == kMarkerKeyword || marker == kMarkerOther) ? 2 : 1;
          if (jv.size() != expected)
            invalid(where() + ": value marker " + std::to_string(marker) + " takes " + std::to_string(expected - 1) +
                    " argument(s)");
          if (marker == kMarkerKeyword) {
            int64_t k = integerMember(m.next(), where() + " keyword index");
            if (k < 0 || static_cast<uint64_t>(k) >= keywords.size())
              invalid(where() + ": keyword index " + std::to_string(k) + " is not in \"keywords\"");
            v = Value::keyword(keywords[static_cast<size_t>(k)]);
          } else if (marker == kMarkerOther) {
            json::Ref s = m.next();
            if (!s.isString()) invalid(where() + ": value marker 1 takes an EDN string");
            v = readEdnValue(s.asString(), where());
          } else if (marker == kMarkerInf) {
            v = Value::real(INFINITY);
          } else if (marker == kMarkerNegInf) {
            v = Value::real(-INFINITY);
          } else if (marker == kMarkerNaN) {
            v = Value::real(NAN);
          } else {
            invalid(where() + ": unknown value marker " + std::to_string(marker));
          }
          break;
        }
        default: invalid(where() + ": a value cannot be " + jsonType(jv));
      }
      datoms.push_back(Db::InitDatom{e, attr, std::move(v), tx0 + dtx});
    }

    // DataScript's own fields: checked for shape, then rebuilt from the datoms.
    if (root.find("count", r) && static_cast<uint64_t>(integerMember(r, "\"count\"")) != n)
      invalid("\"count\" " + std::to_string(r.asInteger()) + " does not match the " + std::to_string(n) +
              " datoms of \"eavt\"");
    for (const char* key : {"aevt", "avet"}) {
      if (!root.find(key, r) || r.isNull()) continue;
      std::string what = std::string("\"") + key + "\"";
      if (!r.isArray()) invalid(what + " must be an array of eavt indices, got " + jsonType(r));
      json::Ref x = r.firstChild();
      for (size_t i = 0; i < r.size(); ++i, x = x.next()) {
        int64_t k = integerMember(x, what + " entries");
        if (k < 0 || static_cast<uint64_t>(k) >= n) invalid(what + " index " + std::to_string(k) + " is out of range");
      }
    }
    int64_t maxEid = 0, maxTx = kTx0;
    if (root.find("max-eid", r)) maxEid = integerMember(r, "\"max-eid\"");
    if (root.find("max-tx", r)) maxTx = integerMember(r, "\"max-tx\"");
    return detail::build(std::move(datoms), std::move(schema), keepHistory, maxEid, maxTx, false);
  });
}

}  // namespace datalite::serial
