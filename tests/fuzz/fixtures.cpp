#include "fixtures.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "idoc_reader.h"

namespace arsync::fuzz {
namespace {

[[noreturn]] void load_failed(const std::string& what, const Status& status) {
  std::fprintf(stderr, "fuzz fixtures: %s: %s\n", what.c_str(), status.to_string().c_str());
  std::abort();
}

void read_records(const std::string& path, const Fixtures& fx, std::vector<RawRecord>& out) {
  connectors::sap_idoc::ReaderOptions options;
  options.source_name = path;
  options.segments = &fx.segments;
  auto reader = connectors::sap_idoc::open_idoc_reader(path, options);
  if (!reader) return;  // the fixtures include files that are meant not to open
  for (;;) {
    auto item = (*reader)->next();
    if (!item || !item->has_value()) return;
    if ((*item)->record) out.push_back(std::move(*(*item)->record));
  }
}

Fixtures load() {
  namespace fs = std::filesystem;
  const fs::path root = ARSYNC_SOURCE_DIR;
  Fixtures fx;
  const fs::path segments = root / "mappings/sap_idoc/segments";
  auto defs = connectors::sap_idoc::SegmentDefinitions::load_directory(segments.string());
  if (!defs) load_failed(segments.string(), defs.status());
  fx.segments = std::move(*defs);
  const fs::path mappings = root / "mappings/sap_idoc";
  auto set = mapping::MappingSet::load_dir(mappings.string());
  if (!set) load_failed(mappings.string(), set.status());
  fx.mappings = std::move(*set);
  for (const char* dir : {"tests/fixtures/idoc", "packaging/demo/inbound/sap-ecc",
                          "packaging/demo/inbound/sap-s4"}) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(root / dir)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());  // the same records in the same order every run
    for (const fs::path& file : files) {
      if (file.extension() != ".py") read_records(file.string(), fx, fx.records);
    }
  }
  if (fx.records.empty()) {
    load_failed(root.string(), Status(ErrorCode::kNotFound, "no fixture IDoc could be read"));
  }
  return fx;
}

}  // namespace

const Fixtures& fixtures() {
  static const Fixtures fx = load();
  return fx;
}

}  // namespace arsync::fuzz
