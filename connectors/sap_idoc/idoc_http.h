// SAP's XML-HTTP port: the route through which SAP posts IDoc-XML to the
// daemon's listener (an XML HTTP port, transaction WE21, over an SM59
// destination of type G whose path prefix is /sap/idoc/<system>).
//
// What a sender sees, for POST /sap/idoc/<system> (authenticated by the
// listener, which also answers 401, 413, 431, 408 and its own 503):
// - 200 once every IDoc of the post is committed: stored, or quarantined
//   with its bytes when it cannot be read (a segment without its control
//   record's DOCNUM or IDOCTYP, invalid UTF-8 in a UTF-8 body, nesting too
//   deep). The text body counts what was stored and quarantined.
// - 400 when the body is not one well-formed IDoc-XML document (malformed
//   XML, a root holding something other than <IDOC> elements, no IDoc at
//   all, a SOAP envelope, an unsupported encoding): nothing is stored, and
//   the text body names the line and, when known, the IDoc number, segment
//   and field.
// - 503 with Retry-After when the post could not be archived or committed
//   for a reason that may pass (disk, database busy, daemon stopping), 500
//   for any other failure of the commit; nothing of the post was committed
//   and SAP sends it again (its IDocs stay in status 02 until it does).
//
// A post is one IDoc or a packet of several (<INVOIC02><IDOC BEGIN="1">...
// </IDOC><IDOC BEGIN="1">...</IDOC></INVOIC02>), read by the same reader as
// the drop folder's files. Its body is archived before it is committed, as
// one file per post under the drop folder's archive/YYYY/MM/DD/, named
// idoc-post-<SHA-256 of the body>.xml, and each record's RawRef points at
// its IDoc's bytes there (with their SHA-256). A resent post therefore finds
// the file it wrote before and builds the same batch (same IDoc numbers as
// external ids and versions, same RawRefs), which the store keeps once.
//
// Thread safety: the route's handler may run on any number of threads at
// once; it shares only the const IdocHttpInbound.
#pragma once

#include <functional>
#include <string>

#include "arsync/connector.h"
#include "arsync/http_route.h"
#include "drop_folder.h"

namespace arsync::connectors::sap_idoc {

struct IdocHttpInbound {
  std::string system;  // the connector instance, for the path and log lines
  DropFolder archive;  // only its archive folder is used
  const Clock* clock = nullptr;  // for the archive's date folder
  // ConnectorContext::commit.
  std::function<Result<CommitSummary>(RecordBatch batch)> commit;
};

// The path SAP posts to: "/sap/idoc/<system>".
std::string idoc_http_path(const std::string& system);

// POST idoc_http_path(system), RouteAuth::kListener, the listener's body
// limit. The handler owns its copy of `inbound`.
HttpRoute idoc_http_route(IdocHttpInbound inbound);

// The answer to one post, as described above (the route's handler).
HttpResponse handle_idoc_post(const IdocHttpInbound& inbound, const HttpRequest& request);

}  // namespace arsync::connectors::sap_idoc
