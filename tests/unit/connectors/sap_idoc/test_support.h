// Temp folders and file helpers for the sap_idoc tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "arsync/connector.h"
#include "arsync/log/log.h"
#include "arsync/record.h"
#include "connector/registry.h"
#include "sap_idoc.h"
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

// A connector of system "sap-ecc" over <dir>/inbound, with work_dir
// <dir>/work and the shipped segment layouts, `extra` overriding those
// settings; validated and created as arsyncd does. A failure to create it
// fails the test (and returns null).
inline std::unique_ptr<Connector> make_connector(const std::string& dir, const nlohmann::json& extra,
                                                 const Clock* clock, std::function<void()> wake) {
  nlohmann::json settings = {{"inbound_dir", dir + "/inbound"},
                             {"work_dir", dir + "/work"},
                             {"segments_dir", segments_dir()}};
  if (extra.is_object()) settings.update(extra);
  ConnectorType type = connector_type();
  auto valid = Registry::validate(type, settings, "sap-ecc");
  EXPECT_TRUE(valid.is_ok()) << valid.status().to_string();
  if (!valid.is_ok()) return nullptr;
  ConnectorContext ctx;
  ctx.system = "sap-ecc";
  ctx.settings = *valid;
  ctx.clock = clock;
  ctx.wake = std::move(wake);
  auto c = type.create(ctx);
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  return c.is_ok() ? std::move(c).value() : nullptr;
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
