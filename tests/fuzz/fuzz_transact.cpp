// Transaction processing: the input drives a generator of a random schema
// and a few random transactions (adds, retracts, entity maps, nested maps,
// lookup refs, tempids, CAS, retractEntity, tuples) against it. A tx either
// commits, leaving consistent indexes, or fails with DataliteError.
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_support.h"

using namespace datalite;

namespace {

constexpr int kAttrs = 6;
const char* const kAttrNames[kAttrs] = {"a0", "a1", "a2", "a3", "a4", "a5"};

Value attrKeyword(FuzzedDataProvider& in) {
  // Mostly the schema's attributes, sometimes unknown or reserved ones.
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 8: return Value::keyword("db/ident");
    case 9: return Value::keyword("zz/unknown");
    default: return Value::keyword(kAttrNames[in.ConsumeIntegralInRange<int>(0, kAttrs - 1)]);
  }
}

Value schemaMap(FuzzedDataProvider& in) {
  static const char* const types[] = {"db.type/ref", "db.type/string", "db.type/long", "db.type/double",
                                      "db.type/boolean", "db.type/instant", "db.type/keyword",
                                      "db.type/uuid", "db.type/tuple", "db.type/bogus"};
  std::vector<Value> entries;
  for (int i = 0; i < kAttrs; ++i) {
    if (!in.ConsumeBool()) continue;
    std::vector<Value> props;
    auto prop = [&](const char* key, Value v) {
      props.push_back(Value::keyword(key));
      props.push_back(std::move(v));
    };
    if (in.ConsumeBool()) prop("db/valueType", Value::keyword(types[in.ConsumeIntegralInRange<int>(0, 9)]));
    if (in.ConsumeBool()) prop("db/cardinality", Value::keyword(in.ConsumeBool() ? "db.cardinality/many" : "db.cardinality/one"));
    if (in.ConsumeBool()) prop("db/unique", Value::keyword(in.ConsumeBool() ? "db.unique/identity" : "db.unique/value"));
    if (in.ConsumeBool()) prop("db/isComponent", Value::boolean(in.ConsumeBool()));
    if (in.ConsumeBool()) prop("db/index", Value::boolean(true));
    if (in.ConsumeBool()) {
      std::vector<Value> tupleAttrs;
      int n = in.ConsumeIntegralInRange<int>(0, 3);
      for (int k = 0; k < n; ++k) tupleAttrs.push_back(Value::keyword(kAttrNames[in.ConsumeIntegralInRange<int>(0, kAttrs - 1)]));
      prop("db/tupleAttrs", Value::vector(std::move(tupleAttrs)));
    }
    if (in.ConsumeBool()) prop("db/tupleTypes", Value::vector({Value::keyword("db.type/long"), Value::keyword("db.type/string")}));
    entries.push_back(Value::keyword(kAttrNames[i]));
    entries.push_back(Value::map(std::move(props)));
  }
  return Value::map(std::move(entries));
}

Value scalar(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 11)) {
    case 0: return Value::integer(in.ConsumeIntegralInRange<int64_t>(-3, 20));
    case 1: return Value::integer(in.ConsumeIntegral<int64_t>());
    case 2: return Value::string(in.ConsumeRandomLengthString(12));
    case 3: return Value::real(in.ConsumeFloatingPoint<double>());
    case 4: return Value::real(in.ConsumeBool() ? std::numeric_limits<double>::quiet_NaN()
                                                : std::numeric_limits<double>::infinity());
    case 5: return Value::boolean(in.ConsumeBool());
    case 6: return Value::keyword(kAttrNames[in.ConsumeIntegralInRange<int>(0, kAttrs - 1)]);
    case 7: return Value::instant(in.ConsumeIntegral<int64_t>());
    case 8: return Value::nil();
    case 9: return Value::string(std::to_string(in.ConsumeIntegralInRange<int>(0, 4)));  // tempid-like
    case 10: return Value::vector({Value::integer(in.ConsumeIntegralInRange<int>(0, 5)), Value::string("x")});
    default: return Value::bigint(in.ConsumeIntegral<int64_t>());
  }
}

Value entityRef(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return Value::integer(in.ConsumeIntegralInRange<int64_t>(1, 12));
    case 1: return Value::integer(-in.ConsumeIntegralInRange<int64_t>(1, 4));
    case 2: return Value::string("t" + std::to_string(in.ConsumeIntegralInRange<int>(0, 3)));
    case 3: return Value::vector({attrKeyword(in), scalar(in)});  // lookup ref
    case 4: return Value::keyword("db/current-tx");
    default: return scalar(in);
  }
}

Value entityMap(FuzzedDataProvider& in, int depth) {
  std::vector<Value> kv;
  if (in.ConsumeBool()) {
    kv.push_back(Value::keyword("db/id"));
    kv.push_back(entityRef(in));
  }
  int n = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < n; ++i) {
    kv.push_back(attrKeyword(in));
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0:
        if (depth < 3) {
          kv.push_back(entityMap(in, depth + 1));  // nested (component or ref) map
          break;
        }
        [[fallthrough]];
      case 1: kv.push_back(Value::vector({scalar(in), scalar(in)})); break;  // many values
      case 2: kv.push_back(entityRef(in)); break;
      default: kv.push_back(scalar(in));
    }
  }
  return Value::map(std::move(kv));
}

Value txOp(FuzzedDataProvider& in) {
  auto op = [&](const char* name, std::vector<Value> rest) {
    rest.insert(rest.begin(), Value::keyword(name));
    return Value::vector(std::move(rest));
  };
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: case 1: return op("db/add", {entityRef(in), attrKeyword(in), scalar(in)});
    case 2: return op("db/retract", {entityRef(in), attrKeyword(in), scalar(in)});
    case 3: return op("db/retract", {entityRef(in), attrKeyword(in)});
    case 4: return op("db/retractEntity", {entityRef(in)});
    case 5: return op("db/cas", {entityRef(in), attrKeyword(in), scalar(in), scalar(in)});
    case 6: return op(in.ConsumeBool() ? "db.fn/retractAttribute" : "db/bogus", {entityRef(in), attrKeyword(in)});
    default: return entityMap(in, 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Db db;
  try {
    db = Db::empty(schemaMap(in));
  } catch (const DataliteError&) {
    return 0;
  }
  int txs = in.ConsumeIntegralInRange<int>(1, 4);
  for (int t = 0; t < txs && in.remaining_bytes() > 0; ++t) {
    std::vector<Value> txData;
    int ops = in.ConsumeIntegralInRange<int>(0, 8);
    for (int i = 0; i < ops; ++i) txData.push_back(txOp(in));
    TxOptions options;
    options.txInstantMs = 1'700'000'000'000 + t;
    try {
      TxReport report = db.transact(txData, options);
      db = report.dbAfter;
    } catch (const DataliteError&) {
      continue;  // the db value is immutable: nothing to roll back
    }
    fuzz::checkDbInvariants(db);
  }
  // The history views read the temporal indexes the txs wrote.
  fuzz::expectSuccessOrError([&] {
    db.history().datoms(IndexOrder::EAVT);
    db.asOf(db.maxTx() - 1).datoms(IndexOrder::AEVT);
  });
  return 0;
}
