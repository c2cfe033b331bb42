// Registers the connectors compiled into this build, explicitly and once.
#include <stdexcept>

#include "connector/registry.h"

namespace arsync {
namespace connectors {
#ifdef ARSYNC_HAVE_SAP_IDOC
namespace sap_idoc {
ConnectorType connector_type();
}
#endif
#ifdef ARSYNC_HAVE_QUICKBOOKS
namespace quickbooks {
ConnectorType connector_type();
}
#endif
}  // namespace connectors

void register_builtin_connectors(Registry& registry) {
  auto add = [&registry](ConnectorType type) {
    Status s = registry.add(std::move(type));
    if (!s) throw std::logic_error(s.to_string());  // a programming error
  };
#ifdef ARSYNC_HAVE_SAP_IDOC
  add(connectors::sap_idoc::connector_type());
#endif
#ifdef ARSYNC_HAVE_QUICKBOOKS
  add(connectors::quickbooks::connector_type());
#endif
  (void)add;
}

}  // namespace arsync
