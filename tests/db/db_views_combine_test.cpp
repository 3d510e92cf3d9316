// Views of views: repeating a view narrows it, different views refuse to
// stack (a Db holds one view bound; dropping one would give wrong reads).
#include <catch2/catch.hpp>

#include "db/db_test_util.h"

using namespace datalite;
using datalite::testing::catchError;
using datalite::testing::read;

TEST_CASE("views: repeated asOf/since narrow, mixed views are refused", "[db][views]") {
  Db db = Db::empty();
  TxReport r1 = db.transact(read("[{:db/id 1 :n 1}]").items());
  TxReport r2 = r1.dbAfter.transact(read("[{:db/id 1 :n 2}]").items());
  Db now = r2.dbAfter;
  CHECK(now.asOf(r2.tx).asOf(r1.tx).datoms(IndexOrder::EAVT).size() == now.asOf(r1.tx).datoms(IndexOrder::EAVT).size());
  CHECK(now.asOf(r1.tx).asOf(r2.tx).viewTx() == r1.tx);
  CHECK(now.since(r1.tx).since(0).viewTx() == r1.tx);
  CHECK(catchError([&] { now.asOf(r1.tx).history(); }).code == "invalid-input");
  CHECK(catchError([&] { now.history().since(r1.tx); }).code == "invalid-input");
  CHECK(catchError([&] { now.since(r1.tx).asOf(r2.tx); }).code == "invalid-input");
  CHECK(now.asOf(r1.tx).currentView().view() == DbView::Current);
}
