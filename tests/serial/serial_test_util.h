// Helpers for the serial tests: a db with every value kind and schema form,
// a printout of everything a round trip must keep, fixtures on disk.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "datalite.h"
#include "serial/serial.h"
#include "test_support.h"

namespace datalite::testing {

inline std::filesystem::path fixturesDir() { return std::filesystem::path(__FILE__).parent_path() / "fixtures"; }
inline std::filesystem::path repoRoot() { return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path(); }

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// "[e :attr v tx]" for each datom of `order`, one per line.
inline std::string datomLines(const Db& db, IndexOrder order) {
  std::string out;
  for (const Datom& d : db.datoms(order))
    out += "[" + std::to_string(d.e) + " :" + std::string(db.attrIdent(d.a).str()) + " " + edn::print(d.v) + " " +
           std::to_string(d.tx) + "]\n";
  return out;
}

// Everything a snapshot keeps: attribute table (ids, definitions, defining
// entity), datoms of every index with their tx, counters, history flag.
inline std::string describe(const Db& db, bool allIndexes = true) {
  std::string out = "schema " + edn::print(db.schema().toMap()) + "\nattrs";
  for (const Attribute& a : db.schema().all()) {
    if (a.id == 0) continue;
    out += " " + std::to_string(a.id) + ":" + std::string(a.ident.str()) + (a.declared ? "" : "(implicit)");
    if (a.entity) out += "@" + std::to_string(a.entity);
  }
  out += "\nmaxEid " + std::to_string(db.maxEid()) + " maxTx " + std::to_string(db.maxTx()) + " count " +
         std::to_string(db.count()) + " keepHistory " + (db.keepHistory() ? "true" : "false") + "\n";
  for (int i = 0; i < (allIndexes ? kIndexCount : 1); ++i) {
    IndexOrder o = static_cast<IndexOrder>(i);
    out += std::string(indexOrderName(o)) + "\n" + datomLines(db, o);
  }
  return out;
}

constexpr const char* kRichSchema = R"({
  :person/name    {:db/valueType :db.type/string :db/index true}
  :person/email   {:db/valueType :db.type/string :db/unique :db.unique/identity}
  :person/age     {:db/valueType :db.type/long}
  :person/friends {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  :person/address {:db/valueType :db.type/ref :db/isComponent true}
  :person/tags    {:db/cardinality :db.cardinality/many}
  :v/double {:db/valueType :db.type/double}
  :v/float  {:db/valueType :db.type/float}
  :v/bigint {:db/valueType :db.type/bigint}
  :v/bool   {:db/valueType :db.type/boolean}
  :v/kw     {:db/valueType :db.type/keyword}
  :v/sym    {:db/valueType :db.type/symbol}
  :v/uuid   {:db/valueType :db.type/uuid}
  :v/inst   {:db/valueType :db.type/instant}
  :v/bytes  {:db/valueType :db.type/bytes}
  :v/pair   {:db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/string]}
  :v/coords {:db/valueType :db.type/tuple :db/tupleType :db.type/double}
  :v/doc    {:db/doc "documented \"attribute\"" :db/noHistory true}
  :v/code   {:db/unique :db.unique/value}
  :mixed    {:db/cardinality :db.cardinality/many :db/index true}
  :a {}
  :b {}
  :a+b      {:db/valueType :db.type/tuple :db/tupleAttrs [:a :b]}
})";

