// The connector types the conformance suite runs against: one line each.
#include "conformance_fixture.h"

namespace arsync::conformance {

#ifdef ARSYNC_HAVE_SAP_IDOC
std::unique_ptr<ConformanceFixture> make_sap_idoc_fixture();
#endif
#ifdef ARSYNC_HAVE_QUICKBOOKS
std::unique_ptr<ConformanceFixture> make_quickbooks_fixture();
#endif

std::vector<FixtureEntry> conformance_fixtures() {
  std::vector<FixtureEntry> all;
#ifdef ARSYNC_HAVE_SAP_IDOC
  all.push_back({"sap_idoc", make_sap_idoc_fixture});
#endif
#ifdef ARSYNC_HAVE_QUICKBOOKS
  all.push_back({"quickbooks", make_quickbooks_fixture});
#endif
  return all;
}

}  // namespace arsync::conformance
