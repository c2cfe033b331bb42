// The connector interface, plugin side: what a connector implements and what
// it is given.
//
// This header (with record.h, credentials.h and http_route.h) is the
// boundary that built-in connectors and third-party connector plugins
// compile against. It depends only on the model (Status, Document), never on
// the store, the reconciler or email; records cross it as arsync::Record, a
// layout of arsync's own. Configuration (settings, config key defaults) is
// still nlohmann::json. The host's side (the registry, built-in
// registration) is daemon/connector/registry.h.
//
// A connector turns its system's records into RawRecords: a Record per
// record (an IDoc becomes an object of its segments, nested by hierarchy,
// fields as strings; a JSON payload goes through parse_json_record, which
// keeps each number's text). Mapping files turn those into canonical
// Documents; the engine stores them. A connector streams records into a
// RecordSink in batches, each batch with the cursor to store after it; once
// the sink's flush() returns OK every batch and its cursor are committed, so
// a connector may then acknowledge or archive its source.
//
// Thread safety: a Connector instance is used by one thread at a time,
// except routes' handlers (see http_route.h) and ConnectorContext::wake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/credentials.h"
#include "arsync/http_route.h"
#include "arsync/model/clock.h"
#include "arsync/model/document.h"
#include "arsync/model/field_selection.h"
#include "arsync/model/record_schema.h"
#include "arsync/model/status.h"
#include "arsync/record.h"

namespace arsync {

// Bumped when this header (or a type it carries) changes incompatibly. A
// ConnectorType records the value it was built with; the registry refuses a
// type whose value differs.
inline constexpr int kConnectorAbiVersion = 6;

// One record as the source system gave it.
struct RawRecord {
  std::string entity;       // source record type: "INVOIC02", "REMADV", "Invoice", ...
  std::string external_id;  // id in the source system
  std::string version;      // source's own version (IDoc DOCNUM, SyncToken, ...)
  Record data;              // the record, for the mapping (only the selected
                            // parts, see RecordSink::fields_read)
  std::string source;       // where it came from, for errors: file name, URL
  RawRef raw_ref;           // where its raw bytes are kept (may be empty); with
                            // `raw` set, its sha256 may be left empty: the
                            // engine then hashes those bytes
  std::string raw;          // its bytes as received (an IDoc's XML or flat
                            // lines, an API's JSON), quarantined if it cannot
                            // be mapped; empty when the connector keeps none
};

// A record that could not be read. It is quarantined with its bytes and error
// and the rest of the batch goes on.
struct RejectedRecord {
  std::string entity;       // if known
  std::string external_id;  // if known (IDoc number)
  Status error;             // says what and where (file, IDoc, segment, field)
  std::string raw;          // the raw bytes, as received
};

// A record deleted at its source (a QuickBooks "Delete" change, a NetSuite
// deleted record). Committed with its batch, like the batch's records.
struct DeletedRecord {
  std::string entity;       // source record type, as in RawRecord
  std::string external_id;  // id in the source system
  std::string source;       // where the deletion was learnt, for errors
};

struct RecordBatch {
  std::vector<RawRecord> records;
  std::vector<RejectedRecord> rejected;
  std::vector<DeletedRecord> deletions;
  // Cursor to store once this batch is committed (opaque to the engine).
  std::string cursor;
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Maps and commits `batch` with its cursor in one transaction, in the order
  // accepted. A sink may commit asynchronously: OK means the batch was taken
  // (and, for a synchronous sink, committed). An error means this batch, and
  // possibly earlier ones not yet committed, were not committed; the
  // connector must stop pulling (the next cycle resumes from the last
  // committed cursor).
  virtual Status accept(RecordBatch batch) = 0;

  // Returns once every accepted batch is committed, or the first commit
  // error. A connector calls it before it acknowledges, archives or deletes
  // anything at its source. Default: nothing pending.
  virtual Status flush() { return Status::ok(); }

