// A SQLite VFS that wraps the default one and, once armed, kills its own
// process with SIGKILL right before the Nth write to a write-ahead log: a
// transaction cut off in the middle of its frames, as kill -9 leaves it.
// Installed as the default VFS in a forked child only, so the store the
// child opens writes through it.
//
// Thread safety: install() once per process before any database is opened;
// arm() from any thread (the counter is atomic).
#pragma once

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace arsync::testing {

class KillingVfs {
 public:
  static void install() {
    static bool done = false;
    if (done) return;
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (!base) throw std::runtime_error("no default SQLite VFS");
    base_ = base;
    vfs_ = *base;
    vfs_.zName = "arsync-killing";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base->szOsFile;
    vfs_.xOpen = open;
    if (sqlite3_vfs_register(&vfs_, /*makeDflt=*/1) != SQLITE_OK) {
      throw std::runtime_error("cannot register the killing VFS");
    }
    done = true;
  }

  // The process dies right before its `writes`-th write to a WAL from now
  // (each WAL frame is two writes: its 24-byte header, then the page).
  static void arm(int writes) { countdown_.store(writes); }

 private:
  struct File {
    sqlite3_file base;
    bool wal;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
  };
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real(); }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
    File* f = reinterpret_cast<File*>(file);
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = base_->xOpen(base_, name, f->real(), flags, out);
    if (f->real()->pMethods == nullptr) {
      file->pMethods = nullptr;
      return rc;
    }
    static sqlite3_io_methods methods = make_methods(*f->real()->pMethods);
    file->pMethods = &methods;
    return rc;
  }

  static int write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
    if (reinterpret_cast<File*>(f)->wal && countdown_.load() > 0 && countdown_.fetch_sub(1) == 1) {
      ::kill(::getpid(), SIGKILL);
      for (;;) ::pause();
    }
    return real(f)->pMethods->xWrite(real(f), p, n, off);
  }

  static sqlite3_io_methods make_methods(const sqlite3_io_methods& r) {
    sqlite3_io_methods m = r;
    m.xClose = [](sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); };
    m.xRead = [](sqlite3_file* f, void* p, int n, sqlite3_int64 o) {
      return real(f)->pMethods->xRead(real(f), p, n, o);
    };
    m.xWrite = write;
    m.xTruncate = [](sqlite3_file* f, sqlite3_int64 s) { return real(f)->pMethods->xTruncate(real(f), s); };
    m.xSync = [](sqlite3_file* f, int fl) { return real(f)->pMethods->xSync(real(f), fl); };
    m.xFileSize = [](sqlite3_file* f, sqlite3_int64* s) { return real(f)->pMethods->xFileSize(real(f), s); };
    m.xLock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); };
    m.xUnlock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); };
    m.xCheckReservedLock = [](sqlite3_file* f, int* r) {
      return real(f)->pMethods->xCheckReservedLock(real(f), r);
    };
    m.xFileControl = [](sqlite3_file* f, int op, void* a) {
      return real(f)->pMethods->xFileControl(real(f), op, a);
    };
    m.xSectorSize = [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); };
    m.xDeviceCharacteristics = [](sqlite3_file* f) {
      return real(f)->pMethods->xDeviceCharacteristics(real(f));
    };
    if (r.iVersion >= 2) {
      m.xShmMap = [](sqlite3_file* f, int pg, int sz, int ext, void volatile** pp) {
        return real(f)->pMethods->xShmMap(real(f), pg, sz, ext, pp);
      };
      m.xShmLock = [](sqlite3_file* f, int o, int n, int fl) {
        return real(f)->pMethods->xShmLock(real(f), o, n, fl);
      };
      m.xShmBarrier = [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); };
      m.xShmUnmap = [](sqlite3_file* f, int d) { return real(f)->pMethods->xShmUnmap(real(f), d); };
    }
    if (r.iVersion >= 3) {
      m.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** pp) {
        return real(f)->pMethods->xFetch(real(f), o, n, pp);
      };
      m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) {
        return real(f)->pMethods->xUnfetch(real(f), o, p);
      };
    }
    return m;
  }

  static inline sqlite3_vfs* base_ = nullptr;
  static inline sqlite3_vfs vfs_{};
  static inline std::atomic<int> countdown_{0};
};

}  // namespace arsync::testing
