#include "idoc_reader.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace arsync::connectors::sap_idoc {
namespace {

using testing::fixture;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

const SegmentDefinitions& defs() {
  static SegmentDefinitions d = SegmentDefinitions::load_directory(testing::segments_dir()).value();
  return d;
}

// Every item `reader` gives.
std::vector<IdocItem> drain(Result<std::unique_ptr<IdocReader>> reader) {
  EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
  std::vector<IdocItem> items;
  if (!reader.is_ok()) return items;
  for (;;) {
    auto item = (*reader)->next();
    EXPECT_TRUE(item.is_ok()) << item.status().to_string();
    if (!item.is_ok() || !item->has_value()) break;
    items.push_back(std::move(**item));
  }
  return items;
}

// Every item of the file, read with `options` (source_name is the path).
std::vector<IdocItem> read_items(const std::string& path, ReaderOptions options) {
  options.source_name = path;
  return drain(open_idoc_reader(path, options));
}

// Every item of the file, with IDocs limited to 20,000 bytes.
std::vector<IdocItem> read_limited(const std::string& path) {
  ReaderOptions options;
  options.segments = &defs();
  options.max_idoc_bytes = 20000;
  return read_items(path, options);
}

std::vector<IdocItem> read_file(const std::string& path,
                                const FieldSelection* selection = nullptr) {
  ReaderOptions options;
  options.segments = &defs();
  if (selection) options.selection = [selection](const std::string&) { return selection; };
  return read_items(path, options);
}

TEST(IdocReader, XmlAndFlatInvoicesGiveIdenticalJson) {
  auto xml = read_file(fixture("invoic02_three.xml"));
  auto flat = read_file(fixture("invoic02_three.txt"));
  ASSERT_EQ(xml.size(), 3u);
  ASSERT_EQ(flat.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(xml[i].record && flat[i].record);
    EXPECT_EQ(testing::as_json(xml[i].record->data), testing::as_json(flat[i].record->data)) << "IDoc " << i << "\nXML:  "
        << testing::as_json(xml[i].record->data).dump() << "\nflat: " << testing::as_json(flat[i].record->data).dump();
  }
}

TEST(IdocReader, XmlAndFlatRemittanceGiveIdenticalJson) {
  auto xml = read_file(fixture("remadv_pexr2002.xml"));
  auto flat = read_file(fixture("remadv_pexr2002.txt"));
  ASSERT_EQ(xml.size(), 1u);
  ASSERT_EQ(flat.size(), 1u);
  ASSERT_TRUE(xml[0].record && flat[0].record);
  EXPECT_EQ(testing::as_json(xml[0].record->data), testing::as_json(flat[0].record->data));
}

TEST(IdocReader, InvoiceFollowsTheJsonShape) {
  auto items = read_file(fixture("invoic02_three.xml"));
  ASSERT_EQ(items.size(), 3u);
  const RawRecord& r = *items[0].record;
  EXPECT_EQ(r.entity, "INVOIC02");
  EXPECT_EQ(r.external_id, "0000000000451234");
  EXPECT_EQ(r.version, "0000000000451234");
  EXPECT_TRUE(testing::as_json(r.data)["EDI_DC40"].is_object());
  EXPECT_EQ(testing::as_json(r.data)["EDI_DC40"]["MESTYP"], "INVOIC");
  EXPECT_EQ(testing::as_json(r.data)["EDI_DC40"]["SNDPRN"], "ECCCLNT100");
  EXPECT_EQ(testing::as_json(r.data)["E1EDK01"], nlohmann::json::parse(
      R"([{"CURCY":"EUR","HWAER":"EUR","ZTERM":"ZN30","BSART":"INVO","BELNR":"0090001234"}])"));
  ASSERT_EQ(testing::as_json(r.data)["E1EDKA1"].size(), 2u);
  EXPECT_EQ(testing::as_json(r.data)["E1EDKA1"][0]["NAME1"], "Müller Maschinenbau GmbH");
  EXPECT_EQ(testing::as_json(r.data)["E1EDKA1"][1], nlohmann::json::parse(R"({"PARVW":"RG","PARTN":"0000100042"})"));
  EXPECT_EQ(testing::as_json(r.data)["E1EDK14"][0]["ORGID"], "F2");
  EXPECT_EQ(testing::as_json(r.data)["E1EDP01"][0]["E1EDP19"], nlohmann::json::parse(
      R"([{"QUALF":"002","IDTNR":"MAT-100"}])"));
  EXPECT_EQ(testing::as_json(r.data)["E1EDP01"][0]["E1EDP26"][0]["BETRG"], "1000.00");
  EXPECT_EQ(testing::as_json(r.data)["E1EDS01"][2], nlohmann::json::parse(
      R"({"SUMID":"011","SUMME":"1190.00","WAERQ":"EUR"})"));
  EXPECT_EQ(testing::as_json(items[2].record->data)["E1EDK14"][0]["ORGID"], "G2");
  EXPECT_EQ(testing::as_json(items[1].record->data)["E1EDP01"].size(), 2u);
}

// A flat file in ISO-8859-1 (a byte per character) reads as the same UTF-8
// text, and a last line without a line end still belongs to its IDoc.
TEST(IdocReader, FlatLatin1FileWithoutFinalNewlineIsReadWhole) {
  TempDir dir;
  std::string bytes = read_all(fixture("invoic02_three.txt"));
  const std::size_t u = bytes.find("M\xC3\xBCller");
  ASSERT_NE(u, std::string::npos);
  bytes.replace(u, 3, "M\xFC");  // one character either way: the columns stay
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r')) bytes.pop_back();
  const std::string path = dir / "latin1.txt";
  write_all(path, bytes);
  ReaderOptions options;
  options.segments = &defs();
  options.flat_encoding = TextEncoding::kLatin1;  // the connector's encoding: iso-8859-1
  auto items = read_items(path, options);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].record);
  EXPECT_EQ(testing::as_json(items[0].record->data)["E1EDKA1"][0]["NAME1"], "M\xC3\xBCller Maschinenbau GmbH");
  EXPECT_EQ(items[0].record->raw, bytes.substr(0, items[0].length));
  ASSERT_TRUE(items[2].record);
  EXPECT_EQ(items[2].offset + items[2].length, bytes.size());
  EXPECT_EQ(items[2].record->raw, bytes.substr(items[2].offset));
}

