// The sap_idoc connector: factory, configuration keys and pull().
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>

#include "arsync/log/log.h"
#include "drop_folder.h"
#include "folder_watch.h"
#include "idoc_http.h"
#include "idoc_reader.h"
#include "sap_idoc.h"
#include "segment_definitions.h"

#ifndef ARSYNC_IDOC_SEGMENTS_DIR
#define ARSYNC_IDOC_SEGMENTS_DIR "/usr/share/arsync/mappings/sap_idoc/segments"
#endif

namespace arsync::connectors::sap_idoc {


namespace {

namespace fs = std::filesystem;

// A quarantined file's first bytes are kept in the store, up to this much.
constexpr std::size_t kRawCap = 1u << 20;

// IDocs read before they are handed to the sink. Small, so that an IDoc's
// JSON is mapped and freed soon after it was built, and so that the sink can
// balance the hashing of raw bytes between its threads batch by batch (the
// engine gathers batches into larger transactions). bench/idoc_ingest, 100k
// IDocs, against batches of 500: flat files 70-73% of the SQLite bound
// instead of 65-68%, IDoc-XML 60-61% instead of 58-59%.
constexpr std::int64_t kDefaultBatchSize = 50;

// The flat-file segment layouts: settings.segments_dir, else the system's
// mapping folder's segments/, else the compiled-in default.
Result<SegmentDefinitions> load_segments(const ConnectorContext& ctx) {
  std::string dir;
  if (ctx.settings.is_object() && ctx.settings.contains("segments_dir") &&
      ctx.settings["segments_dir"].is_string()) {
    dir = ctx.settings["segments_dir"].get<std::string>();
  }
  if (dir.empty() && !ctx.mappings_dir.empty() && fs::is_directory(fs::path(ctx.mappings_dir) / "segments")) {
    dir = (fs::path(ctx.mappings_dir) / "segments").string();
  }
  if (dir.empty()) dir = ARSYNC_IDOC_SEGMENTS_DIR;
  return SegmentDefinitions::load_directory(dir);
}

std::string setting(const nlohmann::json& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The `encoding` setting: how flat files are decoded.
Result<TextEncoding> flat_encoding(const ConnectorContext& ctx) {
  std::string name = ctx.settings.is_object() ? setting(ctx.settings, "encoding") : "";
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.empty() || name == "utf-8" || name == "utf8") return TextEncoding::kUtf8;
  if (name == "iso-8859-1" || name == "latin1" || name == "latin-1") return TextEncoding::kLatin1;
  return Status(ErrorCode::kInvalidArgument,
                "systems." + ctx.system + ".settings.encoding must be utf-8 or iso-8859-1, got '" +
                    printable(name) + "'");
}

// `arsync mapping test`: every IDoc of one file, without moving it.
Status read_file(const ConnectorContext& ctx, const std::string& path,
                 const std::function<void(RawRecord)>& on_record,
                 const std::function<void(RejectedRecord)>& on_rejected) {
  Result<SegmentDefinitions> defs = load_segments(ctx);
  if (!defs.is_ok()) return defs.status();
  Result<TextEncoding> encoding = flat_encoding(ctx);
  if (!encoding.is_ok()) return encoding.status();
  ReaderOptions options;
  options.source_name = path;
  options.segments = &*defs;
  options.flat_encoding = *encoding;
  Result<std::unique_ptr<IdocReader>> reader = open_idoc_reader(path, options);
  if (!reader.is_ok()) return reader.status();
  for (;;) {
    Result<std::optional<IdocItem>> item = (*reader)->next();
    if (!item.is_ok()) return item.status();
    if (!item->has_value()) return Status::ok();
    IdocItem& it = **item;
    if (it.record) on_record(std::move(*it.record));
    if (it.rejected) on_rejected(std::move(*it.rejected));
  }
}

struct Cursor {
  std::string file;     // file being read, "" when none
  std::uint64_t idocs = 0;  // IDocs of it committed
  std::string archive;  // where its bytes will be archived
};

std::string encode(const Cursor& c) {
  nlohmann::json j = {{"file", c.file}, {"idocs", c.idocs}};
  if (!c.archive.empty()) j["archive"] = c.archive;
  return j.dump();
}

Result<Cursor> decode(const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.value("file", nlohmann::json()).is_string()) {
    return Status(ErrorCode::kInvalidArgument, "sap_idoc cursor is not valid: " + text);
  }
  c.file = j["file"].get<std::string>();
  if (j.contains("idocs") && j["idocs"].is_number_unsigned()) c.idocs = j["idocs"].get<std::uint64_t>();
  if (j.contains("archive") && j["archive"].is_string()) c.archive = j["archive"].get<std::string>();
  return c;
}

std::vector<std::string> split_patterns(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string p = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    p.erase(0, p.find_first_not_of(' '));
    p.erase(p.find_last_not_of(' ') + 1);
    if (!p.empty()) out.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

class SapIdocConnector final : public Connector {
 public:
  SapIdocConnector(DropFolder folder, SegmentDefinitions defs, std::size_t batch_size,
                   TextEncoding encoding, const Clock* clock, std::vector<HttpRoute> routes)
      : folder_(std::move(folder)), defs_(std::move(defs)), batch_size_(batch_size),
        encoding_(encoding), clock_(clock ? clock : &system_clock_), routes_(std::move(routes)) {}

  // SAP's XML-HTTP port (idoc_http.h), when the host can commit posts.
  std::vector<HttpRoute> routes() override { return routes_; }

  Status pull(const std::string& cursor_text, RecordSink& sink) override {
    Result<Cursor> cursor = decode(cursor_text);
    if (!cursor.is_ok()) return cursor.status();
    ARSYNC_RETURN_IF_ERROR(folder_.prepare());
    if (http_only()) return Status::ok();  // SAP posts; there is no folder to pull
    // Files a crashed run claimed come first; only the one the cursor names
    // has IDocs already committed.
    Result<std::vector<std::string>> claimed = folder_.claimed();
    if (!claimed.is_ok()) return claimed.status();
    for (const std::string& name : *claimed) {
      Cursor resume;
      if (!cursor->file.empty() && cursor->file == name) resume = *cursor;
      ARSYNC_RETURN_IF_ERROR(process(name, resume, sink));
    }
    Result<std::vector<std::string>> waiting = folder_.waiting();
    if (!waiting.is_ok()) return waiting.status();
    for (const std::string& name : *waiting) {
      Result<Claim> got = folder_.claim(name);
      if (!got.is_ok()) return got.status();
      if (got->outcome != ClaimOutcome::kClaimed) continue;  // taken by another, or refused
      log::debug(system(), "file_claimed",
                 {{"file", folder_.processing_path(name)}, {"bytes", std::to_string(got->bytes)}});
      ARSYNC_RETURN_IF_ERROR(process(name, Cursor{}, sink));
    }
    return Status::ok();
  }

  Status check() override {
    if (http_only()) return folder_.prepare();
    const std::string& dir = folder_.paths().inbound;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return Status(ErrorCode::kNotFound, "inbound_dir " + dir + " does not exist or is not a folder",
                    Location::in_file(dir));
    }
    if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
      return Status(ErrorCode::kIoError,
                    "inbound_dir " + dir + " is not readable and writable by this user",
                    Location::in_file(dir));
    }
    return folder_.prepare();
  }

