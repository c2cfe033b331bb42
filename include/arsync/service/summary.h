// The human summary printed after a cycle (`arsyncd --once`, the demo):
// documents synced per system, quarantined records, discrepancies opened,
// emails written and where.
//
// Thread safety: reads the store through the caller's connection.
#pragma once

#include <string>

#include "arsync/alert/mail_config.h"
#include "arsync/engine/sync_engine.h"
#include "arsync/store/store.h"

namespace arsync::service {

std::string format_cycle_summary(const engine::CycleReport& report, store::Store& store,
                                 const alert::MailConfig& mail);

}  // namespace arsync::service
