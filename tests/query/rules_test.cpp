// Rules: recursion, mutual recursion, branches, required bindings, rules
// calling rules, constants in calls, negation inside rules, and the
// benchmark rule `follows` checked against a BFS.
#include "query_test_util.h"

#include <map>
#include <queue>
#include <random>
#include <set>

using namespace datalite;
using namespace datalite::qtest;

namespace {

const char* kFollows = R"([[(follows ?x ?y) [?x :follows ?y]]
                           [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]])";

Db edgesDb(const std::vector<std::pair<int, int>>& edges) {
  Db db = Db::empty(read("{:follows {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}}"));
  std::vector<Value> data;
  for (auto [a, b] : edges)
    data.push_back(Value::vector({Value::keyword("db/add"), Value::integer(a), Value::keyword("follows"),
                                  Value::integer(b)}));
  return db.with(data);
}

// All (x, y) with y reachable from x by one or more edges.
std::set<std::pair<int64_t, int64_t>> closure(const std::vector<std::pair<int, int>>& edges) {
  std::map<int64_t, std::vector<int64_t>> adj;
  std::set<int64_t> nodes;
  for (auto [a, b] : edges) {
    adj[a].push_back(b);
    nodes.insert(a);
  }
  std::set<std::pair<int64_t, int64_t>> out;
  for (int64_t s : nodes) {
    std::set<int64_t> seen;
    std::queue<int64_t> q;
    for (int64_t n : adj[s])
      if (seen.insert(n).second) q.push(n);
    while (!q.empty()) {
      int64_t n = q.front();
      q.pop();
      out.insert({s, n});
      for (int64_t m : adj[n])
        if (seen.insert(m).second) q.push(m);
    }
  }
  return out;
}

std::set<std::pair<int64_t, int64_t>> pairsOf(const Value& rel) {
  std::set<std::pair<int64_t, int64_t>> out;
  for (const Value& t : rel.items()) out.insert({t.at(0).asLong(), t.at(1).asLong()});
  return out;
}

// A tree with `depth` levels below the root, each node having `width` children.
std::vector<std::pair<int, int>> treeEdges(int width, int depth) {
  std::vector<std::pair<int, int>> edges;
  std::vector<int> level{1};
  int next = 2;
  for (int d = 0; d < depth; ++d) {
    std::vector<int> nextLevel;
    for (int p : level)
      for (int w = 0; w < width; ++w) {
        edges.push_back({p, next});
        nextLevel.push_back(next++);
      }
    level = nextLevel;
  }
  return edges;
}

}  // namespace

