// MailDeliveryWorker: delivers the mail outbox on a thread of its own, with
// its own store connection, so a slow or hung SMTP server never holds up
// pulls and reconciliation. The engine queues alerts on its writer thread
// and wakes the worker; each wake runs one delivery round (alert::
// deliver_due: one session, mail.delivery_deadline_seconds at most). The
// worker also runs a round on its own when the earliest pending mail's
// retry falls due (read from the outbox after each round; no polling: with
// nothing pending it sleeps until woken), and again at once after a round
// that ended at its deadline with mail still due.
//
// Thread safety: wake, deliver_now and stop may be called from any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "arsync/alert/alerter.h"
#include "arsync/alert/mail_config.h"
#include "arsync/alert/transport.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/store/mail_store.h"
#include "arsync/store/store.h"

namespace arsync::alert {

class MailDeliveryWorker {
 public:
  // Opens a store connection of the worker's own; the worker keeps only its
  // mail role.
  using OpenStore = std::function<Result<std::unique_ptr<store::Store>>()>;

  // `retry_after_error`: the next round after one the store failed.
  // On the calling thread: opens the worker's store with `open_store`, makes
  // the transport (a file transport removes stale temporaries), and settles
  // mail a stopped process left in "sending" (recover_interrupted_mail);
  // then starts the thread. Errors name what failed ("mail.transport: ...").
  // `clock` must outlive the worker.
  static Result<std::unique_ptr<MailDeliveryWorker>> start(
      MailConfig config, const OpenStore& open_store, const Clock& clock,
      std::chrono::milliseconds retry_after_error = std::chrono::seconds(60));

  // stop()
  ~MailDeliveryWorker();
  MailDeliveryWorker(const MailDeliveryWorker&) = delete;
  MailDeliveryWorker& operator=(const MailDeliveryWorker&) = delete;

  // Asks for a round soon; returns at once.
  void wake();

  // Asks for a round and waits until one that began after this call has
  // ended (at most a round in progress plus one deadline); returns its stats
  // or the store error that stopped it. After stop(): kUnavailable.
  Result<DeliveryStats> deliver_now();

  // Cuts a running round off (its session is shut down), waits for the
  // thread to end. Idempotent.
  void stop();

 private:
  MailDeliveryWorker(MailConfig config, std::unique_ptr<store::MailStore> store,
                     std::unique_ptr<Transport> transport, const Clock& clock,
                     std::chrono::milliseconds retry_after_error);
  // When the next round is due on its own after `round` (nullopt: not
  // before a wake).
  std::optional<Instant> next_round(const Result<DeliveryStats>& round);
  void run();

  const MailConfig config_;
  std::unique_ptr<store::MailStore> store_;  // used on the worker thread only
  std::unique_ptr<Transport> transport_;
  const Clock& clock_;
  const std::chrono::milliseconds retry_after_error_;
  std::optional<Instant> first_round_;  // when mail pending at start is due

  std::mutex mu_;
  std::condition_variable_any cv_;  // Clock::wait_until's
  std::uint64_t requested_ = 0;  // rounds asked for (a generation number)
  std::uint64_t finished_ = 0;   // the highest request a finished round served
  bool stopping_ = false;
  Result<DeliveryStats> last_ = DeliveryStats{};
  RoundControl* running_ = nullptr;  // the round in progress, for stop()
  std::thread thread_;
};

}  // namespace arsync::alert
