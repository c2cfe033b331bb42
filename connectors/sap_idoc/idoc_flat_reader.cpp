// Flat-file IDoc reader: an EDI_DC40 control record line starts each IDoc,
// its EDI_DD40 data record lines follow (or, in files of SAP 3.x and of
// middleware that still writes record type version 2, EDI_DC and EDI_DD).
// Fields sit at SAP's fixed offsets, counted in characters: a file is read as
// UTF-8 (a line that is not valid UTF-8 rejects its IDoc) or, when the
// connector's encoding says so, as ISO-8859-1 (a byte per character). A short
// line is padded with blanks.
//
// An IDoc's lines are read once, into the IDoc's raw bytes (which the record
// keeps); fields are read from there. Segment types, their layouts and the
// selected fields are looked up once per reader, not once per line.
#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <span>
#include <stdexcept>
#include <unordered_map>

#include "idoc_reader.h"
#include "segment_definitions.h"

namespace arsync::connectors::sap_idoc {


namespace {

// The EDI_DC control record of record type version 2 (SAP 3.x): SAP's
// documentation of EDI_DC gives the fields up to CRETIM; the ones after it
// are as SAP systems write them. IDOCTYP is EDI_DC's DOCTYP (the basic type),
// named as in EDI_DC40 so that one mapping reads both.
constexpr FixedField kEdiDcFields[] = {
    {"TABNAM", 10}, {"MANDT", 3},   {"DOCNUM", 16}, {"DOCREL", 4},  {"STATUS", 2},
    {"IDOCTYP", 8}, {"DIRECT", 1},  {"RCVPOR", 10}, {"RCVPRT", 2},  {"RCVPRN", 10},
    {"RCVSAD", 21}, {"RCVLAD", 70}, {"STD", 1},     {"STDVRS", 6},  {"STDMES", 6},
    {"MESCOD", 3},  {"MESFCT", 3},  {"OUTMOD", 1},  {"TEST", 1},    {"SNDPOR", 10},
    {"SNDPRT", 2},  {"SNDPRN", 10}, {"SNDSAD", 21}, {"SNDLAD", 70}, {"REFINT", 14},
    {"REFGRP", 14}, {"REFMES", 14}, {"ARCKEY", 70}, {"CREDAT", 8},  {"CRETIM", 6},
    {"MESTYP", 6},  {"IDOCTP", 8},  {"CIMTYP", 8},  {"RCVPFC", 2},  {"SNDPFC", 2},
    {"SERIAL", 20}, {"EXPRSS", 1},
};

constexpr FieldPlace place_in(std::span<const FixedField> fields, std::string_view name) {
  std::size_t offset = 0;
  for (const FixedField& f : fields) {
    if (name == f.name) return {offset, f.length};
    offset += f.length;
  }
  throw std::invalid_argument("no such control record field");
}

// Version 3 (EDI_DC40 / EDI_DD40): a control record must reach the end of
// MESTYP (what identifies the IDoc); later fields may be cut off (trailing
// blanks stripped by a tool). Data records: SEGNAM 30, MANDT 3, DOCNUM 16,
// SEGNUM 6, PSGNUM 6, HLEVEL 2, then SDATA 1000.
constexpr FlatLayout kVersion3{
    "EDI_DC40", kControlRecordFields, control_field("DOCNUM"), control_field("IDOCTYP"),
    control_field("MESTYP").end(), {0, 30}, {33, 16}, {49, 6}, {55, 6}, {61, 2}, 63};

// Version 2 (EDI_DC / EDI_DD): a control record must reach the end of its
// basic type, which is all that identifies an IDoc of SAP 3.x. Data records:
// TABNAM 10, MANDT 3, DOCNUM 16, SEGNUM 6, SEGNAM 10, PSGNUM 6, HLEVEL 2,
// DTINT2 2, then SDATA 1000.
constexpr FlatLayout kVersion2{
    "EDI_DC    ", kEdiDcFields, place_in(kEdiDcFields, "DOCNUM"),
    place_in(kEdiDcFields, "IDOCTYP"), place_in(kEdiDcFields, "IDOCTYP").end(),
    {35, 10}, {13, 16}, {29, 6}, {45, 6}, {51, 2}, 55};

}  // namespace

bool starts_flat_control_record(std::string_view line) {
  return line.substr(0, 8) == kVersion3.control_tag || line.substr(0, 10) == kVersion2.control_tag;
}

IdocFormat sniff_flat(std::string_view line) {
  return line.substr(0, 8) == kVersion3.control_tag ? IdocFormat::kFlat : IdocFormat::kFlatEdiDc;
}

const FlatLayout& flat_layout(IdocFormat format) {
  return format == IdocFormat::kFlatEdiDc ? kVersion2 : kVersion3;
}

namespace {

// A line as characters, each kept as its UTF-8 bytes. An ASCII line (the
// usual case) is its own character index.
class CharLine {
 public:
  // `line` must outlive the CharLine (an ASCII line is not copied).
  // `latin1`: a byte per character; otherwise UTF-8, and a line that is not
  // valid UTF-8 (rejected before its fields are read) as ISO-8859-1, so that
  // the text of an error about it is valid UTF-8.
  explicit CharLine(std::string_view line, bool latin1 = false) {
    if (is_ascii(line)) {
      text_ = line;
      ascii_ = true;
      return;
    }
    if (!latin1 && first_invalid_utf8(line) == std::string_view::npos) {
      for (std::size_t i = 0; i < line.size();) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
        starts_.push_back(converted_.size());
        converted_.append(line.substr(i, n));
        i += n;
      }
    } else {  // ISO-8859-1: every byte is one character
      for (char ch : line) {
        unsigned char c = static_cast<unsigned char>(ch);
        starts_.push_back(converted_.size());
        if (c < 0x80) {
          converted_ += ch;
        } else {
          converted_ += static_cast<char>(0xC0 | (c >> 6));
          converted_ += static_cast<char>(0x80 | (c & 0x3F));
        }
      }
    }
    text_ = converted_;
  }
  CharLine(const CharLine&) = delete;  // text_ may point into converted_
  CharLine& operator=(const CharLine&) = delete;

