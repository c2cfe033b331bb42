// Reading IDoc files one IDoc at a time.
//
// Two formats: IDoc-XML (root element = basic type, one <IDOC BEGIN="1"> per
// IDoc) and SAP's flat file (a 524-character EDI_DC40 control record per IDoc,
// followed by its EDI_DD40 data records, one per line). Both produce the same
// JSON for the same content (see the shape below), so one mapping file serves
// both.
//
// A reader holds at most one IDoc (plus one read buffer) in memory, whatever
// the file's size: it scans for the next IDoc's byte range and parses only
// that range.
//
// Shape of one IDoc's Record (RawRecord.data), written as JSON:
//   {"EDI_DC40": {control fields}, "<SEGNAM>": [ {segment}, ... ], ...}
// Every data segment is an array of objects, even when it occurs once; child
// segments are arrays inside their parent's object. Members are in document
// order: fields first, then one array per segment type in order of its first
// occurrence, holding every occurrence. Field values are strings
// with trailing blanks removed; empty fields are omitted. Segment names are
// segment types (E1EDK01), never definitions with a release suffix (E2EDK01005).
// With ReaderOptions::selection, only the selected segments and fields are
// built; a selected segment keeps all its occurrences (as objects, empty
// if none of its selected fields has a value), so indexes and filters over
// them see the same elements.
//
// Errors: an IDoc that cannot be read (malformed XML, no control record or
// DOCNUM, unknown flat segment, DOCNUM mismatch, unterminated IDoc) comes back
// as an IdocItem holding a RejectedRecord, and the reader goes on with the next
// IDoc. A file that cannot be read at all (unreadable, neither format, no IDoc
// in it, unsupported encoding) makes open_idoc_reader() or next() return an
// error Status. Every error's Location names the file, the IDoc number when
// known, the segment/field and the line.
//
// Thread safety: a reader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "arsync/connector.h"
#include "arsync/model/status.h"
#include "segment_definitions.h"
#include "utf8.h"

namespace arsync::connectors::sap_idoc {

// kFlat: EDI_DC40 control records (record type version 3, SAP 4.0 on);
// kFlatEdiDc: the older EDI_DC layout (record type version 2, SAP 3.x).
enum class IdocFormat { kXml, kFlat, kFlatEdiDc };

// How a flat file's bytes are decoded (IDoc-XML declares its own).
enum class TextEncoding { kUtf8, kLatin1 };

// The deepest nesting an IDoc may have: XML elements counted from <IDOC>,
// flat segments counted from a top-level segment. Deeper IDocs are rejected
// (a mapping never reads so deep; building them would exhaust the stack).
inline constexpr std::size_t kMaxNestingDepth = 512;

// One IDoc as found in the file: where its bytes are, and either the record
// read from them or why it could not be read.
struct IdocItem {
  std::uint64_t offset = 0;  // byte offset of the IDoc in the file
  std::uint64_t length = 0;  // byte length (XML: "<IDOC" .. "</IDOC>";
                             // flat: control line .. last data line, with EOLs)
  // Exactly one of these is set. record->raw_ref carries offset and length
  // and the file name given in ReaderOptions::source_name; its sha256 is
  // left to the engine, which hashes record->raw (the same bytes) on
  // whichever of its threads has time (see MappingSink).
  std::optional<RawRecord> record;
  std::optional<RejectedRecord> rejected;
};

struct ReaderOptions {
  // The file name recorded in RawRecord.source, RawRef.file and error
  // Locations (the connector passes the archive path the file will have).
  std::string source_name;
  // Layouts for flat files; may be null when only XML is expected (a flat
  // IDoc then fails with "no segment definition").
  const SegmentDefinitions* segments = nullptr;
  // An IDoc larger than this is rejected rather than buffered.
  std::size_t max_idoc_bytes = 64u << 20;
  // The encoding of flat files (the connector's `encoding` setting): text
  // that is not valid UTF-8 in a UTF-8 file rejects its IDoc.
  TextEncoding flat_encoding = TextEncoding::kUtf8;
  // What to build of an IDoc of the given basic type (IDOCTYP): segments and
  // fields outside the selection are left out of RawRecord.data, which
  // saves building and freeing what no mapping reads. Unset, or returning
  // null: the whole IDoc. The control record's DOCNUM and IDOCTYP are always
  // built, and an IDoc is rejected for the same reasons either way.
  std::function<const FieldSelection*(const std::string& idoc_type)> selection;
};

// ReaderOptions::selection plus the control fields the reader needs, one
// per IDoc type, built on first use; everything() when the IDoc is built
// whole. A segment or field is built when FieldSelection::member() finds it.
class SelectionCache {
 public:
  explicit SelectionCache(const ReaderOptions& options) : options_(options) {}
  const FieldSelection& find(const std::string& idoc_type);

 private:
  const ReaderOptions& options_;
  std::map<std::string, FieldSelection, std::less<>> by_type_;
};

class IdocReader {
 public:
  virtual ~IdocReader() = default;

  // The next IDoc; an empty optional at the end of the file; an error Status
  // when the file as a whole cannot be read on (I/O error, no IDoc at all).
  virtual Result<std::optional<IdocItem>> next() = 0;

  // Number of IDocs (read or rejected) returned so far.
  virtual std::uint64_t idocs_returned() const = 0;

