#include "idoc_generator.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "segment_definitions.h"

namespace arsync::bench {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Segment {
  std::string name;
  Fields fields;
  std::vector<Segment> children;
};

std::string pad_num(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string cents(std::uint64_t c) {
  return std::to_string(c / 100) + "." + pad_num(c % 100, 2);
}

std::vector<Segment> build(const InvoiceValues& v) {
  std::vector<Segment> s;
  s.push_back({"EDI_DC40",
               {{"TABNAM", "EDI_DC40"}, {"MANDT", "100"}, {"DOCNUM", v.docnum}, {"DOCREL", "756"},
                {"STATUS", "30"}, {"DIRECT", "1"}, {"OUTMOD", "2"}, {"IDOCTYP", "INVOIC02"},
                {"MESTYP", "INVOIC"}, {"SNDPOR", "SAPECC"}, {"SNDPRT", "LS"},
                {"SNDPRN", "ECCCLNT100"}, {"RCVPOR", "ARSYNC"}, {"RCVPRT", "LS"},
                {"RCVPRN", "ARSYNC"}, {"CREDAT", v.date}, {"CRETIM", "120000"}},
               {}});
  s.push_back({"E1EDK01", {{"CURCY", "EUR"}, {"HWAER", "EUR"}, {"ZTERM", "ZN30"}, {"BSART", "INVO"},
                           {"BELNR", v.billing_number}}, {}});
  s.push_back({"E1EDKA1", {{"PARVW", "AG"}, {"PARTN", v.customer}, {"NAME1", v.customer_name}}, {}});
  s.push_back({"E1EDKA1", {{"PARVW", "RG"}, {"PARTN", v.customer}, {"NAME1", v.customer_name}}, {}});
  s.push_back({"E1EDK02", {{"QUALF", "001"}, {"BELNR", "PO-" + v.billing_number}, {"DATUM", v.date}}, {}});
  s.push_back({"E1EDK02", {{"QUALF", "009"}, {"BELNR", v.billing_number}, {"DATUM", v.date}}, {}});
  s.push_back({"E1EDK14", {{"QUALF", "015"}, {"ORGID", "F2"}}, {}});
  s.push_back({"E1EDK18", {{"QUALF", "001"}, {"TAGE", "30"}}, {}});
  s.push_back({"E1EDP01", {{"POSEX", "000010"}, {"MENGE", "1"}, {"MENEE", "PCE"}},
               {{"E1EDP19", {{"QUALF", "002"}, {"IDTNR", "MAT-100"}}, {}},
                {"E1EDP26", {{"QUALF", "003"}, {"BETRG", v.net}}, {}}}});
  s.push_back({"E1EDS01", {{"SUMID", "002"}, {"SUMME", v.net}, {"WAERQ", "EUR"}}, {}});
  s.push_back({"E1EDS01", {{"SUMID", "005"}, {"SUMME", v.tax}, {"WAERQ", "EUR"}}, {}});
  s.push_back({"E1EDS01", {{"SUMID", "011"}, {"SUMME", v.gross}, {"WAERQ", "EUR"}}, {}});
  return s;
}

void write_xml(std::ostream& out, const Segment& seg) {
  out << '<' << seg.name << " SEGMENT=\"1\">";
  for (const auto& [k, v] : seg.fields) out << '<' << k << '>' << v << "</" << k << '>';
  for (const Segment& c : seg.children) write_xml(out, c);
  out << "</" << seg.name << ">\n";
}

using connectors::sap_idoc::FixedField;
using connectors::sap_idoc::kControlRecordFields;
using connectors::sap_idoc::SegmentDefinitions;
using connectors::sap_idoc::SegmentLayout;

// Puts `value` at [offset, offset + length) of a blank-padded record.
void place(std::string& record, std::size_t offset, std::size_t length, std::string value) {
  value.resize(length, ' ');
  if (record.size() < offset + length) record.resize(offset + length, ' ');
  record.replace(offset, length, value);
}

std::string without_trailing_blanks(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string control_record(const Fields& fields) {
  std::map<std::string, std::string> by_name(fields.begin(), fields.end());
  std::string out;
  std::size_t offset = 0;
  for (const FixedField& f : kControlRecordFields) {
    place(out, offset, f.length, by_name[f.name]);
    offset += f.length;
  }
  return without_trailing_blanks(std::move(out));
}

std::string sdata(const Fields& fields, const SegmentLayout& layout) {
  std::map<std::string, std::string> by_name(fields.begin(), fields.end());
  std::string out;
  for (const auto& f : layout) place(out, f.offset, f.length, by_name[f.name]);
  return without_trailing_blanks(std::move(out));
}

void write_flat(std::ostream& out, const Segment& seg, const SegmentDefinitions& defs,
                const std::string& docnum, int& counter, int parent, int level) {
  const int number = ++counter;
  const SegmentLayout* layout = defs.find("INVOIC02", seg.name);
  if (!layout) throw std::runtime_error("no flat-file layout for segment " + seg.name);
  std::string name = seg.name;
  name.resize(30, ' ');
  std::string dn = docnum;
  dn.resize(16, ' ');
  out << name << "100" << dn << pad_num(static_cast<std::uint64_t>(number), 6)
      << pad_num(static_cast<std::uint64_t>(parent), 6) << pad_num(static_cast<std::uint64_t>(level), 2)
      << sdata(seg.fields, *layout) << "\r\n";
  for (const Segment& c : seg.children) write_flat(out, c, defs, docnum, counter, number, level + 1);
}

}  // namespace

InvoiceValues invoice_values(std::uint64_t i) {
  InvoiceValues v;
  v.docnum = pad_num(1000000000ULL + i, 16);
  v.billing_number = pad_num(9100000000ULL + i, 10);
  v.customer = pad_num(1000 + i % 5000, 10);
  v.customer_name = "Customer " + std::to_string(1000 + i % 5000) + " GmbH";
  const std::uint64_t gross = (i % 100000) * 100 + 95;  // cents
  const std::uint64_t tax = gross * 19 / 119;
  v.gross = cents(gross);
  v.tax = cents(tax);
  v.net = cents(gross - tax);
  v.date = "202611" + pad_num(1 + i % 28, 2);
  return v;
}

std::uint64_t write_invoic02_file(const std::string& path, std::uint64_t count, IdocFormat format,
                                  const std::string& segments_dir, const InvoiceEdit& edit) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  SegmentDefinitions defs;
  if (format == IdocFormat::kFlat) {
    auto loaded = SegmentDefinitions::load_directory(segments_dir);
    if (!loaded.is_ok()) throw std::runtime_error(loaded.status().to_string());
    defs = std::move(loaded).value();
  } else {
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n";
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    InvoiceValues v = invoice_values(i);
    if (edit && !edit(i, v)) continue;
    const std::vector<Segment> segs = build(v);
    if (format == IdocFormat::kXml) {
      out << "<IDOC BEGIN=\"1\">\n";
      for (const Segment& s : segs) write_xml(out, s);
      out << "</IDOC>\n";
    } else {
      out << control_record(segs[0].fields) << "\r\n";
      int counter = 0;
      for (size_t k = 1; k < segs.size(); ++k) write_flat(out, segs[k], defs, v.docnum, counter, 0, 2);
    }
  }
  if (format == IdocFormat::kXml) out << "</INVOIC02>\n";
  out.flush();
  if (!out) throw std::runtime_error("write failed: " + path);
  return static_cast<std::uint64_t>(out.tellp());
}

}  // namespace arsync::bench
