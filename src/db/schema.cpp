#include "db/schema.h"

#include <algorithm>

#include "core/error.h"
#include "db/show.h"

namespace datalite {

namespace {

struct TypeName {
  ValueType type;
  const char* name;
};
constexpr TypeName kTypeNames[] = {
    {ValueType::String, "db.type/string"},   {ValueType::Long, "db.type/long"},
    {ValueType::Double, "db.type/double"},   {ValueType::Float, "db.type/float"},
    {ValueType::BigInt, "db.type/bigint"},   {ValueType::Boolean, "db.type/boolean"},
    {ValueType::Keyword, "db.type/keyword"}, {ValueType::Symbol, "db.type/symbol"},
    {ValueType::Uuid, "db.type/uuid"},       {ValueType::Instant, "db.type/instant"},
    {ValueType::Ref, "db.type/ref"},         {ValueType::Bytes, "db.type/bytes"},
    {ValueType::Tuple, "db.type/tuple"},
};

[[noreturn]] void schemaError(Keyword attr, const std::string& what) {
  raise(ErrorCode::SchemaViolation, "Bad attribute specification for :" + std::string(attr.str()) + ": " + what);
}

Keyword keywordArg(const Value& v, Keyword attr, const char* prop) {
  if (!v.isKeyword()) schemaError(attr, std::string(prop) + " expects a keyword, got " + show(v));
  return v.asKeyword();
}

bool booleanArg(const Value& v, Keyword attr, const char* prop) {
  if (v.kind() != Kind::Boolean) schemaError(attr, std::string(prop) + " expects true or false, got " + show(v));
  return v.asBool();
}

Attribute builtin(AttrId id, const char* ident, ValueType type, bool many = false,
                  Uniqueness unique = Uniqueness::None) {
  Attribute a;
  a.id = id;
  a.ident = Keyword::intern(ident);
  a.type = type;
  a.many = many;
  a.unique = unique;
  a.declared = true;
  return a;
}

}  // namespace

std::string_view valueTypeName(ValueType t) {
  for (const auto& tn : kTypeNames)
    if (tn.type == t) return tn.name;
  return "";
}

bool parseValueType(std::string_view text, ValueType& out) {
  for (const auto& tn : kTypeNames) {
    if (text == tn.name) {
      out = tn.type;
      return true;
    }
  }
  return false;
}

std::shared_ptr<const Schema> Schema::bootstrap() {
  static const std::shared_ptr<const Schema> base = [] {
    auto s = std::make_shared<Schema>();
    const Attribute builtins[] = {
        builtin(attr::kIdent, "db/ident", ValueType::Keyword, false, Uniqueness::Identity),
        builtin(attr::kValueType, "db/valueType", ValueType::Keyword),
        builtin(attr::kCardinality, "db/cardinality", ValueType::Keyword),
        builtin(attr::kUnique, "db/unique", ValueType::Keyword),
        builtin(attr::kIndex, "db/index", ValueType::Boolean),
        builtin(attr::kIsComponent, "db/isComponent", ValueType::Boolean),
        builtin(attr::kDoc, "db/doc", ValueType::String),
        builtin(attr::kNoHistory, "db/noHistory", ValueType::Boolean),
        builtin(attr::kTupleAttrs, "db/tupleAttrs", ValueType::Tuple),
        builtin(attr::kTupleTypes, "db/tupleTypes", ValueType::Tuple),
        builtin(attr::kTupleType, "db/tupleType", ValueType::Keyword),
        builtin(attr::kTxInstant, "db/txInstant", ValueType::Instant),
    };
    for (const Attribute& a : builtins) {
      s->attrs_.push_back(a);
      s->byIdent_[a.ident.ptr()] = a.id;
    }
    return s;
  }();
  return base;
}

std::shared_ptr<const Schema> Schema::fromMap(const Value& schemaMap) {
  auto s = std::make_shared<Schema>(*bootstrap());
  if (schemaMap.isNil()) return s;
  if (!schemaMap.isMap()) raise(ErrorCode::SchemaViolation, "schema must be a map of attribute -> definition, got " + show(schemaMap));
  // First give every named attribute an id, so :db/tupleAttrs may refer to
  // attributes defined later in the same map.
  for (size_t i = 0; i < schemaMap.mapSize(); ++i) {
    const Value& k = schemaMap.mapKey(i);
    if (!k.isKeyword()) raise(ErrorCode::SchemaViolation, "schema keys must be attribute keywords, got " + show(k));
    if (k.asKeyword().ns() == "db" && s->find(k.asKeyword()))
      raise(ErrorCode::SchemaViolation, "cannot redefine built-in attribute :" + std::string(k.asKeyword().str()));
    if (!s->find(k.asKeyword())) s->addImplicit(k.asKeyword());
  }
  for (size_t i = 0; i < schemaMap.mapSize(); ++i) {
    Attribute def;
    def.ident = schemaMap.mapKey(i).asKeyword();
    const Value& spec = schemaMap.mapVal(i);
    if (!spec.isMap()) schemaError(def.ident, "definition must be a map, got " + show(spec));
    parseAttributeDefinition(spec, *s, def);
    s->define(std::move(def));
  }
  return s;
}

void parseAttributeDefinition(const Value& spec, Schema& schema, Attribute& def) {
  for (size_t i = 0; i < spec.mapSize(); ++i) {
    const Value& key = spec.mapKey(i);
    const Value& val = spec.mapVal(i);
    if (!key.isKeyword()) schemaError(def.ident, "property names must be keywords, got " + show(key));
    std::string_view prop = key.asKeyword().str();
    if (prop == "db/valueType") {
      Keyword t = keywordArg(val, def.ident, ":db/valueType");
      if (!parseValueType(t.str(), def.type)) schemaError(def.ident, "unknown :db/valueType :" + std::string(t.str()));
    } else if (prop == "db/cardinality") {
      Keyword c = keywordArg(val, def.ident, ":db/cardinality");
      if (c.str() == "db.cardinality/many") def.many = true;
      else if (c.str() == "db.cardinality/one") def.many = false;
      else schemaError(def.ident, "unknown :db/cardinality :" + std::string(c.str()));
    } else if (prop == "db/unique") {
      Keyword u = keywordArg(val, def.ident, ":db/unique");
      if (u.str() == "db.unique/identity") def.unique = Uniqueness::Identity;
      else if (u.str() == "db.unique/value") def.unique = Uniqueness::Value;
      else schemaError(def.ident, "unknown :db/unique :" + std::string(u.str()));
    } else if (prop == "db/index") {
      def.indexed = booleanArg(val, def.ident, ":db/index");
    } else if (prop == "db/isComponent") {
      def.component = booleanArg(val, def.ident, ":db/isComponent");
    } else if (prop == "db/noHistory") {
      def.noHistory = booleanArg(val, def.ident, ":db/noHistory");
    } else if (prop == "db/doc") {
      if (!val.isString()) schemaError(def.ident, ":db/doc expects a string");
      def.doc = std::string(val.asString());
    } else if (prop == "db/tupleAttrs") {
      if (!val.isSequential() || val.count() < 2)
        schemaError(def.ident, ":db/tupleAttrs expects a vector of at least two attributes");
      def.tupleAttrs.clear();
      for (const Value& c : val.items()) {
        Keyword ck = keywordArg(c, def.ident, ":db/tupleAttrs");
        const Attribute* ca = schema.find(ck);
        def.tupleAttrs.push_back(ca ? ca->id : schema.addImplicit(ck));
      }
    } else if (prop == "db/tupleTypes") {
      if (!val.isSequential() || val.count() < 2)
        schemaError(def.ident, ":db/tupleTypes expects a vector of at least two value types");
      def.tupleTypes.clear();
      for (const Value& c : val.items()) {
        ValueType t;
        Keyword tk = keywordArg(c, def.ident, ":db/tupleTypes");
        if (!parseValueType(tk.str(), t) || t == ValueType::Tuple)
          schemaError(def.ident, "unknown tuple element type :" + std::string(tk.str()));
        def.tupleTypes.push_back(t);
      }
    } else if (prop == "db/tupleType") {
      Keyword tk = keywordArg(val, def.ident, ":db/tupleType");
      if (!parseValueType(tk.str(), def.tupleType) || def.tupleType == ValueType::Tuple)
        schemaError(def.ident, "unknown :db/tupleType :" + std::string(tk.str()));
      def.hasTupleType = true;
    } else if (prop == "db/ident" || prop == "db/id") {
      // Carried by the caller.
    } else {
      schemaError(def.ident, "unknown property :" + std::string(prop));
    }
  }
  // A tuple definition implies :db.type/tuple (DataScript lets it be omitted).
  if ((def.isComposite() || !def.tupleTypes.empty() || def.hasTupleType) && def.type == ValueType::Any)
    def.type = ValueType::Tuple;
}

const Attribute* Schema::find(Keyword ident) const {
  auto it = byIdent_.find(ident.ptr());
  return it == byIdent_.end() ? nullptr : &attrs_[it->second];
}

const std::vector<AttrId>* Schema::compositesOf(AttrId component) const {
  auto it = composites_.find(component);
  return it == composites_.end() ? nullptr : &it->second;
}

AttrId Schema::addImplicit(Keyword ident) {
  if (const Attribute* existing = find(ident)) return existing->id;
  Attribute a;
  a.id = static_cast<AttrId>(attrs_.size());
  a.ident = ident;
  attrs_.push_back(a);
  byIdent_[ident.ptr()] = a.id;
  return a.id;
}

void Schema::validate(const Attribute& a) const {
  if (a.component && a.type != ValueType::Ref) schemaError(a.ident, ":db/isComponent requires :db.type/ref");
  if (a.type == ValueType::Tuple) {
    int forms = (a.isComposite() ? 1 : 0) + (a.tupleTypes.empty() ? 0 : 1) + (a.hasTupleType ? 1 : 0);
    if (forms != 1)
      schemaError(a.ident, ":db.type/tuple needs exactly one of :db/tupleAttrs, :db/tupleTypes, :db/tupleType");
  } else if (a.isComposite() || !a.tupleTypes.empty() || a.hasTupleType) {
    schemaError(a.ident, "tuple properties require :db.type/tuple");
  }
  if (a.isComposite()) {
    if (a.many) schemaError(a.ident, "composite tuple attributes must have cardinality one");
    for (AttrId c : a.tupleAttrs) {
      const Attribute& ca = attrs_[c];
      if (c == a.id) schemaError(a.ident, "a composite tuple cannot contain itself");
      if (ca.many) schemaError(a.ident, "component :" + std::string(ca.ident.str()) + " of a composite tuple must have cardinality one");
      if (ca.isComposite()) schemaError(a.ident, "composite tuples cannot nest");
    }
  }
}

AttrId Schema::define(Attribute def) {
  AttrId id;
  if (const Attribute* existing = find(def.ident)) {
    if (existing->id <= attr::kLastBuiltin) schemaError(def.ident, "built-in attributes cannot be redefined");
    id = existing->id;
  } else {
    id = static_cast<AttrId>(attrs_.size());
    attrs_.emplace_back();
    byIdent_[def.ident.ptr()] = id;
  }
  def.id = id;
  def.declared = true;
  validate(def);
  attrs_[id] = std::move(def);
  indexComposites();
  return id;
}

void Schema::indexComposites() {
  composites_.clear();
  for (const Attribute& a : attrs_)
    for (AttrId c : a.tupleAttrs) composites_[c].push_back(a.id);
}

Value Schema::definition(const Attribute& a, DefinitionStyle style) const {
  bool dataScript = style == DefinitionStyle::DataScript;
  std::vector<Value> props;
  auto put = [&](const char* k, Value v) {
    props.push_back(Value::keyword(k));
    props.push_back(std::move(v));
  };
  // DataScript rejects value types other than ref and tuple.
  bool typed = dataScript ? (a.type == ValueType::Ref || a.type == ValueType::Tuple) : a.type != ValueType::Any;
  if (typed) put("db/valueType", Value::keyword(valueTypeName(a.type)));
  if (a.many) put("db/cardinality", Value::keyword("db.cardinality/many"));
  if (a.unique == Uniqueness::Identity) put("db/unique", Value::keyword("db.unique/identity"));
  if (a.unique == Uniqueness::Value) put("db/unique", Value::keyword("db.unique/value"));
  if (a.indexed) put("db/index", Value::boolean(true));
  if (a.component) put("db/isComponent", Value::boolean(true));
  if (a.noHistory) put("db/noHistory", Value::boolean(true));
  if (!a.doc.empty()) put("db/doc", Value::string(a.doc));
  if (a.isComposite()) {
    std::vector<Value> cs;
    for (AttrId c : a.tupleAttrs)
      cs.push_back(dataScript ? Value::string(attrs_[c].ident.str()) : Value::keyword(attrs_[c].ident));
    put("db/tupleAttrs", Value::vector(std::move(cs)));
  }
  if (!a.tupleTypes.empty()) {
    std::vector<Value> ts;
    for (ValueType t : a.tupleTypes) ts.push_back(Value::keyword(valueTypeName(t)));
    put("db/tupleTypes", Value::vector(std::move(ts)));
  }
  if (a.hasTupleType) put("db/tupleType", Value::keyword(valueTypeName(a.tupleType)));
  return Value::map(std::move(props));
}

Value Schema::toMap() const {
  std::vector<Value> kv;
  for (const Attribute& a : attrs_) {
    if (a.id <= attr::kLastBuiltin || !a.declared) continue;
    kv.push_back(Value::keyword(a.ident));
    kv.push_back(definition(a));
  }
  return Value::map(std::move(kv));
}

}  // namespace datalite
