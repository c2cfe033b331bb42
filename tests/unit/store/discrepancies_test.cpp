// The discrepancy life cycle: open, update, auto-resolve, reopen, and the
// actions of people.
#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

Finding amount_differs(std::int64_t sap_cents) {
  Finding f;
  f.rule = "amount_differs";
  f.kind = DocumentKind::kInvoice;
  f.match_key = "451";
  f.systems = {"sap-ecc", "qbo-us"};  // the store keeps them sorted
  f.severity = Severity::kWarning;
  f.customer_key = "C100";
  f.summary = "Invoice 451: amounts differ";
  f.details = {{"sap-ecc", {{"amount", sap_cents}}}, {"qbo-us", {{"amount", 125000}}}};
  return f;
}

Finding missing() {
  Finding f = amount_differs(0);
  f.rule = "missing_in_system";
  f.systems = {"qbo-us"};
  f.details = {{"missing", "qbo-us"}};
  return f;
}

std::vector<std::string> event_names(Store& store, std::int64_t id) {
  std::vector<std::string> out;
  auto events = store.discrepancy_events(id);
  EXPECT_TRUE(events);
  if (events) {
    for (const auto& e : *events) out.push_back(e.event + "/" + e.actor);
  }
  return out;
}

class DiscrepancyTest : public StoreTest {
 protected:
  std::int64_t open_one() {
    auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {amount_differs(120000)}, now_);
    EXPECT_TRUE(r) << r.status().to_string();
    EXPECT_EQ(r->opened.size(), 1u);
    return r->opened.empty() ? 0 : r->opened[0];
  }
  Instant later(int hours) { return now_ + std::chrono::hours(hours); }
};

TEST_F(DiscrepancyTest, NewFindingOpensAPendingDiscrepancy) {
  const std::int64_t id = open_one();
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->status, DiscrepancyStatus::kOpen);
  EXPECT_EQ((*d)->fingerprint, "amount_differs|invoice|451|qbo-us,sap-ecc");
  EXPECT_EQ((*d)->finding.systems, (std::vector<std::string>{"qbo-us", "sap-ecc"}));
  EXPECT_EQ((*d)->finding.details, amount_differs(120000).details);
  EXPECT_EQ((*d)->first_detected, now_);
  EXPECT_EQ(event_names(*store_, id), (std::vector<std::string>{"opened/reconciler"}));
  auto pending = store_->pending_notifications(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, id);
}

TEST_F(DiscrepancyTest, PersistingFindingWithNewDetailsIsUpdatedWithoutNewNotification) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->enqueue_mail({0, "<m1@arsync>", "ar@example.com", {"ar@example.com"},
                                    "s", "d", "", 0, {}, {}, {}, ""},
                                   {id}, now_));
  auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {amount_differs(110000)},
                                  later(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->updated, (std::vector<std::int64_t>{id}));
  EXPECT_TRUE(r->opened.empty() && r->reopened.empty() && r->resolved.empty());
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->last_detected, later(1));
  EXPECT_EQ((*d)->finding.details["sap-ecc"]["amount"], 110000);
  EXPECT_TRUE(store_->pending_notifications(10)->empty());
  EXPECT_EQ(event_names(*store_, id),
            (std::vector<std::string>{"opened/reconciler", "notified/alerts", "updated/reconciler"}));
}

TEST_F(DiscrepancyTest, PersistingFindingWithSameDetailsAddsNoEvent) {
  const std::int64_t id = open_one();
  auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {amount_differs(120000)},
                                  later(1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->updated.empty());
  EXPECT_EQ(event_names(*store_, id), (std::vector<std::string>{"opened/reconciler"}));
  EXPECT_EQ(store_->get_discrepancy(id)->value().last_detected, later(1));
}

TEST_F(DiscrepancyTest, FindingNoLongerFoundIsResolvedByTheReconciler) {
  const std::int64_t id = open_one();
  auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {}, later(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->resolved, (std::vector<std::int64_t>{id}));
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->status, DiscrepancyStatus::kResolved);
  EXPECT_EQ((*d)->resolved_at, later(2));
  EXPECT_EQ(event_names(*store_, id),
            (std::vector<std::string>{"opened/reconciler", "resolved/reconciler"}));
}

