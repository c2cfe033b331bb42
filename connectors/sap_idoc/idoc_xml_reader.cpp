// IDoc-XML reader: finds each <IDOC>..</IDOC> byte range with buffered reads
// and parses just that range with pugixml, so memory stays at one IDoc.
// pugixml takes UTF-8 bytes as they come, so a UTF-8 IDoc's bytes are
// validated before it is parsed; an IDoc nested deeper than
// kMaxNestingDepth is rejected before it is built (recursively).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <fstream>
#include <optional>
#include <vector>

#include <pugixml.hpp>

#include "idoc_reader.h"

namespace arsync::connectors::sap_idoc {


namespace {

constexpr std::size_t kChunk = 64 * 1024;

// pugixml's defaults without attribute whitespace conversion: the only
// attributes an IDoc has are SEGMENT="1" and BEGIN="1".
constexpr unsigned kParseOptions = pugi::parse_default & ~pugi::parse_wconv_attribute;

bool ends_tag_name(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/';
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// True for an element that is a segment (carries SEGMENT="1" or has child
// elements); other elements are fields.
bool is_segment(const pugi::xml_node& node) {
  if (node.attribute("SEGMENT")) return true;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element) return true;
  }
  return false;
}

// Newlines in [from, from + n): memchr jumps from line to line.
std::int64_t count_newlines(const char* from, std::size_t n) {
  std::int64_t lines = 0;
  const char* end = from + n;
  while (from < end) {
    const void* nl = std::memchr(from, '\n', static_cast<std::size_t>(end - from));
    if (nl == nullptr) break;
    ++lines;
    from = static_cast<const char*>(nl) + 1;
  }
  return lines;
}

// Where the byte at `offset` of an IDoc's XML lies: the innermost open
// element is the field (or the segment, when it holds elements), the one
// around it the segment. Names are tag names read from the valid bytes
// before `offset`; segment definition names become segment types.
void element_at(std::string_view raw, std::size_t offset, Location& at) {
  std::vector<std::string_view> open;
  std::size_t i = 0;
  while ((i = raw.find('<', i)) != std::string_view::npos && i < offset) {
    const std::size_t end = raw.find('>', i);
    if (end == std::string_view::npos || end >= offset) break;
    std::string_view tag = raw.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      if (!open.empty()) open.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    std::size_t name_end = 0;
    while (name_end < tag.size() && !ends_tag_name(tag[name_end])) ++name_end;
    open.push_back(tag.substr(0, name_end));
  }
  // The bytes after the last '>' before the offset: text (a field's value)
  // or a tag being opened (its name is the element).
  const std::size_t last_open = raw.rfind('<', offset);
  const bool in_tag = last_open != std::string_view::npos && raw.find('>', last_open) > offset;
  if (in_tag && raw.substr(last_open + 1, 1) != "/") {
    std::string_view tag = raw.substr(last_open + 1, offset - last_open - 1);
    std::size_t name_end = 0;
    while (name_end < tag.size() && !ends_tag_name(tag[name_end])) ++name_end;
    open.push_back(tag.substr(0, name_end));
  }
  if (open.size() >= 3) {  // IDOC, segment, field
    at.segment = printable(segment_type_name(open[open.size() - 2]));
    at.field = printable(open.back());
  } else if (open.size() == 2) {
    at.segment = printable(segment_type_name(open.back()));
  }
}

// The depth of the deepest element under `root` (root = 1), counted
// without recursion; stops counting once past `limit`. `deepest` is set to
// the first element found past the limit.
std::size_t nesting_depth(const pugi::xml_node& root, std::size_t limit, pugi::xml_node& deepest) {
  std::size_t depth = 1, max_depth = 1;
  pugi::xml_node node = root.first_child();
  if (!node) return max_depth;
  ++depth;
  while (node && node != root) {
    if (node.type() == pugi::node_element && depth > max_depth) {
      max_depth = depth;
      if (max_depth > limit) {
        deepest = node;
        return max_depth;
      }
    }
    if (node.first_child()) {
      node = node.first_child();
      ++depth;
      continue;
    }
    while (node != root && !node.next_sibling()) {
      node = node.parent();
      --depth;
    }
    if (node != root) node = node.next_sibling();
  }
  return max_depth;
}

// What one element's children contribute to its object, gathered before it
// is written: the Record is built depth-first, and child segments of one type
// form one array even when other segments stand between them.
struct Gathered {
  struct Segment {
    std::string name;  // segment type
    pugi::xml_node node;
    const FieldSelection* selection;
    bool written;
  };
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  std::vector<Segment> segments;
};

// One Gathered per nesting level, reused from IDoc to IDoc (a deque: a
// deeper level added while a shallower one is being written leaves it put).
using GatherStack = std::deque<Gathered>;

Gathered& gathered_at(GatherStack& stack, std::size_t depth) {
  while (stack.size() <= depth) stack.emplace_back();
  Gathered& g = stack[depth];
  g.fields.clear();
  g.segments.clear();
  return g;
}

void write_segment(const pugi::xml_node& node, const FieldSelection& selection,
                   RecordBuilder& out, GatherStack& stack, std::size_t depth);

// `segments` as members: one array per segment type, in order of first
// appearance, each with every occurrence in document order.
void write_segment_groups(std::vector<Gathered::Segment>& segments, RecordBuilder& out,
                          GatherStack& stack, std::size_t depth) {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].written) continue;
    out.key(segments[i].name).begin_array();
    for (std::size_t j = i; j < segments.size(); ++j) {
      if (segments[j].written || segments[j].name != segments[i].name) continue;
      segments[j].written = true;
      write_segment(segments[j].node, *segments[j].selection, out, stack, depth + 1);
    }
    out.end();
  }
}