  // Calls `wake` when a file arrives in inbound_dir (folder_watch.h). A
  // watch that cannot be set up is logged (once: this is called once per
  // instance) and the interval pull goes on finding files.
  void watch_inbound(std::function<void()> wake) {
    Result<std::unique_ptr<FolderWatch>> w = FolderWatch::start(folder_.paths(), std::move(wake));
    if (w.is_ok()) {
      watch_ = std::move(w).value();
      return;
    }
    log::warn(system(), "folder_watch_unavailable",
              {{"error", w.status().to_string()},
               {"consequence", "files are pulled at the interval, not as they arrive"}});
  }

 private:
  Status commit(RecordSink& sink, RecordBatch& batch) {
    Status s = sink.accept(std::move(batch));
    batch = RecordBatch{};
    return s;
  }

  // Reads processing/<name> from IDoc number resume.idocs on, commits it in
  // batches, then archives it (or quarantines it when it cannot be read).
  Status process(const std::string& name, const Cursor& resume, RecordSink& sink) {
    std::string archive = resume.archive;
    if (archive.empty()) {
      archive = folder_.archive_path(
          name, Date(std::chrono::floor<std::chrono::days>(clock_->now())));
    }
    ReaderOptions options;
    options.source_name = archive;
    options.segments = &defs_;
    options.flat_encoding = encoding_;
    options.selection = [&sink](const std::string& idoc_type) {
      return sink.fields_read(idoc_type);
    };
    Result<std::unique_ptr<IdocReader>> reader = open_idoc_reader(folder_.processing_path(name), options);
    if (!reader.is_ok()) return fail_file(name, reader.status(), sink);

    RecordBatch batch;
    std::uint64_t index = 0;
    std::size_t in_batch = 0;
    for (;;) {
      Result<std::optional<IdocItem>> item = (*reader)->next();
      if (!item.is_ok()) return fail_file(name, item.status(), sink);
      if (!item->has_value()) break;
      ++index;
      IdocItem& idoc = **item;
      if (index <= resume.idocs) {
        log::debug(system(), "idoc_skipped",
                   {{"file", archive},
                    {"idoc", idoc.record ? idoc.record->external_id : idoc.rejected->external_id},
                    {"offset", std::to_string(idoc.offset)},
                    {"reason", "committed by an earlier run (the cursor is at IDoc " +
                                   std::to_string(resume.idocs) + " of the file)"}});
        continue;
      }
      if (idoc.rejected) {
        log::debug(system(), "idoc_rejected",
                   {{"file", archive},
                    {"idoc", idoc.rejected->external_id},
                    {"offset", std::to_string(idoc.offset)},
                    {"error", idoc.rejected->error.to_string()}});
      }
      if (idoc.record) {
        batch.records.push_back(std::move(*idoc.record));
      } else {
        batch.rejected.push_back(std::move(*idoc.rejected));
      }
      if (++in_batch == batch_size_) {
        batch.cursor = encode(Cursor{name, index, archive});
        ARSYNC_RETURN_IF_ERROR(commit(sink, batch));
        in_batch = 0;
      }
    }
    if (in_batch > 0) {
      batch.cursor = encode(Cursor{name, index, archive});
      ARSYNC_RETURN_IF_ERROR(commit(sink, batch));
    }
    // Every batch of the file must be committed before the file leaves
    // processing/: the sink may commit asynchronously.
    ARSYNC_RETURN_IF_ERROR(sink.flush());
    ARSYNC_RETURN_IF_ERROR(folder_.archive(name, archive));
    log::debug(system(), "file_archived",
               {{"file", name}, {"archive", archive}, {"idocs", std::to_string(index)}});
    // Only after the archive: a crash before this commit leaves a cursor
    // naming a file no longer in processing/, which is harmless.
    RecordBatch done;
    done.cursor = encode(Cursor{});
    return commit(sink, done);
  }