TEST(IdocReader, RemittanceNestsAmountsUnderSettledDocuments) {
  auto items = read_file(fixture("remadv_pexr2002.txt"));
  ASSERT_EQ(items.size(), 1u);
  const nlohmann::json d = testing::as_json(items[0].record->data);
  EXPECT_EQ(items[0].record->entity, "PEXR2002");
  EXPECT_EQ(d["EDI_DC40"]["MESTYP"], "REMADV");
  ASSERT_EQ(d["E1IDPU1"].size(), 2u);
  EXPECT_EQ(d["E1IDPU1"][1]["DOCNUMMR"], "0090001235");
  EXPECT_EQ(d["E1IDPU1"][1]["E1IDPU5"], nlohmann::json::parse(
      R"([{"MOAQUAL":"003","MOABETR":"2975.00","CUXWAERZ":"EUR"},
          {"MOAQUAL":"002","MOABETR":"910.00","CUXWAERZ":"EUR"}])"));
  EXPECT_EQ(d["E1IDKU3"][0]["NAME1"], "Müller Maschinenbau GmbH");
}

TEST(IdocReader, Latin1XmlIsConvertedToUtf8) {
  auto items = read_file(fixture("invoic02_latin1.xml"));
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(items[0].record);
  EXPECT_EQ(testing::as_json(items[0].record->data)["E1EDKA1"][0]["NAME1"], "Müller Maschinenbau GmbH");
  auto utf8 = read_file(fixture("invoic02_three.xml"));
  EXPECT_EQ(testing::as_json(items[0].record->data), testing::as_json(utf8[0].record->data));
}

TEST(IdocReader, RawRefCoversExactlyTheIdocBytes) {
  for (const char* name : {"invoic02_three.xml", "invoic02_three.txt"}) {
    std::string path = fixture(name);
    std::string bytes = read_all(path);
    auto items = read_file(path);
    ASSERT_EQ(items.size(), 3u);
    for (const IdocItem& item : items) {
      const RawRef& ref = item.record->raw_ref;
      EXPECT_EQ(ref.file, path);
      std::string range = bytes.substr(ref.offset, ref.length);
      EXPECT_EQ(item.record->raw, range);
      EXPECT_EQ(item.length, range.size());
      if (std::string(name).ends_with(".xml")) {
        EXPECT_TRUE(range.starts_with("<IDOC BEGIN=\"1\">")) << range.substr(0, 20);
        EXPECT_TRUE(range.ends_with("</IDOC>"));
      } else {
        EXPECT_TRUE(range.starts_with("EDI_DC40"));
        EXPECT_TRUE(range.ends_with("\r\n"));
      }
      EXPECT_NE(range.find(item.record->external_id), std::string::npos);
    }
    EXPECT_EQ(items[2].offset + items[2].length,
              std::string(name).ends_with(".txt") ? bytes.size() : bytes.rfind("</IDOC>") + 7);
  }
}

// With a selection the reader builds exactly the whole record cut down to
// it plus the control record's DOCNUM and IDOCTYP, and keeps the IDoc's
// bytes; unselected segments' children are left out with them.
TEST(IdocReader, SelectionBuildsOnlyTheSelectedSegmentsAndFields) {
  FieldSelection selection;
  FieldSelection& k02 = selection.add("E1EDK02");
  k02.add("QUALF").select_everything();
  k02.add("BELNR").select_everything();
  selection.add("E1EDS01").add("SUMME").select_everything();
  selection.add("E1EDP01").add("E1EDP26").select_everything();
  FieldSelection expected_cut;
  expected_cut.merge(selection);
  expected_cut.add("EDI_DC40").add("DOCNUM").select_everything();
  expected_cut.add("EDI_DC40").add("IDOCTYP").select_everything();
  for (const char* name : {"invoic02_three.xml", "invoic02_three.txt"}) {
    const std::string path = fixture(name);
    const std::string bytes = read_all(path);
    auto whole = read_file(path);
    auto part = read_file(path, &selection);
    ASSERT_EQ(whole.size(), 3u) << name;
    ASSERT_EQ(part.size(), 3u) << name;
    for (std::size_t i = 0; i < 3; ++i) {
      ASSERT_TRUE(whole[i].record && part[i].record) << name;
      const nlohmann::json data = testing::as_json(part[i].record->data);
      EXPECT_EQ(part[i].record->data.to_json_text(),
                cut_to_selection(whole[i].record->data, expected_cut).to_json_text())
          << name << " " << i;
      EXPECT_EQ(data.size(), 4u) << data.dump();  // EDI_DC40, E1EDK02, E1EDS01, E1EDP01
      EXPECT_FALSE(data.contains("E1EDK01")) << data.dump();
      EXPECT_EQ(part[i].record->external_id, whole[i].record->external_id);
      const RawRef& ref = part[i].record->raw_ref;
      EXPECT_EQ(part[i].record->raw, bytes.substr(ref.offset, ref.length)) << name;
    }
  }
}

// Segments named by their definition (E2EDK01005) read as their type, with
// or without a selection.
TEST(IdocReader, XmlDefinitionNamesReadAsSegmentTypes) {
  TempDir dir;
  std::string xml = read_all(fixture("invoic02_three.xml"));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"<E1EDK01", "<E2EDK01005"}, {"</E1EDK01>", "</E2EDK01005>"},
           {"<E1EDKA1", "<E2EDKA1003"}, {"</E1EDKA1>", "</E2EDKA1003>"}}) {
    for (std::size_t p; (p = xml.find(from)) != std::string::npos;) xml.replace(p, from.size(), to);
  }
  ASSERT_NE(xml.find("<E2EDK01005"), std::string::npos);
  write_all(dir / "defs.xml", xml);
  FieldSelection selection;
  selection.add("E1EDK01").add("CURCY").select_everything();
  selection.add("E1EDKA1").select_everything();
  const FieldSelection* const variants[] = {nullptr, &selection};
  for (const FieldSelection* s : variants) {
    auto expected = read_file(fixture("invoic02_three.xml"), s);
    auto got = read_file(dir / "defs.xml", s);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(got[i].record && expected[i].record);
      EXPECT_EQ(testing::as_json(got[i].record->data), testing::as_json(expected[i].record->data));
      EXPECT_TRUE(testing::as_json(got[i].record->data).contains("E1EDK01"));
    }
  }
}

