// Reads a SQLite write-ahead log the way SQLite's recovery does (header,
// salts, checksum chain) and says how many valid frames follow the last
// commit frame. Frames there belong to a write transaction that had not
// committed: if the process died then, that transaction was cut off, and
// recovery must drop it. This is how the crash tests prove that a kill
// landed inside a commit rather than trusting a timer.
//
// Format: https://www.sqlite.org/fileformat2.html#walformat.
//
// Thread safety: a WalReader is used by one thread; the file may be written
// by another process meanwhile (a frame half written ends the chain).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace arsync::testing {

struct WalState {
  bool present = false;               // a WAL file with a valid header
  std::uint64_t frames = 0;           // valid frames, committed or not
  std::uint64_t committed_frames = 0; // up to and including the last commit frame
  std::uint64_t tail = 0;             // running checksum after the last valid frame
  std::uint64_t uncommitted() const { return frames - committed_frames; }
};

// Caches what it validated up to the last commit frame (SQLite never
// rewrites a committed frame until it restarts the log with new salts), so
// polling a growing log costs only its new frames.
class WalReader {
 public:
  explicit WalReader(std::string path) : path_(std::move(path)) {}

  WalState read() {
    std::ifstream in(path_, std::ios::binary);
    WalState out;
    unsigned char hdr[32];
    if (!in.read(reinterpret_cast<char*>(hdr), sizeof hdr)) return reset(), out;
    const std::uint32_t magic = be32(hdr);
    if (magic != 0x377f0682u && magic != 0x377f0683u) return reset(), out;
    const std::uint32_t page = be32(hdr + 8);
    const std::uint32_t salt1 = be32(hdr + 16), salt2 = be32(hdr + 20);
    if (page < 512 || page > 65536 || (page & (page - 1)) != 0) return reset(), out;
    if (!valid_ || salt1 != salt1_ || salt2 != salt2_ || page != page_ || magic != magic_) {
      big_endian_ = (magic & 1) != 0;
      std::uint32_t s1 = 0, s2 = 0;
      checksum(hdr, 24, s1, s2);
      if (s1 != be32(hdr + 24) || s2 != be32(hdr + 28)) return reset(), out;
      valid_ = true;
      magic_ = magic;
      page_ = page;
      salt1_ = salt1;
      salt2_ = salt2;
      commit_offset_ = 32;
      commit_s1_ = s1;
      commit_s2_ = s2;
      committed_ = 0;
    }
    out.present = true;
    out.committed_frames = committed_;
    std::uint64_t offset = commit_offset_;
    std::uint32_t s1 = commit_s1_, s2 = commit_s2_;
    std::uint64_t frames = committed_;
    std::vector<unsigned char> frame(24 + page_);
    in.seekg(static_cast<std::streamoff>(offset));
    while (in.read(reinterpret_cast<char*>(frame.data()), static_cast<std::streamsize>(frame.size()))) {
      if (be32(frame.data() + 8) != salt1_ || be32(frame.data() + 12) != salt2_) break;
      std::uint32_t c1 = s1, c2 = s2;
      checksum(frame.data(), 8, c1, c2);
      checksum(frame.data() + 24, page_, c1, c2);
      if (c1 != be32(frame.data() + 16) || c2 != be32(frame.data() + 20)) break;
      s1 = c1;
      s2 = c2;
      ++frames;
      offset += frame.size();
      if (be32(frame.data() + 4) != 0) {  // commit frame: database size after it
        committed_ = frames;
        commit_offset_ = offset;
        commit_s1_ = s1;
        commit_s2_ = s2;
      }
    }
    out.frames = frames;
    out.committed_frames = committed_;
    out.tail = (std::uint64_t{s1} << 32) | s2;
    return out;
  }

 private:
  static std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
  }
  static std::uint32_t le32(const unsigned char* p) {
    return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) |
           std::uint32_t{p[0]};
  }
  // SQLite's walChecksumBytes: pairs of 32-bit words in the byte order the
  // magic number names.
  void checksum(const unsigned char* p, std::size_t n, std::uint32_t& s1, std::uint32_t& s2) const {
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      const std::uint32_t x0 = big_endian_ ? be32(p + i) : le32(p + i);
      const std::uint32_t x1 = big_endian_ ? be32(p + i + 4) : le32(p + i + 4);
      s1 += x0 + s2;
      s2 += x1 + s1;
    }
  }
  void reset() { valid_ = false; }

  std::string path_;
  bool valid_ = false;
  bool big_endian_ = false;
  std::uint32_t magic_ = 0, page_ = 0, salt1_ = 0, salt2_ = 0;
  std::uint64_t commit_offset_ = 32;
  std::uint32_t commit_s1_ = 0, commit_s2_ = 0;
  std::uint64_t committed_ = 0;
};

}  // namespace arsync::testing
