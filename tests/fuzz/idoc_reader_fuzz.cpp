// Fuzz target: an IDoc file read as the sap_idoc connector reads it, each
// IDoc mapped with the shipped mappings as the engine maps it. Built twice:
// ARSYNC_FUZZ_FLAT=0 reads the input as IDoc-XML (idoc_xml_fuzz), =1 as a
// flat file (idoc_flat_fuzz), whatever its first bytes say.
//
// Checked besides memory and undefined behaviour:
// - a reader never throws; a file it cannot read is an error Status;
// - reading with the mappings' field selection gives exactly the whole
//   read cut down to that selection, and rejects the same IDocs (the
//   reader's contract in idoc_reader.h), at the same offsets;
// - an item's byte range lies inside the file, and a record keeps those bytes;
// - what is stored for a record dumps as strict JSON (invariants.h);
// - the mapping gives the same document for the whole and the cut record;
// - IDoc-XML read from memory (an HTTP post's body) gives the file reader's
//   items, and the whole-document check of a post returns without throwing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "arsync/model/field_selection.h"
#include "fixtures.h"
#include "idoc_reader.h"
#include "input_file.h"
#include "invariants.h"

namespace {

using namespace arsync;
using namespace arsync::connectors::sap_idoc;

std::unique_ptr<IdocReader> open_reader(const std::string& path, const ReaderOptions& options) {
  Status error;
  std::unique_ptr<IdocReader> reader =
      ARSYNC_FUZZ_FLAT ? make_flat_reader(path, options, IdocFormat::kFlat, error)
                       : make_xml_reader(path, options, error);
  return error.is_ok() ? std::move(reader) : nullptr;
}

std::string where(const IdocItem& item) {
  return "IDoc at offset " + std::to_string(item.offset) + " length " +
         std::to_string(item.length);
}

void check_item(const IdocItem& whole, const IdocItem& selected, std::string_view file,
                SelectionCache& cache) {
  const fuzz::Fixtures& fx = fuzz::fixtures();
  ARSYNC_FUZZ_CHECK(whole.offset == selected.offset && whole.length == selected.length,
                    where(whole) + " vs " + where(selected));
  ARSYNC_FUZZ_CHECK(whole.offset <= file.size() && whole.length <= file.size() - whole.offset,
                    where(whole) + " in a file of " + std::to_string(file.size()) + " bytes");
  ARSYNC_FUZZ_CHECK(whole.record.has_value() != whole.rejected.has_value(), where(whole));
  ARSYNC_FUZZ_CHECK(whole.record.has_value() == selected.record.has_value(),
                    where(whole) + ": " +
                        (whole.rejected ? whole.rejected->error.to_string()
                                        : selected.rejected->error.to_string()));
  if (!whole.record) {
    ARSYNC_FUZZ_CHECK(!whole.rejected->error.is_ok(), where(whole));
    return;
  }
  const RawRecord& rec = *whole.record;
  ARSYNC_FUZZ_CHECK(rec.raw == file.substr(whole.offset, whole.length), where(whole));
  const FieldSelection& selection = cache.find(rec.entity);
  ARSYNC_FUZZ_CHECK(cut_to_selection(rec.data, selection).to_json_text() ==
                        selected.record->data.to_json_text(),
                    where(whole) + " selection " + selection.to_string() + "\nwhole: " +
                        rec.data.to_json_text() + "\nselected: " +
                        selected.record->data.to_json_text());
  fuzz::check_dumps_strictly(rec.data, where(whole));
  if (const mapping::Mapping* m = fx.mappings.find(rec.entity)) {
    const mapping::RecordMeta meta{"fuzz", rec.entity, rec.external_id, rec.version, rec.source};
    const nlohmann::json doc = fuzz::map_checked(*m, rec.data, meta);
    if (!doc.is_null()) fuzz::check_dumps_strictly(doc, where(whole) + " mapped");
  }
}

// The memory reader's item `m` against the file reader's `f`.
void check_same_item(const Result<std::optional<IdocItem>>& f,
                     const Result<std::optional<IdocItem>>& m) {
  ARSYNC_FUZZ_CHECK(f.is_ok() == m.is_ok() && f.status().to_string() == m.status().to_string(),
                    "file: " + f.status().to_string() + " / memory: " + m.status().to_string());
  if (!f.is_ok()) return;
  ARSYNC_FUZZ_CHECK(f->has_value() == m->has_value(), "the file or the memory reader ended first");
  if (!f->has_value()) return;
  const IdocItem& a = **f;
  const IdocItem& b = **m;
  ARSYNC_FUZZ_CHECK(a.offset == b.offset && a.length == b.length,
                    where(a) + " from the file, " + where(b) + " from memory");
  ARSYNC_FUZZ_CHECK(a.record.has_value() == b.record.has_value(), where(a) + " file vs memory");
  if (a.record) {
    ARSYNC_FUZZ_CHECK(a.record->raw == b.record->raw &&
                          a.record->data.to_json_text() == b.record->data.to_json_text(),
                      where(a) + " read differently from memory");
  } else {
    ARSYNC_FUZZ_CHECK(a.rejected->error.to_string() == b.rejected->error.to_string(),
                      where(a) + ": " + a.rejected->error.to_string() + " / memory: " +
                          b.rejected->error.to_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::Fixtures& fx = fuzz::fixtures();
  static fuzz::InputFile file;
  file.write(data, size);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  ReaderOptions whole;
  whole.source_name = "fuzz-input";
  whole.segments = &fx.segments;
  whole.max_idoc_bytes = 1u << 20;
  ReaderOptions selected = whole;
  selected.selection = [](const std::string& idoc_type) {
    return fuzz::fixtures().mappings.fields_read(idoc_type);
  };
  SelectionCache cache(selected);

  try {
    std::unique_ptr<IdocReader> a = open_reader(file.path(), whole);
    std::unique_ptr<IdocReader> b = open_reader(file.path(), selected);
    ARSYNC_FUZZ_CHECK((a == nullptr) == (b == nullptr), "one of two readers opened");
    if (!a) return 0;
    std::unique_ptr<IdocReader> memory;
    if (!ARSYNC_FUZZ_FLAT) {
      (void)check_idoc_xml_document(bytes, whole.source_name);
      Result<std::unique_ptr<IdocReader>> opened = open_idoc_xml_reader(bytes, whole);
      if (opened.is_ok()) memory = std::move(opened).value();
    }
    for (;;) {
      Result<std::optional<IdocItem>> x = a->next();
      Result<std::optional<IdocItem>> y = b->next();
      ARSYNC_FUZZ_CHECK(x.is_ok() == y.is_ok(), x.status().to_string() + " / " +
                                                    y.status().to_string());
      if (memory) check_same_item(x, memory->next());
      if (!x) return 0;
      ARSYNC_FUZZ_CHECK(x->has_value() == y->has_value(), "one reader ended first");
      if (!x->has_value()) return 0;
      check_item(**x, **y, bytes, cache);
    }
  } catch (const std::exception& e) {
    fuzz::invariant_failed("the IDoc reader does not throw", e.what());
  }
}
