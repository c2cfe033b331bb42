// Temp folders and file helpers for the sap_idoc tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace arsync::connectors::sap_idoc::testing {

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

}  // namespace arsync::connectors::sap_idoc::testing