TEST_F(DiscrepancyTest, ResolvingKeepsOtherGroupsAndOtherFindingsOpen) {
  const std::int64_t id = open_one();
  auto other = store_->apply_findings(DocumentKind::kInvoice, "999",
                                      {[] { Finding f = missing(); f.match_key = "999"; return f; }()},
                                      now_);
  ASSERT_TRUE(other);
  auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {missing()}, later(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->resolved, (std::vector<std::int64_t>{id}));
  EXPECT_EQ(r->opened.size(), 1u);
  auto open = store_->list_discrepancies({DiscrepancyStatus::kOpen, "", "", 100});
  ASSERT_TRUE(open);
  EXPECT_EQ(open->size(), 2u);
}

TEST_F(DiscrepancyTest, ReturningFindingReopensWithANewNotification) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->enqueue_mail({0, "<m1@arsync>", "ar@example.com", {"ar@example.com"},
                                    "s", "d", "", 0, {}, {}, {}, ""},
                                   {id}, now_));
  ASSERT_TRUE(store_->apply_findings(DocumentKind::kInvoice, "451", {}, later(1)));
  auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {amount_differs(120000)},
                                  later(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reopened, (std::vector<std::int64_t>{id}));
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->status, DiscrepancyStatus::kOpen);
  EXPECT_FALSE((*d)->resolved_at.has_value());
  EXPECT_EQ((*d)->first_detected, now_);
  auto pending = store_->pending_notifications(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(event_names(*store_, id).back(), "reopened/reconciler");
}

TEST_F(DiscrepancyTest, AcknowledgedDiscrepancyStaysAcknowledgedWhileItPersists) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->acknowledge_discrepancy(id, "maria", "calling the customer", later(1)));
  ASSERT_TRUE(store_->apply_findings(DocumentKind::kInvoice, "451", {amount_differs(1)},
                                     later(2)));
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->status, DiscrepancyStatus::kAcknowledged);
  EXPECT_EQ((*d)->owner, "maria");
  auto events = store_->discrepancy_events(id);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[1].event, "acknowledged");
  EXPECT_EQ((*events)[1].actor, "maria");
  EXPECT_EQ((*events)[1].note, "calling the customer");
}

TEST_F(DiscrepancyTest, PersonResolvesWithNoteEventAndAuditEntry) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->resolve_discrepancy(id, "maria", "credit memo issued", later(1)));
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->status, DiscrepancyStatus::kResolved);
  EXPECT_EQ((*d)->resolution_note, "credit memo issued");
  EXPECT_EQ(event_names(*store_, id),
            (std::vector<std::string>{"opened/reconciler", "resolved/maria"}));
  auto audit = store_->audit_log(10);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].actor, "maria");
  EXPECT_EQ((*audit)[0].action, "discrepancy.resolve");
  EXPECT_EQ((*audit)[0].object, "discrepancy " + std::to_string(id));
  EXPECT_EQ((*audit)[0].details, "credit memo issued");
  EXPECT_EQ((*audit)[0].at, later(1));
}

TEST_F(DiscrepancyTest, ResolvingAnUnknownIdIsNotFound) {
  Status s = store_->resolve_discrepancy(42, "maria", "x", now_);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.message(), "no discrepancy with id 42");
  Status a = store_->acknowledge_discrepancy(42, "maria", "x", now_);
  EXPECT_EQ(a.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->audit_log(10)->empty());
}

TEST_F(DiscrepancyTest, FindingOfAnotherGroupIsRefused) {
  auto r = store_->apply_findings(DocumentKind::kInvoice, "452", {amount_differs(1)}, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "finding 'amount_differs|invoice|451|qbo-us,sap-ecc' is not about match group "
            "invoice 452");
}

TEST_F(DiscrepancyTest, ListFiltersByStatusRuleAndSystem) {
  ASSERT_TRUE(store_->apply_findings(DocumentKind::kInvoice, "451",
                                     {amount_differs(1), missing()}, now_));
  auto by_rule = store_->list_discrepancies({std::nullopt, "missing_in_system", "", 100});
  ASSERT_TRUE(by_rule);
  ASSERT_EQ(by_rule->size(), 1u);
  EXPECT_EQ((*by_rule)[0].finding.rule, "missing_in_system");
  auto by_system = store_->list_discrepancies({std::nullopt, "", "sap-ecc", 100});
  ASSERT_TRUE(by_system);
  ASSERT_EQ(by_system->size(), 1u);
  EXPECT_EQ((*by_system)[0].finding.rule, "amount_differs");
  auto resolved = store_->list_discrepancies({DiscrepancyStatus::kResolved, "", "", 100});
  ASSERT_TRUE(resolved);
  EXPECT_TRUE(resolved->empty());
}