// The object of a segment: its fields and, as arrays, its child segments;
// only what `selection` selects.
void write_segment(const pugi::xml_node& node, const FieldSelection& selection,
                   RecordBuilder& out, GatherStack& stack, std::size_t depth) {
  Gathered& g = gathered_at(stack, depth);
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view raw_name = child.name();
    // Most children are fields the mapping does not read: one lookup skips
    // them. A segment definition's name (E2EDK01005) is looked up as its
    // segment type (E1EDK01).
    const FieldSelection* child_selection = selection.member(raw_name);
    if (child_selection == nullptr && !is_definition_name(raw_name)) continue;
    if (is_segment(child)) {
      std::string name = segment_type_name(raw_name);
      if (name != raw_name && (child_selection = selection.member(name)) == nullptr) continue;
      g.segments.push_back({std::move(name), child, child_selection, false});
    } else {
      if (child_selection == nullptr) continue;
      std::string_view value = trim_trailing_blanks(child.child_value());
      if (value.empty()) continue;
      auto same = std::find_if(g.fields.begin(), g.fields.end(),
                               [&](const auto& f) { return f.first == raw_name; });
      if (same != g.fields.end()) {
        same->second = value;  // a repeated field: the last one counts
      } else {
        g.fields.emplace_back(raw_name, value);
      }
    }
  }
  out.begin_object();
  for (const auto& [name, value] : g.fields) out.key(name).string(value);
  write_segment_groups(g.segments, out, stack, depth);
  out.end();
}

// The value write_segment gives field `name` of `segment`: of a repeated
// field the last one that is not blank; "" if none.
std::string_view field_value(const pugi::xml_node& segment, const char* name) {
  std::string_view value;
  for (pugi::xml_node field : segment.children(name)) {
    if (field.type() != pugi::node_element || is_segment(field)) continue;
    const std::string_view v = trim_trailing_blanks(field.child_value());
    if (!v.empty()) value = v;
  }
  return value;
}

// A read-only stream buffer over bytes the caller keeps alive: an HTTP
// post's body is read where it lies, without a copy.
class MemoryBuffer final : public std::streambuf {
 public:
  explicit MemoryBuffer(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // only ever read
    setg(begin, begin, begin + bytes.size());
  }
};

class XmlIdocReader final : public IdocReader {
 public:
  XmlIdocReader(const std::string& path, const ReaderOptions& options, Status& error)
      : file_(path, std::ios::binary), in_(file_.rdbuf()), options_(options) {
    if (!file_) {
      error = Status(ErrorCode::kIoError, "cannot open IDoc file " + path, where());
      return;
    }
    error = read_prolog();
  }

  XmlIdocReader(std::string_view bytes, const ReaderOptions& options, Status& error)
      : memory_(bytes), in_(&memory_), options_(options) {
    error = read_prolog();
  }

