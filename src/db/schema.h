// Schema: what each attribute is. Attributes get small dense ids (AttrId) per
// database lineage; index keys store the id, the schema maps it back to the
// keyword. Built from a DataScript-style schema map and/or from :db/ident
// entities transacted as data (Datomic/Datahike style).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/value.h"

namespace datalite {

using AttrId = uint32_t;

enum class ValueType : uint8_t {
  Any,  // no declared type: any storable scalar (DataScript style)
  String, Long, Double, Float, BigInt, Boolean, Keyword, Symbol, Uuid, Instant, Ref, Bytes, Tuple,
};
std::string_view valueTypeName(ValueType t);  // "db.type/string"; "" for Any
bool parseValueType(std::string_view keywordText, ValueType& out);

enum class Uniqueness : uint8_t { None, Identity, Value };

struct Attribute {
  AttrId id = 0;
  Keyword ident;
  ValueType type = ValueType::Any;
  bool many = false;
  Uniqueness unique = Uniqueness::None;
  bool indexed = false;
  bool component = false;
  bool noHistory = false;
  std::vector<AttrId> tupleAttrs;       // composite tuple: its component attributes
  std::vector<ValueType> tupleTypes;    // heterogeneous typed tuple
  ValueType tupleType = ValueType::Any; // homogeneous typed tuple (when tupleTypes empty)
  bool hasTupleType = false;
  std::string doc;
  int64_t entity = 0;  // the :db/ident entity defining it; 0 for map schema / implicit
  bool declared = false;  // false for attributes only ever used schemaless

  bool isRef() const { return type == ValueType::Ref; }
  bool isComposite() const { return !tupleAttrs.empty(); }
  bool isUnique() const { return unique != Uniqueness::None; }
};

// Attribute ids of the built-in attributes, fixed in every database.
namespace attr {
constexpr AttrId kIdent = 1;
constexpr AttrId kValueType = 2;
constexpr AttrId kCardinality = 3;
constexpr AttrId kUnique = 4;
constexpr AttrId kIndex = 5;
constexpr AttrId kIsComponent = 6;
constexpr AttrId kDoc = 7;
constexpr AttrId kNoHistory = 8;
constexpr AttrId kTupleAttrs = 9;
constexpr AttrId kTupleTypes = 10;
constexpr AttrId kTupleType = 11;
constexpr AttrId kTxInstant = 12;
constexpr AttrId kLastBuiltin = 12;
}  // namespace attr

// True for the built-in attributes that describe schema (:db/valueType ...).
inline bool isSchemaAttr(AttrId a) { return a >= attr::kIdent && a <= attr::kTupleType; }

class Schema {
 public:
  // The built-in attributes only.
  static std::shared_ptr<const Schema> bootstrap();
  // Bootstrap plus a DataScript-style map {:attr {:db/valueType ... }}.
  // Throws schema-violation naming the attribute on invalid definitions.
  static std::shared_ptr<const Schema> fromMap(const Value& schemaMap);

  const Attribute* find(Keyword ident) const;
  const Attribute& get(AttrId id) const { return attrs_[id]; }
  bool has(AttrId id) const { return id > 0 && id < attrs_.size(); }
  size_t size() const { return attrs_.size() - 1; }  // id 0 is unused
  const std::vector<Attribute>& all() const { return attrs_; }
  // Composite tuple attributes that have `component` among their tupleAttrs.
  const std::vector<AttrId>* compositesOf(AttrId component) const;

  // --- building (on a private copy) ---
  // Adds an undeclared attribute (schemaless use) and returns its id.
  AttrId addImplicit(Keyword ident);
  // Declares or redeclares an attribute; validates the definition.
  AttrId define(Attribute def);
  // The DataScript-style map form of the declared attributes.
  Value toMap() const;
  // One attribute's definition map. DataScript style (for DataScript's own
  // `serializable`): value types other than ref/tuple left out (DataScript
  // rejects them) and tuple attributes named by strings.
  enum class DefinitionStyle { Datalite, DataScript };
  Value definition(const Attribute& a, DefinitionStyle style = DefinitionStyle::Datalite) const;

 private:
  void validate(const Attribute& a) const;
  void indexComposites();

  std::vector<Attribute> attrs_{1};  // index = AttrId
  std::unordered_map<const Interned*, AttrId> byIdent_;
  std::unordered_map<AttrId, std::vector<AttrId>> composites_;
};

// Parses one attribute definition map ({:db/valueType :db.type/ref ...}) into
// `def` (ident set by the caller). Throws schema-violation.
void parseAttributeDefinition(const Value& defMap, Schema& schema, Attribute& def);

}  // namespace datalite