TEST_CASE("rules: follows on chains and trees matches a BFS", "[query][rules]") {
  struct Case {
    const char* name;
    std::vector<std::pair<int, int>> edges;
  };
  std::vector<Case> cases;
  std::vector<std::pair<int, int>> chain;
  for (int i = 1; i < 30; ++i) chain.push_back({i, i + 1});
  cases.push_back({"chain 30", chain});
  cases.push_back({"tree 3x3", treeEdges(3, 3)});
  cases.push_back({"tree 2x5", treeEdges(2, 5)});
  std::vector<std::pair<int, int>> cyc = chain;
  cyc.push_back({30, 1});
  cases.push_back({"cycle 30", cyc});
  cases.push_back({"diamond", {{1, 2}, {1, 3}, {2, 4}, {3, 4}, {4, 5}}});
  for (const Case& c : cases) {
    INFO(c.name);
    Db db = edgesDb(c.edges);
    auto expected = closure(c.edges);
    Value all = Q("[:find ?x ?y :in $ % :where (follows ?x ?y)]", {D(db), V(kFollows)});
    CHECK(pairsOf(all) == expected);
    // From a bound start (the benchmark's shape).
    std::set<std::pair<int64_t, int64_t>> fromOne;
    for (auto p : expected)
      if (p.first == 1) fromOne.insert(p);
    Value one = Q("[:find ?x ?y :in $ % ?x :where (follows ?x ?y)]", {D(db), V(kFollows), V("1")});
    CHECK(pairsOf(one) == fromOne);
    // Bound end.
    std::set<std::pair<int64_t, int64_t>> toLast;
    int64_t last = c.edges.back().second;
    for (auto p : expected)
      if (p.second == last) toLast.insert(p);
    Value to = Q("[:find ?x ?y :in $ % ?y :where (follows ?x ?y)]",
                 {D(db), V(kFollows), V(Value::integer(last))});
    CHECK(pairsOf(to) == toLast);
    CHECK(Q("[:find (count ?y) . :in $ % :where (follows ?x ?y)]", {D(db), V(kFollows)}).isInteger());
  }
  // A long chain with several bound starts at once: the calls of one table
  // read only their seeds' facts, and later rounds only the previous
  // round's (the fix for long recursive chains rescanning every fact).
  std::vector<std::pair<int, int>> longChain;
  for (int i = 1; i < 300; ++i) longChain.push_back({i, i + 1});
  Db longDb = edgesDb(longChain);
  auto longClosure = closure(longChain);
  std::set<std::pair<int64_t, int64_t>> fromStarts;
  for (auto p : longClosure)
    if (p.first == 1 || p.first == 150 || p.first == 299) fromStarts.insert(p);
  CHECK(pairsOf(Q("[:find ?x ?y :in $ % [?x ...] :where (follows ?x ?y)]",
                  {D(longDb), V(kFollows), V("[1 150 299]")})) == fromStarts);
  CHECK(pairsOf(Q("[:find ?x ?y :in $ % :where (follows ?x ?y)]", {D(longDb), V(kFollows)})) == longClosure);

  // Tree 3x3: 39 edges; pairs are sum over nodes of their descendants:
  // root 39, 3 nodes with 12, 9 with 3 -> 39 + 36 + 27 = 102.
  Db tree = edgesDb(treeEdges(3, 3));
  CHECK(pairsOf(Q("[:find ?x ?y :in $ % :where (follows ?x ?y)]", {D(tree), V(kFollows)})).size() == 102);
  CHECK(closure(treeEdges(3, 3)).size() == 102);
}

TEST_CASE("rules: rule sets as data and as a string", "[query][rules]") {
  Db db = peopleDb();
  const char* rules = "[[(named ?e ?n) [?e :name ?n]]]";
  CHECK(S("[:find ?e :in $ % :where (named ?e \"Oleg\")]", {D(db), V(rules)}) == "[[4]]");
  CHECK(S("[:find ?e :in $ % :where (named ?e \"Oleg\")]", {D(db), V(Value::string(rules))}) == "[[4]]");
  // Rules before the source in :in.
  CHECK(S("[:find ?e :in % $ :where (named ?e \"Oleg\")]", {V(rules), D(db)}) == "[[4]]");
}

TEST_CASE("rules: branches, constants in calls, rules calling rules", "[query][rules]") {
  Db db = peopleDb();
  const char* rules = R"([[(young ?e) [?e :age ?a] [(< ?a 30)]]
                          [(old ?e) [?e :age ?a] [(> ?a 40)]]
                          [(extreme ?e) (young ?e)]
                          [(extreme ?e) (old ?e)]
                          [(named ?e ?n) [?e :name ?n]]
                          [(friend-named ?e ?n) [?e :friend ?f] (named ?f ?n)]])";
  CHECK(S("[:find ?e :in $ % :where (extreme ?e)]", {D(db), V(rules)}) == "[[1] [4] [5]]");
  CHECK(S("[:find ?e :in $ % :where [?e :sex :male] (extreme ?e)]", {D(db), V(rules)}) == "[[1]]");
  CHECK(S("[:find ?e :in $ % :where (friend-named ?e \"Ivan\")]", {D(db), V(rules)}) == "[[2]]");
  CHECK(S("[:find ?n :in $ % :where (friend-named 3 ?n)]", {D(db), V(rules)}) == R"([["Oleg"]])");
  CHECK(S("[:find ?e ?n :in $ % :where (named ?e ?n) (young ?e)]", {D(db), V(rules)}) ==
        R"([[1 "Ivan"] [4 "Oleg"]])");
  CHECK(S("[:find ?e :in $ % :where (named ?e \"Nobody\")]", {D(db), V(rules)}) == "[]");
  // The same rule called twice with different bindings in one query.
  CHECK(S("[:find ?a ?b :in $ % :where (named ?a \"Oleg\") (named ?b \"Fedor\")]", {D(db), V(rules)}) == "[[4 5]]");
  // A rule whose head var repeats in a call.
  const char* eq = "[[(same ?a ?b) [(= ?a ?b)]]]";
  CHECK(S("[:find ?x :in % [?x ...] :where (same ?x ?x)]", {V(eq), V("[1 2]")}) == "[[1] [2]]");
  // Rule calls within or / not.
  CHECK(S("[:find ?e :in $ % :where [?e :name] (not (extreme ?e))]", {D(db), V(rules)}) == "[[2] [3]]");
  CHECK(S("[:find ?e :in $ % :where (or (young ?e) [?e :email \"petr@x\"])]", {D(db), V(rules)}) == "[[1] [2] [4]]");
}

