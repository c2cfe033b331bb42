// End to end: IDoc files in two drop folders -> SQLite store -> reconciler ->
// one .eml per discrepancy. Uses the demo's own files (packaging/demo).
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MultipartReader.h>
#include <Poco/Net/MessageHeader.h>

#include <fstream>
#include <map>
#include <set>

#include "demo_env.h"

namespace arsync::testing {
namespace {

Instant demo_now() { return *parse_instant("2026-11-25T08:00:00Z"); }

std::map<std::string, std::string> open_discrepancies(store::Store& st) {
  store::DiscrepancyFilter f;
  f.status = DiscrepancyStatus::kOpen;
  auto list = st.list_discrepancies(f);
  EXPECT_TRUE(list.is_ok());
  std::map<std::string, std::string> out;  // fingerprint -> summary
  for (const Discrepancy& d : *list) out[d.fingerprint] = d.finding.summary;
  return out;
}

const std::set<std::string> kPlanted = {
    "amount_differs|invoice|90001235|sap-ecc,sap-s4",
    "missing_in_system|invoice|90001236|sap-ecc,sap-s4",
    "duplicate_document|invoice|90001237|sap-s4",
    "currency_differs|invoice|90001238|sap-ecc,sap-s4",
    "short_payment|invoice|90001234|sap-s4",
    "payment_unknown_invoice|payment|PAY-2026-00872|sap-s4",
};

TEST(DemoCycle, FindsEveryPlantedDiscrepancyAndQuarantinesTheBadIdoc) {
  DemoEnv env;
  env.drop_all_demo_files();
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine::CycleReport report = engine->run_cycle();

  ASSERT_EQ(report.systems.size(), 2u);
  EXPECT_TRUE(report.systems[0].status.is_ok()) << report.systems[0].status.to_string();
  EXPECT_TRUE(report.systems[1].status.is_ok()) << report.systems[1].status.to_string();
  EXPECT_EQ(report.systems[0].system, "sap-ecc");
  EXPECT_EQ(report.systems[0].inserted, 6u);
  EXPECT_EQ(report.systems[0].quarantined, 1u);
  EXPECT_EQ(report.systems[1].inserted, 8u);  // 6 invoices/credits + 2 payment advices
  EXPECT_EQ(report.systems[1].quarantined, 0u);

  auto q = st->list_quarantine(10);
  ASSERT_TRUE(q.is_ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].system, "sap-ecc");
  EXPECT_EQ((*q)[0].entity, "INVOIC02");
  EXPECT_EQ((*q)[0].external_id, "0000000000451240");
  EXPECT_NE((*q)[0].location.find("0000000000451240"), std::string::npos) << (*q)[0].location;
  EXPECT_NE((*q)[0].location.find("ECC_INVOIC_20261124_221500.xml"), std::string::npos);
  EXPECT_TRUE((*q)[0].raw.empty());  // a listing leaves the bytes in the store
  auto whole = st->find_quarantine((*q)[0].id);
  ASSERT_TRUE(whole.is_ok() && whole->has_value());
  EXPECT_NE((**whole).raw.find("<SUMME>357.00</SUMM>"), std::string::npos);
  EXPECT_EQ((**whole).raw.size(), (*q)[0].raw_size);

  std::set<std::string> found;
  for (const auto& [fp, summary] : open_discrepancies(*st)) found.insert(fp);
  EXPECT_EQ(found, kPlanted);

  // One valid multipart email per discrepancy, in the file transport's folder.
  auto emls = files_in(env.mail_dir(), ".eml");
  EXPECT_EQ(emls.size(), kPlanted.size());
  EXPECT_EQ(report.emails_queued, kPlanted.size());
  EXPECT_EQ(report.delivery.sent, kPlanted.size());
  for (const auto& path : emls) {
    std::ifstream in(path, std::ios::binary);
    Poco::Net::MailMessage msg;
    msg.read(in);
    EXPECT_FALSE(msg.get("Message-ID", "").empty()) << path;
    EXPECT_FALSE(msg.get("Date", "").empty()) << path;
    EXPECT_EQ(msg.get("To", ""), "ar@test.example");
    EXPECT_NE(msg.get("Content-Type", "").find("multipart/alternative"), std::string::npos);
  }

