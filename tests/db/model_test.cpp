// Randomized model test: small random transactions checked against a
// std::set model of the current datoms in every index, plus asOf views of
// earlier transactions against saved model snapshots.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <tuple>

#include "datalite.h"
#include "db_test_util.h"

using namespace datalite;
using namespace datalite::testing;

namespace {

const char* kSchema = R"({:m/one   {:db/valueType :db.type/long}
  :m/many  {:db/valueType :db.type/long :db/cardinality :db.cardinality/many}
  :m/ref   {:db/valueType :db.type/ref}
  :m/refs  {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}})";

constexpr int kEntities = 50;

using MDatom = std::tuple<int64_t, AttrId, int64_t>;  // e a v
using Model = std::set<MDatom>;

struct Attrs {
  AttrId one, many, ref, refs;
  bool isRef(AttrId a) const { return a == ref || a == refs; }
  bool isMany(AttrId a) const { return a == many || a == refs; }
};

std::vector<std::tuple<int64_t, int64_t, int64_t>> project(const Model& m, IndexOrder o, const Attrs& at) {
  std::vector<std::tuple<int64_t, int64_t, int64_t>> out;
  for (auto [e, a, v] : m) {
    switch (o) {
      case IndexOrder::EAVT: out.emplace_back(e, a, v); break;
      case IndexOrder::AEVT: out.emplace_back(a, e, v); break;
      case IndexOrder::AVET: out.emplace_back(a, v, e); break;
      case IndexOrder::VAET:
        if (at.isRef(a)) out.emplace_back(v, a, e);
        break;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::tuple<int64_t, int64_t, int64_t>> fromDb(const Db& db, IndexOrder o) {
  std::vector<std::tuple<int64_t, int64_t, int64_t>> out;
  for (const Datom& d : db.datoms(o)) {
    if (d.e >= kTx0) continue;  // txInstant
    int64_t v = d.v.asLong();
    switch (o) {
      case IndexOrder::EAVT: out.emplace_back(d.e, d.a, v); break;
      case IndexOrder::AEVT: out.emplace_back(d.a, d.e, v); break;
      case IndexOrder::AVET: out.emplace_back(d.a, v, d.e); break;
      case IndexOrder::VAET: out.emplace_back(v, d.a, d.e); break;
    }
  }
  return out;  // in index order, which must already be sorted
}

void checkAgainst(const Db& db, const Model& m, const Attrs& at) {
  for (int i = 0; i < kIndexCount; ++i) {
    IndexOrder o = static_cast<IndexOrder>(i);
    INFO("index " << indexOrderName(o));
    REQUIRE(fromDb(db, o) == project(m, o, at));
  }
}

void retractWhere(Model& m, auto pred) {
  for (auto it = m.begin(); it != m.end();) it = pred(*it) ? m.erase(it) : std::next(it);
}

}  // namespace

TEST_CASE("model: random transactions match a set model in every index", "[db][model]") {
  for (uint32_t seed : {1u, 7u, 42u}) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    Db db = Db::empty(read(kSchema));
    Attrs at{db.attribute(Keyword::intern("m/one"))->id, db.attribute(Keyword::intern("m/many"))->id,
             db.attribute(Keyword::intern("m/ref"))->id, db.attribute(Keyword::intern("m/refs"))->id};
    const AttrId attrIds[] = {at.one, at.many, at.ref, at.refs};
    const char* attrNames[] = {":m/one", ":m/many", ":m/ref", ":m/refs"};
    Model model;
    std::vector<Model> snapshots{model};
    std::vector<Db> dbs{db};
    std::vector<int64_t> txs{kTx0};

    for (int step = 0; step < 150; ++step) {
      Model next = model;
      std::string txEdn = "[";
      int nOps = pick(1, 4);
      bool poison = pick(0, 19) == 0;  // a tx that must fail and change nothing
      for (int k = 0; k < nOps; ++k) {
        int64_t e = pick(1, kEntities);
        int ai = pick(0, 3);
        AttrId a = attrIds[ai];
        int64_t v = at.isRef(a) ? pick(1, kEntities) : pick(0, 9);
        int kind = pick(0, 9);
        if (kind < 5) {  // add
          txEdn += "[:db/add " + std::to_string(e) + " " + attrNames[ai] + " " + std::to_string(v) + "]";
          if (!at.isMany(a)) retractWhere(next, [&](const MDatom& d) { return std::get<0>(d) == e && std::get<1>(d) == a; });
          next.insert({e, a, v});
        } else if (kind < 7) {  // retract one value: an existing one when there is one
          auto it = next.lower_bound({e, a, 0});
          if (it != next.end() && std::get<0>(*it) == e && std::get<1>(*it) == a && pick(0, 3)) v = std::get<2>(*it);
          txEdn += "[:db/retract " + std::to_string(e) + " " + attrNames[ai] + " " + std::to_string(v) + "]";
          next.erase({e, a, v});
        } else if (kind < 8) {  // retract the attribute
          txEdn += "[:db/retract " + std::to_string(e) + " " + attrNames[ai] + "]";
          retractWhere(next, [&](const MDatom& d) { return std::get<0>(d) == e && std::get<1>(d) == a; });
        } else if (kind < 9) {  // retractEntity: its datoms and refs to it
          txEdn += "[:db/retractEntity " + std::to_string(e) + "]";
          retractWhere(next, [&](const MDatom& d) {
            return std::get<0>(d) == e || (at.isRef(std::get<1>(d)) && std::get<2>(d) == e);
          });
        } else {  // an entity map
          txEdn += "{:db/id " + std::to_string(e) + " :m/one " + std::to_string(v % 10) + " :m/refs [" +
                   std::to_string(pick(1, kEntities)) + "]}";
          retractWhere(next, [&](const MDatom& d) { return std::get<0>(d) == e && std::get<1>(d) == at.one; });
          next.insert({e, at.one, v % 10});
          auto r = std::stoll(txEdn.substr(txEdn.rfind('[') + 1));
          next.insert({e, at.refs, r});
        }
      }
      if (poison) txEdn += "[:db/add 1 :m/one \"not a long\"]";
      txEdn += "]";
      INFO("step " << step << " tx " << txEdn);
      if (poison) {
        std::string before = snapshot(db);
        CHECK(catchError([&] { db.transact(tx(txEdn)); }).code == "type-mismatch");
        CHECK(snapshot(db) == before);
        continue;
      }
      TxReport r = db.transact(tx(txEdn));
      // The report is exactly the difference between the models.
      Model added, removed;
      std::set_difference(next.begin(), next.end(), model.begin(), model.end(), std::inserter(added, added.end()));
      std::set_difference(model.begin(), model.end(), next.begin(), next.end(), std::inserter(removed, removed.end()));
      Model repAdded, repRemoved;
      for (const Datom& d : r.txData) {
        if (d.e >= kTx0) continue;
        (d.added ? repAdded : repRemoved).insert({d.e, d.a, d.v.asLong()});
      }
      CHECK(repAdded == added);
      CHECK(repRemoved == removed);
      db = r.dbAfter;
      model = std::move(next);
      checkAgainst(db, model, at);
      CHECK(db.count() == model.size() + dbs.size());  // plus one txInstant per tx
      dbs.push_back(db);
      snapshots.push_back(model);
      txs.push_back(r.tx);
    }
    // Every earlier tx through asOf views of the last db, and the kept values.
    for (size_t i = 0; i < txs.size(); ++i) {
      INFO("asOf tx #" << i);
      checkAgainst(db.asOf(txs[i]), snapshots[i], at);
      checkAgainst(dbs[i], snapshots[i], at);
    }
    // since(tx) holds exactly the current datoms asserted after tx.
    size_t mid = txs.size() / 2;
    Model sinceModel;
    for (const Datom& d : db.datoms(IndexOrder::EAVT))
      if (d.e < kTx0 && d.tx > txs[mid]) sinceModel.insert({d.e, d.a, d.v.asLong()});
    checkAgainst(db.since(txs[mid]), sinceModel, at);
  }
}