TEST_CASE("rules: a recursion that only ever adds seeds stops at the step limit, quickly", "[query][rules]") {
  // (r 0 ?x) calls (r 1 ?x), (r 2 ?x)... and never derives a fact. Old seeds
  // are not re-run when the tables they call gained nothing, so the default
  // step limit is reached in well under a second (it took about an hour).
  Value rules = edn::readOne("[[(r ?a ?b) [(inc ?a) ?c] (r ?c ?b)]]");
  QueryOptions opts;
  opts.maxRuleIterations = 20'000;
  Caught c = E("[:find ?x :in $ % :where (r 0 ?x)]", {D(Db::empty()), V(rules)}, opts);
  CHECK(c.code == ErrorCode::LimitExceeded);
  CHECK(c.message.find("20000 steps") != std::string::npos);
}

TEST_CASE("rules: mutual recursion", "[query][rules]") {
  // even / odd distance along a chain 1 -> 2 -> ... -> 8.
  std::vector<std::pair<int, int>> chain;
  for (int i = 1; i < 8; ++i) chain.push_back({i, i + 1});
  Db db = edgesDb(chain);
  const char* rules = R"([[(odd ?x ?y) [?x :follows ?y]]
                          [(odd ?x ?y) [?x :follows ?t] (even ?t ?y)]
                          [(even ?x ?y) [?x :follows ?t] (odd ?t ?y)]])";
  CHECK(S("[:find ?y :in $ % :where (even 1 ?y)]", {D(db), V(rules)}) == "[[3] [5] [7]]");
  CHECK(S("[:find ?y :in $ % :where (odd 1 ?y)]", {D(db), V(rules)}) == "[[2] [4] [6] [8]]");
  CHECK(S("[:find ?x :in $ % :where (odd ?x 8)]", {D(db), V(rules)}) == "[[1] [3] [5] [7]]");
  CHECK(Q("[:find (count ?x) . :in $ % :where (even ?x ?y)]", {D(db), V(rules)}).asLong() == 6);
}

TEST_CASE("rules: required bindings", "[query][rules]") {
  Db db = peopleDb();
  const char* rules = R"([[(older [?limit] ?e) [?e :age ?a] [(> ?a ?limit)]]
                          [(between [?lo ?hi] ?e) [?e :age ?a] [(<= ?lo ?a ?hi)]]])";
  CHECK(S("[:find ?e :in $ % :where (older 36 ?e)]", {D(db), V(rules)}) == "[[2] [3] [5]]");
  CHECK(S("[:find ?e :in $ % ?l :where (older ?l ?e)]", {D(db), V(rules), V("40")}) == "[[5]]");
  CHECK(S("[:find ?e :in $ % :where (between 20 40 ?e)]", {D(db), V(rules)}) == "[[2] [3] [4]]");
  // Bound later in the written order: the planner waits for the binding.
  CHECK(S("[:find ?e :in $ % :where (older ?l ?e) [?x :name \"Oleg\"] [?x :age ?l]]", {D(db), V(rules)}) ==
        "[[2] [3] [5]]");
  Caught err = E("[:find ?e :in $ % :where (older ?z ?e)]", {D(db), V(rules)});
  CHECK(err.thrown);
  CHECK(err.code == ErrorCode::InvalidInput);
  CHECK(has(err.message, "Insufficient bindings"));
  CHECK(has(err.message, "older"));
}

