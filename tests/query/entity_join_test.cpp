// Entity lookup joins: several patterns on one bound entity variable
// ([?e :name "Ivan"] [?e :age ?a] [?e :sex :male]) are joined in one pass.
// Checked against an evaluator that reads each entity's datoms directly, on
// databases large enough for the planner to choose lookups.
#include "query_test_util.h"

#include <map>
#include <random>
#include <set>

using namespace datalite;
using namespace datalite::qtest;

namespace {

// :k (one, 0..9, the selective first clause), :a (many ints), :c (one int),
// :d (many strings), :r (many refs); some entities lack some attributes.
Db starDb(std::mt19937& rng, int n) {
  Db db = Db::empty(read(R"({:a {:db/cardinality :db.cardinality/many}
                              :d {:db/cardinality :db.cardinality/many}
                              :r {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}})"));
  std::vector<Value> data;
  std::uniform_int_distribution<int> ent(1, n), small(0, 3), k(0, 9), coin(0, 3);
  auto add = [&](int e, const char* a, Value v) {
    data.push_back(Value::vector({Value::keyword("db/add"), Value::integer(e), Value::keyword(a), std::move(v)}));
  };
  for (int e = 1; e <= n; ++e) {
    if (coin(rng)) add(e, "k", Value::integer(k(rng)));
    for (int i = coin(rng); i > 0; --i) add(e, "a", Value::integer(small(rng)));
    if (coin(rng)) add(e, "c", Value::integer(small(rng)));
    for (int i = coin(rng) % 3; i > 0; --i) add(e, "d", Value::string("s" + std::to_string(small(rng))));
    for (int i = coin(rng) % 3; i > 0; --i) add(e, "r", Value::integer(ent(rng)));
  }
  return db.with(data);
}

struct Part {
  std::string attr;  // without the colon
  std::string term;  // "?x", "_" or a constant's EDN
};

bool isVar(const std::string& t) { return t.size() > 1 && t[0] == '?'; }

// Rows of [?e + the parts' variables] by reading each entity's datoms.
std::set<std::vector<std::string>> expected(const Db& db, const std::vector<Part>& parts,
                                            const std::vector<std::string>& find) {
  std::set<std::vector<std::string>> out;
  std::set<int64_t> entities;
  for (const Datom& d : db.datoms(IndexOrder::EAVT)) entities.insert(d.e);
  for (int64_t e : entities) {
    // Per part, the variable bindings each matching datom gives.
    std::vector<std::vector<std::map<std::string, std::string>>> options;
    for (const Part& p : parts) {
      std::vector<std::map<std::string, std::string>> opts;
      for (const Datom& d : db.datoms(IndexOrder::EAVT, std::vector<Value>{Value::integer(e), Value::keyword(p.attr)})) {
        std::string v = edn::print(d.v);
        if (isVar(p.term)) opts.push_back({{p.term, v}});
        else if (p.term == "_" || p.term == v) opts.push_back({});
      }
      options.push_back(std::move(opts));
    }
    std::function<void(size_t, std::map<std::string, std::string>&)> rec = [&](size_t i, auto& env) {
      if (i == options.size()) {
        std::vector<std::string> row;
        for (const std::string& f : find) row.push_back(f == "?e" ? std::to_string(e) : env.at(f));
        out.insert(row);
        return;
      }
      for (const auto& o : options[i]) {
        auto next = env;
        next.insert(o.begin(), o.end());
        rec(i + 1, next);
      }
    };
    std::map<std::string, std::string> env;
    rec(0, env);
  }
  return out;
}

std::set<std::vector<std::string>> actual(const Value& result) {
  std::set<std::vector<std::string>> out;
  for (const Value& row : result.items()) {
    std::vector<std::string> r;
    for (const Value& v : row.items()) r.push_back(edn::print(v));
    out.insert(r);
  }
  return out;
}

}  // namespace