TEST_F(DiscrepancyTest, ResolvingAResolvedDiscrepancyIsAConflictThatKeepsTheFirstNote) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->resolve_discrepancy(id, "maria", "credit memo issued", later(1)));
  Status again = store_->resolve_discrepancy(id, "unknown", "again", later(2));
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  EXPECT_EQ(again.message(), "discrepancy " + std::to_string(id) +
                                 " is already resolved by maria at 2026-11-25T11:00:00Z; only "
                                 "open or acknowledged ones can be resolved (it reopens by itself "
                                 "if the difference returns)");
  auto d = store_->get_discrepancy(id);
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->resolution_note, "credit memo issued");
  EXPECT_EQ((*d)->resolved_at, later(1));
  EXPECT_EQ(event_names(*store_, id),
            (std::vector<std::string>{"opened/reconciler", "resolved/maria"}));
  EXPECT_EQ(store_->audit_log(10)->size(), 1u);
}

TEST_F(DiscrepancyTest, AcknowledgingOneTheReconcilerResolvedIsAConflict) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->apply_findings(DocumentKind::kInvoice, "451", {}, later(1)));
  Status a = store_->acknowledge_discrepancy(id, "maria", "x", later(2));
  EXPECT_EQ(a.code(), ErrorCode::kConflict);
  EXPECT_EQ(a.message(), "discrepancy " + std::to_string(id) +
                             " is already resolved by reconciler at 2026-11-25T11:00:00Z; only "
                             "open or acknowledged ones can be acknowledged (it reopens by "
                             "itself if the difference returns)");
}

TEST_F(DiscrepancyTest, AnAcknowledgedDiscrepancyCanStillBeResolved) {
  const std::int64_t id = open_one();
  ASSERT_TRUE(store_->acknowledge_discrepancy(id, "maria", "calling", later(1)));
  ASSERT_TRUE(store_->resolve_discrepancy(id, "maria", "paid", later(2)));
  EXPECT_EQ((*store_->get_discrepancy(id))->resolution_note, "paid");
}

TEST_F(DiscrepancyTest, StatsCountEachStatusApart) {
  ASSERT_TRUE(store_->apply_findings(DocumentKind::kInvoice, "451",
                                     {amount_differs(1), missing()}, now_));
  Finding other = missing();
  other.match_key = "452";
  auto r = store_->apply_findings(DocumentKind::kInvoice, "452", {other}, now_);
  ASSERT_TRUE(r);
  auto list = store_->list_discrepancies({std::nullopt, "", "", 100});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  ASSERT_TRUE(store_->acknowledge_discrepancy((*list)[0].id, "maria", "calling", later(1)));
  ASSERT_TRUE(store_->resolve_discrepancy((*list)[1].id, "maria", "fixed", later(1)));
  auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->open_discrepancies, 1);
  EXPECT_EQ(stats->acknowledged_discrepancies, 1);
  EXPECT_EQ(stats->resolved_discrepancies, 1);
}

// One source's bytes that are not UTF-8 must not stop the reconciliation of
// its group (nlohmann's dump throws type_error.316 on them).
TEST_F(DiscrepancyTest, DetailsWithBytesThatAreNotUtf8AreStoredWithReplacementCharacters) {
  Finding f = amount_differs(1);
  f.details["sap-ecc"]["customer_name"] = "M\xFCller GmbH";  // ISO-8859-1, mis-declared
  auto r = store_->apply_findings(DocumentKind::kInvoice, "451", {f}, now_);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->opened.size(), 1u);
  auto d = store_->get_discrepancy(r->opened[0]);
  ASSERT_TRUE(d && d->has_value()) << d.status().to_string();
  EXPECT_EQ((*d)->finding.details["sap-ecc"]["customer_name"], "M\xEF\xBF\xBDller GmbH");
}

}  // namespace
}  // namespace arsync::store::testing