TEST_CASE("rules: negation inside rules", "[query][rules]") {
  Db db = peopleDb();
  const char* rules = R"([[(lonely ?e) [?e :name] (not [?e :friend _])]
                          [(has-friend ?e) [?e :friend _]]
                          [(lonely2 ?e) [?e :name] (not (has-friend ?e))]
                          [(reach ?x ?y) [?x :friend ?y]]
                          [(reach ?x ?y) [?x :friend ?t] (reach ?t ?y)]
                          [(unreachable-from-petr ?e) [?e :name] [?p :email "petr@x"] (not (reach ?p ?e))]])";
  CHECK(S("[:find ?e :in $ % :where (lonely ?e)]", {D(db), V(rules)}) == "[[1] [5]]");
  CHECK(S("[:find ?e :in $ % :where (lonely2 ?e)]", {D(db), V(rules)}) == "[[1] [5]]");
  CHECK(S("[:find ?e :in $ % :where (unreachable-from-petr ?e)]", {D(db), V(rules)}) == "[[2]]");
  // A recursive rule used under not inside a recursive evaluation.
  std::vector<std::pair<int, int>> chain;
  for (int i = 1; i < 6; ++i) chain.push_back({i, i + 1});
  Db cdb = edgesDb(chain);
  const char* r2 = R"([[(follows ?x ?y) [?x :follows ?y]]
                       [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]
                       [(far ?x ?y) (follows ?x ?y) (not [?x :follows ?y])]])";
  CHECK(S("[:find ?y :in $ % :where (far 1 ?y)]", {D(cdb), V(r2)}) == "[[3] [4] [5] [6]]");
  const char* r3 = R"([[(follows ?x ?y) [?x :follows ?y]]
                       [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]
                       [(top ?x) [?x :follows _] (not-join [?x] (follows ?z ?x))]])";
  CHECK(S("[:find ?x :in $ % :where (top ?x)]", {D(cdb), V(r3)}) == "[[1]]");
}

TEST_CASE("rules: more shapes", "[query][rules]") {
  Db db = peopleDb();
  std::vector<std::pair<int, int>> cyc = {{1, 2}, {2, 3}, {3, 1}, {3, 4}};
  Db cdb = edgesDb(cyc);
  // Cycles: a node follows itself when on a cycle.
  CHECK(S("[:find ?x :in $ % :where (follows ?x ?x)]", {D(cdb), V(kFollows)}) == "[[1] [2] [3]]");
  CHECK(S("[:find ?y :in $ % :where (follows 4 ?y)]", {D(cdb), V(kFollows)}) == "[]");
  // or inside a rule body; a rule with a constant in its body.
  const char* rules = R"([[(tagged ?e ?t) (or (and [?e :sex :male] [(ground :m) ?t])
                                                 (and [?e :sex :female] [(ground :f) ?t]))]
                          [(ivan ?e) [?e :name "Ivan"]]
                          [(fedor? ?e ?yes) [?e :name ?n] [(= ?n "Fedor") ?yes]]])";
  CHECK(S("[:find ?e ?t :in $ % :where (tagged ?e ?t)]", {D(db), V(rules)}) == "[[1 :m] [2 :m] [3 :f]]");
  CHECK(S("[:find ?e :in $ % :where (tagged ?e :f)]", {D(db), V(rules)}) == "[[3]]");
  CHECK(S("[:find ?e :in $ % :where (ivan ?e) (tagged ?e :m)]", {D(db), V(rules)}) == "[[1]]");
  CHECK(S("[:find ?e ?y :in $ % :where (fedor? ?e ?y) [(true? ?y)]]", {D(db), V(rules)}) == "[[5 true]]");
  // A rule call with a source prefix runs its body against that source.
  Db other = Db::empty().with(tx(R"([{:db/id 7 :name "Ivan"}])"));
  CHECK(S("[:find ?e :in $ $o % :where ($o ivan ?e)]", {D(db), D(other), V(rules)}) == "[[7]]");
  CHECK(S("[:find ?e :in $ $o % :where (ivan ?e)]", {D(db), D(other), V(rules)}) == "[[1] [3]]");
  CHECK(S("[:find ?a ?b :in $ $o % :where ($o ivan ?a) (ivan ?b)]", {D(db), D(other), V(rules)}) ==
        "[[7 1] [7 3]]");
  // A rule over a collection source.
  CHECK(S("[:find ?y :in $ % :where (follows 1 ?y)]", {V("[[1 :follows 2] [2 :follows 3]]"), V(kFollows)}) ==
        "[[2] [3]]");
  // Unstratified negation is an error, not a hang.
  const char* bad = R"([[(p ?x) [?x :name] (not (q ?x))]
                        [(q ?x) [?x :name] (not (p ?x))]])";
  Caught err = E("[:find ?x :in $ % :where (p ?x)]", {D(db), V(bad)});
  CHECK(err.thrown);
  // Rule recursion hitting the iteration limit is a limit-exceeded error.
  std::vector<std::pair<int, int>> chain;
  for (int i = 1; i < 200; ++i) chain.push_back({i, i + 1});
  QueryOptions opts;
  opts.maxRuleIterations = 10;
  Caught lim = E("[:find ?x ?y :in $ % :where (follows ?x ?y)]", {D(edgesDb(chain)), V(kFollows)}, opts);
  CHECK(lim.thrown);
  CHECK(lim.code == ErrorCode::LimitExceeded);
}