  // A file that cannot be read: reported as one rejected record, then moved
  // to quarantine with its .error file.
  Status fail_file(const std::string& name, Status error, RecordSink& sink) {
    std::string path = folder_.quarantine_path(name);
    error.where().file = path;
    RejectedRecord rejected;
    rejected.error = error;
    {
      std::ifstream in(folder_.processing_path(name), std::ios::binary);
      rejected.raw.resize(kRawCap);
      in.read(rejected.raw.data(), static_cast<std::streamsize>(kRawCap));
      rejected.raw.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    }
    RecordBatch batch;
    batch.rejected.push_back(std::move(rejected));
    batch.cursor = encode(Cursor{});
    ARSYNC_RETURN_IF_ERROR(commit(sink, batch));
    ARSYNC_RETURN_IF_ERROR(sink.flush());
    // A crash from here until the move replays this file: the same error
    // at the same quarantine path, which the store keeps as one row.
    Result<std::string> moved = folder_.quarantine(name, error.to_string());
    if (moved.is_ok()) {
      log::debug(system(), "file_quarantined",
                 {{"file", name}, {"quarantine", *moved}, {"error", error.to_string()}});
    }
    return moved.status();
  }

  const std::string& system() const { return folder_.paths().system; }
  // No inbound_dir: only SAP's XML-HTTP port feeds this system.
  bool http_only() const { return folder_.paths().inbound.empty(); }

  DropFolder folder_;
  SegmentDefinitions defs_;
  std::size_t batch_size_;
  TextEncoding encoding_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::vector<HttpRoute> routes_;
  std::unique_ptr<FolderWatch> watch_;  // null without a wake; stopped first
};