// Of a repeated IDOCTYP, or a repeated control record, the last one counts,
// as for every repeated field: the record is a PEXR2002 and is cut to
// PEXR2002's selection, not to that of the INVOIC02 named first (found by
// idoc_xml_fuzz: tests/fuzz/crashes/idoc_xml_fuzz/repeated-idoctyp).
TEST(IdocReader, XmlSelectionIsThatOfTheTypeTheRecordNames) {
  TempDir dir;
  const std::string invoice = read_all(fixture("invoic02_three.xml"));
  const std::string type = "<IDOCTYP>INVOIC02</IDOCTYP>";
  std::string repeated_field = invoice;
  std::size_t at = repeated_field.find(type);
  ASSERT_NE(at, std::string::npos);
  repeated_field.insert(at + type.size(), "<IDOCTYP>PEXR2002</IDOCTYP>");
  std::string repeated_control = invoice;
  at = repeated_control.find("</EDI_DC40>");
  ASSERT_NE(at, std::string::npos);
  repeated_control.insert(at + 11, "<EDI_DC40 SEGMENT=\"1\"><DOCNUM>0000000000451234</DOCNUM>"
                                   "<IDOCTYP>PEXR2002</IDOCTYP></EDI_DC40>");
  write_all(dir / "field.xml", repeated_field);
  write_all(dir / "control.xml", repeated_control);

  FieldSelection invoic02;
  invoic02.add("E1EDKA1").select_everything();
  FieldSelection pexr2002;
  pexr2002.add("E1EDK01").add("BELNR").select_everything();
  ReaderOptions options;
  options.segments = &defs();
  options.selection = [&](const std::string& idoc_type) -> const FieldSelection* {
    return idoc_type == "PEXR2002" ? &pexr2002 : &invoic02;
  };
  FieldSelection expected_cut;
  expected_cut.merge(pexr2002);
  expected_cut.add("EDI_DC40").add("DOCNUM").select_everything();
  expected_cut.add("EDI_DC40").add("IDOCTYP").select_everything();
  for (const char* name : {"field.xml", "control.xml"}) {
    auto whole = read_file(dir / name);
    auto part = read_items(dir / name, options);
    ASSERT_FALSE(whole.empty()) << name;
    ASSERT_EQ(whole.size(), part.size()) << name;
    ASSERT_TRUE(whole[0].record && part[0].record) << name;
    EXPECT_EQ(part[0].record->entity, "PEXR2002") << name;
    EXPECT_EQ(part[0].record->data.to_json_text(),
              cut_to_selection(whole[0].record->data, expected_cut).to_json_text())
        << name;
    EXPECT_FALSE(testing::as_json(part[0].record->data).contains("E1EDKA1")) << name;
  }
}

TEST(IdocReader, SelectionDoesNotChangeWhichIdocsAreRejected) {
  FieldSelection selection;
  selection.add("E1EDK01").add("BELNR").select_everything();
  for (const char* name : {"invoic02_malformed.xml", "invoic02_bad_docnum.txt",
                           "invoic02_truncated.xml"}) {
    auto whole = read_file(fixture(name));
    auto part = read_file(fixture(name), &selection);
    ASSERT_EQ(whole.size(), part.size()) << name;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      ASSERT_EQ(whole[i].rejected.has_value(), part[i].rejected.has_value()) << name << " " << i;
      if (whole[i].rejected) {
        EXPECT_EQ(whole[i].rejected->error.to_string(), part[i].rejected->error.to_string());
      }
    }
  }
}

TEST(IdocReader, MalformedIdocIsRejectedAloneWithPugixmlError) {
  std::string path = fixture("invoic02_malformed.xml");
  std::string bytes = read_all(path);
  auto items = read_file(path);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].record);
  EXPECT_TRUE(items[2].record);
  ASSERT_TRUE(items[1].rejected);
  const RejectedRecord& bad = *items[1].rejected;
  std::size_t at = bytes.find("</BELNRX>");
  EXPECT_EQ(bad.error.message(),
            "malformed XML in IDoc: Start-end tags mismatch at byte " + std::to_string(at + 2));
  EXPECT_EQ(bad.error.code(), ErrorCode::kParseError);
  EXPECT_EQ(bad.error.where().file, path);
  EXPECT_EQ(bad.error.where().record, "0000000000451235");
  EXPECT_EQ(bad.error.where().line,
            1 + std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  EXPECT_EQ(bad.external_id, "0000000000451235");
  EXPECT_EQ(bad.entity, "INVOIC02");  // read from the raw bytes for the quarantine listing
  EXPECT_TRUE(bad.raw.starts_with("<IDOC"));
  EXPECT_TRUE(bad.raw.ends_with("</IDOC>"));
  EXPECT_EQ(items[1].offset, bytes.find("<IDOC ", bytes.find("<IDOC ") + 1));
}

TEST(IdocReader, TruncatedFileRejectsTheUnterminatedIdoc) {
  std::string path = fixture("invoic02_truncated.xml");
  std::string bytes = read_all(path);
  auto items = read_file(path);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_TRUE(items[0].record);
  ASSERT_TRUE(items[1].rejected);
  std::size_t start = bytes.find("<IDOC ", bytes.find("<IDOC ") + 1);
  auto line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(start), '\n');
  EXPECT_EQ(line, 97);
  EXPECT_EQ(items[1].rejected->error.to_string(),
            "parse error: IDoc at byte " + std::to_string(start) +
                " has no </IDOC> before the end of the file (truncated file) (at file " + path +
                ", line 97, record 0000000000451235)");
  EXPECT_EQ(items[1].rejected->raw, bytes.substr(start));
}

TEST(IdocReader, FlatDocnumMismatchRejectsThatIdoc) {
  std::string path = fixture("invoic02_bad_docnum.txt");
  auto items = read_file(path);
  ASSERT_EQ(items.size(), 2u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.to_string(),
            "parse error: data record DOCNUM 0000000000451299 does not match the control "
            "record's DOCNUM 0000000000451234 (at file " + path +
                ", line 5, record 0000000000451234, segment E1EDK02, field DOCNUM)");
  EXPECT_EQ(items[0].rejected->entity, "INVOIC02");
  ASSERT_TRUE(items[1].record);
  EXPECT_EQ(items[1].record->external_id, "0000000000451235");
}

TEST(IdocReader, FlatSegmentWithoutDefinitionIsRejected) {
  TempDir dir;
  std::string flat = read_all(fixture("invoic02_three.txt"));
  std::size_t second = flat.find("E1EDK01");
  flat.replace(second, 7, "Z1CUSTM");
  write_all(dir / "custom.txt", flat);
  auto items = read_file(dir / "custom.txt");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.message(),
            "no segment definition for Z1CUSTM in IDoc type INVOIC02 (add it to " +
                testing::segments_dir() + "/INVOIC02.json)");
  EXPECT_EQ(items[0].rejected->error.where().segment, "Z1CUSTM");
  EXPECT_EQ(items[0].rejected->error.where().line, 2);
  EXPECT_TRUE(items[1].record && items[2].record);
}

// Lines of a flat file, each with its line end.
std::vector<std::string> lines_of(const std::string& bytes) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < bytes.size();) {
    std::size_t end = bytes.find('\n', at);
    end = end == std::string::npos ? bytes.size() : end + 1;
    lines.push_back(bytes.substr(at, end - at));
    at = end;
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l;
  return out;
}

constexpr std::size_t kPsgnumOffset = 55;  // EDI_DD40: SEGNAM 30, MANDT 3, DOCNUM 16, SEGNUM 6

