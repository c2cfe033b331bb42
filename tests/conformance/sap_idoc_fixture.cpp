// The sap_idoc connector's conformance fixture: a drop folder in a temp
// folder; a source unit is an IDoc-XML file of INVOIC02 IDocs, written under
// a temporary name and renamed into inbound_dir as SAP's file port does.
#include <cstdio>
#include <filesystem>

#include "conformance_fixture.h"
#include "test_support.h"  // tests/unit/connectors/sap_idoc

namespace arsync::conformance {
namespace {

using connectors::sap_idoc::testing::segments_dir;
using connectors::sap_idoc::testing::TempDir;
using connectors::sap_idoc::testing::write_all;

// One INVOIC02 IDoc as SAP's XML port writes it; `name1` is the sold-to
// party's name (the bad IDoc's holds a byte that is not UTF-8).
std::string idoc_xml(const std::string& docnum, int n, const std::string& name1) {
  const std::string belnr = "0090" + std::to_string(100000 + n);
  return "  <IDOC BEGIN=\"1\">\n"
         "    <EDI_DC40 SEGMENT=\"1\">\n"
         "      <TABNAM>EDI_DC40</TABNAM>\n"
         "      <MANDT>100</MANDT>\n"
         "      <DOCNUM>" + docnum + "</DOCNUM>\n"
         "      <DOCREL>750</DOCREL>\n"
         "      <STATUS>30</STATUS>\n"
         "      <DIRECT>1</DIRECT>\n"
         "      <IDOCTYP>INVOIC02</IDOCTYP>\n"
         "      <MESTYP>INVOIC</MESTYP>\n"
         "      <SNDPOR>SAPECC</SNDPOR>\n"
         "      <SNDPRT>LS</SNDPRT>\n"
         "      <SNDPRN>ECCCLNT100</SNDPRN>\n"
         "      <RCVPOR>ARSYNC</RCVPOR>\n"
         "      <CREDAT>20261101</CREDAT>\n"
         "    </EDI_DC40>\n"
         "    <E1EDK01 SEGMENT=\"1\">\n"
         "      <CURCY>EUR</CURCY>\n"
         "      <BSART>INVO</BSART>\n"
         "      <BELNR>" + belnr + "</BELNR>\n"
         "    </E1EDK01>\n"
         "    <E1EDKA1 SEGMENT=\"1\">\n"
         "      <PARVW>AG</PARVW>\n"
         "      <PARTN>0000100042</PARTN>\n"
         "      <NAME1>" + name1 + "</NAME1>\n"
         "    </E1EDKA1>\n"
         "    <E1EDK02 SEGMENT=\"1\">\n"
         "      <QUALF>009</QUALF>\n"
         "      <BELNR>" + belnr + "</BELNR>\n"
         "      <DATUM>20261101</DATUM>\n"
         "    </E1EDK02>\n"
         "    <E1EDS01 SEGMENT=\"1\">\n"
         "      <SUMID>011</SUMID>\n"
         "      <SUMME>" + std::to_string(1000 + n) + ".00</SUMME>\n"
         "      <WAERQ>EUR</WAERQ>\n"
         "    </E1EDS01>\n"
         "  </IDOC>\n";
}

class SapIdocFixture final : public ConformanceFixture {
 public:
  SapIdocFixture() { std::filesystem::create_directories(tmp_ / "inbound"); }

  void create_source(int good, bool with_bad) override {
    // The bad IDoc goes second, between good ones.
    write_file(good, with_bad ? std::min(1, good - 1) : -1);
  }

  void add_records(int n) override { write_file(n, -1); }

  nlohmann::json settings() const override {
    return {{"inbound_dir", tmp_ / "inbound"},
            {"work_dir", tmp_ / "work"},
            {"segments_dir", segments_dir()},
            {"batch_size", 2}};
  }

  std::vector<RecordKey> expected_keys() const override { return keys_; }

  ExpectedRejection expected_rejection() const override {
    ExpectedRejection r;
    r.external_id = bad_docnum_;
    r.where.file = "/" + bad_file_;  // its archive path, work/archive/YYYY/MM/DD/<name>
    r.where.record = bad_docnum_;
    r.where.segment = "E1EDKA1";
    r.where.field = "NAME1";
    return r;
  }

  std::optional<std::string> no_deletions_reason() const override {
    return "an IDoc file carries no deletions: SAP cancels a billing document with a new "
           "IDoc (a cancellation invoice or credit memo), which is a record like any other";
  }

 private:
  // Writes one file of `count` IDocs, the one at `bad_at` (if >= 0) not
  // valid UTF-8, under a temporary name, then renames it into inbound_dir.
  void write_file(int count, int bad_at) {
    const std::string name = "conformance_" + std::to_string(++files_) + ".xml";
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n";
    for (int i = 0; i < count + (bad_at >= 0 ? 1 : 0); ++i) {
      const int n = ++idocs_;
      const std::string docnum = std::to_string(10000000000000000LL + 450000 + n).substr(1);
      if (i == bad_at) {
        xml += idoc_xml(docnum, n, "M\xFCller Maschinenbau GmbH");  // ISO-8859-1 in a UTF-8 file
        bad_docnum_ = docnum;
        bad_file_ = name;
        continue;
      }
      xml += idoc_xml(docnum, n, "M\xC3\xBCller Maschinenbau GmbH");
      keys_.push_back({"INVOIC02", docnum, docnum});
    }
    xml += "</INVOIC02>\n";
    const std::string part = tmp_ / ("inbound/." + name + ".part");
    write_all(part, xml);
    std::filesystem::rename(part, tmp_ / ("inbound/" + name));
  }

  TempDir tmp_;
  int files_ = 0;
  int idocs_ = 0;
  std::vector<RecordKey> keys_;
  std::string bad_docnum_;
  std::string bad_file_;
};

}  // namespace

std::unique_ptr<ConformanceFixture> make_sap_idoc_fixture() {
  return std::make_unique<SapIdocFixture>();
}

}  // namespace arsync::conformance