TEST_CASE("rules: blanks in calls", "[query][rules]") {
  std::vector<std::pair<int, int>> chain = {{1, 2}, {2, 3}, {5, 6}};
  Db db = edgesDb(chain);
  CHECK(S("[:find ?x :in $ % :where (follows ?x _)]", {D(db), V(kFollows)}) == "[[1] [2] [5]]");
  CHECK(S("[:find ?y :in $ % :where (follows _ ?y)]", {D(db), V(kFollows)}) == "[[2] [3] [6]]");
}

TEST_CASE("rules: random graphs, every formulation and call shape agree with the closure", "[query][rules][property]") {
  // Right-, left- and doubly-recursive transitive closure, and a mutually
  // recursive pair (odd/even path lengths whose union is the closure).
  const char* formulations[] = {
      kFollows,
      R"([[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) (follows ?x ?t) [?t :follows ?y]]])",
      R"([[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) (follows ?x ?t) (follows ?t ?y)]])",
      R"([[(odd ?x ?y) [?x :follows ?y]] [(odd ?x ?y) [?x :follows ?t] (even ?t ?y)]
          [(even ?x ?y) [?x :follows ?t] (odd ?t ?y)]
          [(follows ?x ?y) (odd ?x ?y)] [(follows ?x ?y) (even ?x ?y)]])",
  };
  std::mt19937 rng(99);
  for (int round = 0; round < 40; ++round) {
    int n = 4 + static_cast<int>(rng() % 20);
    std::uniform_int_distribution<int> node(1, n);
    std::set<std::pair<int, int>> edgeSet;
    int m = static_cast<int>(rng() % (2 * n + 1));
    for (int i = 0; i < m; ++i) edgeSet.insert({node(rng), node(rng)});  // cycles and self loops included
    std::vector<std::pair<int, int>> edges(edgeSet.begin(), edgeSet.end());
    Db db = edgesDb(edges);
    auto all = closure(edges);
    int start = node(rng), end = node(rng);
    std::set<std::pair<int64_t, int64_t>> from, to, both;
    for (auto p : all) {
      if (p.first == start) from.insert(p);
      if (p.second == end) to.insert(p);
      if (p.first == start && p.second == end) both.insert(p);
    }
    for (const char* rules : formulations) {
      INFO("round " << round << " rules " << rules);
      CHECK(pairsOf(Q("[:find ?x ?y :in $ % :where (follows ?x ?y)]", {D(db), V(rules)})) == all);
      CHECK(pairsOf(Q("[:find ?x ?y :in $ % ?x :where (follows ?x ?y)]", {D(db), V(rules), V(Value::integer(start))})) ==
            from);
      CHECK(pairsOf(Q("[:find ?x ?y :in $ % ?y :where (follows ?x ?y)]", {D(db), V(rules), V(Value::integer(end))})) ==
            to);
      CHECK(pairsOf(Q("[:find ?x ?y :in $ % ?x ?y :where (follows ?x ?y)]",
                      {D(db), V(rules), V(Value::integer(start)), V(Value::integer(end))})) == both);
      // An unbound call next to a bound one in the same query: the bound
      // call reads the unbound call's table.
      std::set<std::pair<int64_t, int64_t>> chained;
      for (auto p : all)
        if (from.count({start, p.first})) chained.insert(p);
      CHECK(pairsOf(Q("[:find ?x ?y :in $ % ?s :where (follows ?s ?x) (follows ?x ?y) (follows ?a ?b)]",
                      {D(db), V(rules), V(Value::integer(start))})) == (all.empty() ? decltype(chained){} : chained));
    }
  }
}