TEST(IdocReader, FlatParentNumberThatIsNoEarlierSegmentRejectsThatIdoc) {
  TempDir dir;
  std::vector<std::string> lines = lines_of(read_all(fixture("invoic02_three.txt")));
  std::size_t p19 = 0;
  while (p19 < lines.size() && !lines[p19].starts_with("E1EDP19")) ++p19;
  ASSERT_LT(p19, lines.size());
  ASSERT_EQ(lines[p19].substr(kPsgnumOffset, 6), "000010");
  lines[p19].replace(kPsgnumOffset, 6, "000099");
  const std::string path = dir / "psgnum.txt";
  write_all(path, joined(lines));
  auto items = read_file(path);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.to_string(),
            "parse error: parent segment number 000099 is not an earlier segment (at file " +
                path + ", line " + std::to_string(p19 + 1) +
                ", record 0000000000451234, segment E1EDP19, field PSGNUM)");
  EXPECT_TRUE(items[1].record && items[2].record);
}

// Without parent numbers, HLEVEL alone nests a segment under the nearest
// earlier segment one level up: the same record as with them.
TEST(IdocReader, FlatHierarchyLevelsNestSegmentsWithoutParentNumbers) {
  TempDir dir;
  const std::string original = read_all(fixture("invoic02_three.txt"));
  std::vector<std::string> lines = lines_of(original);
  int cleared = 0;
  for (std::string& line : lines) {
    if (line.starts_with("EDI_DC40") || line.size() < kPsgnumOffset + 6) continue;
    if (line.substr(kPsgnumOffset, 6) != "000000") ++cleared;
    line.replace(kPsgnumOffset, 6, "000000");
  }
  ASSERT_GT(cleared, 0);
  const std::string path = dir / "hlevel.txt";
  write_all(path, joined(lines));
  auto items = read_file(path);
  auto expected = read_file(fixture("invoic02_three.txt"));
  ASSERT_EQ(items.size(), 3u);
  ASSERT_EQ(expected.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(items[i].record && expected[i].record);
    EXPECT_EQ(testing::as_json(items[i].record->data), testing::as_json(expected[i].record->data)) << "IDoc " << i;
  }
  EXPECT_EQ(testing::as_json(items[1].record->data)["E1EDP01"][1]["E1EDP26"][0]["BETRG"],
            testing::as_json(expected[1].record->data)["E1EDP01"][1]["E1EDP26"][0]["BETRG"]);
}

// Blank lines before an IDoc belong to none; blank lines inside one belong
// to it, except those after its last data line.
TEST(IdocReader, FlatBlankLinesAreSkippedAndTrailingOnesLeftOutOfTheIdoc) {
  TempDir dir;
  std::vector<std::string> lines = lines_of(read_all(fixture("invoic02_three.txt")));
  ASSERT_TRUE(lines[1].starts_with("E1EDK01"));
  std::size_t second = 1;
  while (!lines[second].starts_with("EDI_DC40")) ++second;
  std::vector<std::string> edited = {"\r\n", "   \n"};
  edited.insert(edited.end(), lines.begin(), lines.begin() + 2);
  edited.push_back("\n");  // inside the first IDoc
  edited.insert(edited.end(), lines.begin() + 2, lines.begin() + second);
  edited.push_back("  \r\n");  // after its last data line
  edited.insert(edited.end(), lines.begin() + second, lines.end());
  const std::string bytes = joined(edited);
  const std::string path = dir / "blanks.txt";
  write_all(path, bytes);
  auto items = read_file(path);
  auto expected = read_file(fixture("invoic02_three.txt"));
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].record);
  EXPECT_EQ(testing::as_json(items[0].record->data), testing::as_json(expected[0].record->data));
  EXPECT_EQ(items[0].offset, 6u);  // after "\r\n" and "   \n"
  const std::string first = bytes.substr(6, items[0].length);
  EXPECT_EQ(first, lines[0] + lines[1] + "\n" +
                       joined(std::vector<std::string>(lines.begin() + 2, lines.begin() + second)));
  EXPECT_EQ(items[0].record->raw, first);
  EXPECT_EQ(items[1].offset, bytes.find("EDI_DC40", 7));
  EXPECT_EQ(items[1].record->raw, bytes.substr(items[1].offset, items[1].length));
}

// A flat IDoc larger than max_idoc_bytes is rejected with the bytes read up
// to the limit; its further lines are skipped without being kept, and the
// next IDoc is read as usual.
TEST(IdocReader, FlatIdocLargerThanTheLimitIsRejectedWithoutBufferingIt) {
  TempDir dir;
  std::vector<std::string> lines = lines_of(read_all(fixture("invoic02_three.txt")));
  std::size_t second = 1;
  while (!lines[second].starts_with("EDI_DC40")) ++second;
  // The first IDoc gets 2,000 more E1EDK03 records (each a copy of its own).
  std::size_t k03 = 1;
  while (!lines[k03].starts_with("E1EDK03")) ++k03;
  std::vector<std::string> edited(lines.begin(), lines.begin() + second);
  edited.insert(edited.begin() + static_cast<std::ptrdiff_t>(k03), 2000, lines[k03]);
  edited.insert(edited.end(), lines.begin() + static_cast<std::ptrdiff_t>(second), lines.end());
  const std::string path = dir / "big_idoc.txt";
  write_all(path, joined(edited));

  auto items = read_limited(path);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  const Status& error = items[0].rejected->error;
  EXPECT_EQ(error.where().record, "0000000000451234");
  EXPECT_EQ(error.where().line, 1);
  EXPECT_NE(error.message().find("IDoc is larger than 20000 bytes: only its first bytes were "
                                 "kept ("),
            std::string::npos) << error.message();
  EXPECT_NE(error.message().find(" further lines skipped)"), std::string::npos);
  EXPECT_GT(items[0].rejected->raw.size(), 20000u);
  EXPECT_LT(items[0].rejected->raw.size(), 20000u + 2000u);  // up to one line past the limit
  EXPECT_TRUE(items[0].rejected->raw.starts_with("EDI_DC40"));
  ASSERT_TRUE(items[1].record && items[2].record);
  EXPECT_EQ(items[1].record->external_id, "0000000000451235");
  EXPECT_EQ(items[1].record->raw, joined(edited).substr(items[1].offset, items[1].length));
}