  Result<std::optional<IdocItem>> next() override {
    // Find the next "<IDOC" (a stray "</IDOC>" before it is skipped).
    std::size_t start = std::string::npos;
    std::size_t scan = 0;
    while (start == std::string::npos) {
      std::size_t resume = 0;
      const std::optional<Tag> tag = find_tag(scan, resume);
      if (tag) {
        if (tag->close) {
          scan = tag->end;
        } else {
          start = tag->pos;
        }
        continue;
      }
      if (eof_) {
        if (returned_ == 0) {
          return Status(ErrorCode::kParseError,
                        "not an IDoc file: no <IDOC> element found in the XML", where());
        }
        return std::optional<IdocItem>();
      }
      // Keep what may be the start of a tag split by the end of the buffer.
      consume(resume);
      scan = 0;
      ARSYNC_RETURN_IF_ERROR(fill());
    }
    consume(start);
    // The next tag after it: its "</IDOC>", or another "<IDOC" if it has none.
    std::size_t close_end = std::string::npos;
    std::size_t next_open = std::string::npos;
    scan = 5;
    for (;;) {
      std::size_t resume = 0;
      if (const std::optional<Tag> tag = find_tag(scan, resume)) {
        if (tag->close) {
          close_end = tag->end;
        } else {
          next_open = tag->pos;
        }
        break;
      }
      if (eof_ || avail().size() > options_.max_idoc_bytes) break;
      scan = resume;
      ARSYNC_RETURN_IF_ERROR(fill());
    }
    IdocItem item;
    item.offset = buf_start_;
    std::int64_t line = line_ + 1;
    if (close_end != std::string::npos &&
        (next_open == std::string::npos || close_end <= next_open)) {
      std::string_view raw(avail().data(), close_end);
      finish_item(item, parse(raw, line), std::string(raw), options_.source_name);
      consume(close_end);
    } else {
      std::size_t end = next_open != std::string::npos ? next_open : avail().size();
      std::string_view raw(avail().data(), end);
      std::string what;
      if (next_open != std::string::npos) {
        what = "has no </IDOC> before the next <IDOC>";
      } else if (eof_) {
        what = "has no </IDOC> before the end of the file (truncated file)";
      } else {
        what = "has no </IDOC> within " + std::to_string(options_.max_idoc_bytes) + " bytes";
      }
      Location at = where();
      at.record = element_text_in(raw, "DOCNUM", 32);
      at.line = line;
      finish_item(item,
                  Status(ErrorCode::kParseError,
                         "IDoc at byte " + std::to_string(buf_start_) + " " + what, at),
                  std::string(raw), options_.source_name);
      consume(end);
    }
    ++returned_;
    return std::optional<IdocItem>(std::move(item));
  }

  std::uint64_t idocs_returned() const override { return returned_; }
  std::size_t peak_buffered_bytes() const override { return peak_; }

 private:
  // The buffered bytes not consumed yet (file offset buf_start_ on).
  std::string_view avail() const { return std::string_view(buf_).substr(pos_); }

  Location where() const { return Location::in_file(options_.source_name); }

  Status fill() {
    if (eof_) return Status::ok();
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    std::size_t old = buf_.size();
    buf_.resize(old + kChunk);
    in_.read(buf_.data() + old, static_cast<std::streamsize>(kChunk));
    buf_.resize(old + static_cast<std::size_t>(in_.gcount()));
    peak_ = std::max(peak_, buf_.size());
    if (in_.bad()) {
      return Status(ErrorCode::kIoError, "read error after byte " + std::to_string(buf_start_ + old),
                    where());
    }
    if (in_.eof()) eof_ = true;
    return Status::ok();
  }

  // Drops the first `n` buffered bytes, keeping the line count. The bytes
  // are only skipped; fill() moves the rest to the front once per chunk,
  // rather than once per IDoc.
  void consume(std::size_t n) {
    line_ += count_newlines(avail().data(), n);
    pos_ += n;
    buf_start_ += n;
  }

  // An IDoc boundary in the buffered bytes: "<IDOC" followed by the end of
  // the tag name, or "</IDOC" with optional whitespace and '>'.
  struct Tag {
    std::size_t pos;  // offset of its '<'
    std::size_t end;  // offset just past its '>' (a close tag only)
    bool close;
  };

