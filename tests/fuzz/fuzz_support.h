// Shared pieces of the libFuzzer harnesses (tests/fuzz/README.md).
//
// A harness passes when the engine either succeeds or throws DataliteError.
// Anything else — a crash, a sanitizer report, another exception type, a
// broken invariant checked after success — is a finding.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/error.h"
#include "db/db.h"
#include "edn/edn.h"

namespace datalite::fuzz {

inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs f; a DataliteError is an accepted outcome.
template <class F>
void expectSuccessOrError(F&& f) {
  try {
    f();
  } catch (const DataliteError&) {
  }
}

// A broken invariant: report and abort so libFuzzer saves the input.
[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}

// The fuzzers' own limits: small enough that a slow input shows as slow
// within libFuzzer's per-input timeout rather than as a memory blow-up.
inline edn::ReadLimits fuzzReadLimits() {
  edn::ReadLimits limits;
  limits.maxInputBytes = 1u << 20;
  limits.maxItems = 200'000;
  return limits;
}

// Every index of a db agrees: the B-tree invariants hold and the current
// indexes hold the same number of datoms.
inline void checkDbInvariants(const Db& db) {
  try {
    for (auto order : {IndexOrder::EAVT, IndexOrder::AEVT, IndexOrder::AVET, IndexOrder::VAET}) {
      db.currentTree(order).checkInvariants();
      db.temporalTree(order).checkInvariants();
    }
  } catch (const std::logic_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    violated("B-tree invariants");
  }
  if (db.currentTree(IndexOrder::EAVT).size() != db.currentTree(IndexOrder::AEVT).size())
    violated("EAVT and AEVT hold different datom counts");
}

// Same datoms in the same order (attribute ids compared by ident: two dbs
// may number attributes differently).
inline bool sameDatoms(const Db& a, const Db& b) {
  std::vector<Datom> x = a.datoms(IndexOrder::EAVT), y = b.datoms(IndexOrder::EAVT);
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].e != y[i].e || x[i].tx != y[i].tx || x[i].added != y[i].added) return false;
    if (a.schema().get(x[i].a).ident != b.schema().get(y[i].a).ident) return false;
    if (!(x[i].v == y[i].v) && !(x[i].v.kind() == Kind::Double && y[i].v.kind() == Kind::Double)) return false;  // NaN != NaN
  }
  return true;
}

// A small people/friends database the query and pull harnesses read.
inline const Db& sampleDb() {
  static const Db db = [] {
    Value schema = edn::readOne(R"({:name {:db/unique :db.unique/identity}
      :friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
      :parent {:db/valueType :db.type/ref :db/isComponent true}
      :tags {:db/cardinality :db.cardinality/many}
      :age {:db/index true}
      :pair {:db/tupleAttrs [:name :age]}})");
    Db d = Db::empty(schema);
    return d.with(edn::readOne(R"([
      {:db/id -1 :name "Ivan" :age 15 :friend [-2 -3] :tags ["a" "b"]}
      {:db/id -2 :name "Petr" :age 37 :friend -3 :parent -4}
      {:db/id -3 :name "Oleg" :age 37 :tags "c" :salary 1200.5}
      {:db/id -4 :name "Anna" :age 61 :born #inst "1965-01-01" :id #uuid "5c1a7e10-0c1e-4a5b-9c1e-0123456789ab"}
      {:db/id -5 :name "Lone" :age -3 :weight 1.5e300}])").items());
  }();
  return db;
}

}  // namespace datalite::fuzz