// A single line longer than max_idoc_bytes is not held whole either: a data
// record of 300,000 characters rejects its IDoc, with the file's offsets
// still exact for the IDocs after it; and a control record that runs to
// the end of the file without a line end is rejected the same way.
TEST(IdocReader, FlatLineLongerThanTheLimitIsNotHeldWhole) {
  TempDir dir;
  std::vector<std::string> lines = lines_of(read_all(fixture("invoic02_three.txt")));
  std::size_t k03 = 1;
  while (!lines[k03].starts_with("E1EDK03")) ++k03;
  lines[k03].insert(lines[k03].size() - 2, std::string(300000, 'x'));  // before its "\r\n"
  const std::string bytes = joined(lines);
  const std::string path = dir / "long_line.txt";
  write_all(path, bytes);
  auto items = read_limited(path);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_NE(items[0].rejected->error.message().find("IDoc is larger than 20000 bytes"),
            std::string::npos) << items[0].rejected->error.message();
  EXPECT_LT(items[0].rejected->raw.size(), 20000u + 2000u);
  ASSERT_TRUE(items[1].record && items[2].record);
  EXPECT_EQ(items[1].offset, bytes.find("EDI_DC40", 1));
  EXPECT_EQ(items[1].record->raw, bytes.substr(items[1].offset, items[1].length));
  EXPECT_EQ(items[2].offset + items[2].length, bytes.size());

  const std::string endless = lines[0].substr(0, lines[0].size() - 2) + std::string(300000, ' ');
  write_all(dir / "endless.txt", endless);
  auto endless_items = read_limited(dir / "endless.txt");
  ASSERT_EQ(endless_items.size(), 1u);
  ASSERT_TRUE(endless_items[0].rejected);
  EXPECT_EQ(endless_items[0].rejected->error.where().record, "0000000000451234");
  EXPECT_NE(endless_items[0].rejected->error.message().find("IDoc is larger than 20000 bytes"),
            std::string::npos);
  EXPECT_LE(endless_items[0].rejected->raw.size(), 20001u);
}

// The same for IDoc-XML: an IDoc with no </IDOC> within max_idoc_bytes is
// rejected, and the reader goes on with the next IDoc.
TEST(IdocReader, XmlIdocLargerThanTheLimitIsRejectedAndTheNextOneRead) {
  TempDir dir;
  std::string xml = read_all(fixture("invoic02_three.xml"));
  const std::size_t k03 = xml.find("<E1EDK03");
  const std::size_t k03_end = xml.find("</E1EDK03>", k03) + 10;
  std::string extra;
  for (int i = 0; i < 2000; ++i) extra += xml.substr(k03, k03_end - k03);
  xml.insert(k03_end, extra);  // the first IDoc grows by ~200 KB
  const std::string path = dir / "big_idoc.xml";
  write_all(path, xml);

  auto items = read_limited(path);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_NE(items[0].rejected->error.message().find("has no </IDOC> within 20000 bytes"),
            std::string::npos) << items[0].rejected->error.message();
  EXPECT_EQ(items[0].rejected->error.where().record, "0000000000451234");
  ASSERT_TRUE(items[1].record && items[2].record);
  EXPECT_EQ(items[1].record->external_id, "0000000000451235");
}

TEST(IdocReader, FlatTruncatedControlRecordIsRejected) {
  TempDir dir;
  std::string flat = read_all(fixture("invoic02_three.txt"));
  std::string first_line = flat.substr(0, flat.find('\n') + 1);
  std::string cut = first_line.substr(0, 80) + "\n" + flat.substr(first_line.size());
  write_all(dir / "cut.txt", cut);
  auto items = read_file(dir / "cut.txt");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.to_string(),
            "parse error: control record EDI_DC40 is truncated: 80 characters, at least 129 needed "
            "(fields up to MESTYP) (at file " + (dir / "cut.txt") +
                ", line 1, record 0000000000451234, segment EDI_DC40)");
}

TEST(IdocReader, XmlIdocWithoutDocnumIsRejected) {
  TempDir dir;
  std::string xml = read_all(fixture("invoic02_three.xml"));
  std::size_t at = xml.find("<DOCNUM>0000000000451234</DOCNUM>");
  xml.erase(at, std::string("<DOCNUM>0000000000451234</DOCNUM>").size());
  write_all(dir / "nodoc.xml", xml);
  auto items = read_file(dir / "nodoc.xml");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.message(), "control record EDI_DC40 has no DOCNUM");
  EXPECT_EQ(items[0].rejected->error.where().segment, "EDI_DC40");
  EXPECT_EQ(items[0].rejected->error.where().field, "DOCNUM");
  EXPECT_EQ(items[0].rejected->error.where().line, 3);
}

TEST(IdocReader, XmlIdocWithoutControlRecordIsRejected) {
  TempDir dir;
  write_all(dir / "noctl.xml",
            "<?xml version=\"1.0\"?><INVOIC02><IDOC BEGIN=\"1\"><E1EDK01 SEGMENT=\"1\">"
            "<CURCY>EUR</CURCY></E1EDK01></IDOC></INVOIC02>");
  auto items = read_file(dir / "noctl.xml");
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.message(), "IDoc has no EDI_DC40 control record");
}

TEST(IdocReader, FileThatIsNeitherFormatFailsAsAWhole) {
  TempDir dir;
  write_all(dir / "notes.txt", "hello world, this is not an IDoc\n");
  ReaderOptions options;
  options.source_name = "notes.txt";
  auto reader = open_idoc_reader(dir / "notes.txt", options);
  ASSERT_FALSE(reader.is_ok());
  EXPECT_EQ(reader.status().to_string(),
            "parse error: not an IDoc file: expected IDoc-XML ('<') or a flat file "
            "(\"EDI_DC40\"), found \"hello world, thi\" (at file notes.txt)");
}

TEST(IdocReader, XmlWithoutIdocElementFailsAsAWhole) {
  TempDir dir;
  write_all(dir / "other.xml", "<?xml version=\"1.0\"?><Invoice><Id>1</Id></Invoice>\n");
  ReaderOptions options;
  options.source_name = "other.xml";
  auto reader = open_idoc_reader(dir / "other.xml", options);
  ASSERT_TRUE(reader.is_ok());
  auto item = (*reader)->next();
  ASSERT_FALSE(item.is_ok());
  EXPECT_EQ(item.status().message(), "not an IDoc file: no <IDOC> element found in the XML");
}

TEST(IdocReader, UnsupportedXmlEncodingFailsAsAWhole) {
  TempDir dir;
  write_all(dir / "x.xml", "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><INVOIC02/>");
  ReaderOptions options;
  options.source_name = "x.xml";
  auto reader = open_idoc_reader(dir / "x.xml", options);
  ASSERT_FALSE(reader.is_ok());
  EXPECT_EQ(reader.status().message(),
            "unsupported XML encoding 'Shift_JIS' (supported: UTF-8, ISO-8859-1)");
}