  // The first boundary tag whose "IDOC" starts at or after `from`. None:
  // `resume` is where a search must start again once more bytes are read
  // (a tag may be split by the end of the buffer). One pass that memchr's
  // from 'I' to 'I': in IDoc-XML it is rare outside the boundary tags.
  std::optional<Tag> find_tag(std::size_t from, std::size_t& resume) const {
    const std::string_view b = avail();
    std::size_t i = std::max<std::size_t>(from, 1);
    while (i < b.size()) {
      const void* hit = std::memchr(b.data() + i, 'I', b.size() - i);
      if (hit == nullptr) break;
      const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - b.data());
      i = q + 1;
      const bool open = b[q - 1] == '<';
      const bool close = !open && q >= 2 && b[q - 1] == '/' && b[q - 2] == '<';
      if (!open && !close) continue;
      const std::size_t tag_start = q - (open ? 1 : 2);
      if (b.size() - q < 5) {  // "IDOC" and the character after it not all here
        resume = tag_start;
        return std::nullopt;
      }
      if (b.compare(q, 4, "IDOC") != 0) continue;
      if (open) {
        if (ends_tag_name(b[q + 4])) return Tag{tag_start, 0, false};
        continue;
      }
      std::size_t k = q + 4;
      while (k < b.size() && std::isspace(static_cast<unsigned char>(b[k]))) ++k;
      if (k == b.size()) {
        resume = tag_start;
        return std::nullopt;
      }
      if (b[k] == '>') return Tag{tag_start, k + 1, true};
    }
    // A '<' or "</" at the very end may start a tag.
    resume = std::min(b.size(), std::max(from, b.size() >= 2 ? b.size() - 2 : 0));
    return std::nullopt;
  }

  // Reads the XML declaration for the encoding. Only what precedes the first
  // element matters, so one chunk is enough.
  Status read_prolog() {
    ARSYNC_RETURN_IF_ERROR(fill());
    std::string_view head(buf_);
    if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    std::size_t first = head.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || head.substr(first, 5) != "<?xml") {
      return Status::ok();  // no declaration: UTF-8
    }
    std::size_t end = head.find("?>", first);
    std::string_view decl = head.substr(first, end == std::string_view::npos ? 200 : end - first);
    std::size_t enc = decl.find("encoding");
    if (enc == std::string_view::npos) return Status::ok();
    std::size_t q = decl.find_first_of("\"'", enc);
    if (q == std::string_view::npos) return Status::ok();
    std::size_t q2 = decl.find(decl[q], q + 1);
    if (q2 == std::string_view::npos) return Status::ok();
    std::string name(decl.substr(q + 1, q2 - q - 1));
    std::string l = lower(name);
    declared_ = printable(name);
    if (l == "utf-8" || l == "utf8") {
      encoding_ = pugi::encoding_utf8;
    } else if (l == "iso-8859-1" || l == "iso8859-1" || l == "latin1" || l == "latin-1" ||
               l == "iso_8859-1") {
      encoding_ = pugi::encoding_latin1;
    } else {
      return Status(ErrorCode::kParseError,
                    "unsupported XML encoding '" + declared_ + "' (supported: UTF-8, ISO-8859-1)",
                    where());
    }
    return Status::ok();
  }

  Result<RawRecord> parse(std::string_view raw, std::int64_t line) {
    if (encoding_ == pugi::encoding_utf8) {
      const std::size_t bad = first_invalid_utf8(raw);
      if (bad != std::string_view::npos) {
        Location at = where();
        at.record = element_text_in(raw, "DOCNUM", 32);
        at.line = line + count_newlines(raw.data(), bad);
        element_at(raw, bad, at);
        return invalid_utf8_error(
            buf_start_ + bad, static_cast<unsigned char>(raw[bad]),
            (declared_.empty() ? std::string("the file declares no encoding, so it must be UTF-8")
                               : "the file declares encoding " + declared_) +
                "; have the sender write UTF-8, or declare the encoding it writes "
                "(ISO-8859-1 is supported)",
            std::move(at));
      }
    }
    pugi::xml_document doc;
    pugi::xml_parse_result result =
        doc.load_buffer(raw.data(), raw.size(), kParseOptions, encoding_);
    if (!result) {
      Location at = where();
      at.record = element_text_in(raw, "DOCNUM", 32);
      std::size_t off = std::min(static_cast<std::size_t>(std::max<std::ptrdiff_t>(result.offset, 0)),
                                 raw.size());
      at.line = line + count_newlines(raw.data(), off);
      return Status(ErrorCode::kParseError,
                    std::string("malformed XML in IDoc: ") + result.description() + " at byte " +
                        std::to_string(buf_start_ + off),
                    at);
    }
    pugi::xml_node idoc = doc.child("IDOC");
    pugi::xml_node deepest;
    if (nesting_depth(idoc, kMaxNestingDepth, deepest) > kMaxNestingDepth) {
      Location at = where();
      at.record = element_text_in(raw, "DOCNUM", 32);
      const std::ptrdiff_t off = deepest.offset_debug();
      if (off >= 0) at.line = line + count_newlines(raw.data(), static_cast<std::size_t>(off));
      at.segment = printable(segment_type_name(deepest.parent().name()));
      return Status(ErrorCode::kParseError,
                    "XML elements are nested more than " + std::to_string(kMaxNestingDepth) +
                        " levels deep (the limit) at element <" + printable(deepest.name()) +
                        ">" + (off >= 0 ? " at byte " + std::to_string(buf_start_ + off) : ""),
                    at);
    }
    pugi::xml_node control;
    for (pugi::xml_node child : idoc.children("EDI_DC40")) {
      if (child.type() == pugi::node_element) control = child;  // repeated: the last one counts
    }
    // The selection of the type the record will name (make_record reads
    // it from what is written), or a record read with a selection is not
    // the whole read cut to it.
    const FieldSelection& selection =
        selections_.find(std::string(field_value(control, "IDOCTYP")));
    Gathered& top = gathered_at(gather_, 0);
    for (pugi::xml_node child : idoc.children()) {
      if (child.type() != pugi::node_element || std::string_view(child.name()) == "EDI_DC40") continue;
      std::string name = segment_type_name(child.name());
      const FieldSelection* child_selection = selection.member(name);
      if (child_selection == nullptr || !is_segment(child)) continue;
      top.segments.push_back({std::move(name), child, child_selection, false});
    }
    builder_.clear();
    builder_.reserve(last_nodes_, last_bytes_);
    builder_.begin_object();
    if (control) {
      // Always selected: SelectionCache adds DOCNUM and IDOCTYP.
      builder_.key("EDI_DC40");
      write_segment(control, *selection.member("EDI_DC40"), builder_, gather_, 1);
    }
    write_segment_groups(top.segments, builder_, gather_, 0);
    builder_.end();
    Record data = builder_.finish();
    last_nodes_ = data.node_count();
    last_bytes_ = data.text_bytes();
    return make_record(std::move(data), options_.source_name, line);
  }

  std::ifstream file_;   // when reading a file
  MemoryBuffer memory_{std::string_view()};  // when reading bytes in memory
  std::istream in_;      // over one of them
  ReaderOptions options_;
  SelectionCache selections_{options_};
  RecordBuilder builder_;
  GatherStack gather_;
  std::size_t last_nodes_ = 0, last_bytes_ = 0;  // the last IDoc's size: reserved for the next
  std::string buf_;              // read bytes; those before pos_ are consumed
  std::size_t pos_ = 0;
  std::uint64_t buf_start_ = 0;  // file offset of buf_[pos_]
  std::int64_t line_ = 0;        // newlines before buf_start_
  bool eof_ = false;
  pugi::xml_encoding encoding_ = pugi::encoding_utf8;
  std::string declared_;  // the declared encoding's name, "" if none
  std::uint64_t returned_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace

