#include "idoc_generator.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

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

using Layout = std::vector<std::pair<std::string, int>>;

const Layout kControl = {
    {"TABNAM", 10}, {"MANDT", 3},   {"DOCNUM", 16}, {"DOCREL", 4},  {"STATUS", 2},
    {"DIRECT", 1},  {"OUTMOD", 1},  {"EXPRSS", 1},  {"TEST", 1},    {"IDOCTYP", 30},
    {"CIMTYP", 30}, {"MESTYP", 30}, {"MESCOD", 3},  {"MESFCT", 3},  {"STD", 1},
    {"STDVRS", 6},  {"STDMES", 6},  {"SNDPOR", 10}, {"SNDPRT", 2},  {"SNDPFC", 2},
    {"SNDPRN", 10}, {"SNDSAD", 21}, {"SNDLAD", 70}, {"RCVPOR", 10}, {"RCVPRT", 2},
    {"RCVPFC", 2},  {"RCVPRN", 10}, {"RCVSAD", 21}, {"RCVLAD", 70}, {"CREDAT", 8},
    {"CRETIM", 6}};

std::string fixed(const Fields& fields, const Layout& layout) {
  std::map<std::string, std::string> by_name(fields.begin(), fields.end());
  std::string out;
  for (const auto& [name, width] : layout) {
    std::string v = by_name.count(name) ? by_name[name] : "";
    v.resize(static_cast<size_t>(width), ' ');
    out += v;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void write_flat(std::ostream& out, const Segment& seg, const std::map<std::string, Layout>& layouts,
                const std::string& docnum, int& counter, int parent, int level) {
  const int number = ++counter;
  std::string name = seg.name;
  name.resize(30, ' ');
  std::string dn = docnum;
  dn.resize(16, ' ');
  out << name << "100" << dn << pad_num(static_cast<std::uint64_t>(number), 6)
      << pad_num(static_cast<std::uint64_t>(parent), 6) << pad_num(static_cast<std::uint64_t>(level), 2)
      << fixed(seg.fields, layouts.at(seg.name)) << "\r\n";
  for (const Segment& c : seg.children) write_flat(out, c, layouts, docnum, counter, number, level + 1);
}

std::map<std::string, Layout> load_layouts(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read segment definitions " + path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, true, true);
  std::map<std::string, Layout> out;
  for (const auto& [seg, fields] : j.items()) {
    for (const auto& f : fields) out[seg].emplace_back(f[0].get<std::string>(), f[1].get<int>());
  }
  return out;
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
                                  const std::string& segments_json) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  std::map<std::string, Layout> layouts;
  if (format == IdocFormat::kFlat) {
    layouts = load_layouts(segments_json);
  } else {
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n";
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    const InvoiceValues v = invoice_values(i);
    const std::vector<Segment> segs = build(v);
    if (format == IdocFormat::kXml) {
      out << "<IDOC BEGIN=\"1\">\n";
      for (const Segment& s : segs) write_xml(out, s);
      out << "</IDOC>\n";
    } else {
      out << fixed(segs[0].fields, kControl) << "\r\n";
      int counter = 0;
      for (size_t k = 1; k < segs.size(); ++k) write_flat(out, segs[k], layouts, v.docnum, counter, 0, 2);
    }
  }
  if (format == IdocFormat::kXml) out << "</INVOIC02>\n";
  out.flush();
  if (!out) throw std::runtime_error("write failed: " + path);
  return static_cast<std::uint64_t>(out.tellp());
}

}  // namespace arsync::bench
