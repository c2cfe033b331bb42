// InputFile: a fuzzer's input as a file, for code that reads from a path.
//
// The IDoc readers open a path with std::ifstream. An anonymous in-memory
// file (memfd) holds each input and is reached as /proc/self/fd/N, so an
// iteration costs two system calls and no disk, and nothing is left behind
// when a fuzzer is killed.
//
// Thread safety: one InputFile per thread (libFuzzer runs one input at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace arsync::fuzz {

class InputFile {
 public:
  // Aborts when the memfd cannot be created: a fuzzer cannot run without it.
  InputFile();
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Replaces the file's content with `size` bytes from `data`.
  void write(const std::uint8_t* data, std::size_t size);
  // A path that opens the file ("/proc/self/fd/N").
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace arsync::fuzz