// A db with every value kind, both schema forms (map and :db/ident
// entities), implicit attributes interleaved with declared ones, composite
// tuples, and retractions (so its history differs from its current state).
inline Db richDb(bool keepHistory = true) {
  DbOptions options;
  options.keepHistory = keepHistory;
  Db db = Db::empty(read(kRichSchema), options);
  TxOptions at;
  at.txInstantMs = 1'700'000'000'000;
  // An implicit attribute gets an id before the ident-defined ones.
  db = db.with(tx(R"([{:db/id 100 :zz/implicit "first"}])"), at);
  db = db.with(tx(R"([{:db/ident :ident/color :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many
                       :db/doc "colors"}
                      {:db/ident :ident/score :db/valueType :db.type/double :db/index true}
                      {:db/ident :color/red}
                      {:db/ident :color/blue}])"),
               at);
  db = db.with(tx(R"([
    {:db/id "ivan" :person/name "Ivan" :person/email "ivan@x.org" :person/age 15
     :person/friends ["petr" "oleg"] :person/address {:city "Moscow"} :person/tags ["a" "b" :c 3]
     :ident/color [:color/red :color/blue] :ident/score 1.5}
    {:db/id "petr" :person/name "Petr" :person/email "petr@x.org" :person/age 37 :person/friends "ivan"}
    {:db/id "oleg" :person/name "Oleg" :person/age 37 :a 1 :b "x"}
    {:db/id "vals" :v/double 2.0 :v/float 1.1 :v/bigint 12345678901234N :v/bool false :v/kw :some/kw
     :v/sym foo/bar :v/uuid #uuid "550e8400-e29b-41d4-a716-446655440000"
     :v/inst #inst "2020-01-02T03:04:05.678-00:00" :v/bytes #datalite/bytes "AAEC/w=="
     :v/pair [7 "seven"] :v/coords [1.5 -2.25] :v/doc "doc'd" :v/code "C-1"
     :any/long 9007199254740993 :any/neg -42 :any/nan ##NaN :any/inf ##-Inf :any/char \λ
     :any/tuple [1 "a" nil] :any/bytes #datalite/bytes "3q2+7w==" :any/whole 3.0
     :any/str "nul \u0000 tab \t quote \" emoji 😀 private \uE000 end"}
    {:db/id "m1" :mixed [true "s" 1 2.5 :kw #inst "2001-01-01T00:00:00.000-00:00" [1 2] foo \c "😀" "\uE000"
                         #uuid "00000000-0000-0000-0000-000000000001" "Z" "a"]}
    {:db/id "m2" :mixed [false "t" -1 [1 "a"] [0 0 0] :a/b sym/x \d]}
    {:db/id "m3" :a 2 :b "y"}])"),
               at);
  // Updates and retractions: history now differs from the current state.
  db = db.with(tx(R"([[:db/add [:person/email "ivan@x.org"] :person/age 16]
                      [:db/retract [:person/email "ivan@x.org"] :person/tags "b"]
                      [:db/add [:person/email "petr@x.org"] :ident/color :color/red]])"),
               at);
  db = db.with(tx(R"([[:db/retractEntity [:person/email "petr@x.org"]]])"), at);
  return db;
}

// Queries whose results must not change across a round trip.
inline std::vector<std::string> richQueries() {
  return {
      "[:find ?e ?n :where [?e :person/name ?n]]",
      "[:find ?e ?f :where [?e :person/friends ?f]]",
      "[:find ?a . :where [?e :person/email \"ivan@x.org\"] [?e :person/age ?a]]",
      "[:find [?c ...] :where [?e :ident/color ?c]]",
      "[:find ?e :where [?e :ident/color :color/red]]",
      "[:find ?e :where [?e :a+b [2 \"y\"]]]",
      "[:find ?e ?t :where [?e :a+b ?t]]",
      "[:find (count ?e) . :where [?e :person/name]]",
      "[:find ?e :where [?e :person/age ?a] [(> ?a 15)]]",
      "[:find ?v :where [?e :mixed ?v]]",
      "[:find ?a ?v :where [?e ?a ?v] [(= ?e 4)]]",
      "[:find ?x ?y :where [?e :v/pair ?x] [?e :v/coords ?y]]",
      "[:find ?c . :where [?e :person/name \"Ivan\"] [?e :person/address ?a] [?a :city ?c]]",
      "[:find ?s . :where [?e :ident/score ?s]]",
  };
}

inline std::string runQuery(const Db& db, const std::string& q) {
  query::QueryArg args[] = {query::QueryArg::database(db)};
  Value r = query::q(read(q), args);
  // Relations are sets: compare them sorted.
  if (r.isSet()) {
    std::vector<Value> items = r.items();
    std::sort(items.begin(), items.end());
    return edn::print(Value::vector(std::move(items)));
  }
  if (r.isVector()) {
    std::vector<Value> items = r.items();
    std::sort(items.begin(), items.end());
    return edn::print(Value::vector(std::move(items)));
  }
  return edn::print(r);
}

// A larger db: `n` entities of 5 datoms (~5n datoms) in a few transactions.
inline Db bigDb(int n) {
  Db db = Db::empty(read(R"({:p/friend {:db/valueType :db.type/ref}
                              :p/email {:db/unique :db.unique/identity}
                              :p/tags {:db/cardinality :db.cardinality/many}})"));
  TxOptions at;
  at.txInstantMs = 1'600'000'000'000;
  const int perTx = 10'000;
  for (int start = 0; start < n; start += perTx) {
    std::vector<Value> txData;
    for (int i = start; i < std::min(n, start + perTx); ++i) {
      std::vector<Value> m = {Value::keyword("db/id"), Value::integer(i + 1),
                              Value::keyword("p/name"), Value::string("person " + std::to_string(i)),
                              Value::keyword("p/email"), Value::string("p" + std::to_string(i) + "@x.org"),
                              Value::keyword("p/age"), Value::integer(i % 90),
                              Value::keyword("p/score"), Value::real(i * 0.25),
                              Value::keyword("p/tags"), Value::vector({Value::keyword("t/tag" + std::to_string(i % 7))})};
      if (i > 0) {
        m.push_back(Value::keyword("p/friend"));
        m.push_back(Value::integer(i));
      }
      txData.push_back(Value::map(std::move(m)));
    }
    db = db.with(txData, at);
  }
  return db;
}

}  // namespace datalite::testing
