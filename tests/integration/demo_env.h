// A throw-away arsync installation in a temp folder: the demo's IDoc files,
// the shipped mappings, a config, a SQLite store and a file mail transport.
#pragma once

#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "connector/registry.h"
#include "arsync/engine/sync_engine.h"
#include "arsync/service/config.h"
#include "arsync/service/engine_setup.h"
#include "arsync/store/store.h"

namespace arsync::testing {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::vector<fs::path> files_in(const fs::path& dir, const std::string& ext = "") {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && (ext.empty() || e.path().extension() == ext)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class DemoEnv {
 public:
  // batch_size: IDocs per batch for both systems, and records per
  // transaction (store.commit_records), so each batch commits on its own.
  explicit DemoEnv(int batch_size = 500) {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("arsync-it-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(root_ / "inbound" / "sap-ecc");
    fs::create_directories(root_ / "inbound" / "sap-s4");
    const fs::path src = fs::path(ARSYNC_SOURCE_DIR);
    config_text_ = R"({
      "store": {"path": "var/arsync.db", "commit_records": )" + std::to_string(batch_size) + R"(},
      "state_dir": "var",
      "mappings_dir": ")" + (src / "mappings").string() + R"(",
      "systems": {
        "sap-ecc": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound/sap-ecc", "batch_size": )" +
                   std::to_string(batch_size) + R"(}},
        "sap-s4": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound/sap-s4", "batch_size": )" +
                   std::to_string(batch_size) + R"(}}
      },
      "reconcile": {"pairs": [{"left": "sap-ecc", "right": "sap-s4",
                               "kinds": ["invoice", "credit_memo", "debit_memo"],
                               "missing_grace": "24h"}]},
      "mail": {"from": "arsync@test.example", "to": ["ar@test.example"],
               "transport": {"type": "file", "dir": "mail"}},
      "quarantine_alert_share": 0.2
    })";
    write_file(root_ / "arsync.json", config_text_);
    register_builtin_connectors(registry_);
  }
  ~DemoEnv() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  const fs::path& root() const { return root_; }
  // The config as written (like packaging/demo/arsync.json, which tolerates
  // its one malformed IDoc in seven); tests may write a changed one.
  const std::string& config_text() const { return config_text_; }
  void write_config(const std::string& text) { write_file(root_ / "arsync.json", text); }
  fs::path mail_dir() const { return root_ / "mail"; }

  // Copies one of packaging/demo/inbound/<system>/<file> into this inbound.
  void drop_demo_file(const std::string& system, const std::string& name) {
    const fs::path src = fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound" / system / name;
    fs::copy_file(src, root_ / "inbound" / system / name, fs::copy_options::overwrite_existing);
  }
  void drop_all_demo_files() {
    for (const char* sys : {"sap-ecc", "sap-s4"}) {
      for (const auto& f : files_in(fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound" / sys)) {
        drop_demo_file(sys, f.filename().string());
      }
    }
  }

  std::unique_ptr<store::Store> open_store() {
    store::SqliteOptions so;
    so.path = (root_ / "var" / "arsync.db").string();
    fs::create_directories(root_ / "var");
    auto st = store::open_sqlite_store(so);
    EXPECT_TRUE(st.is_ok()) << st.status().to_string();
    return std::move(st).value();
  }

  // An engine on this config; `adjust`, when given, changes its options first.
  std::unique_ptr<engine::SyncEngine> make_engine(
      store::Store& store, const Clock& clock,
      const std::function<void(engine::EngineOptions&)>& adjust = {}) {
    auto config = service::load_config((root_ / "arsync.json").string());
    EXPECT_TRUE(config.is_ok()) << config.status().to_string();
    auto options = service::make_engine_options(*config, registry_);
    EXPECT_TRUE(options.is_ok()) << options.status().to_string();
    if (adjust) adjust(*options);
    auto engine = engine::SyncEngine::create(std::move(options).value(), registry_, store, clock);
    EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
    return std::move(engine).value();
  }

  const Registry& registry() const { return registry_; }

 private:
  fs::path root_;
  std::string config_text_;
  Registry registry_;
};

}  // namespace arsync::testing
