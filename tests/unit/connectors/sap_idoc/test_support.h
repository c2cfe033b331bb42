// Temp folders and file helpers for the sap_idoc tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "arsync/connector.h"
#include "arsync/log/log.h"
#include "arsync/record.h"
#include "arsync/store/quarantine_entry.h"

namespace arsync::connectors::sap_idoc::testing {

// A record as nlohmann::json, for comparing a reader's output with JSON
// literals (member order aside).
inline nlohmann::json as_json(const Record& r) { return nlohmann::json::parse(r.to_json_text()); }

inline std::string fixture(const std::string& name) {
  return std::string(ARSYNC_SOURCE_DIR) + "/tests/fixtures/idoc/" + name;
}

inline std::string segments_dir() {
  return std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc/segments";
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_all(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// The quarantine row for a rejected record, as the engine makes it.
inline store::QuarantineEntry quarantine_entry(RejectedRecord r, const std::string& system,
                                               Instant at) {
  store::QuarantineEntry q;
  q.system = system;
  q.entity = std::move(r.entity);
  q.external_id = std::move(r.external_id);
  q.source = r.error.where().file;
  q.error = r.error.to_string();
  q.location = r.error.where().to_string();
  q.raw = std::move(r.raw);
  q.at = at;
  return q;
}

// A fresh folder under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sap_idoc_test_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Log lines written (to stderr) while it lives, at debug level.
class LogCapture {
 public:
  LogCapture() : old_(log::level()) {
    log::set_level(log::Level::kDebug);
    ::testing::internal::CaptureStderr();
  }
  ~LogCapture() {
    if (!taken_) (void)text();
    log::set_level(old_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // What was written; call once.
  std::string text() {
    taken_ = true;
    return ::testing::internal::GetCapturedStderr();
  }

 private:
  log::Level old_;
  bool taken_ = false;
};

}  // namespace arsync::connectors::sap_idoc::testing
