// Property tests: results do not depend on clause order, and the engine
// agrees with a naive nested-loop evaluator on random conjunctive queries.
#include "query_test_util.h"

#include <map>
#include <random>
#include <set>

using namespace datalite;
using namespace datalite::qtest;

namespace {

const char* kAttrs[] = {":a", ":b", ":r"};

// Entities 1..n with small int values for :a (many) and :b (one), :r refs.
Db randomDb(std::mt19937& rng, int n) {
  Db db = Db::empty(read(R"({:a {:db/cardinality :db.cardinality/many}
                              :r {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}})"));
  std::vector<Value> data;
  std::uniform_int_distribution<int> ent(1, n), val(0, 5), coin(0, 2);
  auto add = [&](int e, const char* a, int v) {
    data.push_back(Value::vector({Value::keyword("db/add"), Value::integer(e), Value::keyword(a + 1), Value::integer(v)}));
  };
  for (int e = 1; e <= n; ++e) {
    if (coin(rng)) add(e, ":b", val(rng));
    for (int k = coin(rng); k > 0; --k) add(e, ":a", val(rng));
    for (int k = coin(rng); k > 0; --k) add(e, ":r", ent(rng));
  }
  return db.with(data);
}

struct Pat {
  std::string e, a, v;  // "?x" or a constant's EDN
};
struct RandomQuery {
  std::vector<Pat> pats;
  std::string pred;  // "" or "(< ?x ?y)" style
  std::vector<std::string> predArgs;
  std::string predOp;
  std::vector<std::string> find;
};

bool isVar(const std::string& s) { return !s.empty() && s[0] == '?'; }

RandomQuery randomQuery(std::mt19937& rng, int n) {
  RandomQuery q;
  std::uniform_int_distribution<int> npat(1, 4), pick(0, 9), var(0, 3), ent(1, n), val(0, 5), attr(0, 2);
  int count = npat(rng);
  std::vector<std::string> valueVars;  // vars in e/v positions (numbers)
  std::set<std::string> allVars;
  for (int i = 0; i < count; ++i) {
    Pat p;
    int r = pick(rng);
    p.e = r < 8 ? "?v" + std::to_string(var(rng)) : std::to_string(ent(rng));
    r = pick(rng);
    p.a = r < 9 ? kAttrs[attr(rng)] : "?k" + std::to_string(var(rng) % 2);
    r = pick(rng);
    p.v = r < 7 ? "?v" + std::to_string(var(rng)) : std::to_string(p.a == ":r" ? ent(rng) : val(rng));
    q.pats.push_back(p);
  }
  // Keep attribute vars apart from value vars (one var per role).
  for (auto& p : q.pats) {
    for (std::string* s : {&p.e, &p.v})
      if (isVar(*s)) {
        valueVars.push_back(*s);
        allVars.insert(*s);
      }
    if (isVar(p.a)) allVars.insert(p.a);
  }
  if (!valueVars.empty() && pick(rng) < 6) {
    static const char* ops[] = {"<", ">", "=", "not=", "<="};
    q.predOp = ops[pick(rng) % 5];
    std::uniform_int_distribution<size_t> vv(0, valueVars.size() - 1);
    q.predArgs.push_back(valueVars[vv(rng)]);
    q.predArgs.push_back(pick(rng) < 5 ? valueVars[vv(rng)] : std::to_string(val(rng)));
    q.pred = "[(" + q.predOp + " " + q.predArgs[0] + " " + q.predArgs[1] + ")]";
  }
  for (const auto& v : allVars)
    if (pick(rng) < 6) q.find.push_back(v);
  if (q.find.empty()) {
    if (allVars.empty()) {
      q.pats[0].e = "?v0";
      allVars.insert("?v0");
    }
    q.find.push_back(*allVars.begin());
  }
  return q;
}

std::string clauseText(const Pat& p) { return "[" + p.e + " " + p.a + " " + p.v + "]"; }

std::string queryText(const RandomQuery& q, const std::vector<std::string>& clauses) {
  std::string s = "[:find";
  for (const auto& f : q.find) s += " " + f;
  s += " :where";
  for (const auto& c : clauses) s += " " + c;
  return s + "]";
}

// Naive evaluation: nested loops over all datoms.
Value naive(const Db& db, const RandomQuery& q) {
  std::vector<Datom> all = db.datoms(IndexOrder::EAVT);
  std::set<std::vector<Value>, std::less<>> out;
  std::map<std::string, Value> env;
  auto match = [&](const std::string& term, const Value& actual, std::vector<std::string>& newly) {
    if (isVar(term)) {
      auto it = env.find(term);
      if (it != env.end()) return it->second.kind() == actual.kind() && compareValues(it->second, actual) == 0;
      env[term] = actual;
      newly.push_back(term);
      return true;
    }
    Value c = edn::readOne(term);
    return c.kind() == actual.kind() && compareValues(c, actual) == 0;
  };
  std::function<void(size_t)> rec = [&](size_t i) {
    if (i == q.pats.size()) {
      if (!q.pred.empty()) {
        auto arg = [&](const std::string& t) { return isVar(t) ? env[t] : edn::readOne(t); };
        int c = compareValues(arg(q.predArgs[0]), arg(q.predArgs[1]));
        bool ok = q.predOp == "<" ? c < 0 : q.predOp == ">" ? c > 0 : q.predOp == "=" ? c == 0
                : q.predOp == "not=" ? c != 0 : c <= 0;
        if (!ok) return;
      }
      std::vector<Value> row;
      for (const auto& f : q.find) row.push_back(env[f]);
      out.insert(row);
      return;
    }
    const Pat& p = q.pats[i];
    for (const Datom& d : all) {
      std::vector<std::string> newly;
      Value attrKw = Value::keyword(db.attrIdent(d.a));
      bool ok = match(p.e, Value::integer(d.e), newly) && match(p.a, attrKw, newly) && match(p.v, d.v, newly);
      if (ok) rec(i + 1);
      for (const auto& v : newly) env.erase(v);
    }
  };
  rec(0);
  std::vector<Value> rows;
  for (const auto& r : out) rows.push_back(Value::vector(r));
  return Value::vector(rows);
}

}  // namespace

