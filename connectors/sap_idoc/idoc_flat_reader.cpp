// Flat-file IDoc reader: an EDI_DC40 control record line starts each IDoc,
// its EDI_DD40 data record lines follow. Fields sit at SAP's fixed offsets,
// counted in characters (UTF-8 lines are decoded; a line that is not valid
// UTF-8 is read as ISO-8859-1). A short line is padded with blanks.
#include <algorithm>
#include <fstream>
#include <map>

#include "idoc_reader.h"
#include "segment_definitions.h"

namespace arsync::connectors::sap_idoc {


namespace {

// A control record must reach the end of MESTYP (what identifies the IDoc);
// later fields may be cut off (trailing blanks stripped by a tool).
constexpr std::size_t kControlMinimum = control_field("MESTYP").end();
constexpr FieldPlace kDocnum = control_field("DOCNUM");
constexpr FieldPlace kIdoctyp = control_field("IDOCTYP");

// EDI_DD40 header: SEGNAM 30, MANDT 3, DOCNUM 16, SEGNUM 6, PSGNUM 6,
// HLEVEL 2, then SDATA 1000.
constexpr std::size_t kSegnamLen = 30, kDataDocnumOff = 33, kSegnumOff = 49, kPsgnumOff = 55,
                      kHlevelOff = 61, kSdataOff = 63;

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
    if (n > 3 || i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

// A line as characters, each kept as its UTF-8 bytes. An ASCII line (the
// usual case) is its own character index.
class CharLine {
 public:
  // `line` must outlive the CharLine (an ASCII line is not copied).
  explicit CharLine(std::string_view line) {
    if (std::all_of(line.begin(), line.end(),
                    [](char ch) { return static_cast<unsigned char>(ch) < 0x80; })) {
      text_ = line;
      ascii_ = true;
      return;
    }
    if (valid_utf8(line)) {
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
  // characters count as blanks.
  std::string field(std::size_t pos, std::size_t len) const {
    if (pos >= size()) return "";
    std::size_t end = std::min(size(), pos + len);
    std::size_t a = ascii_ ? pos : starts_[pos];
    std::size_t b = ascii_ ? end : end < size() ? starts_[end] : text_.size();
    return std::string(trim_trailing_blanks(text_.substr(a, b - a)));
  }

 private:
  std::string_view text_;  // the line as UTF-8: the line itself, or converted_
  std::string converted_;
  bool ascii_ = false;
  std::vector<std::size_t> starts_;
};

struct Line {
  std::string text;  // without line terminator (CR removed too)
  bool cr = false;   // it ended in "\r\n" or a lone "\r" before end of file
  bool lf = false;   // it ended in "\n"
  std::uint64_t offset = 0;
  std::int64_t number = 0;

  std::size_t raw_size() const { return text.size() + (cr ? 1 : 0) + (lf ? 1 : 0); }
  // Appends the line's exact bytes, terminator included.
  void append_raw(std::string& out) const {
    out += text;
    if (cr) out += '\r';
    if (lf) out += '\n';
  }
};

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

struct Node {
  std::string name;
  nlohmann::json fields;
  std::vector<std::size_t> children;
  const FieldSelection* selection = nullptr;  // null: not built into the record
};

nlohmann::json node_json(std::vector<Node>& nodes, std::size_t i) {
  nlohmann::json out = std::move(nodes[i].fields);
  for (std::size_t c : nodes[i].children) {
    if (nodes[c].selection) out[nodes[c].name].push_back(node_json(nodes, c));
  }
  return out;
}

class FlatIdocReader final : public IdocReader {
 public:
  FlatIdocReader(const std::string& path, const ReaderOptions& options, Status& error)
      : in_(path, std::ios::binary), options_(options) {
    if (!in_) error = Status(ErrorCode::kIoError, "cannot open IDoc file " + path, where());
  }

  Result<std::optional<IdocItem>> next() override {
    if (!pending_) {
      Line line;
      for (;;) {
        Result<bool> got = read_line(line);
        if (!got.is_ok()) return got.status();
        if (!*got) {
          if (returned_ == 0) {
            return Status(ErrorCode::kParseError, "not an IDoc file: no EDI_DC40 control record",
                          where());
          }
          return std::optional<IdocItem>();
        }
        if (!is_blank(line.text)) break;
      }
      if (line.text.rfind("EDI_DC40", 0) != 0) {
        Location at = where();
        at.line = line.number;
        return Status(ErrorCode::kParseError,
                      "expected an EDI_DC40 control record, found a line starting \"" +
                          line.text.substr(0, 30) + "\"",
                      at);
      }
      pending_ = std::move(line);
    }
    Line control = std::move(*pending_);
    pending_.reset();
    std::string raw;
    control.append_raw(raw);
    std::size_t raw_used = raw.size();  // bytes up to the last non-blank line
    std::vector<Line> data;
    std::size_t held = raw.size();
    for (;;) {
      Line line;
      Result<bool> got = read_line(line);
      if (!got.is_ok()) return got.status();
      if (!*got) break;
      if (line.text.rfind("EDI_DC40", 0) == 0) {
        pending_ = std::move(line);
        break;
      }
      line.append_raw(raw);
      if (is_blank(line.text)) continue;
      raw_used = raw.size();
      held += line.raw_size() + line.text.size();
      peak_ = std::max(peak_, held);
      data.push_back(std::move(line));
    }
    raw.resize(raw_used);
    IdocItem item;
    item.offset = control.offset;
    finish_item(item, parse(control, data), std::move(raw), options_.source_name);
    ++returned_;
    return std::optional<IdocItem>(std::move(item));
  }

  std::uint64_t idocs_returned() const override { return returned_; }
  std::size_t peak_buffered_bytes() const override { return peak_; }

 private:
  Location where() const { return Location::in_file(options_.source_name); }

  // Reads one line; false at end of file.
  Result<bool> read_line(Line& line) {
    line.offset = offset_;
    line.text.clear();
    if (!std::getline(in_, line.text)) {
      if (in_.bad()) {
        return Status(ErrorCode::kIoError, "read error after byte " + std::to_string(offset_),
                      where());
      }
      return false;
    }
    bool newline = !in_.eof();
    line.lf = newline;
    line.cr = !line.text.empty() && line.text.back() == '\r';
    if (line.cr) line.text.pop_back();
    offset_ += line.raw_size();
    line.number = ++line_no_;
    return true;
  }

  Result<RawRecord> parse(const Line& control_line, const std::vector<Line>& data) {
    CharLine control(control_line.text);
    std::string docnum = control.field(kDocnum.offset, kDocnum.length);
    Location at = where();
    at.record = docnum;
    at.segment = "EDI_DC40";
    at.line = control_line.number;
    if (control.size() < kControlMinimum) {
      return Status(ErrorCode::kParseError,
                    "control record EDI_DC40 is truncated: " + std::to_string(control.size()) +
                        " characters, at least " + std::to_string(kControlMinimum) +
                        " needed (fields up to MESTYP)",
                    at);
    }
    nlohmann::json out = nlohmann::json::object();
    nlohmann::json dc = nlohmann::json::object();
    const std::string idoctyp = control.field(kIdoctyp.offset, kIdoctyp.length);
    const FieldSelection& selection = selections_.find(idoctyp);
    // Always selected: SelectionCache adds DOCNUM and IDOCTYP.
    const FieldSelection& dc_selection = *selection.member("EDI_DC40");
    std::size_t pos = 0;
    for (const FixedField& f : kControlRecordFields) {
      if (dc_selection.member(f.name)) {
        std::string v = control.field(pos, f.length);
        if (!v.empty()) dc[f.name] = std::move(v);
      }
      pos += f.length;
    }
    out["EDI_DC40"] = std::move(dc);
    if (docnum.empty() || idoctyp.empty()) {
      return make_record(std::move(out), options_.source_name, control_line.number);
    }

    std::vector<Node> nodes;
    std::vector<std::size_t> roots;
    std::map<std::string, std::size_t> by_segnum;
    std::vector<std::pair<int, std::size_t>> level_stack;  // (HLEVEL, node)
    for (const Line& line : data) {
      CharLine rec(line.text);
      std::string segnam = segment_type_name(rec.field(0, kSegnamLen));
      at.line = line.number;
      at.segment = segnam;
      at.field.clear();
      if (segnam.empty()) {
        return Status(ErrorCode::kParseError, "data record has no segment name (SEGNAM)", at);
      }
      std::string rec_docnum = rec.field(kDataDocnumOff, 16);
      if (!rec_docnum.empty() && rec_docnum != docnum) {
        at.field = "DOCNUM";
        return Status(ErrorCode::kParseError,
                      "data record DOCNUM " + rec_docnum +
                          " does not match the control record's DOCNUM " + docnum,
                      at);
      }
      const SegmentLayout* layout =
          options_.segments ? options_.segments->find(idoctyp, segnam) : nullptr;
      if (!layout) {
        std::string dir = options_.segments ? options_.segments->directory() : "";
        return Status(ErrorCode::kParseError,
                      "no segment definition for " + segnam + " in IDoc type " + idoctyp +
                          " (add it to " + (dir.empty() ? std::string("the segments folder") : dir) +
                          "/" + idoctyp + ".json)",
                      at);
      }
      std::string segnum = rec.field(kSegnumOff, 6);
      std::string psgnum = rec.field(kPsgnumOff, 6);
      std::string hlevel_text = rec.field(kHlevelOff, 2);
      int hlevel = 0;
      for (char c : hlevel_text) {
        if (c >= '0' && c <= '9') hlevel = hlevel * 10 + (c - '0');
      }
      const std::size_t index = nodes.size();
      std::optional<std::size_t> parent;
      if (!psgnum.empty() && psgnum.find_first_not_of('0') != std::string::npos) {
        auto it = by_segnum.find(psgnum);
        if (it == by_segnum.end()) {
          at.field = "PSGNUM";
          return Status(ErrorCode::kParseError,
                        "parent segment number " + psgnum + " is not an earlier segment", at);
        }
        parent = it->second;
      } else if (hlevel > 2) {
        // No parent number: the nearest earlier segment one level up.
        while (!level_stack.empty() && level_stack.back().first >= hlevel) level_stack.pop_back();
        if (!level_stack.empty() && level_stack.back().first == hlevel - 1) {
          parent = level_stack.back().second;
        }
      }
      if (hlevel > 0) {
        while (!level_stack.empty() && level_stack.back().first >= hlevel) level_stack.pop_back();
        level_stack.emplace_back(hlevel, index);
      }

      Node node;
      node.name = segnam;
      node.fields = nlohmann::json::object();
      // Built when its parent is (or it has none) and selects it.
      const FieldSelection* parent_selection = parent ? nodes[*parent].selection : &selection;
      node.selection = parent_selection ? parent_selection->member(segnam) : nullptr;
      if (node.selection) {
        for (const FieldDef* f : selected_fields(*layout, *node.selection)) {
          std::string v = rec.field(kSdataOff + f->offset, f->length);
          if (!v.empty()) node.fields[f->name] = std::move(v);
        }
      }
      nodes.push_back(std::move(node));
      if (!segnum.empty()) by_segnum[segnum] = index;

      if (parent) {
        nodes[*parent].children.push_back(index);
      } else {
        roots.push_back(index);
      }
    }
    for (std::size_t r : roots) {
      if (nodes[r].selection) out[nodes[r].name].push_back(node_json(nodes, r));
    }
    return make_record(std::move(out), options_.source_name, control_line.number);
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

  std::ifstream in_;
  ReaderOptions options_;
  SelectionCache selections_{options_};
  std::map<std::pair<const SegmentLayout*, const FieldSelection*>, std::vector<const FieldDef*>>
      selected_fields_;  // keys stay put while the reader lives (definitions, selections_)
  std::optional<Line> pending_;  // the next IDoc's control line, read ahead
  std::uint64_t offset_ = 0;
  std::int64_t line_no_ = 0;
  std::uint64_t returned_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace

std::unique_ptr<IdocReader> make_flat_reader(const std::string& path, const ReaderOptions& options,
                                             Status& error) {
  return std::make_unique<FlatIdocReader>(path, options, error);
}

}  // namespace arsync::connectors::sap_idoc
