// sd_notify(3) without libsystemd: sends "READY=1", "WATCHDOG=1",
// "STOPPING=1", "RELOADING=1" datagrams to $NOTIFY_SOCKET when arsyncd runs
// under systemd (Type=notify). A no-op elsewhere.
//
// Thread safety: may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace arsync::service {

// True if the message was sent; false when not under systemd or on error.
bool systemd_notify(std::string_view state);

// The watchdog interval systemd expects pings within ($WATCHDOG_USEC), if set.
std::optional<std::chrono::microseconds> systemd_watchdog_interval();

}  // namespace arsync::service