  // The most bytes of the file the reader has held in memory at once: about
  // one IDoc plus one read buffer, independent of the file size.
  virtual std::size_t peak_buffered_bytes() const = 0;
};

// Opens `path`, sniffs its format (XML if the first non-blank character is
// '<', flat if it starts with "EDI_DC40" or "EDI_DC" and blanks) and returns a
// reader. kIoError if unreadable; kParseError if it is neither format or its
// XML encoding is not supported (UTF-8 and ISO-8859-1 are).
//
// Text is validated at the edge: an IDoc in a file that declares UTF-8 (XML
// without a declaration, flat files with flat_encoding kUtf8) whose bytes are
// not valid UTF-8 is rejected alone, naming the byte offset in the file, the
// IDoc number and the segment and field when known.
Result<std::unique_ptr<IdocReader>> open_idoc_reader(const std::string& path,
                                                     const ReaderOptions& options);

// As open_idoc_reader, over IDoc-XML bytes in memory (an HTTP post's body)
// instead of a file; `bytes` must outlive the reader, and IdocItem offsets
// are offsets into it. kParseError if the bytes are not IDoc-XML (a flat
// IDoc has no in-memory reader) or declare an unsupported encoding.
Result<std::unique_ptr<IdocReader>> open_idoc_xml_reader(std::string_view bytes,
                                                         const ReaderOptions& options);

// Checks that `bytes` are one well-formed IDoc-XML document as SAP's XML
// port sends it: a root element (the basic type, e.g. <INVOIC02>) holding
// one or more <IDOC> elements and nothing else, or a single <IDOC> as root.
// The IDocs themselves are left to the reader (a bad one is rejected alone).
// OK, or kParseError whose Location names the line and, when the error lies
// inside an IDoc, its number, segment and field; `source_name` goes into
// Location::file. It parses the whole document, holding a few times the
// size of `bytes` until it returns: for bodies within a size limit, not for
// large files.
Status check_idoc_xml_document(std::string_view bytes, const std::string& source_name);

// The format of a file by its first bytes, or kParseError.
Result<IdocFormat> sniff_format(std::string_view head, const std::string& source_name);

// --- Shared by the two readers (idoc_reader.cpp) ---------------------------

// The rejection of an IDoc whose byte at `file_offset` (`byte`) is not valid
// UTF-8; `rule` says why the file is read as UTF-8 and what to do.
Status invalid_utf8_error(std::uint64_t file_offset, unsigned char byte, std::string_view rule,
                          Location at);

// `text` without trailing blanks (space, tab, CR, LF).
std::string_view trim_trailing_blanks(std::string_view text);

// The text of the first <tag>...</tag> in the raw bytes of an IDoc-XML IDoc,
// without trailing blanks; "" if absent or longer than `max_length`. For
// naming an IDoc whose XML as a whole cannot be parsed.
std::string element_text_in(std::string_view raw, std::string_view tag, std::size_t max_length);

// True for a segment definition's name ("E2EDK01005", "Z2XYZ000"), which
// segment_type_name() turns into a type name.
bool is_definition_name(std::string_view name);

// Segment type for a segment or definition name: "E2EDK01005" -> "E1EDK01",
// "Z2XYZ000" -> "Z1XYZ", anything else unchanged (trailing blanks removed).
std::string segment_type_name(std::string_view name);

// Builds the RawRecord for an IDoc whose `data` is complete; checks the
// control record (kParseError naming EDI_DC40/DOCNUM or IDOCTYP if missing).
Result<RawRecord> make_record(Record data, const std::string& source_name, std::int64_t line);

// Fills item.record or item.rejected from `result` and the raw bytes (kept
// in the record, so moved in).
void finish_item(IdocItem& item, Result<RawRecord> result, std::string raw,
                 const std::string& source_name);

// Readers for an already-opened file (used by open_idoc_reader), and for
// IDoc-XML in memory (used by open_idoc_xml_reader; `bytes` outlive it).
std::unique_ptr<IdocReader> make_xml_reader(const std::string& path,
                                            const ReaderOptions& options, Status& error);
std::unique_ptr<IdocReader> make_xml_memory_reader(std::string_view bytes,
                                                   const ReaderOptions& options, Status& error);
std::unique_ptr<IdocReader> make_flat_reader(const std::string& path,
                                             const ReaderOptions& options, IdocFormat format,
                                             Status& error);

// --- Flat files (idoc_flat_reader.cpp) --------------------------------------

// Where the fields of a flat file's records lie, by record type version.
struct FlatLayout {
  std::string_view control_tag;  // the control record's TABNAM, blank-padded
  // The control record's fields in order; the first is TABNAM.
  std::span<const FixedField> control_fields;
  FieldPlace docnum;       // in the control record
  FieldPlace idoctyp;      // in the control record
  std::size_t control_minimum;  // characters a control record must have
  // Data record header, characters from the start of the line.
  FieldPlace segnam, data_docnum, segnum, psgnum, hlevel;
  std::size_t sdata;
};

// True for a line that starts a control record of either version.
bool starts_flat_control_record(std::string_view line);

// kFlat or kFlatEdiDc for a line for which starts_flat_control_record holds.
IdocFormat sniff_flat(std::string_view line);

// The layout of kFlat or kFlatEdiDc.
const FlatLayout& flat_layout(IdocFormat format);

}  // namespace arsync::connectors::sap_idoc