// The reader reads 64 KiB at a time. Wherever the end of a read splits a
// boundary tag ("<IDOC", "</IDOC  >" with blanks before its '>'), both
// IDocs are found whole.
TEST(IdocReader, BoundaryTagsSplitByTheReadBufferAreFound) {
  TempDir dir;
  const std::string xml = read_all(fixture("invoic02_three.xml"));
  const std::size_t a = xml.find("<IDOC");
  const std::string one = xml.substr(a, xml.find("</IDOC>") - a);  // without its close tag
  const std::string head = "<?xml version=\"1.0\"?>\n<INVOIC02>\n";
  const std::size_t kRead = 64 * 1024;
  for (const bool split_close : {true, false}) {
    for (std::size_t back = 0; back <= 10; ++back) {
      // Blanks inside the first IDoc put the tag to split at kRead - back.
      const std::string close = "</IDOC  >";
      const std::size_t fixed = head.size() + one.size() + (split_close ? 0 : close.size() + 1);
      ASSERT_LT(fixed + back, kRead);
      const std::string pad(kRead - back - fixed, ' ');
      const std::string first = one + pad + close;
      std::string second = one + "</IDOC>";
      second.replace(second.find("0000000000451234"), 16, "0000000000999999");
      const std::string bytes = head + first + "\n" + second + "\n</INVOIC02>\n";
      ASSERT_EQ(bytes.find(split_close ? "</IDOC  >" : "<IDOC BEGIN", head.size() + 1),
                kRead - back);
      const std::string path = dir / "split.xml";
      write_all(path, bytes);
      auto items = read_file(path);
      ASSERT_EQ(items.size(), 2u) << "split " << (split_close ? "close" : "open") << " tag "
                                  << back << " bytes before the end of a read";
      ASSERT_TRUE(items[0].record && items[1].record);
      EXPECT_EQ(items[0].record->external_id, "0000000000451234");
      EXPECT_EQ(items[0].offset, head.size());
      EXPECT_EQ(items[0].length, first.size());
      EXPECT_EQ(items[1].record->external_id, "0000000000999999");
      EXPECT_EQ(items[1].offset, head.size() + first.size() + 1);
      EXPECT_EQ(items[1].length, second.size());
    }
  }
}

// Writes `count` copies of `one` (an IDoc's bytes, numbered 0000000000451234)
// between `head` and `tail`, each with its own IDoc number.
void write_copies(const std::string& path, const std::string& head, const std::string& one,
                  const std::string& tail, int count) {
  std::ofstream out(path, std::ios::binary);
  out << head;
  for (int i = 0; i < count; ++i) {
    std::string idoc = one;
    const std::string num = std::to_string(1000000 + i);
    const std::string docnum = std::string(16 - num.size(), '0') + num;
    for (std::size_t at = idoc.find("0000000000451234"); at != std::string::npos;
         at = idoc.find("0000000000451234", at)) {
      idoc.replace(at, 16, docnum);  // the control record and, in a flat file, every data record
    }
    out << idoc;
  }
  out << tail;
}

// Reads every IDoc of `path`, checking they come in file order; returns the
// reader's peak of buffered bytes.
std::size_t read_all_idocs(const std::string& path, int expected) {
  ReaderOptions options;
  options.source_name = path;
  options.segments = &defs();
  auto reader = open_idoc_reader(path, options);
  EXPECT_TRUE(reader.is_ok());
  if (!reader.is_ok()) return 0;
  std::uint64_t count = 0, last_end = 0;
  for (;;) {
    auto item = (*reader)->next();
    EXPECT_TRUE(item.is_ok());
    if (!item.is_ok() || !item->has_value()) break;
    EXPECT_TRUE((*item)->record);
    EXPECT_GE((*item)->offset, last_end);
    last_end = (*item)->offset + (*item)->length;
    ++count;
  }
  EXPECT_EQ(count, static_cast<std::uint64_t>(expected));
  EXPECT_EQ((*reader)->idocs_returned(), static_cast<std::uint64_t>(expected));
  return (*reader)->peak_buffered_bytes();
}

TEST(IdocReader, LargeFileIsReadOneIdocAtATime) {
  TempDir dir;
  std::string xml = read_all(fixture("invoic02_three.xml"));
  std::size_t a = xml.find("<IDOC");
  std::string one = xml.substr(a, xml.find("</IDOC>") + 7 - a) + "\n";
  write_copies(dir / "big.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n", one,
               "</INVOIC02>\n", 20000);
  // One 64 KiB read buffer plus about one IDoc, for a file of ~50 MB.
  EXPECT_LT(read_all_idocs(dir / "big.xml", 20000), 64u * 1024 + 2 * one.size() + 16);
}

TEST(IdocReader, LargeFlatFileIsReadOneIdocAtATime) {
  TempDir dir;
  std::string flat = read_all(fixture("invoic02_three.txt"));
  std::string one = flat.substr(0, flat.find("EDI_DC40", 1));
  write_copies(dir / "big.txt", "", one, "", 20000);
  // The flat reader holds the IDoc's bytes (its stream buffer is 64 KiB more).
  const std::size_t peak = read_all_idocs(dir / "big.txt", 20000);
  EXPECT_GT(peak, 0u);
  EXPECT_LE(peak, one.size());
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc

namespace arsync::connectors::sap_idoc {
namespace {

using testing::fixture;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

// The invoice fixture with the second IDoc's "Müller" (UTF-8 C3 BC) written
// in ISO-8859-1 (FC), which is not UTF-8; `offset` is set to the FC byte's.
std::string with_latin1_in_second_idoc(const std::string& fixture_name, std::size_t& offset) {
  std::string bytes = read_all(fixture(fixture_name));
  const std::size_t second = bytes.find("0000000000451235");
  const std::size_t third = bytes.find("0000000000451236");
  std::size_t u = bytes.find("Acme", second);
  EXPECT_LT(u, third);
  bytes.replace(u, 4, "M\xFCl ");  // 4 bytes, 4 characters in Latin-1: the columns stay
  offset = u + 1;
  return bytes;
}

TEST(IdocReaderUtf8, XmlIdocWithInvalidUtf8IsRejectedAloneWithByteOffsetSegmentAndField) {
  TempDir dir;
  std::size_t offset = 0;
  write_all(dir / "bad.xml", with_latin1_in_second_idoc("invoic02_three.xml", offset));
  auto items = read_file(dir / "bad.xml");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].record);
  ASSERT_TRUE(items[2].record);
  ASSERT_TRUE(items[1].rejected);
  const Status& e = items[1].rejected->error;
  EXPECT_EQ(e.message(), "invalid UTF-8 at byte " + std::to_string(offset) +
                             " of the file (byte 0xFC): the file declares encoding UTF-8; have the "
                             "sender write UTF-8, or declare the encoding it writes (ISO-8859-1 "
                             "is supported)");
  EXPECT_EQ(e.where().record, "0000000000451235");
  EXPECT_EQ(e.where().segment, "E1EDKA1");
  EXPECT_EQ(e.where().field, "NAME1");
  EXPECT_EQ(items[1].rejected->external_id, "0000000000451235");
  EXPECT_EQ(items[1].rejected->entity, "INVOIC02");
}

TEST(IdocReaderUtf8, XmlWithoutDeclarationIsUtf8) {
  TempDir dir;
  std::size_t offset = 0;
  std::string bytes = with_latin1_in_second_idoc("invoic02_three.xml", offset);
  const std::size_t decl_end = bytes.find("?>\n") + 3;
  bytes.erase(0, decl_end);
  offset -= decl_end;
  write_all(dir / "bad.xml", bytes);
  auto items = read_file(dir / "bad.xml");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[1].rejected);
  EXPECT_EQ(items[1].rejected->error.message(),
            "invalid UTF-8 at byte " + std::to_string(offset) +
                " of the file (byte 0xFC): the file declares no encoding, so it must be UTF-8; "
                "have the sender write UTF-8, or declare the encoding it writes (ISO-8859-1 is "
                "supported)");
}