TEST_CASE("entity joins: star queries agree with reading each entity", "[query][entity-join]") {
  std::mt19937 rng(2024);
  const char* attrs[] = {"a", "c", "d", "r"};
  int fused = 0, nonEmpty = 0;
  for (int round = 0; round < 120; ++round) {
    Db db = starDb(rng, 300);
    std::uniform_int_distribution<int> nparts(1, 3), pick(0, 9), small(0, 3), k(0, 9);
    std::vector<Part> parts;
    // A selective first clause (a constant :k), or occasionally a wide one.
    parts.push_back({"k", pick(rng) < 8 ? std::to_string(k(rng)) : "?k"});
    std::set<std::string> usedAttrs;
    for (int i = nparts(rng); i > 0; --i) {
      std::string a = attrs[pick(rng) % 4];
      if (!usedAttrs.insert(a).second) continue;
      int r = pick(rng);
      std::string term = r < 6 ? "?v" + a : r < 7 ? "_" : a == "d" ? "\"s" + std::to_string(small(rng)) + "\"" : std::to_string(small(rng));
      parts.push_back({a, term});
    }
    std::vector<std::string> find = {"?e"};
    for (const Part& p : parts)
      if (isVar(p.term)) find.push_back(p.term);
    std::string text = "[:find";
    for (const auto& f : find) text += " " + f;
    text += " :where";
    for (const Part& p : parts) text += " [?e :" + p.attr + " " + p.term + "]";
    text += "]";
    INFO(text);
    auto want = expected(db, parts, find);
    CHECK(actual(Q(text, {D(db)})) == want);
    if (!want.empty()) ++nonEmpty;
    Value plan = query::explain(read(text), std::vector<QueryArg>{D(db)});
    if (edn::print(plan).find("per-entity") != std::string::npos && parts.size() > 2) ++fused;
  }
  CHECK(nonEmpty > 60);
  CHECK(fused > 20);  // the multi-part join did run
}

TEST_CASE("entity joins: the parts of one pass", "[query][entity-join]") {
  // 200 entities so lookups beat scans; entity 7 has two :a values and two
  // :d values, entity 8 lacks :c.
  std::string data = "[";
  for (int e = 1; e <= 200; ++e)
    data += "{:db/id " + std::to_string(e) + " :k " + std::to_string(e % 50) + " :c " + std::to_string(e) + " :a 1}";
  data += "[:db/add 7 :a 2] [:db/add 7 :d \"x\"] [:db/add 7 :d \"y\"] [:db/retract 8 :c 8]]";
  Db db = Db::empty(read("{:a {:db/cardinality :db.cardinality/many} :d {:db/cardinality :db.cardinality/many}}"))
              .with(tx(data));
  // Cross product of two many-valued parts.
  CHECK(S("[:find ?e ?a ?d :where [?e :k 7] [?e :a ?a] [?e :d ?d]]", db) ==
        R"([[7 1 "x"] [7 1 "y"] [7 2 "x"] [7 2 "y"]])");
  // A missing attribute drops the entity; a filter part keeps rows once.
  CHECK(S("[:find ?e ?c :where [?e :k 8] [?e :c ?c] [?e :a 1]]", db) == "[[58 58] [108 108] [158 158]]");
  CHECK(S("[:find ?e :where [?e :k 7] [?e :a _] [?e :a 2]]", db) == "[[7]]");
  // Transaction and added positions.
  CHECK(S("[:find ?e ?t :where [?e :k 7] [?e :c 7 ?t]]", db) ==
        S("[:find ?e ?t :where [?e :c 7 ?t]]", db));
  CHECK(S("[:find (count ?e) . :where [?e :k 7] [?e :c _ _ true]]", db) == "4");
  // The same variable in two parts is a join condition, not a second column.
  CHECK(S("[:find ?e :where [?e :k 1] [?e :c ?x] [?e :a ?x]]", db) == "[[1]]");
  // Columns follow :find whatever order the parts run in.
  CHECK(S("[:find ?a ?c ?e :where [?e :k 7] [?e :c ?c] [?e :a ?a]]", db) ==
        "[[1 7 7] [1 57 57] [1 107 107] [1 157 157] [2 7 7]]");
}
