// The quickbooks connector type: QuickBooks Online through the Accounting
// API v3 (Intuit's documented wire protocol; base URLs configurable, so the
// same code runs against production, the sandbox or tests/emulators).
// Registered by register_builtin_connectors().
//
// Settings (published as ConnectorType::config_keys): realm_id (required),
// base_url, token_url, authorize_url, redirect_uri, client_id, minorversion,
// entities, page_size, requests_per_window, rate_window_seconds, max_concurrent,
// overlap_seconds,
// timeout_seconds, ca_file, verify_tls. Secrets (systems.<name> in the
// secrets file): client_secret, client_id (when not in settings),
// refresh_token (an initial token, used while the credential store holds
// none).
//
// pull(): per entity (the cursor, sync_cursor.h, holds each one's state):
//   - a full load by query, keyset-paged on MetaData.LastUpdatedTime in
//     pages of page_size, until a short page (never stopping at the first
//     1000 rows);
//   - then increments by CDC, all CDC entities in one request; a response
//     at CDC's cap (1000 objects) is asked again per entity, and an entity
//     at the cap alone catches up by query; deleted entities become
//     DeletedRecords; a cursor older than CDC's 30-day window falls back to
//     a query catch-up (which cannot see deletions: the census finds them);
//   - every cursor is moved back by overlap_seconds, so the last minutes are
//     read again (unchanged content writes nothing).
// Entities are read in the configured order; Payments last, because each
// Payment's Line[].LinkedTxn[] gets "TxnDocNumber", the linked invoice's or
// credit memo's DocNumber (from those read, else looked up by Id), so that
// mappings can match applications by document number.
//
// Thread safety: as Connector.
#pragma once

#include "arsync/connector.h"

namespace arsync::connectors::quickbooks {

ConnectorType connector_type();

}  // namespace arsync::connectors::quickbooks