TEST(IdocReaderUtf8, SameBytesDeclaredIso88591AreConverted) {
  TempDir dir;
  std::size_t offset = 0;
  std::string bytes = with_latin1_in_second_idoc("invoic02_three.xml", offset);
  bytes.replace(bytes.find("UTF-8"), 5, "ISO-8859-1");
  write_all(dir / "latin1.xml", bytes);
  auto items = read_file(dir / "latin1.xml");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[1].record);
  EXPECT_EQ(testing::as_json(items[1].record->data)["E1EDKA1"][0]["NAME1"], "M\xC3\xBCl  Industrial Supply Ltd");
}

TEST(IdocReaderUtf8, FlatIdocWithInvalidUtf8IsRejectedAloneNamingSegmentAndField) {
  TempDir dir;
  std::size_t offset = 0;
  write_all(dir / "bad.txt", with_latin1_in_second_idoc("invoic02_three.txt", offset));
  auto items = read_file(dir / "bad.txt");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].record);
  ASSERT_TRUE(items[2].record);
  ASSERT_TRUE(items[1].rejected);
  const Status& e = items[1].rejected->error;
  EXPECT_EQ(e.message(), "invalid UTF-8 at byte " + std::to_string(offset) +
                             " of the file (byte 0xFC): the connector reads flat files as UTF-8 "
                             "(its encoding setting): set encoding to iso-8859-1 if the sender "
                             "writes Latin-1");
  EXPECT_EQ(e.where().record, "0000000000451235");
  EXPECT_EQ(e.where().segment, "E1EDKA1");
  EXPECT_EQ(e.where().field, "NAME1");
  EXPECT_GT(e.where().line, 1);
}

TEST(IdocReaderUtf8, FlatFileDeclaredIso88591IsConverted) {
  TempDir dir;
  std::size_t offset = 0;
  write_all(dir / "latin1.txt", with_latin1_in_second_idoc("invoic02_three.txt", offset));
  ReaderOptions options;
  options.segments = &defs();
  options.flat_encoding = TextEncoding::kLatin1;
  auto items = read_items(dir / "latin1.txt", options);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[1].record);
  EXPECT_EQ(testing::as_json(items[1].record->data)["E1EDKA1"][0]["NAME1"], "M\xC3\xBCl  Industrial Supply Ltd");
  // Latin-1 is a byte per character: UTF-8's two bytes for ü are two characters.
  ASSERT_TRUE(items[0].record);
  EXPECT_EQ(testing::as_json(items[0].record->data)["E1EDKA1"][0]["NAME1"], "M\xC3\x83\xC2\xBCller Maschinenbau GmbH");
}

