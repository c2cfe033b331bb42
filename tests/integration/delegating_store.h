// A Store that forwards every call to a real one: the base of test stores
// that change one operation (FaultyStore, the sink tests' gated store).
#pragma once

#include "arsync/store/store.h"

namespace arsync::testing {

class DelegatingStore : public store::Store {
 public:
  explicit DelegatingStore(store::Store& inner) : inner_(inner) {}

  Status in_one_transaction(const std::function<Status()>& work) override {
    return inner_.in_one_transaction(work);
  }

  Result<store::BatchOutcome> commit_batch(const store::DocumentBatch& b, Instant now) override {
    return inner_.commit_batch(b, now);
  }
  Result<std::vector<store::BatchOutcome>> commit_batches(std::span<const store::DocumentBatch> b,
                                                          Instant now) override {
    return inner_.commit_batches(b, now);
  }
  Result<std::optional<std::string>> get_cursor(const std::string& s, const std::string& k) override {
    return inner_.get_cursor(s, k);
  }
  Result<std::vector<Document>> find_group(DocumentKind k, const std::string& m) override {
    return inner_.find_group(k, m);
  }
  Result<std::optional<Document>> find_document(const std::string& s, DocumentKind k,
                                                const std::string& e) override {
    return inner_.find_document(s, k, e);
  }
  Result<std::vector<Document>> find_applications_to(DocumentKind k, const std::string& m) override {
    return inner_.find_applications_to(k, m);
  }
  Result<std::vector<Document>> list_documents(const std::string& s, std::optional<DocumentKind> k,
                                               std::size_t l) override {
    return inner_.list_documents(s, k, l);
  }
  Result<std::vector<Document>> find_by_number(const std::string& s, DocumentKind k,
                                               const std::string& n) override {
    return inner_.find_by_number(s, k, n);
  }
  Status mark_dirty(const std::vector<store::DirtyKey>& k) override { return inner_.mark_dirty(k); }
  Result<std::vector<store::DirtyKey>> due_dirty_keys(Instant n, std::size_t l) override {
    return inner_.due_dirty_keys(n, l);
  }
  Status clear_dirty_key(const store::DirtyKey& k) override { return inner_.clear_dirty_key(k); }
  Status mark_all_dirty(Instant n) override { return inner_.mark_all_dirty(n); }
  Status defer_dirty_key(const store::DirtyKey& k, const std::string& e, Instant r) override {
    return inner_.defer_dirty_key(k, e, r);
  }
  Result<std::vector<store::DirtyKey>> failed_dirty_keys(std::size_t l) override {
    return inner_.failed_dirty_keys(l);
  }
  Result<store::FindingsOutcome> apply_findings(DocumentKind k, const std::string& m,
                                                const std::vector<Finding>& f, Instant n) override {
    return inner_.apply_findings(k, m, f, n);
  }
  Result<std::vector<Discrepancy>> list_discrepancies(const store::DiscrepancyFilter& f) override {
    return inner_.list_discrepancies(f);
  }
  Result<std::optional<Discrepancy>> get_discrepancy(std::int64_t id) override {
    return inner_.get_discrepancy(id);
  }
  Result<std::vector<DiscrepancyEvent>> discrepancy_events(std::int64_t id) override {
    return inner_.discrepancy_events(id);
  }
  Status resolve_discrepancy(std::int64_t id, const std::string& a, const std::string& n,
                             Instant t) override {
    return inner_.resolve_discrepancy(id, a, n, t);
  }
  Status acknowledge_discrepancy(std::int64_t id, const std::string& a, const std::string& n,
                                 Instant t) override {
    return inner_.acknowledge_discrepancy(id, a, n, t);
  }
  Result<std::vector<Discrepancy>> pending_notifications(std::size_t l) override {
    return inner_.pending_notifications(l);
  }
  Result<std::int64_t> enqueue_mail(const store::OutgoingMail& m, const std::vector<std::int64_t>& ids,
                                    Instant n) override {
    return inner_.enqueue_mail(m, ids, n);
  }
  Result<std::vector<store::OutgoingMail>> due_mail(Instant n, std::size_t l) override {
    return inner_.due_mail(n, l);
  }
  Result<std::optional<Instant>> next_mail_attempt() override { return inner_.next_mail_attempt(); }
  Result<std::int64_t> count_due_mail(Instant n) override { return inner_.count_due_mail(n); }
  Result<std::vector<store::OutgoingMail>> list_mail(std::size_t l) override { return inner_.list_mail(l); }
  Status mark_mail_sending(std::int64_t id, Instant n) override { return inner_.mark_mail_sending(id, n); }
  Result<std::vector<store::OutgoingMail>> sending_mail(std::size_t l) override {
    return inner_.sending_mail(l);
  }
  Status mark_mail_sent(std::int64_t id, Instant n) override { return inner_.mark_mail_sent(id, n); }
  Status mark_mail_unconfirmed(std::int64_t id, const std::string& note) override {
    return inner_.mark_mail_unconfirmed(id, note);
  }
  Status mark_mail_retry(std::int64_t id, const std::string& e, Instant n) override {
    return inner_.mark_mail_retry(id, e, n);
  }
  Status mark_mail_dead(std::int64_t id, const std::string& e, Instant n) override {
    return inner_.mark_mail_dead(id, e, n);
  }
  Status add_quarantine(const store::QuarantineEntry& q) override { return inner_.add_quarantine(q); }
  Result<std::vector<store::QuarantineEntry>> list_quarantine(std::size_t l) override {
    return inner_.list_quarantine(l);
  }
  Result<std::optional<store::QuarantineEntry>> find_quarantine(std::int64_t id) override {
    return inner_.find_quarantine(id);
  }
  Status append_audit(const store::AuditEntry& a) override { return inner_.append_audit(a); }
  Result<std::vector<store::AuditEntry>> audit_log(std::size_t l) override { return inner_.audit_log(l); }
  Result<store::StoreStats> stats() override { return inner_.stats(); }
  Status record_pull_outcome(const store::PullOutcome& o) override {
    return inner_.record_pull_outcome(o);
  }
  Result<std::vector<store::PullOutcome>> pull_outcomes() override { return inner_.pull_outcomes(); }
  Result<std::optional<store::EncryptedCredential>> get_credential(
      const std::string& system, const std::string& name) override {
    return inner_.get_credential(system, name);
  }
  Status put_credential(const std::string& system, const std::string& name,
                        const store::EncryptedCredential& value) override {
    return inner_.put_credential(system, name, value);
  }

 protected:
  store::Store& inner_;
};

}  // namespace arsync::testing