namespace {

// The offset of the first "</IDOC>" (blanks allowed before '>') at or after
// `from`, not "</IDOCTYP>"; npos if none.
std::size_t idoc_close_tag(std::string_view bytes, std::size_t from) {
  for (std::size_t q = bytes.find("</IDOC", from); q != std::string_view::npos;
       q = bytes.find("</IDOC", q + 1)) {
    std::size_t k = q + 6;
    while (k < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[k]))) ++k;
    if (k < bytes.size() && bytes[k] == '>') return q;
  }
  return std::string_view::npos;
}

// Where the byte at `offset` of a document lies: its line and, when it is
// inside an <IDOC> element, the IDoc's number and the segment and field.
Location place_in_document(std::string_view bytes, std::size_t offset,
                           const std::string& source_name) {
  offset = std::min(offset, bytes.size());
  Location at = Location::in_file(source_name);
  at.line = 1 + count_newlines(bytes.data(), offset);
  // The last "<IDOC" tag that starts before it, if no "</IDOC" closes it
  // before it.
  std::size_t open = std::string_view::npos;
  for (std::size_t from = offset; from > 0;) {
    const std::size_t q = bytes.rfind("<IDOC", from - 1);
    if (q == std::string_view::npos) break;
    if (q + 5 < bytes.size() && ends_tag_name(bytes[q + 5])) {
      open = q;
      break;
    }
    from = q;
  }
  if (open == std::string_view::npos) return at;
  const std::size_t close = idoc_close_tag(bytes, open);
  if (close < offset) return at;
  const std::string_view idoc =
      bytes.substr(open, close == std::string_view::npos ? close : close - open);
  at.record = element_text_in(idoc, "DOCNUM", 32);
  element_at(idoc, offset - open, at);
  return at;
}