  // The archived files are where the documents' raw references point.
  auto doc = st->find_document("sap-ecc", DocumentKind::kInvoice, "0090001234");
  ASSERT_TRUE(doc.is_ok());
  ASSERT_TRUE(doc->has_value());
  EXPECT_TRUE(fs::exists((*doc)->raw_ref.file)) << (*doc)->raw_ref.file;
  EXPECT_TRUE(files_in(env.root() / "inbound" / "sap-ecc").empty());
}

// An IDoc that reads but does not map (unknown currency) is quarantined
// with its own bytes as received, not with the part of its JSON the mapping
// reads; the rest of its file is stored.
TEST(DemoCycle, IdocThatDoesNotMapIsQuarantinedWithItsBytes) {
  DemoEnv env;
  std::string ecc = read_file(fs::path(ARSYNC_SOURCE_DIR) /
                              "packaging/demo/inbound/sap-ecc/ECC_INVOIC_20261124_221500.xml");
  const std::size_t first = ecc.find("<CURCY>EUR</CURCY>");
  ASSERT_NE(first, std::string::npos);
  ecc.replace(first, 18, "<CURCY>ZZZ</CURCY>");
  write_file(env.root() / "inbound/sap-ecc/ECC_INVOIC_20261125_080000.xml", ecc);
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine::CycleReport report = engine->run_cycle();
  EXPECT_TRUE(report.systems[0].status.is_ok()) << report.systems[0].status.to_string();
  EXPECT_EQ(report.systems[0].inserted, 5u);
  EXPECT_EQ(report.systems[0].quarantined, 2u);  // this one and the malformed IDoc

  auto q = st->list_quarantine(10);
  ASSERT_TRUE(q.is_ok());
  std::optional<store::QuarantineEntry> found;
  for (const auto& e : *q) {
    if (e.error.find("ZZZ") != std::string::npos) found = st->find_quarantine(e.id).value();
  }
  ASSERT_TRUE(found.has_value());
  const store::QuarantineEntry* unmapped = &*found;
  EXPECT_NE(unmapped->error.find("unknown currency code 'ZZZ'"), std::string::npos) << unmapped->error;
  EXPECT_NE(unmapped->location.find("fields.currency"), std::string::npos) << unmapped->location;
  EXPECT_TRUE(unmapped->raw.starts_with("<IDOC")) << unmapped->raw.substr(0, 40);
  EXPECT_TRUE(unmapped->raw.ends_with("</IDOC>"));
  EXPECT_NE(unmapped->raw.find("<CURCY>ZZZ</CURCY>"), std::string::npos);
  // Fields no mapping reads are in the quarantined bytes too.
  EXPECT_NE(unmapped->raw.find("<SNDPRN>"), std::string::npos);
}

TEST(DemoCycle, ReingestingTheSameFilesWritesNothingAndSendsNoEmail) {
  DemoEnv env;
  env.drop_all_demo_files();
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine->run_cycle();
  const size_t emails = files_in(env.mail_dir(), ".eml").size();
  auto stats1 = st->stats();

  clock.advance(std::chrono::hours(1));
  env.drop_all_demo_files();
  engine::CycleReport again = engine->run_cycle();
  for (const engine::SystemRun& s : again.systems) {
    EXPECT_TRUE(s.status.is_ok()) << s.status.to_string();
    EXPECT_EQ(s.inserted, 0u) << s.system;
    EXPECT_EQ(s.updated, 0u) << s.system;
  }
  EXPECT_EQ(again.systems[0].unchanged, 6u);
  EXPECT_EQ(again.systems[1].unchanged, 8u);
  EXPECT_EQ(again.emails_queued, 0u);
  EXPECT_EQ(files_in(env.mail_dir(), ".eml").size(), emails);
  auto stats2 = st->stats();
  EXPECT_EQ(stats1->documents_by_system, stats2->documents_by_system);
  EXPECT_EQ(stats1->open_discrepancies, stats2->open_discrepancies);
}

TEST(DemoCycle, CorrectedInvoiceResolvesTheAmountDiscrepancy) {
  DemoEnv env;
  env.drop_all_demo_files();
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine->run_cycle();
  ASSERT_TRUE(open_discrepancies(*st).count("amount_differs|invoice|90001235|sap-ecc,sap-s4"));

  // S/4 re-sends its invoices with newer IDoc numbers, 90001235 corrected.
  std::string s4 = read_file(fs::path(ARSYNC_SOURCE_DIR) /
                             "packaging/demo/inbound/sap-s4/S4_INVOIC_20261124_221500.idoc");
  for (size_t p; (p = s4.find("00000000000880")) != std::string::npos;) s4.replace(p, 14, "00000000000890");
  for (size_t p; (p = s4.find("4670.00")) != std::string::npos;) s4.replace(p, 7, "4760.00");
  write_file(env.root() / "inbound/sap-s4/S4_INVOIC_20261125_090000.idoc", s4);
  clock.advance(std::chrono::hours(1));
  engine::CycleReport report = engine->run_cycle();
  EXPECT_EQ(report.systems[1].updated, 1u);
  EXPECT_GE(report.reconcile.resolved, 1u);

  auto open = open_discrepancies(*st);
  EXPECT_FALSE(open.count("amount_differs|invoice|90001235|sap-ecc,sap-s4"));
  EXPECT_EQ(open.size(), kPlanted.size() - 1);
  EXPECT_EQ(report.emails_queued, 0u);  // resolving sends no new alert
}

}  // namespace
}  // namespace arsync::testing
