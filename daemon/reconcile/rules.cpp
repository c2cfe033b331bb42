#include "arsync/reconcile/rules.h"

#include <algorithm>
#include <chrono>

namespace arsync::reconcile {
namespace {

// Text from source records goes into a one-line summary that may end up in
// an email subject: no control characters, bounded length.
std::string clean(std::string_view text) {
  constexpr size_t kMax = 80;
  std::string out;
  for (char c : text) {
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

std::string kind_words(DocumentKind kind) {
  std::string s(to_string(kind));
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// "invoice 4711": the document as people know it.
std::string label(const Document& doc) {
  return kind_words(doc.kind) + " " +
         clean(doc.document_number.empty() ? doc.match_key : doc.document_number);
}

std::string customer_part(const Document& doc) {
  return doc.customer_key.empty() ? "" : " (customer " + clean(doc.customer_key) + ")";
}

nlohmann::json describe(const Document& doc) {
  nlohmann::json j = nlohmann::json::object();
  j["document_number"] = doc.document_number;
  j["external_id"] = doc.external_id;
  j["customer_key"] = doc.customer_key;
  if (!doc.customer_name.empty()) j["customer_name"] = doc.customer_name;
  j["amount"] = doc.amount.to_display();
  j["open_amount"] = doc.open_amount.to_display();
  j["currency"] = std::string(doc.currency());
  if (doc.issue_date) j["issue_date"] = format_date(*doc.issue_date);
  if (doc.due_date) j["due_date"] = format_date(*doc.due_date);
  j["status"] = std::string(to_string(doc.status));
  return j;
}

// The first present document of `system` in the group (by external id, so
// that the choice is stable across runs), or nullptr.
const Document* representative(const std::vector<const Document*>& sorted,
                               const std::string& system) {
  for (const Document* d : sorted) {
    if (d->system == system && counts_as_present(*d)) return d;
  }
  return nullptr;
}

class Evaluator {
 public:
  Evaluator(const GroupInput& group, const ReconcileConfig& config, Instant now)
      : group_(group), config_(config), now_(now) {
    for (const Document& d : group.documents) {
      if (d.kind == group.kind && d.match_key == group.match_key) sorted_.push_back(&d);
    }
    std::sort(sorted_.begin(), sorted_.end(), [](const Document* a, const Document* b) {
      return std::tie(a->system, a->external_id) < std::tie(b->system, b->external_id);
    });
  }

  Evaluation run() {
    if (group_.kind == DocumentKind::kCustomer) return {};
    pair_rules();
    duplicate_rule();
    if (group_.kind == DocumentKind::kInvoice || group_.kind == DocumentKind::kDebitMemo) {
      payment_sum_rules();
    }
    if (group_.kind == DocumentKind::kPayment) unknown_target_rule();

    // Two pairs naming the same systems would report the same fingerprint.
    Evaluation out;
    std::vector<std::string> seen;
    for (Finding& f : findings_) {
      std::string fp = fingerprint(f);
      if (std::find(seen.begin(), seen.end(), fp) != seen.end()) continue;
      seen.push_back(fp);
      out.findings.push_back(std::move(f));
    }
    out.recheck_at = recheck_at_;
    return out;
  }

 private:
  Finding make(std::string_view rule, std::vector<std::string> systems, const Document& about) {
    Finding f;
    f.rule = std::string(rule);
    f.kind = group_.kind;
    f.match_key = group_.match_key;
    std::sort(systems.begin(), systems.end());
    f.systems = std::move(systems);
    f.severity = config_.severity_of(rule);
    f.customer_key = about.customer_key;
    f.details = nlohmann::json::object();
    return f;
  }

  void pair_rules() {
    for (const PairConfig& pair : config_.pairs) {
      if (!pair.covers(group_.kind)) continue;
      const Document* l = representative(sorted_, pair.left);
      const Document* r = representative(sorted_, pair.right);
      if (l && r) {
        compare(pair, *l, *r);
      } else if (l || r) {
        missing(pair, l ? *l : *r, l ? pair.right : pair.left);
      }
    }
  }

  void missing(const PairConfig& pair, const Document& present, const std::string& absent) {
    auto known = group_.known_since.find(present.system);
    if (known != group_.known_since.end()) {
      Instant due = known->second + pair.missing_grace;
      if (now_ < due) {
        if (!recheck_at_ || due < *recheck_at_) recheck_at_ = due;
        return;
      }
    }
    Finding f = make(kRuleMissingInSystem, {present.system, absent}, present);
    f.summary = label(present) + customer_part(present) + " is in " + present.system +
                " but missing in " + absent;
    f.details[present.system] = describe(present);
    f.details["present_in"] = present.system;
    f.details["missing_in"] = absent;
    findings_.push_back(std::move(f));
  }

  void compare(const PairConfig& pair, const Document& l, const Document& r) {
    auto both = [&](Finding& f) {
      f.details[l.system] = describe(l);
      f.details[r.system] = describe(r);
    };
    if (!(l.amount.currency() == r.amount.currency())) {
      Finding f = make(kRuleCurrencyDiffers, {l.system, r.system}, l);
      f.summary = label(l) + customer_part(l) + ": currency " + std::string(l.currency()) +
                  " in " + l.system + " vs " + std::string(r.currency()) + " in " + r.system;
      both(f);
      findings_.push_back(std::move(f));
    } else {
      Result<Money> diff = l.amount.minus(r.amount);
      Money tol = tolerance_in(pair.amount_tolerance, l.amount.currency());
      // An overflowing difference is certainly beyond any tolerance.
      bool differs = !diff.is_ok() || diff->abs().minor_units() > tol.minor_units();
      if (differs) {
        Finding f = make(kRuleAmountDiffers, {l.system, r.system}, l);
        std::string diff_text = diff.is_ok() ? diff->abs().to_display() : "overflow";
        f.summary = label(l) + customer_part(l) + ": amount " + l.amount.to_display() + " in " +
                    l.system + " vs " + r.amount.to_display() + " in " + r.system +
                    ", difference " + diff_text;
        both(f);
        f.details["difference"] = diff_text;
        f.details["tolerance"] = tol.to_display();
        findings_.push_back(std::move(f));
      }
    }
    if (!l.customer_key.empty() && !r.customer_key.empty() && l.customer_key != r.customer_key) {
      Finding f = make(kRuleCustomerDiffers, {l.system, r.system}, l);
      f.summary = label(l) + ": customer " + clean(l.customer_key) + " in " + l.system + " vs " +
                  clean(r.customer_key) + " in " + r.system;
      both(f);
      findings_.push_back(std::move(f));
    }
  }

  void duplicate_rule() {
    std::vector<std::string> systems;
    for (const Document* d : sorted_) {
      if (systems.empty() || systems.back() != d->system) systems.push_back(d->system);
    }
    for (const std::string& system : systems) {
      std::vector<const Document*> present;
      for (const Document* d : sorted_) {
        if (d->system == system && counts_as_present(*d)) present.push_back(d);
      }
      if (present.size() < 2) continue;  // sorted_ holds distinct external ids per system
      Finding f = make(kRuleDuplicateDocument, {system}, *present.front());
      std::string ids;
      nlohmann::json docs = nlohmann::json::array();
      constexpr size_t kListed = 5;  // keeps the summary one readable line
      for (size_t i = 0; i < present.size(); ++i) {
        docs.push_back(describe(*present[i]));
        if (i < kListed) {
          if (!ids.empty()) ids += ", ";
          ids += clean(present[i]->external_id);
        }
      }
      if (present.size() > kListed) ids += " and " + std::to_string(present.size() - kListed) + " more";
      f.summary = label(*present.front()) + customer_part(*present.front()) + " appears " +
                  std::to_string(present.size()) + " times in " + system + " (external ids " +
                  ids + ")";
      f.details[system] = describe(*present.front());
      f.details["documents"] = docs;
      findings_.push_back(std::move(f));
    }
  }

  Money tolerance_for(const std::string& system, const Currency& currency) const {
    Money best(0, currency);
    for (const PairConfig& pair : config_.pairs) {
      if (pair.left != system && pair.right != system) continue;
      Money t = tolerance_in(pair.amount_tolerance, currency);
      if (t.minor_units() > best.minor_units()) best = t;
    }
    return best;
  }

  void payment_sum_rules() {
    std::vector<std::string> systems;
    for (const Document* d : sorted_) {
      if (counts_as_present(*d) &&
          std::find(systems.begin(), systems.end(), d->system) == systems.end()) {
        systems.push_back(d->system);
      }
    }
    for (const std::string& system : systems) {
      const Document& inv = *representative(sorted_, system);
      const Currency& cur = inv.amount.currency();
      Money paid(0, cur);
      Money discount(0, cur);
      bool comparable = true;
      nlohmann::json settled_by = nlohmann::json::array();
      for (const Document& s : group_.settlements) {
        if (s.system != system || !counts_as_present(s)) continue;
        for (const Application& a : s.applications) {
          if (a.target_kind != group_.kind || a.target_match_key != group_.match_key) continue;
          Result<Money> p = paid.plus(a.amount);
          Result<Money> d = a.discount.is_zero() ? Result<Money>(discount) : discount.plus(a.discount);
          if (!p.is_ok() || !d.is_ok()) {
            comparable = false;  // another currency, or overflow: not comparable
            break;
          }
          paid = *p;
          discount = *d;
          settled_by.push_back(label(s) + " (" + clean(s.external_id) + "): " +
                               a.amount.to_display());
        }
        if (!comparable) break;
      }
      if (!comparable) continue;
      Result<Money> total = paid.plus(discount);
      if (!total.is_ok() || total->minor_units() <= 0) continue;
      Result<Money> gap = inv.amount.minus(*total);
      if (!gap.is_ok()) continue;
      Money tol = tolerance_for(system, cur);
      bool short_paid = gap->minor_units() > tol.minor_units();
      bool over_paid = gap->negated().minor_units() > tol.minor_units();
      if (!short_paid && !over_paid) continue;

      Finding f = make(short_paid ? kRuleShortPayment : kRuleOverpayment, {system}, inv);
      f.details[system] = describe(inv);
      f.details["invoice_amount"] = inv.amount.to_display();
      f.details["paid"] = paid.to_display();
      f.details["discount"] = discount.to_display();
      f.details["settled_by"] = settled_by;
      std::string head = label(inv) + customer_part(inv) + " in " + system + ": paid " +
                         paid.to_display() +
                         (discount.is_zero() ? "" : " + discount " + discount.to_display()) +
                         " of " + inv.amount.to_display();
      if (short_paid) {
        f.details["shortfall"] = gap->to_display();
        f.summary = head + ", short " + gap->to_display();
      } else {
        f.details["excess"] = gap->negated().to_display();
        f.summary = head + ", excess " + gap->negated().to_display();
      }
      findings_.push_back(std::move(f));
    }
  }

  void unknown_target_rule() {
    std::vector<std::string> systems;
    for (const Document* d : sorted_) {
      if (std::find(systems.begin(), systems.end(), d->system) == systems.end()) {
        systems.push_back(d->system);
      }
    }
    for (const std::string& system : systems) {
      const Document* first = nullptr;
      nlohmann::json unknown = nlohmann::json::array();
      std::string listed;
      for (const Document* d : sorted_) {
        if (d->system != system || !counts_as_present(*d)) continue;
        for (const Application& a : d->applications) {
          if (group_.known_targets.count({a.target_kind, a.target_match_key})) continue;
          if (!first) first = d;
          std::string t = kind_words(a.target_kind) + " " +
                          clean(a.target_number.empty() ? a.target_match_key : a.target_number);
          if (std::find(unknown.begin(), unknown.end(), t) != unknown.end()) continue;
          unknown.push_back(t);
          if (!listed.empty()) listed += ", ";
          listed += t;
        }
      }
      if (!first) continue;
      Finding f = make(kRulePaymentUnknownInvoice, {system}, *first);
      f.summary = label(*first) + customer_part(*first) + " in " + system +
                  " is applied to " + listed + ", which no system has";
      f.details[system] = describe(*first);
      f.details["unknown_targets"] = unknown;
      findings_.push_back(std::move(f));
    }
  }

  const GroupInput& group_;
  const ReconcileConfig& config_;
  Instant now_;
  std::vector<const Document*> sorted_;
  std::vector<Finding> findings_;
  std::optional<Instant> recheck_at_;
};

}  // namespace

bool counts_as_present(const Document& doc) {
  return doc.status != DocumentStatus::kVoid && doc.status != DocumentStatus::kDeleted;
}

std::optional<Instant> estimate_known_since(const Document& doc) {
  std::optional<Instant> out;
  if (doc.issue_date) out = Instant(std::chrono::sys_days(*doc.issue_date));
  if (!doc.source_updated_at.empty()) {
    Result<Instant> t = parse_instant(doc.source_updated_at);
    if (t.is_ok() && (!out || *t < *out)) out = *t;
  }
  return out;
}

Evaluation evaluate_group(const GroupInput& group, const ReconcileConfig& config, Instant now) {
  return Evaluator(group, config, now).run();
}

}  // namespace arsync::reconcile
