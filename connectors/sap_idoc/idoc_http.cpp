// SAP's XML-HTTP port: check the document, read its IDocs, archive the
// body, commit, answer (see idoc_http.h).
#include "idoc_http.h"

#include <chrono>
#include <memory>
#include <vector>

#include "arsync/log/log.h"
#include "arsync/model/sha256.h"
#include "idoc_reader.h"

namespace arsync::connectors::sap_idoc {

namespace {

// Rejected IDocs listed by name in a 200's body; the rest are counted.
constexpr std::size_t kListedRejections = 20;

// Seconds a sender is asked to wait before it resends after a 503.
constexpr char kRetryAfterSeconds[] = "30";

HttpResponse text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::move(body);
  return r;
}

// The error's message and where in the post it lies ("line 122, record
// 0000000000451235, segment E1EDK01, field BELNR"), without the server's
// file names.
std::string describe(const Status& error) {
  Location at = error.where();
  at.file.clear();
  const std::string where = at.to_string();
  return error.message() + (where.empty() ? "" : " (" + where + ")");
}

HttpResponse refuse(const IdocHttpInbound& in, const HttpRequest& request, const Status& error) {
  log::warn(in.system, "idoc_post_refused",
            {{"remote", request.remote_address}, {"error", describe(error)}});
  return text(400, "IDoc-XML refused, nothing was stored: " + describe(error) + "\n");
}

// A post that was read but not committed: SAP is to send it again.
HttpResponse not_stored(const IdocHttpInbound& in, const HttpRequest& request,
                        const Status& error) {
  log::warn(in.system, "idoc_post_not_stored",
            {{"remote", request.remote_address}, {"error", error.to_string()}});
  HttpResponse r = text(error.retryable() ? 503 : 500,
                        "IDocs not stored, send them again: " + error.to_string() + "\n");
  if (error.retryable()) r.headers.push_back({"Retry-After", kRetryAfterSeconds});
  return r;
}

// The 200's body: counts, then the IDocs the reader rejected (`listed`, the
// first of `rejected`).
std::string stored_text(const CommitSummary& done, const std::vector<std::string>& listed,
                        std::size_t rejected) {
  std::string out = "OK: " + std::to_string(done.records) + " IDocs received, " +
                    std::to_string(done.stored) + " stored, " +
                    std::to_string(done.quarantined) + " quarantined";
  if (done.skipped > 0) out += ", " + std::to_string(done.skipped) + " skipped by the mapping";
  out += "\n";
  for (const std::string& line : listed) out += line + "\n";
  if (rejected > listed.size()) {
    out += "and " + std::to_string(rejected - listed.size()) + " more IDocs quarantined\n";
  }
  return out;
}

}  // namespace

std::string idoc_http_path(const std::string& system) { return "/sap/idoc/" + system; }

HttpRoute idoc_http_route(IdocHttpInbound inbound) {
  HttpRoute route;
  route.method = "POST";
  route.path = idoc_http_path(inbound.system);
  route.auth = RouteAuth::kListener;
  auto shared = std::make_shared<const IdocHttpInbound>(std::move(inbound));
  route.handle = [shared](const HttpRequest& request) { return handle_idoc_post(*shared, request); };
  return route;
}

HttpResponse handle_idoc_post(const IdocHttpInbound& in, const HttpRequest& request) {
  static const SystemClock kSystemClock;
  const std::string& body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return refuse(in, request,
                  Status(ErrorCode::kParseError, "the body is empty: expected IDoc-XML"));
  }
  // Named by its bytes: a resent post refers to the file it wrote before.
  const Clock& clock = in.clock != nullptr ? *in.clock : kSystemClock;
  const std::string archive =
      in.archive.archive_folder(Date(std::chrono::floor<std::chrono::days>(clock.now()))) +
      "/idoc-post-" + sha256_hex(body) + ".xml";
  ReaderOptions options;
  options.source_name = archive;
  Result<std::unique_ptr<IdocReader>> reader = open_idoc_xml_reader(body, options);
  if (!reader.is_ok()) return refuse(in, request, reader.status());
  // The whole document before its IDocs: a post that is not IDoc-XML is
  // refused as a whole, before anything is archived or committed.
  if (Status whole = check_idoc_xml_document(body, archive); !whole.is_ok()) {
    return refuse(in, request, whole);
  }
  RecordBatch batch;  // cursor "": a post does not move the pull's cursor
  for (;;) {
    Result<std::optional<IdocItem>> item = (*reader)->next();
    if (!item.is_ok()) return refuse(in, request, item.status());
    if (!item->has_value()) break;
    IdocItem& idoc = **item;
    if (idoc.record) {
      idoc.record->raw_ref.sha256 = sha256_hex(idoc.record->raw);
      batch.records.push_back(std::move(*idoc.record));
    } else {
      log::debug(in.system, "idoc_rejected",
                 {{"file", archive},
                  {"idoc", idoc.rejected->external_id},
                  {"offset", std::to_string(idoc.offset)},
                  {"error", idoc.rejected->error.to_string()}});
      batch.rejected.push_back(std::move(*idoc.rejected));
    }
  }

  // Before the commit: once committed, the store refers to this file.
  if (Status archived = in.archive.write_archive(archive, body); !archived.is_ok()) {
    return not_stored(in, request, archived);
  }
  std::vector<std::string> rejections;
  for (const RejectedRecord& r : batch.rejected) {
    if (rejections.size() == kListedRejections) break;
    rejections.push_back("quarantined IDoc " +
                         (r.external_id.empty() ? std::string("(no number)") : r.external_id) +
                         ": " + describe(r.error));
  }
  const std::size_t rejected = batch.rejected.size();
  Result<CommitSummary> done = in.commit(std::move(batch));
  if (!done.is_ok()) return not_stored(in, request, done.status());
  log::debug(in.system, "idoc_post_stored",
             {{"remote", request.remote_address},
              {"archive", archive},
              {"idocs", std::to_string(done->records)},
              {"stored", std::to_string(done->stored)},
              {"quarantined", std::to_string(done->quarantined)}});
  return text(200, stored_text(*done, rejections, rejected));
}

}  // namespace arsync::connectors::sap_idoc