TEST(IdocReaderUtf8, ValidatorRefusesOverlongSurrogatesAndTruncatedSequences) {
  EXPECT_EQ(first_invalid_utf8("plain ASCII text, longer than eight bytes"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("M\xC3\xBCller \xE2\x82\xAC \xF0\x9D\x84\x9E"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xE0\x80\xAF"), 0u);        // overlong, 3 bytes
  EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u);       // surrogate U+D800
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // past U+10FFFF
  EXPECT_EQ(first_invalid_utf8("12345678\xE2\x82"), 8u);    // cut off at the end
  EXPECT_EQ(first_invalid_utf8("\xFF"), 0u);
  EXPECT_EQ(printable("a\nb\xFF" "c"), "a\\x0ab\\xffc");
}

// The invoices written as SAP 3.x does (EDI_DC / EDI_DD, record type
// version 2) read as the same JSON as IDoc-XML, but for TABNAM.
TEST(IdocReaderEdiDc, Pre40FlatFileReadsAsTheSameJson) {
  auto xml = read_file(fixture("invoic02_three.xml"));
  auto old = read_file(fixture("invoic02_three_edi_dc.txt"));
  ASSERT_EQ(xml.size(), 3u);
  ASSERT_EQ(old.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(old[i].record) << old[i].rejected->error.to_string();
    nlohmann::json a = testing::as_json(xml[i].record->data), b = testing::as_json(old[i].record->data);
    EXPECT_EQ(b["EDI_DC40"]["TABNAM"], "EDI_DC");
    a["EDI_DC40"].erase("TABNAM");
    b["EDI_DC40"].erase("TABNAM");
    EXPECT_EQ(a, b) << "IDoc " << i << "\nXML:   " << a.dump() << "\nEDI_DC: " << b.dump();
    EXPECT_EQ(old[i].record->entity, "INVOIC02");
  }
  EXPECT_EQ(old[0].record->external_id, "0000000000451234");
}

TEST(IdocReaderEdiDc, TruncatedEdiDcControlRecordNamesItsLayout) {
  TempDir dir;
  std::string bytes = read_all(fixture("invoic02_three_edi_dc.txt"));
  bytes.replace(0, bytes.find('\r'), bytes.substr(0, 40));  // cut inside IDOCTYP
  write_all(dir / "cut.txt", bytes);
  auto items = read_file(dir / "cut.txt");
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.message(),
            "control record EDI_DC is truncated: 40 characters, at least 43 needed (fields up "
            "to IDOCTYP)");
  EXPECT_EQ(items[0].rejected->error.where().segment, "EDI_DC");
  EXPECT_TRUE(items[1].record);
}

// An IDoc-XML IDoc of `levels` nested segments, then a plain one.
std::string deep_xml(std::size_t levels) {
  std::string out = "<?xml version=\"1.0\"?>\n<INVOIC02>\n<IDOC BEGIN=\"1\"><EDI_DC40 SEGMENT=\"1\">"
                    "<DOCNUM>0000000000000001</DOCNUM><IDOCTYP>INVOIC02</IDOCTYP></EDI_DC40>";
  for (std::size_t i = 0; i < levels; ++i) out += "<Z1DEEP SEGMENT=\"1\">";
  for (std::size_t i = 0; i < levels; ++i) out += "</Z1DEEP>";
  out += "</IDOC>\n<IDOC BEGIN=\"1\"><EDI_DC40 SEGMENT=\"1\"><DOCNUM>0000000000000002</DOCNUM>"
         "<IDOCTYP>INVOIC02</IDOCTYP></EDI_DC40></IDOC>\n</INVOIC02>\n";
  return out;
}

TEST(IdocReaderDepth, FiftyThousandLevelsOfXmlAreRejectedNamingTheLimit) {
  TempDir dir;
  write_all(dir / "deep.xml", deep_xml(50000));
  auto items = read_file(dir / "deep.xml");
  ASSERT_EQ(items.size(), 2u);
  ASSERT_TRUE(items[0].rejected);
  const std::string& m = items[0].rejected->error.message();
  EXPECT_TRUE(m.starts_with("XML elements are nested more than 512 levels deep (the limit) at "
                            "element <Z1DEEP> at byte "))
      << m;
  EXPECT_EQ(items[0].rejected->external_id, "0000000000000001");
  ASSERT_TRUE(items[1].record);
  EXPECT_EQ(items[1].record->external_id, "0000000000000002");
}

TEST(IdocReaderDepth, XmlAtTheLimitIsRead) {
  TempDir dir;
  write_all(dir / "deep.xml", deep_xml(511));  // <IDOC> and 511 segments: 512 levels
  auto items = read_file(dir / "deep.xml");
  ASSERT_EQ(items.size(), 2u);
  ASSERT_TRUE(items[0].record) << items[0].rejected->error.to_string();
  write_all(dir / "deeper.xml", deep_xml(512));
  auto deeper = read_file(dir / "deeper.xml");
  ASSERT_TRUE(deeper[0].rejected);
}

TEST(IdocReaderDepth, FlatSegmentsNestedPastTheLimitAreRejected) {
  TempDir dir;
  std::string bytes = read_all(fixture("invoic02_three.txt"));
  std::string control = bytes.substr(0, bytes.find('\n') + 1);
  std::string out = control;
  for (int i = 1; i <= 600; ++i) {
    char head[80];
    std::snprintf(head, sizeof head, "%-30s100%s%06d%06d%02d", "E1EDK01", "0000000000451234", i,
                  i - 1, 2);
    out += std::string(head) + "EUR\n";
  }
  write_all(dir / "deep.txt", out);
  auto items = read_file(dir / "deep.txt");
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(items[0].rejected);
  EXPECT_EQ(items[0].rejected->error.message(),
            "segments are nested more than 512 levels deep (the limit)");
  EXPECT_EQ(items[0].rejected->error.where().field, "PSGNUM");
  EXPECT_EQ(items[0].rejected->error.where().line, 514);
}

// Every item of `bytes` read in memory, as a file named `name` would be.
std::vector<IdocItem> read_memory(const std::string& bytes, const std::string& name) {
  ReaderOptions options;
  options.source_name = name;
  return drain(open_idoc_xml_reader(bytes, options));
}

TEST(IdocReader, MemoryReaderGivesTheFileReadersItems) {
  for (const char* name : {"invoic02_three.xml", "invoic02_malformed.xml", "invoic02_latin1.xml",
                           "remadv_pexr2002.xml", "invoic02_truncated.xml"}) {
    const std::string path = fixture(name);
    const std::string bytes = read_all(path);
    auto file = read_file(path);
    auto memory = read_memory(bytes, path);
    ASSERT_EQ(file.size(), memory.size()) << name;
    ASSERT_FALSE(file.empty()) << name;
    for (std::size_t i = 0; i < file.size(); ++i) {
      EXPECT_EQ(file[i].offset, memory[i].offset) << name << " " << i;
      EXPECT_EQ(file[i].length, memory[i].length) << name << " " << i;
      ASSERT_EQ(bool(file[i].record), bool(memory[i].record)) << name << " " << i;
      if (file[i].record) {
        EXPECT_EQ(file[i].record->data.to_json_text(), memory[i].record->data.to_json_text());
        EXPECT_EQ(file[i].record->raw, memory[i].record->raw);
        EXPECT_EQ(file[i].record->raw_ref.file, memory[i].record->raw_ref.file);
      } else {
        EXPECT_EQ(file[i].rejected->error.to_string(), memory[i].rejected->error.to_string());
        EXPECT_EQ(file[i].rejected->raw, memory[i].rejected->raw);
      }
    }
  }
}

TEST(IdocReader, MemoryReaderTakesOnlyXml) {
  auto reader = open_idoc_xml_reader(read_all(fixture("invoic02_three.txt")), ReaderOptions{});
  ASSERT_FALSE(reader.is_ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kParseError);
  EXPECT_NE(reader.status().message().find("expected IDoc-XML, found a flat IDoc file"),
            std::string::npos);
}

TEST(IdocXmlDocument, PacketAndSingleIdocPass) {
  const std::string p = read_all(fixture("invoic02_three.xml"));
  EXPECT_TRUE(check_idoc_xml_document(p, "post").is_ok());
  const std::size_t a = p.find("<IDOC "), z = p.find("</IDOC>") + 7;
  EXPECT_TRUE(check_idoc_xml_document(p.substr(a, z - a), "post").is_ok());
  EXPECT_TRUE(check_idoc_xml_document(read_all(fixture("invoic02_latin1.xml")), "post").is_ok());
}

TEST(IdocXmlDocument, MalformedXmlNamesLineIdocSegmentAndField) {
  const std::string bytes = read_all(fixture("invoic02_malformed.xml"));
  Status s = check_idoc_xml_document(bytes, "post");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), ErrorCode::kParseError);
  const std::size_t at = bytes.find("</BELNRX>");
  EXPECT_EQ(s.message(), "malformed XML: Start-end tags mismatch at byte " + std::to_string(at + 2));
  EXPECT_EQ(s.where().file, "post");
  EXPECT_EQ(s.where().line,
            1 + std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  EXPECT_EQ(s.where().record, "0000000000451235");
  EXPECT_EQ(s.where().segment, "E1EDK01");
  EXPECT_EQ(s.where().field, "BELNR");
}

TEST(IdocXmlDocument, ErrorOutsideAnIdocNamesOnlyTheLine) {
  // <X> is never closed: the mismatch is found at </INVOIC02>.
  Status s = check_idoc_xml_document("<INVOIC02>\n<IDOC BEGIN=\"1\"></IDOC>\n<X>\n</INVOIC02>", "post");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.where().line, 4);
  EXPECT_EQ(s.where().record, "");
  EXPECT_EQ(s.where().segment, "");
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