TEST_CASE("property: engine agrees with a naive evaluator", "[query][property]") {
  std::mt19937 rng(42);
  int nonEmpty = 0;
  for (int round = 0; round < 300; ++round) {
    Db db = randomDb(rng, 6 + static_cast<int>(rng() % 6));
    RandomQuery q = randomQuery(rng, 8);
    std::vector<std::string> clauses;
    for (const auto& p : q.pats) clauses.push_back(clauseText(p));
    if (!q.pred.empty()) clauses.push_back(q.pred);
    std::string text = queryText(q, clauses);
    INFO(text);
    Value expected = naive(db, q);
    Value got = Q(text, {D(db)});
    CHECK(edn::print(sortedItems(got)) == edn::print(expected));
    if (expected.count() > 0) ++nonEmpty;
  }
  CHECK(nonEmpty > 100);
}

TEST_CASE("property: clause order does not change results", "[query][property]") {
  std::mt19937 rng(7);
  Db people = peopleDb();
  const char* rules = "[[(r ?a ?b) [?a :friend ?b]] [(r ?a ?b) [?a :friend ?t] (r ?t ?b)] [(q [?a] ?b) [(+ ?a 1) ?b]]]";
  struct Fixed {
    std::string find;
    std::vector<std::string> clauses;
  };
  std::vector<Fixed> fixed = {
      {"?e ?n", {"[?e :name ?n]", "[?e :age ?a]", "[(> ?a 20)]", "(not [?e :sex :female])"}},
      {"?e ?f", {"[?e :friend ?f]", "[?f :name ?n]", "(or [?f :age 15] [?f :age 22])", "[(str ?n) ?s]"}},
      {"?e ?b", {"(q ?a ?b)", "[?e :age ?a]", "[?e :sex :male]", "(not-join [?e] [?e :friend ?x] [?x :age 15])"}},
      {"?x ?y", {"(r ?x ?y)", "[?x :name ?n]", "[?y :age ?a]", "[(< ?a 40)]", "(or-join [[?x] ?y] [?x :sex :male] [?y :name \"Fedor\"])"}},
      {"?e ?c", {"[?e :color ?c]", "[?c :db/ident :red]", "[?e ?attr 37]", "[(= ?attr :age)]"}},
      {"?e ?v", {"[(ground [15 22 51]) [?v ...]]", "[?e :age ?v]", "(not [?e :friend 5])"}},
  };
  for (const Fixed& fq : fixed) {
    std::vector<size_t> idx(fq.clauses.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::string first;
    int perms = 0;
    do {
      std::string text = "[:find " + fq.find + " :in $ % :where";
      for (size_t i : idx) text += " " + fq.clauses[i];
      text += "]";
      INFO(text);
      std::string got = S(text, {D(people), V(rules)});
      if (first.empty()) {
        first = got;
        CHECK(got != "[]");
      } else {
        CHECK(got == first);
      }
      ++perms;
    } while (std::next_permutation(idx.begin(), idx.end()));
    CHECK(perms > 1);
  }
  // Random conjunctive queries, every permutation.
  for (int round = 0; round < 60; ++round) {
    Db db = randomDb(rng, 10);
    RandomQuery q = randomQuery(rng, 10);
    std::vector<std::string> clauses;
    for (const auto& p : q.pats) clauses.push_back(clauseText(p));
    if (!q.pred.empty()) clauses.push_back(q.pred);
    std::vector<size_t> idx(clauses.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::string first;
    bool haveFirst = false;
    do {
      std::vector<std::string> ordered;
      for (size_t i : idx) ordered.push_back(clauses[i]);
      std::string text = queryText(q, ordered);
      INFO(text);
      std::string got = S(text, {D(db)});
      if (!haveFirst) first = got, haveFirst = true;
      else CHECK(got == first);
    } while (std::next_permutation(idx.begin(), idx.end()));
  }
}
