#include "serial/snapshot.h"

#include "core/encoding.h"
#include "db/show.h"

namespace datalite::serial::detail {

namespace {

bool hasPrefix(std::string_view key, std::string_view prefix) { return key.substr(0, prefix.size()) == prefix; }

// The :db/* properties datalite reads from a schema map; DataScript accepts
// any other key and so do we, by leaving it out.
bool knownProperty(std::string_view prop) {
  static constexpr std::string_view kKnown[] = {"db/valueType", "db/cardinality", "db/unique",  "db/index",
                                                "db/isComponent", "db/doc",      "db/noHistory", "db/tupleAttrs",
                                                "db/tupleTypes",  "db/tupleType"};
  for (std::string_view k : kKnown)
    if (prop == k) return true;
  return false;
}

}  // namespace

void invalid(const std::string& what) { raise(ErrorCode::InvalidInput, what); }

std::vector<const Attribute*> userAttributes(const Schema& schema) {
  std::vector<const Attribute*> out;
  for (const Attribute& a : schema.all())
    if (a.id > attr::kLastBuiltin) out.push_back(&a);
  return out;
}

Keyword attributeFromName(std::string_view name, const std::string& where) {
  if (!name.empty() && name[0] == ':') name.remove_prefix(1);
  if (name.empty()) invalid(where + ": empty attribute name");
  return Keyword::intern(name);
}

std::shared_ptr<const Schema> buildSchema(const std::vector<Keyword>& order, const Value& schemaMap) {
  auto schema = std::make_shared<Schema>(*Schema::bootstrap());
  for (Keyword k : order) {
    if (schema->find(k)) {
      bool builtin = schema->find(k)->id <= attr::kLastBuiltin;
      invalid("attribute :" + std::string(k.str()) + (builtin ? " is built in" : " is listed twice"));
    }
    schema->addImplicit(k);
  }
  if (schemaMap.isNil()) return schema;
  if (!schemaMap.isMap()) invalid("the schema must be a map of attribute -> definition, got " + show(schemaMap));
  // Ids first, so :db/tupleAttrs may name attributes defined later in the map.
  for (size_t i = 0; i < schemaMap.mapSize(); ++i) {
    const Value& k = schemaMap.mapKey(i);
    if (!k.isKeyword()) invalid("schema keys must be attribute keywords, got " + show(k));
    const Attribute* existing = schema->find(k.asKeyword());
    if (existing && existing->id <= attr::kLastBuiltin)
      invalid("the schema cannot redefine built-in attribute :" + std::string(k.asKeyword().str()));
    if (!existing) schema->addImplicit(k.asKeyword());
  }
  for (size_t i = 0; i < schemaMap.mapSize(); ++i) {
    Attribute def;
    def.ident = schemaMap.mapKey(i).asKeyword();
    const Value& spec = schemaMap.mapVal(i);
    if (!spec.isMap())
      invalid("the definition of :" + std::string(def.ident.str()) + " must be a map, got " + show(spec));
    parseAttributeDefinition(spec, *schema, def);
    schema->define(std::move(def));
  }
  return schema;
}

Value schemaFromDataScript(const Value& ds) {
  if (ds.isNil()) return Value();
  if (!ds.isMap()) invalid("the schema must be a map of attribute -> definition, got " + show(ds));
  std::vector<Value> out;
  std::vector<const Interned*> seen;
  for (size_t i = 0; i < ds.mapSize(); ++i) {
    const Value& key = ds.mapKey(i);
    Keyword attr;
    if (key.isKeyword()) attr = key.asKeyword();
    else if (key.isString()) attr = attributeFromName(key.asString(), "schema");
    else invalid("schema keys must be attribute names (strings or keywords), got " + show(key));
    for (const Interned* p : seen)
      if (p == attr.ptr()) invalid("the schema names :" + std::string(attr.str()) + " twice");
    seen.push_back(attr.ptr());
    const Value& spec = ds.mapVal(i);
    if (!spec.isMap()) invalid("the definition of :" + std::string(attr.str()) + " must be a map, got " + show(spec));
    std::vector<Value> props;
    for (size_t j = 0; j < spec.mapSize(); ++j) {
      const Value& prop = spec.mapKey(j);
      if (!prop.isKeyword() || !knownProperty(prop.asKeyword().str())) continue;
      Value v = spec.mapVal(j);
      if (prop.asKeyword().str() == "db/tupleAttrs" && v.isSequential()) {
        // DataScript JS names tuple components with strings.
        std::vector<Value> components;
        for (const Value& c : v.items())
          components.push_back(c.isString() ? Value::keyword(attributeFromName(c.asString(), "schema")) : c);
        v = Value::vector(std::move(components));
      }
      props.push_back(prop);
      props.push_back(std::move(v));
    }
    out.push_back(Value::keyword(attr));
    out.push_back(Value::map(std::move(props)));
  }
  return Value::map(std::move(out));
}

namespace {

void checkConstraints(const Db& db) {
  const Schema& schema = db.schema();
  // Cardinality one: at most one value per (e, a); keys of one (e, a) are adjacent in EAVT.
  int64_t prevE = -1;
  AttrId prevA = 0;
  for (auto it = db.currentTree(IndexOrder::EAVT).begin(); it.valid(); it.next()) {
    KeyParts k = splitKey(IndexOrder::EAVT, it.key(), false);
    if (k.e == prevE && k.a == prevA && !schema.get(k.a).many)
      invalid("entity " + std::to_string(k.e) + " has several values of cardinality-one attribute :" +
              std::string(schema.get(k.a).ident.str()));
    prevE = k.e;
    prevA = k.a;
  }
  // Uniqueness: equal values of one attribute are adjacent in AVET.
  const index::BTree& avet = db.currentTree(IndexOrder::AVET);
  for (const Attribute& a : schema.all()) {
    if (!a.isUnique() || a.id == 0) continue;
    std::string prefix;
    encodeUnsigned(a.id, prefix);
    std::string_view prevValue;
    int64_t prevEntity = 0;
    for (auto it = avet.lowerBound(prefix); it.valid() && hasPrefix(it.key(), prefix); it.next()) {
      KeyParts k = splitKey(IndexOrder::AVET, it.key(), false);
      if (prevEntity && k.value == prevValue) {
        const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
        invalid("value " + show(decodeValue(p, p + k.value.size())) + " of unique attribute :" +
                std::string(a.ident.str()) + " is held by entities " + std::to_string(prevEntity) + " and " +
                std::to_string(k.e));
      }
      prevValue = k.value;
      prevEntity = k.e;
    }
  }
}

}  // namespace

Db build(std::vector<Db::InitDatom> datoms, std::shared_ptr<const Schema> schema, bool keepHistory, int64_t maxEid,
         int64_t maxTx, bool exactCounters) {
  DbOptions options;
  options.keepHistory = keepHistory;
  int64_t minEid = exactCounters ? maxEid : std::max<int64_t>(maxEid, 0);
  int64_t minTx = exactCounters ? maxTx : std::max<int64_t>(maxTx, kTx0);
  Db db = Db::initWithSchema(std::move(datoms), std::move(schema), options, minEid, minTx);
  if (exactCounters && db.maxEid() != maxEid)
    invalid("maxEid " + std::to_string(maxEid) + " is below the entity ids of the datoms");
  if (exactCounters && db.maxTx() != maxTx)
    invalid("maxTx " + std::to_string(maxTx) + " is below the tx ids of the datoms");
  checkConstraints(db);
  return db;
}

}  // namespace datalite::serial::detail