  std::size_t size() const { return ascii_ ? text_.size() : starts_.size(); }
  // Characters [pos, pos+len) as UTF-8, trailing blanks removed; missing
  // characters count as blanks. Valid while the CharLine and its line are.
  std::string_view view(std::size_t pos, std::size_t len) const {
    if (pos >= size()) return {};
    std::size_t end = std::min(size(), pos + len);
    std::size_t a = ascii_ ? pos : starts_[pos];
    std::size_t b = ascii_ ? end : end < size() ? starts_[end] : text_.size();
    return trim_trailing_blanks(text_.substr(a, b - a));
  }
  std::string field(std::size_t pos, std::size_t len) const { return std::string(view(pos, len)); }

 private:
  std::string_view text_;  // the line as UTF-8: the line itself, or converted_
  std::string converted_;
  bool ascii_ = false;
  std::vector<std::size_t> starts_;
};

// A line of the IDoc being read: where its text lies in the IDoc's raw bytes.
struct LineRef {
  std::size_t begin = 0;  // offset in the raw bytes
  std::size_t size = 0;   // without line terminator
  std::int64_t number = 0;
  std::string_view in(std::string_view raw) const { return raw.substr(begin, size); }
};

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// What a SEGNAM names: the segment type and its layout (null: undefined).
struct SegmentType {
  std::string name;
  const SegmentLayout* layout = nullptr;
};

// Hash for string-keyed unordered maps looked up by string_view.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// One selected field of a segment: its text is in the reader's field text.
struct FieldValue {
  const std::string* name;
  std::size_t at, size;
};

// A segment of the IDoc being read. The IDoc's tree is known only once its
// last line is read; then it is written into the Record depth-first.
struct Node {
  const std::string* name = nullptr;  // a SegmentType's name (one string per type)
  std::size_t depth = 1;              // 1 for a top-level segment
  std::size_t fields_begin = 0, fields_end = 0;  // its FieldValues
  std::vector<std::size_t> children;
  const FieldSelection* selection = nullptr;  // null: not built into the record
  bool written = false;
};

struct SegmentTree {
  std::vector<Node>& nodes;
  const std::vector<FieldValue>& fields;
  std::string_view text;
};

void write_node(const SegmentTree& tree, std::size_t i, RecordBuilder& out);

// The selected segments among `list` as members: one array per segment
// type, in order of first occurrence, each with every occurrence in order.
void write_groups(const SegmentTree& tree, const std::vector<std::size_t>& list,
                  RecordBuilder& out) {
  std::vector<Node>& nodes = tree.nodes;
  for (std::size_t k = 0; k < list.size(); ++k) {
    const Node& first = nodes[list[k]];
    if (first.written || !first.selection) continue;
    out.key(*first.name).begin_array();
    for (std::size_t j = k; j < list.size(); ++j) {
      Node& n = nodes[list[j]];
      if (n.written || n.name != first.name || !n.selection) continue;
      n.written = true;
      write_node(tree, list[j], out);
    }
    out.end();
  }
}

void write_node(const SegmentTree& tree, std::size_t i, RecordBuilder& out) {
  const Node& node = tree.nodes[i];
  out.begin_object();
  for (std::size_t f = node.fields_begin; f < node.fields_end; ++f) {
    const FieldValue& v = tree.fields[f];
    out.key(*v.name).string(tree.text.substr(v.at, v.size));
  }
  write_groups(tree, node.children, out);
  out.end();
}

class FlatIdocReader final : public IdocReader {
 public:
  FlatIdocReader(const std::string& path, const ReaderOptions& options, IdocFormat format,
                 Status& error)
      : buffer_(kReadBuffer), options_(options), layout_(flat_layout(format)),
        control_name_(format == IdocFormat::kFlatEdiDc ? "EDI_DC" : "EDI_DC40"),
        latin1_(options.flat_encoding == TextEncoding::kLatin1) {
    // The stream's own buffer is 8 KiB: a read system call per 8 KiB.
    in_.rdbuf()->pubsetbuf(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    in_.open(path, std::ios::binary);
    if (!in_) error = Status(ErrorCode::kIoError, "cannot open IDoc file " + path, where());
  }

  Result<std::optional<IdocItem>> next() override {
    if (!pending_) {
      for (;;) {
        Result<bool> got = read_line();
        if (!got.is_ok()) return got.status();
        if (!*got) {
          if (returned_ == 0) {
            return Status(ErrorCode::kParseError,
                          "not an IDoc file: no " + control_name_ + " control record", where());
          }
          return std::optional<IdocItem>();
        }
        if (!is_blank(line_)) break;
      }
      if (!starts_control_record(line_)) {
        Location at = where();
        at.line = line_no_;
        return Status(ErrorCode::kParseError,
                      "expected an " + control_name_ + " control record, found a line starting \"" +
                          printable(line_.substr(0, 30)) + "\"",
                      at);
      }
      hold_as_pending();
    }
    // The IDoc's bytes: its control line (read ahead), then its data lines.
    std::string raw = std::move(pending_->raw);
    const LineRef control = pending_->line;
    const std::uint64_t offset = pending_->offset;
    bool cut = pending_->cut;           // a line of it kept only in part
    pending_.reset();
    std::size_t raw_used = raw.size();  // bytes up to the last non-blank line
    std::int64_t skipped_lines = 0;     // data lines past max_idoc_bytes, not kept
    data_.clear();
    for (;;) {
      Result<bool> got = read_line();
      if (!got.is_ok()) return got.status();
      if (!*got) break;
      if (starts_control_record(line_)) {
        hold_as_pending();
        break;
      }
      if (raw.size() > options_.max_idoc_bytes) {
        ++skipped_lines;
        continue;
      }
      const std::size_t begin = raw.size();
      append_line(raw);
      cut = cut || line_cut_;
      if (is_blank(line_)) continue;
      raw_used = raw.size();
      data_.push_back(LineRef{begin, line_.size(), line_no_});
    }
    peak_ = std::max(peak_, raw.size());
    raw.resize(raw_used);
    IdocItem item;
    item.offset = offset;
    Result<RawRecord> record = skipped_lines > 0 || cut ? too_large(raw, control, skipped_lines)
                               : !latin1_ ? check_utf8(raw, control, offset)
                                          : Result<RawRecord>(RawRecord{});
    if (record.is_ok()) record = parse(raw, control);  // before raw moves
    finish_item(item, std::move(record), std::move(raw), options_.source_name);
    ++returned_;
    return std::optional<IdocItem>(std::move(item));
  }

  std::uint64_t idocs_returned() const override { return returned_; }
  std::size_t peak_buffered_bytes() const override { return peak_; }

 private:
  Location where() const { return Location::in_file(options_.source_name); }

  bool starts_control_record(std::string_view line) const {
    return line.substr(0, layout_.control_tag.size()) == layout_.control_tag;
  }

  // OK (an empty record) when every line of the IDoc is valid UTF-8; else
  // the error naming the first invalid byte's offset in the file and its
  // record, segment and field.
  Result<RawRecord> check_utf8(std::string_view raw, const LineRef& control_line,
                               std::uint64_t file_offset) {
    const LineRef* bad_line = nullptr;
    std::size_t bad = std::string_view::npos;
    if ((bad = first_invalid_utf8(control_line.in(raw))) != std::string_view::npos) {
      bad_line = &control_line;
    }
    for (std::size_t i = 0; bad_line == nullptr && i < data_.size(); ++i) {
      if ((bad = first_invalid_utf8(data_[i].in(raw))) != std::string_view::npos) {
        bad_line = &data_[i];
      }
    }
    if (bad_line == nullptr) return RawRecord{};
    const std::string_view text = bad_line->in(raw);
    // The character the byte is in: the characters of the valid text before it.
    std::size_t column = 0;
    for (std::size_t i = 0; i < bad; ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
    }
    const CharLine control(control_line.in(raw));
    Location at = control_location(control, control_line);
    at.line = bad_line->number;
    if (bad_line == &control_line) {
      at.field = field_at(layout_.control_fields, column);
    } else {
      const CharLine rec(text);
      const std::string idoctyp = control.field(layout_.idoctyp.offset, layout_.idoctyp.length);
      at.segment = segment_type_name(rec.view(layout_.segnam.offset, layout_.segnam.length));
      const SegmentLayout* segment =
          options_.segments ? options_.segments->find(idoctyp, at.segment) : nullptr;
      if (column < layout_.sdata) {
        at.field = "(record header)";
      } else if (segment != nullptr) {
        for (const FieldDef& f : *segment) {
          if (column - layout_.sdata >= f.offset && column - layout_.sdata < f.offset + f.length) {
            at.field = f.name;
          }
        }
      }
    }
    return invalid_utf8_error(file_offset + bad_line->begin + bad,
                              static_cast<unsigned char>(text[bad]),
                              "the connector reads flat files as UTF-8 (its encoding setting): "
                              "set encoding to iso-8859-1 if the sender writes Latin-1",
                              std::move(at));
  }

  // The name of the fixed field at character `column`, "" past the last.
  static std::string field_at(std::span<const FixedField> fields, std::size_t column) {
    std::size_t offset = 0;
    for (const FixedField& f : fields) {
      if (column < offset + f.length) return f.name;
      offset += f.length;
    }
    return "";
  }

  // Reads the next line into line_ (terminator removed, noted in cr_/lf_);
  // false at end of file.
  // A line longer than max_idoc_bytes keeps only its first bytes (line_cut_),
  // so that no line, however long, is held whole.
  Result<bool> read_line() {
    line_offset_ = offset_;
    line_.clear();
    const std::size_t keep = options_.max_idoc_bytes + 1;
    std::uint64_t length = 0;  // the whole line's bytes, without the '\n'
    char last = 0;
    bool extracted = false;
    lf_ = false;
    for (;;) {
      in_.getline(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
      const auto got = static_cast<std::size_t>(in_.gcount());
      if (in_.bad()) {
        return Status(ErrorCode::kIoError, "read error after byte " + std::to_string(offset_),
                      where());
      }
      extracted = extracted || got > 0;
      // The '\n' was extracted (and counted in got); at the end of the file
      // without one, eofbit says so.
      const bool delimited = !in_.fail() && !in_.eof();
      const std::size_t n = delimited ? got - 1 : got;
      if (n > 0) {
        if (line_.size() < keep) line_.append(chunk_.data(), std::min(n, keep - line_.size()));
        length += n;
        last = chunk_[n - 1];
      }
      if (delimited) {
        lf_ = true;
        break;
      }
      if (in_.eof()) break;  // a last line without '\n'
      in_.clear();           // the chunk filled up: the line goes on
    }
    if (!extracted) return false;
    cr_ = length > 0 && last == '\r';
    line_cut_ = line_.size() < length;
    if (cr_ && !line_cut_) line_.pop_back();
    offset_ += length + (lf_ ? 1 : 0);
    ++line_no_;
    return true;
  }

  // Appends line_'s exact bytes, terminator included.
  void append_line(std::string& out) const {
    out += line_;
    if (cr_) out += '\r';
    if (lf_) out += '\n';
  }

  // line_ is the next IDoc's control record: keep it for the next call.
  void hold_as_pending() {
    // Not emplace(): with clang, optional<Pending> is instantiated before the
    // member initialisers of Pending are, so it is not default-constructible.
    Pending& p = pending_.emplace(Pending{});
    append_line(p.raw);
    p.line = LineRef{0, line_.size(), line_no_};
    p.offset = line_offset_;
    p.cut = line_cut_;
  }

  // An IDoc larger than max_idoc_bytes: rejected with its first bytes; the
  // rest of it was read past without being kept.
  Status too_large(std::string_view raw, const LineRef& control_line, std::int64_t skipped) {
    const CharLine control(control_line.in(raw), latin1_);
    return Status(ErrorCode::kParseError,
                  "IDoc is larger than " + std::to_string(options_.max_idoc_bytes) +
                      " bytes: only its first bytes were kept (" + std::to_string(skipped) +
                      " further lines skipped)",
                  control_location(control, control_line));
  }

  // Where an error in the control record is: its IDoc number and line.
  Location control_location(const CharLine& control, const LineRef& control_line) const {
    Location at = where();
    at.record = control.field(layout_.docnum.offset, layout_.docnum.length);
    at.segment = control_name_;
    at.line = control_line.number;
    return at;
  }

  Result<RawRecord> parse(std::string_view raw, const LineRef& control_line) {
    const CharLine control(control_line.in(raw), latin1_);
    Location at = control_location(control, control_line);
    const std::string docnum = at.record;
    if (control.size() < layout_.control_minimum) {
      return Status(ErrorCode::kParseError,
                    "control record " + control_name_ + " is truncated: " +
                        std::to_string(control.size()) + " characters, at least " +
                        std::to_string(layout_.control_minimum) + " needed (fields up to " +
                        (&layout_ == &kVersion2 ? "IDOCTYP" : "MESTYP") + ")",
                    at);
    }
    const std::string idoctyp = control.field(layout_.idoctyp.offset, layout_.idoctyp.length);
    const FieldSelection& selection = selections_.find(idoctyp);
    builder_.clear();  // an IDoc rejected half-way leaves its start behind
    builder_.reserve(last_nodes_, last_bytes_);
    builder_.begin_object().key("EDI_DC40").begin_object();
    // Always selected: SelectionCache adds DOCNUM and IDOCTYP.
    for (const ControlField& f : selected_control_fields(*selection.member("EDI_DC40"))) {
      std::string_view v = control.view(f.offset, f.length);
      if (!v.empty()) builder_.key(f.name).string(v);
    }
    builder_.end();
    if (docnum.empty() || idoctyp.empty()) {
      return make_record(builder_.end().finish(), options_.source_name, control_line.number);
    }

    auto& types = segment_types_[idoctyp];
    nodes_.clear();
    field_values_.clear();
    field_text_.clear();
    roots_.clear();
    by_segnum_.clear();
    level_stack_.clear();
    for (const LineRef& line : data_) {
      CharLine rec(line.in(raw), latin1_);
      const SegmentType& type =
          segment_type(types, idoctyp, rec.view(layout_.segnam.offset, layout_.segnam.length));
      at.line = line.number;
      at.segment = type.name;
      at.field.clear();
      if (type.name.empty()) {
        return Status(ErrorCode::kParseError, "data record has no segment name (SEGNAM)", at);
      }
      std::string_view rec_docnum = rec.view(layout_.data_docnum.offset, layout_.data_docnum.length);
      if (!rec_docnum.empty() && rec_docnum != docnum) {
        at.field = "DOCNUM";
        return Status(ErrorCode::kParseError,
                      "data record DOCNUM " + std::string(rec_docnum) +
                          " does not match the control record's DOCNUM " + docnum,
                      at);
      }
      if (!type.layout) {
        std::string dir = options_.segments ? options_.segments->directory() : "";
        return Status(ErrorCode::kParseError,
                      "no segment definition for " + type.name + " in IDoc type " + idoctyp +
                          " (add it to " + (dir.empty() ? std::string("the segments folder") : dir) +
                          "/" + idoctyp + ".json)",
                      at);
      }
      std::string_view segnum = rec.view(layout_.segnum.offset, layout_.segnum.length);
      std::string_view psgnum = rec.view(layout_.psgnum.offset, layout_.psgnum.length);
      int hlevel = 0;
      for (char c : rec.view(layout_.hlevel.offset, layout_.hlevel.length)) {
        if (c >= '0' && c <= '9') hlevel = hlevel * 10 + (c - '0');
      }
      const std::size_t index = nodes_.size();
      std::optional<std::size_t> parent;
      if (!psgnum.empty() && psgnum.find_first_not_of('0') != std::string_view::npos) {
        auto it = by_segnum_.find(psgnum);
        if (it == by_segnum_.end()) {
          at.field = "PSGNUM";
          return Status(ErrorCode::kParseError,
                        "parent segment number " + std::string(psgnum) +
                            " is not an earlier segment",
                        at);
        }
        parent = it->second;
      }
      if (hlevel > 0) {
        while (!level_stack_.empty() && level_stack_.back().first >= hlevel) level_stack_.pop_back();
        // No parent number: the nearest earlier segment one level up.
        if (!parent && hlevel > 2 && !level_stack_.empty() &&
            level_stack_.back().first == hlevel - 1) {
          parent = level_stack_.back().second;
        }
        level_stack_.emplace_back(hlevel, index);
      }

      const std::size_t depth = parent ? nodes_[*parent].depth + 1 : 1;
      if (depth > kMaxNestingDepth) {
        at.field = "PSGNUM";
        return Status(ErrorCode::kParseError,
                      "segments are nested more than " + std::to_string(kMaxNestingDepth) +
                          " levels deep (the limit)",
                      at);
      }
      Node& node = nodes_.emplace_back();
      node.name = &type.name;
      node.depth = depth;
      // Built when its parent is (or it has none) and selects it.
      const FieldSelection* parent_selection = parent ? nodes_[*parent].selection : &selection;
      node.selection = parent_selection ? parent_selection->member(type.name) : nullptr;
      node.fields_begin = field_values_.size();
      if (node.selection) {
        for (const FieldDef* f : selected_fields(*type.layout, *node.selection)) {
          std::string_view v = rec.view(layout_.sdata + f->offset, f->length);
          if (v.empty()) continue;
          field_values_.push_back(FieldValue{&f->name, field_text_.size(), v.size()});
          field_text_.append(v);
        }
      }
      node.fields_end = field_values_.size();
      if (!segnum.empty()) by_segnum_[std::string(segnum)] = index;

      if (parent) {
        nodes_[*parent].children.push_back(index);
      } else {
        roots_.push_back(index);
      }
    }
    write_groups(SegmentTree{nodes_, field_values_, field_text_}, roots_, builder_);
    Record data = builder_.end().finish();
    last_nodes_ = data.node_count();
    last_bytes_ = data.text_bytes();
    return make_record(std::move(data), options_.source_name, control_line.number);
  }

  using SegmentTypes = std::unordered_map<std::string, SegmentType, TextHash, std::equal_to<>>;

  // The segment type a SEGNAM (type or definition name) names in `idoctyp`.
  const SegmentType& segment_type(SegmentTypes& types, const std::string& idoctyp,
                                  std::string_view segnam) {
    auto it = types.find(segnam);
    if (it == types.end()) {
      SegmentType type;
      type.name = segment_type_name(segnam);
      // Record type version 2 names a segment by its definition, with the
      // version suffix or (for a segment's first version) without it.
      if (&layout_ == &kVersion2 && type.name.size() > 2 &&
          (type.name[0] == 'E' || type.name[0] == 'Z') && type.name[1] == '2') {
        type.name[1] = '1';
      }
      if (options_.segments) type.layout = options_.segments->find(idoctyp, type.name);
      it = types.emplace(std::string(segnam), std::move(type)).first;
    }
    return it->second;
  }

  // The fields of `layout` that `selection` selects, in layout order: asked
  // once per segment type and selection, not once per field and segment.
  const std::vector<const FieldDef*>& selected_fields(const SegmentLayout& layout,
                                                      const FieldSelection& selection) {
    auto [it, inserted] = selected_fields_.try_emplace({&layout, &selection});
    if (inserted) {
      for (const FieldDef& f : layout) {
        if (selection.member(f.name)) it->second.push_back(&f);
      }
    }
    return it->second;
  }

  struct ControlField {
    std::size_t offset;  // characters from the start of the record
    std::size_t length;  // characters
    std::string name;
  };

  // The control record fields `selection` selects, in record order.
  const std::vector<ControlField>& selected_control_fields(const FieldSelection& selection) {
    auto [it, inserted] = selected_control_fields_.try_emplace(&selection);
    if (inserted) {
      std::size_t offset = 0;
      for (const FixedField& f : layout_.control_fields) {
        if (selection.member(f.name)) it->second.push_back(ControlField{offset, f.length, f.name});
        offset += f.length;
      }
    }
    return it->second;
  }

  static constexpr std::size_t kReadBuffer = 64 * 1024;
  std::vector<char> buffer_;  // declared before in_, which reads into it
  std::ifstream in_;
  ReaderOptions options_;
  const FlatLayout& layout_;
  const std::string control_name_;  // EDI_DC40 or EDI_DC
  const bool latin1_;
  SelectionCache selections_{options_};
  RecordBuilder builder_;
  std::size_t last_nodes_ = 0, last_bytes_ = 0;  // the last IDoc's size: reserved for the next
  // Keys and values stay put while the reader lives (definitions, selections_).
  std::map<std::string, SegmentTypes, std::less<>> segment_types_;  // by IDOCTYP
  std::map<std::pair<const SegmentLayout*, const FieldSelection*>, std::vector<const FieldDef*>>
      selected_fields_;
  std::map<const FieldSelection*, std::vector<ControlField>> selected_control_fields_;
  // The line just read.
  std::array<char, 64 * 1024> chunk_{};  // getline's piece of it
  std::string line_;
  bool line_cut_ = false;  // longer than max_idoc_bytes: line_ holds its start
  bool cr_ = false;  // it ended in "\r\n" (or a lone "\r" at the end of the file)
  bool lf_ = false;  // it ended in "\n"
  std::uint64_t line_offset_ = 0;
  // The next IDoc's control line, read ahead.
  struct Pending {
    std::string raw;           // its exact bytes, terminator included (those kept)
    LineRef line;              // its text within raw
    std::uint64_t offset = 0;  // in the file
    bool cut = false;          // longer than max_idoc_bytes
  };
  std::optional<Pending> pending_;
  // Per IDoc, kept to reuse their memory.
  std::vector<LineRef> data_;
  std::vector<Node> nodes_;
  std::vector<FieldValue> field_values_;
  std::string field_text_;
  std::vector<std::size_t> roots_;
  std::unordered_map<std::string, std::size_t, TextHash, std::equal_to<>> by_segnum_;
  std::vector<std::pair<int, std::size_t>> level_stack_;  // (HLEVEL, node)
  std::uint64_t offset_ = 0;
  std::int64_t line_no_ = 0;
  std::uint64_t returned_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace

std::unique_ptr<IdocReader> make_flat_reader(const std::string& path, const ReaderOptions& options,
                                             IdocFormat format, Status& error) {
  return std::make_unique<FlatIdocReader>(path, options, format, error);
}

}  // namespace arsync::connectors::sap_idoc
