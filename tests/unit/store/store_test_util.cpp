#include "store_test_util.h"

#include <atomic>
#include <chrono>
#include <cstdlib>

#include <unistd.h>

namespace arsync::store::testing {

Instant at(const char* iso) {
  Result<Instant> t = parse_instant(iso);
  if (!t) std::abort();
  return *t;
}

Money usd(std::int64_t cents) { return Money(cents, *Currency::find("USD")); }

Document invoice(const std::string& system, const std::string& external_id,
                 const std::string& match_key) {
  Document d;
  d.system = system;
  d.kind = DocumentKind::kInvoice;
  d.external_id = external_id;
  d.version = "1";
  d.document_number = "0090" + match_key;
  d.match_key = match_key;
  d.customer_key = "C100";
  d.customer_name = "Acme Corp";
  d.amount = usd(125000);
  d.open_amount = usd(125000);
  d.tax_amount = usd(10000);
  d.issue_date = *parse_date("2026-11-01");
  d.due_date = *parse_date("2026-12-01");
  d.status = DocumentStatus::kOpen;
  d.reference = "PO-4711";
  d.terms = "NET30";
  d.source_updated_at = "2026-11-01T08:00:00Z";
  return d;
}

Document payment(const std::string& system, const std::string& external_id,
                 const std::string& match_key, const std::string& invoice_key,
                 std::int64_t cents) {
  Document d;
  d.system = system;
  d.kind = DocumentKind::kPayment;
  d.external_id = external_id;
  d.version = "1";
  d.document_number = match_key;
  d.match_key = match_key;
  d.customer_key = "C100";
  d.amount = usd(cents);
  d.open_amount = usd(0);
  d.tax_amount = usd(0);
  d.status = DocumentStatus::kPaid;
  Application a;
  a.target_kind = DocumentKind::kInvoice;
  a.target_match_key = invoice_key;
  a.target_number = "0090" + invoice_key;
  a.amount = usd(cents);
  a.discount = usd(0);
  d.applications.push_back(a);
  return d;
}

void StoreTest::SetUp() {
  static std::atomic<int> counter{0};
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  dir_ = std::filesystem::temp_directory_path() /
         ("arsync-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(stamp) + "-" +
          std::to_string(counter++));
  std::filesystem::create_directories(dir_);
  db_path_ = (dir_ / "arsync.db").string();
  store_ = open();
  ASSERT_NE(store_, nullptr);
}

void StoreTest::TearDown() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

SqliteOptions StoreTest::options(bool read_only) const {
  SqliteOptions o;
  o.path = db_path_;
  o.read_only = read_only;
  return o;
}

std::unique_ptr<Store> StoreTest::open(bool read_only) {
  Result<std::unique_ptr<Store>> s = open_sqlite_store(options(read_only));
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  if (!s) return nullptr;
  return std::move(s).value();
}

DocumentBatch StoreTest::batch(std::vector<Document> docs, std::optional<std::string> cursor) {
  DocumentBatch b;
  b.system = "sap-ecc";
  b.cursor_key = "files";
  b.documents = std::move(docs);
  b.cursor = std::move(cursor);
  return b;
}

}  // namespace arsync::store::testing
