// Comparisons pushed into scans: [?e :a ?v] [(> ?v c)] reads a range of the
// attribute's AVET keys. Results must equal evaluating the predicate on
// every row (written through an alias variable, which keeps it out of the
// scan), over values of mixed types including numbers equal across kinds.
#include "query_test_util.h"

#include <random>

using namespace datalite;
using namespace datalite::qtest;

namespace {

Db mixedDb() {
  std::string data = "[";
  const char* values[] = {"1",    "2",      "2.0",     "2.5",   "-3",        "-3.0", "-2.5", "0",     "0.0",
                          "-0.0", "100",    "1e300",   "-1e300", "##Inf",    "##-Inf", "##NaN", "\"a\"", "\"b\"",
                          ":k",   ":z/k",   "true",    "false", "#inst \"2020-01-01T00:00:00Z\"", "\\c", "3N", "2N",
                          "9223372036854775807", "-9223372036854775808", "5.5M"};
  int e = 1;
  for (const char* v : values) data += "[:db/add " + std::to_string(e++) + " :v " + v + "]";
  // A second attribute so ranges must stop at the attribute's end.
  for (int i = 0; i < 5; ++i) data += "[:db/add " + std::to_string(e++) + " :w " + std::to_string(i) + "]";
  data += "]";
  return Db::empty(read("{}")).with(tx(data));
}

}  // namespace

TEST_CASE("range scans: pushed comparisons equal row-by-row evaluation", "[query][range-scan]") {
  Db db = mixedDb();
  const char* ops[] = {"<", "<=", ">", ">="};
  const char* bounds[] = {"2", "2.0", "-3", "0", "0.0", "-0.0", "2.25", "1e300", "##Inf", "##-Inf", "\"a\"", ":k",
                          "true", "false", "3N", "100", "-1e301", "\"zzz\"", "#inst \"2019-01-01T00:00:00Z\""};
  int pushed = 0;
  for (const char* op : ops)
    for (const char* b : bounds)
      for (int flip = 0; flip < 2; ++flip) {
        std::string pred = flip ? std::string("(") + op + " " + b + " ?v)" : std::string("(") + op + " ?v " + b + ")";
        std::string predAlias = flip ? std::string("(") + op + " " + b + " ?x)" : std::string("(") + op + " ?x " + b + ")";
        std::string q = "[:find ?e ?v :where [?e :v ?v] [" + pred + "]]";
        std::string oracle = "[:find ?e ?v :where [?e :v ?v] [(identity ?v) ?x] [" + predAlias + "]]";
        INFO(q);
        CHECK(S(q, db) == S(oracle, db));
        if (edn::print(query::explain(read(q), std::vector<QueryArg>{D(db)})).find("avet-range") != std::string::npos)
          ++pushed;
      }
  CHECK(pushed == 4 * 19 * 2);
}

TEST_CASE("range scans: two bounds, scalar inputs, other shapes", "[query][range-scan]") {
  Db db = mixedDb();
  auto same = [&](const std::string& q, const std::string& oracle, std::vector<QueryArg> args) {
    INFO(q);
    CHECK(S(q, args) == S(oracle, args));
  };
  // Lower and upper bound together, and a bound from a scalar input.
  same("[:find ?v :where [?e :v ?v] [(> ?v -3)] [(<= ?v 2)]]",
       "[:find ?v :where [?e :v ?v] [(identity ?v) ?x] [(> ?x -3)] [(<= ?x 2)]]", {D(db)});
  same("[:find ?v :in $ ?lo :where [?e :v ?v] [(>= ?v ?lo)]]",
       "[:find ?v :in $ ?lo :where [?e :v ?v] [(identity ?v) ?x] [(>= ?x ?lo)]]", {D(db), V("2")});
  // The scan stops at the attribute's end (:w follows :v).
  CHECK(S("[:find ?v :where [?e :v ?v] [(> ?v \"a\")]]", db) == R"([["b"] [:k] [:z/k]])");
  CHECK(S("[:find ?e ?v :where [?e :w ?v] [(< 1 ?v)] [(< ?v 4)]]", db) == "[[32 2] [33 3]]");
  // Bounds that are not plain values, or a variable bound to several rows,
  // are evaluated as ordinary predicates (same results).
  same("[:find ?v :in $ [?lo ...] :where [?e :v ?v] [(> ?v ?lo)]]",
       "[:find ?v :in $ [?lo ...] :where [?e :v ?v] [(identity ?v) ?x] [(> ?x ?lo)]]", {D(db), V("[2 100]")});
  same("[:find ?v :where [?e :v ?v] [(> ?v [1 2])]]", "[:find ?v :where [?e :v ?v] [(identity ?v) ?x] [(> ?x [1 2])]]",
       {D(db)});
  // History views scan as before.
  same("[:find ?v ?op :where [?e :v ?v _ ?op] [(> ?v 1)]]",
       "[:find ?v ?op :where [?e :v ?v _ ?op] [(identity ?v) ?x] [(> ?x 1)]]", {D(db.history())});
}
