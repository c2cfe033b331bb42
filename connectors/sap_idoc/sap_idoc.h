// The sap_idoc connector type: reads SAP IDoc files (IDoc-XML and flat) from
// a file-drop folder, and takes IDoc-XML that SAP's XML-HTTP port posts
// (routes(), see idoc_http.h). Registered by register_builtin_connectors().
//
// Settings (published as ConnectorType::config_keys):
//   inbound_dir     where senders drop files (required)
//   work_dir        base of processing/, archive/, quarantine/
//                   (default: the connector's state_dir, else <inbound_dir>/../work)
//   archive_dir     default <work_dir>/archive
//   quarantine_dir  default <work_dir>/quarantine
//   file_pattern    comma-separated globs, default "*.xml,*.idoc,*.txt"
//   batch_size      IDocs per batch, default 500
//   segments_dir    flat-file segment layouts (default: the shipped
//                   mappings/sap_idoc/segments)
//   http_inbound    serve POST /sap/idoc/<system> (SAP's XML-HTTP port,
//                   idoc_http.h) when the host can commit posts; default true
//
// pull(): resumes files left in processing/ first, then claims new files in
// name order; each batch's cursor is {"file": name, "idocs": n, "archive":
// path}: n IDocs of that file are committed and its bytes will live at path.
// After a file is committed it is archived and the cursor {"file": ""} is
// committed. A file that cannot be read is quarantined and reported as one
// RejectedRecord.
//
// With ConnectorContext::wake set, a thread of the connector's own watches
// inbound_dir (inotify, folder_watch.h) and calls wake when a file it would
// claim arrives (closed after writing, or renamed in).
//
// Thread safety: as Connector.
#pragma once

#include "arsync/connector.h"

namespace arsync::connectors::sap_idoc {

ConnectorType connector_type();

}  // namespace arsync::connectors::sap_idoc