Result<std::unique_ptr<Connector>> create(const ConnectorContext& ctx) {
  const nlohmann::json& s = ctx.settings;
  std::string where = "systems." + ctx.system + ".settings";
  std::string inbound = setting(s, "inbound_dir");
  // Without a folder, SAP's XML-HTTP port alone feeds the system.
  const bool http_inbound = !s.contains("http_inbound") || !s["http_inbound"].is_boolean() ||
                            s["http_inbound"].get<bool>();
  if (inbound.empty() && !http_inbound) {
    return Status(ErrorCode::kInvalidArgument,
                  where + ": missing key 'inbound_dir': with http_inbound false, the system has no "
                          "other source");
  }
  std::string work = setting(s, "work_dir");
  if (work.empty() && !ctx.state_dir.empty()) work = ctx.state_dir;
  if (work.empty() && !inbound.empty()) work = (fs::path(inbound).parent_path() / "work").string();
  if (work.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  where + ": without inbound_dir, work_dir is required (where posts are archived)");
  }
  DropFolderPaths paths;
  paths.system = ctx.system;
  paths.inbound = inbound;
  paths.processing = work + "/processing";
  paths.archive = setting(s, "archive_dir");
  if (paths.archive.empty()) paths.archive = work + "/archive";
  paths.quarantine = setting(s, "quarantine_dir");
  if (paths.quarantine.empty()) paths.quarantine = work + "/quarantine";
  std::string pattern = s.contains("file_pattern") ? setting(s, "file_pattern") : "*.xml,*.idoc,*.txt";
  paths.patterns = split_patterns(pattern);
  if (paths.patterns.empty()) {
    return Status(ErrorCode::kInvalidArgument, where + ".file_pattern must name at least one glob");
  }
  std::int64_t batch_size = kDefaultBatchSize;
  if (s.contains("batch_size")) {
    if (!s["batch_size"].is_number_integer()) {
      return Status(ErrorCode::kInvalidArgument, where + ".batch_size must be of type integer");
    }
    batch_size = s["batch_size"].get<std::int64_t>();
  }
  if (batch_size < 1) {
    return Status(ErrorCode::kInvalidArgument,
                  where + ".batch_size must be at least 1, got " + std::to_string(batch_size));
  }
  Result<TextEncoding> encoding = flat_encoding(ctx);
  if (!encoding.is_ok()) return encoding.status();
  Result<SegmentDefinitions> defs = load_segments(ctx);
  if (!defs.is_ok()) return defs.status();
  std::vector<HttpRoute> routes;
  if (http_inbound && ctx.commit) {
    routes.push_back(
        idoc_http_route(IdocHttpInbound{ctx.system, DropFolder(paths), ctx.clock, ctx.commit}));
  }
  auto connector = std::make_unique<SapIdocConnector>(
      DropFolder(std::move(paths)), std::move(defs).value(), static_cast<std::size_t>(batch_size),
      *encoding, ctx.clock, std::move(routes));
  if (ctx.wake && !inbound.empty()) connector->watch_inbound(ctx.wake);
  return std::unique_ptr<Connector>(std::move(connector));
}

}  // namespace

ConnectorType connector_type() {
  ConnectorType t;
  t.name = "sap_idoc";
  t.description =
      "SAP IDoc files (IDoc-XML and flat file: INVOIC02, PEXR2002, ...) from a file-drop folder, "
      "and IDoc-XML posted by SAP's XML-HTTP port";
  t.config_keys = {
      {"inbound_dir", "path", nullptr, false,
       "folder SAP's file port writes to; senders write *.tmp or dot files and rename when "
       "complete. Without it, HTTP posts alone feed the system (http_inbound must then be true, "
       "and work_dir set unless the daemon gives the connector a state folder)"},
      {"work_dir", "path", nullptr, false,
       "base of processing/, archive/ and quarantine/ (default: the connector's state folder, "
       "else <inbound_dir>/../work; required without inbound_dir); must be on inbound_dir's "
       "file system"},
      {"archive_dir", "path", nullptr, false,
       "where committed files go, as YYYY/MM/DD/<name> (default <work_dir>/archive)"},
      {"quarantine_dir", "path", nullptr, false,
       "where unreadable files go with a <name>.error beside them (default <work_dir>/quarantine)"},
      {"file_pattern", "string", "*.xml,*.idoc,*.txt", false,
       "comma-separated globs of file names to claim (*.tmp, *.part and dot files never are)"},
      {"batch_size", "integer", kDefaultBatchSize, false,
       "IDocs handed to the engine at a time, each batch with its cursor (the engine "
       "maps each batch at once and commits several together)"},
      {"encoding", "string", "utf-8", false,
       "how flat IDoc files are decoded: utf-8 or iso-8859-1 (IDoc-XML declares its own); "
       "an IDoc that is not valid UTF-8 in a UTF-8 file is quarantined with the byte offset"},
      {"http_inbound", "boolean", true, false,
       "serve SAP's XML-HTTP port: POST /sap/idoc/<system> on the daemon's HTTP listener "
       "(IDoc-XML, one IDoc or a packet; archived under archive_dir, answered 200 once "
       "committed)"},
      {"segments_dir", "path", nullptr, false,
       "folder of <IDOCTYP>.json flat-file segment layouts (default: segments/ in the "
       "system's mapping folder)"},
  };
  t.create = create;
  t.read_file = read_file;
  t.schema = [](const ConnectorContext& ctx) -> Result<RecordSchema> {
    Result<SegmentDefinitions> defs = load_segments(ctx);
    if (!defs.is_ok()) return defs.status();
    return defs->schema();
  };
  return t;
}

}  // namespace arsync::connectors::sap_idoc
