// Aggregates through queries: grouping, :with, every built-in aggregate and
// host aggregates.
#include "query_test_util.h"

#include <cmath>

using namespace datalite;
using namespace datalite::qtest;

namespace {
// Values for aggregation as an input relation: [[entity value] ...].
Value nums() { return read("[[1 10] [2 20] [3 20] [4 30] [5 5]]"); }
}  // namespace

TEST_CASE("aggregates: built-ins over an input relation", "[query][aggregates]") {
  auto agg = [&](const std::string& a) {
    return edn::print(Q("[:find " + a + " . :with ?e :in [[?e ?x]]]", {V(nums())}));
  };
  CHECK(agg("(count ?x)") == "5");
  CHECK(agg("(count-distinct ?x)") == "4");
  CHECK(agg("(sum ?x)") == "85");
  CHECK(agg("(min ?x)") == "5");
  CHECK(agg("(max ?x)") == "30");
  CHECK(agg("(median ?x)") == "20");
  CHECK(agg("(avg ?x)") == "17.0");
  CHECK(agg("(variance ?x)") == "76.0");
  CHECK(agg("(stddev ?x)") == edn::print(Value::real(std::sqrt(76.0))));
  CHECK(edn::print(sortedItems(Q("[:find (distinct ?x) . :with ?e :in [[?e ?x]]]", {V(nums())}))) ==
        "[5 10 20 30]");
  CHECK(edn::print(Q("[:find (min 2 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())})) == "[5 10]");
  CHECK(edn::print(Q("[:find (max 2 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())})) == "[20 30]");
  CHECK(edn::print(Q("[:find (max 3 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())})) == "[20 20 30]");
  CHECK(edn::print(Q("[:find (min 10 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())})) == "[5 10 20 20 30]");
  // rand / sample: sizes and membership.
  Value r = Q("[:find (rand 3 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())});
  CHECK(r.count() == 3);
  Value s = Q("[:find (sample 3 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())});
  CHECK(s.count() == 3);
  for (const Value& x : s.items()) CHECK((x.asLong() == 5 || x.asLong() == 10 || x.asLong() == 20 || x.asLong() == 30));
  Value s2 = Q("[:find (sample 10 ?x) . :with ?e :in [[?e ?x]]]", {V(nums())});
  CHECK(s2.count() == 5);  // all values, duplicates kept (the :with rows)
  Value one = Q("[:find (rand ?x) . :with ?e :in [[?e ?x]]]", {V(nums())});
  CHECK(one.isInteger());
  // An aggregate argument from :in.
  CHECK(edn::print(Q("[:find (max ?n ?x) . :with ?e :in ?n [[?e ?x]]]", {V("2"), V(nums())})) == "[20 30]");
  // Median of an even count averages the middle two (DataScript).
  CHECK(edn::print(Q("[:find (median ?x) . :in [?x ...]]", {V("[1 2 3 4]")})) == "2.5");
}

TEST_CASE("aggregates: grouping over a db", "[query][aggregates]") {
  Db db = peopleDb();
  CHECK(S("[:find ?s (count ?e) :where [?e :sex ?s]]", db) == "[[:female 1] [:male 2]]");
  CHECK(S("[:find ?n (count ?e) (min ?a) (max ?a) :where [?e :name ?n] [?e :age ?a]]", db) ==
        R"([["Fedor" 1 51 51] ["Ivan" 2 15 37] ["Oleg" 1 22 22] ["Petr" 1 37 37]])");
  // Aggregate first, grouping column after.
  CHECK(S("[:find (count ?e) ?n :where [?e :name ?n]]", db) == R"([[1 "Fedor"] [1 "Oleg"] [1 "Petr"] [2 "Ivan"]])");
  // Two aggregates of the same var.
  CHECK(edn::print(Q("[:find [(count ?a) (count-distinct ?a)] :where [?e :age ?a]]", {D(db)})) == "[4 4]");
  CHECK(edn::print(Q("[:find [(count ?a) (count-distinct ?a)] :with ?e :where [?e :age ?a]]", {D(db)})) == "[5 4]");
  // Aggregates over an empty result with grouping: empty.
  CHECK(S("[:find ?n (count ?e) :where [?e :nope ?n]]", db) == "[]");
  // Aggregates of strings and keywords.
  CHECK(edn::print(Q("[:find (min ?n) . :where [_ :name ?n]]", {D(db)})) == "\"Fedor\"");
  CHECK(edn::print(Q("[:find (max ?n) . :where [_ :name ?n]]", {D(db)})) == "\"Petr\"");
  CHECK(edn::print(Q("[:find (max ?s) . :where [_ :sex ?s]]", {D(db)})) == ":male");
  // Variables only in :where do not group.
  CHECK(C("[:find [(count ?e) ...] :where [?e :name ?n]]", db) == "[5]");
}

TEST_CASE("aggregates: host aggregates", "[query][aggregates]") {
  Db db = peopleDb();
  std::unordered_map<std::string, query::HostAggregate> aggs;
  aggs["sum-sq"] = [](std::vector<Value>& vs) {
    int64_t s = 0;
    for (const Value& v : vs) s += v.asLong() * v.asLong();
    return Value::integer(s);
  };
  aggs["n"] = [](std::vector<Value>& vs) { return Value::integer(static_cast<int64_t>(vs.size())); };
  QueryOptions opts;
  opts.aggregates = &aggs;
  CHECK(edn::print(Q("[:find (sum-sq ?x) . :with ?e :in [[?e ?x]]]", {V(nums())}, opts)) == "1825");
  CHECK(S("[:find ?s (n ?e) :where [?e :sex ?s]]", db, opts) == "[[:female 1] [:male 2]]");
  // Unknown aggregates are errors naming the function.
  Caught err = E("[:find (nosuchagg ?x) . :in [?x ...]]", {V("[1]")});
  CHECK(err.thrown);
  CHECK(has(err.message, "nosuchagg"));
}
