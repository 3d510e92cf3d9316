// The EDN dump: toEdnDump / fromEdnDump (also reads DataScript's printed
// #datascript/DB form).
#include <charconv>

#include "core/encoding.h"
#include "db/show.h"
#include "edn/edn.h"
#include "serial/serial.h"
#include "serial/snapshot.h"

namespace datalite::serial {

namespace {

using detail::invalid;

constexpr int64_t kEdnFormat = 1;

void appendInteger(int64_t n, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, static_cast<size_t>(end - buf));
}

int64_t integerOf(const Value& v, const char* what) {
  if (v.kind() != Kind::Long) invalid(std::string(what) + " must be an integer, got " + show(v));
  return v.asLong();
}

}  // namespace

std::string toEdnDump(const Db& db) {
  const Schema& schema = db.schema();
  std::string out = "#datalite/db {:format ";
  appendInteger(kEdnFormat, out);
  out += "\n :max-eid ";
  appendInteger(db.maxEid(), out);
  out += "\n :max-tx ";
  appendInteger(db.maxTx(), out);
  out += db.keepHistory() ? "\n :keep-history true" : "\n :keep-history false";
  // One attribute per line; :attrs keeps the attribute ids (datom order).
  out += "\n :schema {";
  Value schemaMap = schema.toMap();
  for (size_t i = 0; i < schemaMap.mapSize(); ++i) {
    if (i) out += "\n          ";
    edn::print(schemaMap.mapKey(i), out);
    out += ' ';
    edn::print(schemaMap.mapVal(i), out);
  }
  out += "}\n :attrs [";
  std::vector<std::string> attrText(schema.all().size());
  bool first = true;
  for (const Attribute& a : schema.all()) {
    if (a.id == 0) continue;
    edn::print(Value::keyword(a.ident), attrText[a.id]);
    if (a.id <= attr::kLastBuiltin) continue;
    if (!first) out += ' ';
    first = false;
    out += attrText[a.id];
  }
  out += "]\n :datoms [";
  first = true;
  detail::forEachDatom(db, [&](const KeyParts& k) {
    out += first ? "[" : "\n          [";
    first = false;
    appendInteger(k.e, out);
    out += ' ';
    out += attrText[k.a];
    out += ' ';
    const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
    edn::print(decodeValue(p, p + k.value.size()), out);
    out += ' ';
    appendInteger(k.tx, out);
    out += ']';
  });
  out += "]}\n";
  return out;
}

Db fromEdnDump(std::string_view text) {
  edn::ReadLimits limits;
  limits.maxInputBytes = size_t{1} << 30;
  Value form = edn::readOne(text, limits);
  return detail::guardLoad("fromEdnDump", true, [&] {
    bool dataScript = false;
    Value body = form;
    if (form.kind() == Kind::Tagged) {
      std::string_view tag = form.taggedTag();
      if (tag == "datascript/DB") dataScript = true;
      else if (tag != "datalite/db")
        invalid("unknown tag #" + std::string(tag) + ", expected #datalite/db or #datascript/DB");
      body = form.taggedValue();
    }
    if (!body.isMap()) invalid("expected a map of :schema, :datoms ..., got " + show(body));

    std::vector<Keyword> order;
    Value schemaMap, datoms;
    int64_t maxEid = 0, maxTx = kTx0;
    bool keepHistory = true;
    for (size_t i = 0; i < body.mapSize(); ++i) {
      const Value& key = body.mapKey(i);
      const Value& v = body.mapVal(i);
      std::string_view name = key.isKeyword() ? key.asKeyword().str() : std::string_view();
      // Unknown keys are ignored: dumps may carry notes of their own.
      if (name == "format") {
        if (integerOf(v, ":format") != kEdnFormat)
          invalid("unsupported dump :format " + show(v) + " (this build reads " + std::to_string(kEdnFormat) + ")");
      } else if (name == "schema") {
        schemaMap = dataScript ? detail::schemaFromDataScript(v) : v;
      } else if (name == "attrs") {
        if (!v.isSequential()) invalid(":attrs must be a vector of attribute keywords, got " + show(v));
        for (const Value& a : v.items()) {
          if (!a.isKeyword()) invalid(":attrs must hold attribute keywords, got " + show(a));
          order.push_back(a.asKeyword());
        }
      } else if (name == "datoms") {
        if (!v.isSequential()) invalid(":datoms must be a vector of [e a v tx] vectors, got " + show(v));
        datoms = v;
      } else if (name == "max-eid") {
        maxEid = integerOf(v, ":max-eid");
      } else if (name == "max-tx") {
        maxTx = integerOf(v, ":max-tx");
      } else if (name == "keep-history") {
        if (v.kind() != Kind::Boolean) invalid(":keep-history must be true or false, got " + show(v));
        keepHistory = v.asBool();
      }
    }
    std::shared_ptr<const Schema> schema = detail::buildSchema(order, schemaMap);

    std::vector<Db::InitDatom> initDatoms;
    if (!datoms.isNil()) {
      initDatoms.reserve(datoms.count());
      size_t index = 0;
      for (const Value& d : datoms.items()) {
        auto where = [&] { return "datom #" + std::to_string(index) + " " + show(d); };
        if (!d.isSequential() || d.count() < 3 || d.count() > 4) invalid(where() + ": expected [e a v tx] or [e a v]");
        const Value& e = d.at(0);
        const Value& a = d.at(1);
        const Value& v = d.at(2);
        if (e.kind() != Kind::Long || e.asLong() <= 0 || e.asLong() > kMaxSafeId)
          invalid(where() + ": the entity id must be a positive integer");
        Keyword attr;
        if (a.isKeyword()) attr = a.asKeyword();
        else if (a.isString()) attr = detail::attributeFromName(a.asString(), where());
        else invalid(where() + ": the attribute must be a keyword or a string");
        if (v.isNil() || !isEncodable(v))
          invalid(where() + ": the value cannot be stored; datalite stores scalars and tuples (vectors) of scalars");
        int64_t tx = 0;  // absent: Db::init's one synthetic tx
        if (d.count() == 4) {
          const Value& t = d.at(3);
          if (t.kind() != Kind::Long || t.asLong() <= kTx0 || t.asLong() > kMaxSafeId)
            invalid(where() + ": the tx must be an integer above " + std::to_string(kTx0));
          tx = t.asLong();
        }
        initDatoms.push_back(Db::InitDatom{e.asLong(), attr, v, tx});
        ++index;
      }
    }
    return detail::build(std::move(initDatoms), std::move(schema), keepHistory, maxEid, maxTx, false);
  });
}

}  // namespace datalite::serial