TEST_CASE("rules: lookup refs and idents as bound rule arguments", "[query][rules]") {
  // The rule's seed is a lookup ref, resolved by the body's patterns.
  Db db = Db::empty(read(R"({:p/email {:db/unique :db.unique/identity}
                              :p/friends {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}})"))
              .with(tx(R"([{:db/id 1 :p/email "a" :p/friends [2 3]} {:db/id 2 :p/email "b" :p/friends [4]}
                          {:db/id 3 :p/email "c" :p/friends [1]} {:db/id 4 :p/email "d"} {:db/id 5 :p/email "e"}
                          {:db/id 6 :db/ident :six :p/friends [5]}])"));
  const char* reaches = "[[(reaches ?a ?b) [?a :p/friends ?b]] [(reaches ?a ?b) [?a :p/friends ?x] (reaches ?x ?b)]]";
  CHECK(S("[:find ?e :in $ % ?start :where (reaches ?start ?p) [?p :p/email ?e]]",
          {D(db), V(reaches), V("[:p/email \"a\"]")}) == R"([["a"] ["b"] ["c"] ["d"]])");
  CHECK(S("[:find ?e :in $ % ?start :where (reaches ?start ?p) [?p :p/email ?e]]", {D(db), V(reaches), V(":six")}) ==
        R"([["e"]])");
  // The same with an unbound call of the rule in the query too.
  CHECK(S("[:find ?e :in $ % ?start :where (reaches ?start ?p) [?p :p/email ?e] (reaches ?u ?w)]",
          {D(db), V(reaches), V("[:p/email \"a\"]")}) == R"([["a"] ["b"] ["c"] ["d"]])");
  CHECK(S("[:find ?e :in $ % ?start :where (reaches ?u ?w) (reaches ?start ?p) [?p :p/email ?e]]",
          {D(db), V(reaches), V("[:p/email \"b\"]")}) == R"([["d"]])");
}

TEST_CASE("rules: a bound start on a large cyclic graph reaches everyone", "[query][rules]") {
  // Person i follows i+1 and 7i+3 (mod n): one big cycle with chords.
  for (int n : {50, 500}) {
    INFO("n " << n);
    std::string data = "[";
    for (int i = 0; i < n; ++i) {
      data += "{:db/id " + std::to_string(i + 1) + " :p/email \"p" + std::to_string(i) + "\" :p/friends [";
      for (int j : {(i + 1) % n, (i * 7 + 3) % n})
        if (j != i) data += std::to_string(j + 1) + " ";
      data += "]}";
    }
    data += "]";
    Db db = Db::empty(read(R"({:p/email {:db/unique :db.unique/identity}
                                :p/friends {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}})"))
                .with(tx(data));
    const char* reaches = "[[(reaches ?a ?b) [?a :p/friends ?b]] [(reaches ?a ?b) [?a :p/friends ?x] (reaches ?x ?b)]]";
    for (const char* start : {"[:p/email \"p0\"]", "1"}) {
      INFO(start);
      CHECK(Q("[:find (count ?e) . :in $ % ?start :where (reaches ?start ?p) [?p :p/email ?e]]",
              {D(db), V(reaches), V(start)}) == Value::integer(n));
    }
  }
}
