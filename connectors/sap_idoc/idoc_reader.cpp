// Format sniffing and the parts both IDoc readers share.
#include "idoc_reader.h"
#include "utf8.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>


namespace arsync::connectors::sap_idoc {

Status invalid_utf8_error(std::uint64_t file_offset, unsigned char byte, std::string_view rule,
                          Location at) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", byte);
  return Status(ErrorCode::kParseError,
                "invalid UTF-8 at byte " + std::to_string(file_offset) + " of the file (byte " +
                    hex + "): " + std::string(rule),
                std::move(at));
}

std::string_view trim_trailing_blanks(std::string_view text) {
  // A loop, not find_last_not_of: that calls memchr once per character, and
  // this runs for every field of every IDoc.
  std::size_t end = text.size();
  // Flat IDoc fields are padded with blanks: skip them 8 at a time.
  static constexpr std::uint64_t kEightBlanks = 0x2020202020202020ULL;
  while (end >= 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + end - 8, 8);
    if (word != kEightBlanks) break;
    end -= 8;
  }
  while (end > 0) {
    const char c = text[end - 1];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
    --end;
  }
  return text.substr(0, end);
}

std::string element_text_in(std::string_view raw, std::string_view tag, std::size_t max_length) {
  const std::string open = "<" + std::string(tag) + ">";
  std::size_t a = raw.find(open);
  if (a == std::string_view::npos) return "";
  a += open.size();
  std::size_t b = raw.find('<', a);
  if (b == std::string_view::npos || b - a > max_length) return "";
  return printable(trim_trailing_blanks(raw.substr(a, b - a)));
}

bool is_definition_name(std::string_view name) {
  name = trim_trailing_blanks(name);
  const std::size_t n = name.size();
  return n > 5 && (name[0] == 'E' || name[0] == 'Z') && name[1] == '2' &&
         std::isdigit(static_cast<unsigned char>(name[n - 1])) &&
         std::isdigit(static_cast<unsigned char>(name[n - 2])) &&
         std::isdigit(static_cast<unsigned char>(name[n - 3]));
}

std::string segment_type_name(std::string_view name) {
  std::string out(trim_trailing_blanks(name));
  // A segment definition is the type with '2' for '1' and a 3-digit version.
  if (is_definition_name(out)) {
    out.resize(out.size() - 3);
    out[1] = '1';
  }
  return out;
}

const FieldSelection& SelectionCache::find(const std::string& idoc_type) {
  static const FieldSelection kWhole = [] {
    FieldSelection s;
    s.select_everything();
    return s;
  }();
  if (!options_.selection) return kWhole;
  auto it = by_type_.find(idoc_type);
  if (it == by_type_.end()) {
    FieldSelection built;
    if (const FieldSelection* wanted = options_.selection(idoc_type)) {
      built.merge(*wanted);
      FieldSelection& control = built.add("EDI_DC40");
      control.add("DOCNUM").select_everything();
      control.add("IDOCTYP").select_everything();
    } else {
      built.select_everything();
    }
    it = by_type_.emplace(idoc_type, std::move(built)).first;
  }
  return it->second;
}

Result<RawRecord> make_record(Record data, const std::string& source_name, std::int64_t line) {
  Location where = Location::in_file(source_name);
  where.segment = "EDI_DC40";
  where.line = line;
  const RecordValue dc = data.root().find("EDI_DC40");
  if (!dc.is_object()) {
    return Status(ErrorCode::kParseError, "IDoc has no EDI_DC40 control record", where);
  }
  std::string docnum(dc.find("DOCNUM").text());
  std::string idoctyp(dc.find("IDOCTYP").text());
  if (docnum.empty()) {
    where.field = "DOCNUM";
    return Status(ErrorCode::kParseError, "control record EDI_DC40 has no DOCNUM", where);
  }
  if (idoctyp.empty()) {
    where.record = docnum;
    where.field = "IDOCTYP";
    return Status(ErrorCode::kParseError, "control record EDI_DC40 has no IDOCTYP", where);
  }
  RawRecord record;
  record.entity = idoctyp;
  record.external_id = docnum;
  record.version = docnum;
  record.data = std::move(data);
  record.source = source_name;
  return record;
}

namespace {

// The basic type named in an IDoc's raw bytes, if it can be found even though
// the IDoc as a whole could not be read: quarantine listings then say what it was.
std::string idoctyp_in(std::string_view raw) {
  if (starts_flat_control_record(raw)) {
    const FieldPlace idoctyp = flat_layout(sniff_flat(raw)).idoctyp;
    return raw.size() < idoctyp.end()
               ? ""
               : printable(trim_trailing_blanks(raw.substr(idoctyp.offset, idoctyp.length)));
  }
  return element_text_in(raw, "IDOCTYP", 30);
}

}  // namespace

void finish_item(IdocItem& item, Result<RawRecord> result, std::string raw,
                 const std::string& source_name) {
  item.length = raw.size();
  if (result.is_ok()) {
    RawRecord record = std::move(result).value();
    record.raw_ref = RawRef{source_name, item.offset, item.length, {}};
    record.raw = std::move(raw);
    item.record = std::move(record);
    return;
  }
  RejectedRecord rejected;
  rejected.error = result.status();
  rejected.external_id = rejected.error.where().record;
  rejected.entity = idoctyp_in(raw);
  rejected.raw = std::move(raw);
  item.rejected = std::move(rejected);
}

Result<IdocFormat> sniff_format(std::string_view head, const std::string& source_name) {
  std::string_view rest = head;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  std::size_t first = rest.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) rest.remove_prefix(first);
  if (!rest.empty() && rest[0] == '<') return IdocFormat::kXml;
  if (starts_flat_control_record(rest)) return sniff_flat(rest);
  Location where = Location::in_file(source_name);
  if (rest.empty()) {
    return Status(ErrorCode::kParseError, "not an IDoc file: the file is empty", where);
  }
  std::string start(rest.substr(0, 16));
  for (char& c : start) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return Status(ErrorCode::kParseError,
                "not an IDoc file: expected IDoc-XML ('<') or a flat file (\"EDI_DC40\"), "
                "found \"" + start + "\"",
                where);
}

Result<std::unique_ptr<IdocReader>> open_idoc_reader(const std::string& path,
                                                     const ReaderOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(ErrorCode::kIoError, "cannot open IDoc file " + path,
                  Location::in_file(options.source_name));
  }
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    return Status(ErrorCode::kIoError, "cannot read IDoc file " + path,
                  Location::in_file(options.source_name));
  }
  Result<IdocFormat> format = sniff_format(head, options.source_name);
  if (!format.is_ok()) return format.status();
  Status error;
  std::unique_ptr<IdocReader> reader = *format == IdocFormat::kXml
                                           ? make_xml_reader(path, options, error)
                                           : make_flat_reader(path, options, *format, error);
  if (!error.is_ok()) return error;
  return reader;
}

Result<std::unique_ptr<IdocReader>> open_idoc_xml_reader(std::string_view bytes,
                                                         const ReaderOptions& options) {
  Result<IdocFormat> format = sniff_format(bytes.substr(0, 4096), options.source_name);
  if (!format.is_ok()) return format.status();
  if (*format != IdocFormat::kXml) {
    return Status(ErrorCode::kParseError,
                  "expected IDoc-XML, found a flat IDoc file (flat files are read from the "
                  "drop folder)",
                  Location::in_file(options.source_name));
  }
  Status error;
  std::unique_ptr<IdocReader> reader = make_xml_memory_reader(bytes, options, error);
  if (!error.is_ok()) return error;
  return reader;
}

}  // namespace arsync::connectors::sap_idoc