  // What the sink reads from records of type `entity`; null (the default)
  // when it needs them whole. The selection lives as long as the sink.
  virtual const FieldSelection* fields_read(const std::string& entity) const {
    (void)entity;
    return nullptr;
  }
};

// A write-back operation (payments, adjustments) for connectors that push.
struct Operation {
  std::string idempotency_key;  // the same key must never apply twice
  std::string action;           // "create", "update", "delete"
  Document document;
};

// What the host did with a batch handed to ConnectorContext::commit.
struct CommitSummary {
  std::size_t records = 0;      // records and rejected records in the batch
  std::size_t stored = 0;       // documents inserted, updated or unchanged
  std::size_t quarantined = 0;  // rejected, unmapped or failing to map
  std::size_t skipped = 0;      // left out by a mapping's "skip" rule
  std::size_t deleted = 0;      // documents held as deleted at their source
};

// What a connector instance is told at creation.
struct ConnectorContext {
  std::string system;        // instance name from the config, "sap-ecc"
  nlohmann::json settings;   // this instance's settings, validated
  std::string state_dir;     // a folder it may own for state/spool files
  std::string mappings_dir;  // this system's mapping folder (data files such as
                             // IDoc segment layouts may live below it)
  const Clock* clock = nullptr;
  // This system's entries of the secrets file (systems.<name>: an OAuth
  // client secret, a webhook verifier token), by key. Never log them or put
  // them in an error message.
  std::map<std::string, std::string> secrets;
  // This system's durable credentials (OAuth tokens); null when the host
  // keeps none for it. Lives as long as the connector.
  CredentialHandle* credentials = nullptr;
  // Asks the host to run this system's pull soon (a webhook said something
  // changed, a file arrived). Returns at once; callable from any thread,
  // also from a route's handler. May be empty (a one-shot run, tests).
  std::function<void()> wake;
  // Maps and commits records that arrive outside a pull (an IDoc post, a
  // webhook's payload) and returns once they are committed: every record
  // stored or quarantined with its bytes, durably; or why not (nothing of
  // the batch was then written: the sender should send it again). The
  // batch's cursor must be empty (these records do not move the pull
  // cursor). Records committed again (a resend) are stored once.
  // Callable from any thread, also from a route's handler, concurrently.
  // May be empty (a one-shot run, `arsync mapping test`): then the
  // connector serves no routes that take records.
  std::function<Result<CommitSummary>(RecordBatch batch)> commit;
};

class Connector {
 public:
  virtual ~Connector() = default;

  // Streams records changed since `cursor` ("" on the first run) into `sink`.
  // Returns OK when everything available has been delivered; an error if the
  // source could not be read or the sink failed (records already accepted
  // stay committed).
  virtual Status pull(const std::string& cursor, RecordSink& sink) = 0;

  // Carries out one write-back operation idempotently. Default: unimplemented.
  virtual Status push(const Operation& op);

  // Can it reach and authenticate against its system? OK or why not.
  virtual Status check() = 0;

  // HTTP routes it serves on the daemon's listener (an IDoc port, a
  // webhook). Asked once after creation; the handlers then run on the
  // listener's threads, concurrently with pull(). Default: none.
  virtual std::vector<HttpRoute> routes() { return {}; }
};

// One configuration key a connector type accepts (published as data, so the
// core can validate a config and `arsync connectors describe` can print it).
struct ConfigKey {
  std::string name;
  std::string type;  // "string", "integer", "boolean", "path", "object", "array"
  nlohmann::json default_value;  // null when none
  bool required = false;
  std::string description;
};

struct ConnectorType {
  // The interface version this type was compiled against; leave it at the
  // default. The registry refuses a type built against another version.
  int abi_version = kConnectorAbiVersion;
  std::string name;  // "sap_idoc"
  std::string description;
  std::vector<ConfigKey> config_keys;
  std::function<Result<std::unique_ptr<Connector>>(const ConnectorContext&)> create;
  // Optional: reads one source file exactly as the connector would receive it
  // and hands each record (or each unreadable one) to the callbacks, without
  // moving the file. `ctx.settings` may be empty (defaults apply). Used by
  // `arsync mapping test FILE INPUT`. Returns an error only when the file as
  // a whole cannot be read.
  std::function<Status(const ConnectorContext& ctx, const std::string& path,
                       const std::function<void(RawRecord)>& on_record,
                       const std::function<void(RejectedRecord)>& on_rejected)>
      read_file;
  // read_file takes `.json` files too: the connector's records arrive in JSON
  // response bodies (a saved page maps as the connector would read it).
  // Without it, a `.json` INPUT is one record, as a mapping sees it.
  bool read_file_takes_json = false;
  // Optional: the record types and the names inside them that this type's
  // records carry. Mapping files for the type are checked against it by
  // `arsync mapping check|test` and when arsyncd loads them, so a misspelled
  // segment, field or entity is an error instead of a field that is never
  // found. `ctx.settings` may be empty (defaults apply). Without it, names
  // in mapping files are not checked.
  std::function<Result<RecordSchema>(const ConnectorContext& ctx)> schema;
  // Optional: connects a system to its account once, as a person does it
  // (an OAuth 2.0 consent), and stores what it gets through ctx.credentials.
  // `ctx` is as create() gets it (settings, secrets, credentials; no wake,
  // no commit). `interact` shows its text to the person and returns the
  // line they answer. Used by `arsync auth TYPE SYSTEM`. Returns OK once the
  // credentials are stored, or why not (nothing stored).
  std::function<Status(const ConnectorContext& ctx,
                       const std::function<std::string(const std::string& text)>& interact)>
      authorize;
};

}  // namespace arsync
