// One emulated QuickBooks Online company (realm): its entities in memory,
// the indexes the query and CDC paths page through, and the business rules
// of writes (totals, balances, payment applications, SyncToken, void and
// delete).
//
// Storage is shaped for a full load of 100,000 invoices in pages of 1000:
// each live entity is kept once as the compact JSON text it is served as,
// with the few fields that queries filter on beside it, and two sorted
// indexes per entity type: by (MetaData.LastUpdatedTime, Id) and by Id. A
// query whose conditions and order are on one of those keys is answered by
// binary search and index arithmetic, O(page), with no copy of the set;
// other conditions scan. Deleted entities leave the indexes and stay as
// tombstones for CDC.
//
// Thread safety: none; the server serialises every call under one mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "query_parser.h"

namespace arsync::emulators::quickbooks {

using Json = nlohmann::ordered_json;

// An error answer in Intuit's Fault shape ({"Fault":{"Error":[...],"type"}}).
struct Fault {
  int http_status = 400;
  std::string type = "ValidationFault";
  std::string message;
  std::string detail;
  std::string code;
  std::string element;
};

// What the emulator knows about one entity type.
struct EntityKind {
  std::string_view name;  // "Invoice": the JSON key and the query entity
  bool transaction;       // has TxnDate, DocNumber, TotalAmt, Line[]
  bool can_delete;
  bool can_void;
};

// Returns the kind named `name` in any letter case ("creditmemo"), or null.
const EntityKind* find_kind(std::string_view name);

struct Entity {
  const EntityKind* kind = nullptr;
  int64_t id = 0;
  int64_t sync_token = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // Filter fields, copied out of the body whenever it changes.
  std::string doc_number;
  std::string txn_date;
  std::string customer_ref;
  std::optional<bool> active;
  std::string text;  // the body as served, compact JSON
};

struct Tombstone {
  int64_t id = 0;
  int64_t deleted_ms = 0;
};

// One page of a query, pointing into the company (valid until the next write).
struct QueryPage {
  const EntityKind* kind = nullptr;
  bool count = false;
  int64_t total_count = 0;  // for COUNT(*)
  int64_t start_position = 1;
  std::vector<const Entity*> rows;
};

struct CdcGroup {
  const EntityKind* kind = nullptr;
  std::vector<const Entity*> changed;  // in LastUpdatedTime order
  std::vector<Tombstone> deleted;      // after the live ones, as Intuit orders them
};

// A change a write made, for webhooks: the entity written and any it touched
// (the invoices a payment applies to).
struct Change {
  std::string entity;     // "Invoice"
  int64_t id = 0;
  std::string operation;  // Create, Update, Delete, Void
  int64_t at_ms = 0;
};

struct WriteResult {
  std::string body;  // the member "Invoice":{...}, which the server wraps with "time"
  std::vector<Change> changes;
};

struct TrialBalanceRow {
  std::string account;
  std::string account_id;
  int64_t debit_cents = 0;
  int64_t credit_cents = 0;
};

class Company {
 public:
  explicit Company(std::string realm) : realm_(std::move(realm)) {}

  const std::string& realm() const { return realm_; }

  // Loading (fixtures, generated data): `body` must carry Id, SyncToken and
  // MetaData; its balances are taken as given. Call finish_load() once after.
  // Returns a description of what is wrong with `body`, or empty.
  std::string load(const EntityKind& kind, Json body);
  // The same for an entity whose text and filter fields the caller built
  // (the generator: 100,000 invoices without a JSON tree each). `e.kind` set.
  void load_built(std::unique_ptr<Entity> e);
  void finish_load();
  int64_t allocate_id() { return next_id_++; }
  // Records that payment `payment_id` applies `cents` to `target_id` (load only).
  void record_application(int64_t payment_id, int64_t target_id, int64_t cents);

  // SELECT against the live entities.
  std::variant<QueryPage, Fault> query(const Query& q) const;

  // The live entity `id` of `kind`, or null.
  const Entity* read(const EntityKind& kind, int64_t id) const;

  // Entities of `kinds` changed at or after `since_ms`, at most `cap` objects in all.
  std::vector<CdcGroup> cdc(const std::vector<const EntityKind*>& kinds, int64_t since_ms,
                            size_t cap) const;

  // POST /<entity>[?operation=delete|void]: create, full or sparse update,
  // delete or void, with Intuit's rules. `operation` is empty for create/update.
  std::variant<WriteResult, Fault> write(const EntityKind& kind, std::string_view operation,
                                         const Json& body, int64_t now_ms);

  // A/R, Undeposited Funds and Sales as of `end_date` (YYYY-MM-DD), home currency.
  std::vector<TrialBalanceRow> trial_balance(const std::string& end_date) const;

 private:
  struct Collection {
    std::vector<Entity*> by_time;  // live, sorted by (updated_ms, id)
    std::vector<Entity*> by_id;    // live, sorted by id
    std::vector<Tombstone> tombstones;  // in deletion order
  };

  Collection& collection(const EntityKind& kind) { return collections_[kind.name]; }
  const Collection* find_collection(const EntityKind& kind) const;
  void index_insert(Collection& c, Entity* e, bool by_id_too);
  void index_erase_time(Collection& c, const Entity* e);
  // Rewrites e's text from `body` and refreshes its filter fields.
  static void store_body(Entity& e, const Json& body);
  // Touches e: new SyncToken and LastUpdatedTime, re-sorted in by_time.
  void touch(Entity& e, Json& body, int64_t now_ms);

  std::variant<WriteResult, Fault> create(const EntityKind& kind, Json body, int64_t now_ms);
  std::variant<WriteResult, Fault> update(Entity& e, const Json& body, int64_t now_ms);
  std::variant<WriteResult, Fault> remove(Entity& e, int64_t now_ms);
  std::variant<WriteResult, Fault> void_txn(Entity& e, int64_t now_ms);
  std::optional<Fault> apply_rules(const EntityKind& kind, Json& body, int64_t entity_id,
                                   int64_t now_ms);  // now_ms: the default TxnDate
  std::optional<Fault> check_payment_targets(const Json& body) const;
  void apply_payment(int64_t payment_id, const Json& body, int64_t now_ms,
                     std::vector<Change>& changes);
  void unapply_payment(int64_t payment_id, int64_t now_ms, std::vector<Change>& changes);
  void refresh_balance(Entity& target, int64_t now_ms, int64_t payment_id, bool link,
                       std::vector<Change>& changes);

  std::string realm_;
  int64_t next_id_ = 1;
  int64_t next_doc_number_ = 1001;
  std::unordered_map<int64_t, std::unique_ptr<Entity>> live_;
  std::map<std::string_view, Collection> collections_;
  std::unordered_map<int64_t, int64_t> applied_;  // target id -> cents applied to it
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, int64_t>>> applications_;
};

// Money helpers shared by the rules, the generator and the report: amounts
// are integer cents; JSON numbers are read exactly to the cent.
int64_t json_to_cents(const Json& v);
Json cents_to_json(int64_t cents);
// The text cents_to_json(cents).dump() gives ("275.0", "362.07", "12.5").
std::string cents_text(int64_t cents);

}  // namespace arsync::emulators::quickbooks
