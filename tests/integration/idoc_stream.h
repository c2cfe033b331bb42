// A seeded stream of INVOIC02 files for two SAP systems (sap-ecc sends
// IDoc-XML, sap-s4 mostly flat files), with what a correct arsync must make
// of it: the documents to store, the IDocs and files to quarantine, and the
// discrepancies to find and mail. For the crash harness.
//
// Planted: invoices equal in both systems, in one system only (dated in the
// future, so the missing-in-system grace never expires during a test),
// amount, currency and customer differences, an invoice loaded twice into
// sap-s4, IDocs that fail alone (malformed XML, a flat data record with a
// foreign DOCNUM, an unknown currency, an XML file cut off inside its last
// IDoc) and files that are no IDoc at all.
//
// Thread safety: a value; make_idoc_stream is pure given its seed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "segment_definitions.h"

namespace arsync::testing {

struct ExpectedDocument {
  std::string system;
  std::string external_id;  // the billing document number (E1EDK01.BELNR)
  std::string match_key;
  std::string customer_key;
  std::int64_t amount_minor = 0;
  std::string currency;
};

struct StreamFile {
  std::string system;
  std::string name;
  std::string bytes;
  std::uint64_t idocs = 0;   // IDocs in it as the reader counts them
  bool unreadable = false;   // the whole file must go to quarantine/
};

struct IdocStream {
  std::vector<StreamFile> files;                  // in the order they are dropped
  std::vector<ExpectedDocument> documents;        // stored exactly once each
  std::set<std::pair<std::string, std::string>> quarantined_idocs;  // (system, DOCNUM)
  std::set<std::pair<std::string, std::string>> quarantined_files;  // (system, file name)
  std::set<std::pair<std::string, std::string>> discrepancies;      // (rule, match key)
};

namespace stream_detail {

using Fields = std::vector<std::pair<std::string, std::string>>;
struct Segment {
  std::string name;
  Fields fields;
  std::vector<Segment> children;
};

inline std::string pad(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}
inline std::string decimal(std::int64_t minor) {
  return std::to_string(minor / 100) + "." + pad(static_cast<std::uint64_t>(minor % 100), 2);
}

struct Invoice {
  std::string docnum;
  std::string belnr;      // E1EDK01.BELNR: the external id
  std::string reference;  // E1EDK02[QUALF=009].BELNR: the match key with zeros
  std::string customer;
  std::string customer_name;
  std::string currency;
  std::int64_t gross = 0;  // minor units
  std::string date;        // YYYYMMDD
};

inline std::vector<Segment> segments(const Invoice& v) {
  const std::int64_t tax = v.gross * 19 / 119;
  const std::string net = decimal(v.gross - tax);
  return {
      {"EDI_DC40",
       {{"TABNAM", "EDI_DC40"}, {"MANDT", "100"}, {"DOCNUM", v.docnum}, {"DOCREL", "756"},
        {"STATUS", "30"}, {"DIRECT", "1"}, {"OUTMOD", "2"}, {"IDOCTYP", "INVOIC02"},
        {"MESTYP", "INVOIC"}, {"SNDPOR", "SAPECC"}, {"SNDPRT", "LS"}, {"SNDPRN", "CLNT100"},
        {"RCVPOR", "ARSYNC"}, {"RCVPRT", "LS"}, {"RCVPRN", "ARSYNC"}, {"CREDAT", v.date},
        {"CRETIM", "101500"}},
       {}},
      {"E1EDK01", {{"CURCY", v.currency}, {"HWAER", v.currency}, {"ZTERM", "ZN30"}, {"BSART", "INVO"},
                   {"BELNR", v.belnr}}, {}},
      {"E1EDKA1", {{"PARVW", "AG"}, {"PARTN", v.customer}, {"NAME1", v.customer_name}}, {}},
      {"E1EDKA1", {{"PARVW", "RG"}, {"PARTN", v.customer}}, {}},
      {"E1EDK02", {{"QUALF", "001"}, {"BELNR", "PO-" + v.belnr}, {"DATUM", v.date}}, {}},
      {"E1EDK02", {{"QUALF", "009"}, {"BELNR", v.reference}, {"DATUM", v.date}}, {}},
      {"E1EDK14", {{"QUALF", "015"}, {"ORGID", "F2"}}, {}},
      {"E1EDK18", {{"QUALF", "001"}, {"TAGE", "30"}}, {}},
      {"E1EDP01", {{"POSEX", "000010"}, {"MENGE", "1"}, {"MENEE", "ST"}},
       {{"E1EDP19", {{"QUALF", "002"}, {"IDTNR", "MAT-100"}}, {}},
        {"E1EDP26", {{"QUALF", "003"}, {"BETRG", net}}, {}}}},
      {"E1EDS01", {{"SUMID", "002"}, {"SUMME", net}, {"WAERQ", v.currency}}, {}},
      {"E1EDS01", {{"SUMID", "005"}, {"SUMME", decimal(tax)}}, {}},
      {"E1EDS01", {{"SUMID", "011"}, {"SUMME", decimal(v.gross)}, {"WAERQ", v.currency}}, {}},
  };
}

inline void xml_segment(std::string& out, const Segment& s) {
  out += "<" + s.name + " SEGMENT=\"1\">";
  for (const auto& [k, v] : s.fields) out += "<" + k + ">" + v + "</" + k + ">";
  for (const Segment& c : s.children) xml_segment(out, c);
  out += "</" + s.name + ">\n";
}

// One IDoc as IDoc-XML; `malformed` closes a tag with the wrong name.
inline std::string xml_idoc(const Invoice& v, bool malformed) {
  std::vector<Segment> segs = segments(v);
  std::string out = "<IDOC BEGIN=\"1\">\n<EDI_DC40 SEGMENT=\"1\">";
  for (const auto& [k, val] : segs[0].fields) out += "<" + k + ">" + val + "</" + k + ">";
  out += "</EDI_DC40>\n";
  for (std::size_t i = 1; i < segs.size(); ++i) xml_segment(out, segs[i]);
  out += "</IDOC>\n";
  if (malformed) out.replace(out.find("</ZTERM>"), 8, "</ZTERMX>");
  return out;
}

inline void place(std::string& record, std::size_t offset, std::size_t length, std::string value) {
  value.resize(length, ' ');
  if (record.size() < offset + length) record.resize(offset + length, ' ');
  record.replace(offset, length, value);
}
inline std::string rstrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// One IDoc as SAP's flat file; `foreign_docnum` gives one data record
// another IDoc's number, which rejects the IDoc alone.
inline std::string flat_idoc(const Invoice& v, const connectors::sap_idoc::SegmentDefinitions& defs,
                             bool foreign_docnum) {
  std::vector<Segment> segs = segments(v);
  std::map<std::string, std::string> control(segs[0].fields.begin(), segs[0].fields.end());
  std::string out, record;
  std::size_t offset = 0;
  for (const auto& f : connectors::sap_idoc::kControlRecordFields) {
    place(record, offset, f.length, control[f.name]);
    offset += f.length;
  }
  out += rstrip(record) + "\r\n";
  int counter = 0;
  auto emit = [&](auto& self, const Segment& s, int parent, int level) -> void {
    const int number = ++counter;
    const auto* layout = defs.find("INVOIC02", s.name);
    if (!layout) throw std::runtime_error("no flat-file layout for segment " + s.name);
    std::map<std::string, std::string> by_name(s.fields.begin(), s.fields.end());
    std::string sdata;
    for (const auto& f : *layout) place(sdata, f.offset, f.length, by_name[f.name]);
    std::string name = s.name, dn = (foreign_docnum && number == 3) ? "9" + v.docnum.substr(1) : v.docnum;
    name.resize(30, ' ');
    dn.resize(16, ' ');
    out += name + "100" + dn + pad(static_cast<std::uint64_t>(number), 6) +
           pad(static_cast<std::uint64_t>(parent), 6) + pad(static_cast<std::uint64_t>(level), 2) +
           rstrip(sdata) + "\r\n";
    for (const Segment& c : s.children) self(self, c, number, level + 1);
  };
  for (std::size_t i = 1; i < segs.size(); ++i) emit(emit, segs[i], 0, 2);
  return out;
}

}  // namespace stream_detail

// `files_per_system` files for each of the two systems, 1 to 6 IDocs each.
inline IdocStream make_idoc_stream(std::uint64_t seed, int files_per_system,
                                   const connectors::sap_idoc::SegmentDefinitions& defs) {
  using namespace stream_detail;
  std::mt19937_64 rng(seed);
  auto below = [&](std::uint64_t n) { return rng() % n; };
  IdocStream out;

  // IDocs per system, in sending order, each a (invoice, fault) pair.
  enum class Bad { kNone, kMalformed, kForeignDocnum, kUnknownCurrency };
  struct Item {
    Invoice inv;
    Bad bad = Bad::kNone;
  };
  std::map<std::string, std::vector<Item>> items;
  std::uint64_t docnum = 0, s4_number = 0, bad_number = 0;
  auto invoice = [&](const std::string& system, std::uint64_t k) {
    Invoice v;
    v.docnum = pad((system == "sap-ecc" ? 4500000000ULL : 8800000000ULL) + ++docnum, 16);
    v.reference = pad(90000000ULL + k, 10);
    v.belnr = system == "sap-ecc" ? v.reference : pad(95000000ULL + ++s4_number, 10);
    v.customer = pad(100000 + k % 97, 10);
    v.customer_name = "Customer " + std::to_string(100000 + k % 97);
    v.currency = "EUR";
    v.gross = 10000 + static_cast<std::int64_t>((k * 7919) % 900000);
    v.date = "2099" + pad(1 + k % 12, 2) + pad(1 + k % 28, 2);
    return v;
  };
  auto expect = [&](const std::string& system, const Invoice& v) {
    out.documents.push_back({system, v.belnr, std::to_string(std::stoull(v.reference)),
                             std::to_string(std::stoull(v.customer)), v.gross, v.currency});
  };
  const int idocs_wanted = files_per_system * 3;
  for (std::uint64_t k = 1; static_cast<int>(items["sap-s4"].size()) < idocs_wanted; ++k) {
    Invoice ecc = invoice("sap-ecc", k), s4 = invoice("sap-s4", k);
    const std::string key = std::to_string(std::stoull(ecc.reference));
    const std::uint64_t plan = below(100);
    bool in_ecc = true, in_s4 = true, twice = false;
    if (plan < 8) {
      s4.gross += 100 * static_cast<std::int64_t>(1 + below(50));
      out.discrepancies.insert({"amount_differs", key});
    } else if (plan < 14) {
      s4.currency = "USD";
      out.discrepancies.insert({"currency_differs", key});
    } else if (plan < 20) {
      s4.customer = pad(200000 + k % 13, 10);
      out.discrepancies.insert({"customer_differs", key});
    } else if (plan < 25) {
      twice = true;
      out.discrepancies.insert({"duplicate_document", key});
    } else if (plan < 30) {
      in_s4 = false;
    } else if (plan < 34) {
      in_ecc = false;
    }
    if (in_ecc) {
      items["sap-ecc"].push_back({ecc});
      expect("sap-ecc", ecc);
    }
    if (in_s4) {
      items["sap-s4"].push_back({s4});
      expect("sap-s4", s4);
    }
    if (twice) {
      Invoice again = invoice("sap-s4", k);
      items["sap-s4"].push_back({again});
      expect("sap-s4", again);
    }
    // Now and then an IDoc that must be quarantined alone, in a group of
    // its own.
    for (const char* system : {"sap-ecc", "sap-s4"}) {
      if (below(100) >= 6) continue;
      Invoice v = invoice(system, 0);
      v.reference = v.belnr = pad(99000000ULL + ++bad_number, 10);
      Item bad{v, Bad::kMalformed};
      if (below(3) == 0) {
        bad.bad = Bad::kUnknownCurrency;
        bad.inv.currency = "XYZ";
      } else if (std::string(system) == "sap-s4") {
        bad.bad = Bad::kForeignDocnum;  // becomes kMalformed if it lands in an XML file
      }
      items[system].push_back(bad);
      out.quarantined_idocs.insert({system, v.docnum});
    }
  }

  // Cut each system's IDocs into files; shuffle the systems' files together.
  std::uint64_t file_no = 0;
  std::vector<StreamFile> files;
  for (const auto& [system, list] : items) {
    const bool ecc = system == "sap-ecc";
    std::size_t i = 0;
    while (i < list.size()) {
      const std::size_t n = std::min<std::size_t>(1 + below(6), list.size() - i);
      const bool xml = ecc || below(4) == 0;
      StreamFile f;
      f.system = system;
      f.name = (ecc ? "ECC_INVOIC_" : "S4_INVOIC_") + pad(++file_no, 5) + (xml ? ".xml" : ".idoc");
      if (xml) f.bytes = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n";
      for (std::size_t j = i; j < i + n; ++j) {
        const Item& it = list[j];
        f.bytes += xml ? xml_idoc(it.inv, it.bad == Bad::kMalformed || it.bad == Bad::kForeignDocnum)
                       : flat_idoc(it.inv, defs, it.bad == Bad::kForeignDocnum ||
                                                    it.bad == Bad::kMalformed);
      }
      f.idocs = n;
      i += n;
      if (xml) {
        // Now and then the sender cut the file inside one more IDoc: that
        // IDoc is quarantined, the rest of the file stored.
        if (below(100) < 8) {
          Invoice cut = invoice(system, 0);
          cut.reference = cut.belnr = pad(99000000ULL + ++bad_number, 10);
          const std::string idoc = xml_idoc(cut, false);
          f.bytes += idoc.substr(0, idoc.size() / 2);
          ++f.idocs;
          out.quarantined_idocs.insert({system, cut.docnum});
        } else {
          f.bytes += "</INVOIC02>\n";
        }
      }
      files.push_back(std::move(f));
    }
  }
  // Files that are no IDoc at all, some large (their first MiB is kept in
  // the quarantine row, so committing it takes a while).
  const int junk = std::max(2, files_per_system / 6);
  for (int j = 0; j < junk; ++j) {
    StreamFile f;
    f.system = below(2) ? "sap-ecc" : "sap-s4";
    f.name = "JUNK_" + pad(++file_no, 5) + ".txt";
    f.bytes = "This is a delivery note, not an IDoc.\n";
    const std::size_t size = below(3) == 0 ? 300000 + below(900000) : below(2000);
    while (f.bytes.size() < size) f.bytes += "line " + std::to_string(f.bytes.size()) + " of nothing\n";
    f.unreadable = true;
    out.quarantined_files.insert({f.system, f.name});
    files.push_back(std::move(f));
  }
  for (std::size_t i = files.size(); i > 1; --i) std::swap(files[i - 1], files[below(i)]);
  out.files = std::move(files);
  return out;
}

}  // namespace arsync::testing