std::size_t node_offset(const pugi::xml_node& node) {
  const std::ptrdiff_t off = node.offset_debug();
  return off > 0 ? static_cast<std::size_t>(off) : 0;
}

}  // namespace

Status check_idoc_xml_document(std::string_view bytes, const std::string& source_name) {
  pugi::xml_document doc;
  const pugi::xml_parse_result result =
      doc.load_buffer(bytes.data(), bytes.size(), kParseOptions | pugi::parse_embed_pcdata,
                      pugi::encoding_auto);
  if (!result) {
    const std::size_t off = static_cast<std::size_t>(std::max<std::ptrdiff_t>(result.offset, 0));
    return Status(ErrorCode::kParseError,
                  std::string("malformed XML: ") + result.description() + " at byte " +
                      std::to_string(off),
                  place_in_document(bytes, off, source_name));
  }
  pugi::xml_node root;
  for (pugi::xml_node top : doc.children()) {
    if (top.type() != pugi::node_element) continue;
    if (root) {
      return Status(ErrorCode::kParseError,
                    "a second root element <" + printable(top.name()) + "> after <" +
                        printable(root.name()) + ">: an IDoc-XML document has one root",
                    place_in_document(bytes, node_offset(top), source_name));
    }
    root = top;
  }
  const std::string_view name = root.name();
  const std::size_t colon = name.find(':');
  const std::string_view local = colon == std::string_view::npos ? name : name.substr(colon + 1);
  if (local == "Envelope") {
    return Status(ErrorCode::kParseError,
                  "the document is a SOAP envelope, not IDoc-XML: send plain IDoc-XML (clear "
                  "\"SOAP Protocol\" in the XML HTTP port, transaction WE21)",
                  place_in_document(bytes, node_offset(root), source_name));
  }
  if (name == "IDOC") return Status::ok();
  bool any = false;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    if (std::string_view(child.name()) != "IDOC") {
      return Status(ErrorCode::kParseError,
                    "element <" + printable(child.name()) + "> in the root <" + printable(name) +
                        ">: an IDoc-XML document holds only <IDOC> elements there",
                    place_in_document(bytes, node_offset(child), source_name));
    }
    any = true;
  }
  if (!any) {
    return Status(ErrorCode::kParseError,
                  "no <IDOC> element in the root <" + printable(name) +
                      ">: not an IDoc-XML document",
                  place_in_document(bytes, node_offset(root), source_name));
  }
  return Status::ok();
}

std::unique_ptr<IdocReader> make_xml_reader(const std::string& path, const ReaderOptions& options,
                                            Status& error) {
  return std::make_unique<XmlIdocReader>(path, options, error);
}

std::unique_ptr<IdocReader> make_xml_memory_reader(std::string_view bytes,
                                                   const ReaderOptions& options, Status& error) {
  return std::make_unique<XmlIdocReader>(bytes, options, error);
}

}  // namespace arsync::connectors::sap_idoc
