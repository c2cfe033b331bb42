// log::format_value (the escaping that keeps record content from forging
// log lines or fields) and log::write as a reader of stderr sees it.
#include "arsync/log/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace arsync::log {
namespace {

TEST(FormatValue, PlainValuesAreWrittenAsTheyAre) {
  EXPECT_EQ(format_value("sap-ecc"), "sap-ecc");
  EXPECT_EQ(format_value("0000000000451240"), "0000000000451240");
  EXPECT_EQ(format_value("archive/2026/11/25/a.xml"), "archive/2026/11/25/a.xml");
  // Well-formed UTF-8 needs no quotes.
  EXPECT_EQ(format_value("M\xC3\xBCller"), "M\xC3\xBCller");
  EXPECT_EQ(format_value("\xE2\x82\xAC" "100"), "\xE2\x82\xAC" "100");
  EXPECT_EQ(format_value("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(FormatValue, EmptySpacesEqualsAndQuotesAreQuoted) {
  EXPECT_EQ(format_value(""), "\"\"");
  EXPECT_EQ(format_value("two words"), "\"two words\"");
  EXPECT_EQ(format_value("a=b"), "\"a=b\"");
  EXPECT_EQ(format_value("say \"hi\""), "\"say \\\"hi\\\"\"");
  // A backslash is escaped once the value is quoted, so \" cannot end it.
  EXPECT_EQ(format_value("C:\\ \"x"), "\"C:\\\\ \\\"x\"");
}

TEST(FormatValue, LineBreaksCannotStartAForgedLine) {
  EXPECT_EQ(format_value("ok\nlevel=error event=forged"), "\"ok\\nlevel=error event=forged\"");
  EXPECT_EQ(format_value("ok\r\nlevel=error"), "\"ok\\r\\nlevel=error\"");
  EXPECT_EQ(format_value("a\tb"), "\"a\\tb\"");
}

TEST(FormatValue, OtherControlCharactersAreHexEscaped) {
  EXPECT_EQ(format_value(std::string("a\0b", 3)), "\"a\\x00b\"");
  EXPECT_EQ(format_value("\x1b[31mred"), "\"\\x1b[31mred\"");  // terminal escape
  EXPECT_EQ(format_value("del\x7f"), "\"del\\x7f\"");
  EXPECT_EQ(format_value("bell\a"), "\"bell\\x07\"");
}

TEST(FormatValue, UnicodeLineSeparatorsAndC1ControlsAreEscaped) {
  EXPECT_EQ(format_value("a\xC2\x85" "b"), "\"a\\u0085b\"");         // NEL
  EXPECT_EQ(format_value("a\xE2\x80\xA8" "b"), "\"a\\u2028b\"");     // LINE SEPARATOR
  EXPECT_EQ(format_value("a\xE2\x80\xA9" "b"), "\"a\\u2029b\"");     // PARAGRAPH SEPARATOR
}

TEST(FormatValue, BytesThatAreNotUtf8AreHexEscaped) {
  EXPECT_EQ(format_value("M\xFCller"), "\"M\\xfcller\"");            // Latin-1
  EXPECT_EQ(format_value("\x80"), "\"\\x80\"");                       // stray continuation
  EXPECT_EQ(format_value("ab\xC3"), "\"ab\\xc3\"");                   // truncated at the end
  EXPECT_EQ(format_value("\xC3(x"), "\"\\xc3(x\"");                   // lead without continuation
  EXPECT_EQ(format_value("\xC0\xAF"), "\"\\xc0\\xaf\"");              // overlong '/'
  EXPECT_EQ(format_value("\xE0\x80\xAF"), "\"\\xe0\\x80\\xaf\"");     // overlong, 3 bytes
  EXPECT_EQ(format_value("\xED\xA0\x80"), "\"\\xed\\xa0\\x80\"");     // UTF-16 surrogate
  EXPECT_EQ(format_value("\xF4\x90\x80\x80"), "\"\\xf4\\x90\\x80\\x80\"");  // above U+10FFFF
  EXPECT_EQ(format_value("\xFF\xFE"), "\"\\xff\\xfe\"");
  // Good sequences around a bad byte stay as they are.
  EXPECT_EQ(format_value("\xC3\xBC\xFC\xC3\xBC"), "\"\xC3\xBC\\xfc\xC3\xBC\"");
}

// Redirects stderr (fd 2) into a file for the life of the object.
class StderrCapture {
 public:
  StderrCapture() {
    path_ = std::filesystem::temp_directory_path() /
            ("arsync-log-test-" + std::to_string(::getpid()) + ".txt");
    std::fflush(stderr);
    saved_ = ::dup(2);
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ::dup2(::fileno(f), 2);
    std::fclose(f);
  }
  ~StderrCapture() {
    restore();
    std::filesystem::remove(path_);
  }
  // Restores stderr and returns what was written, one entry per line.
  std::vector<std::string> lines() {
    restore();
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::filesystem::path path_;
  int saved_ = -1;
};

// The part of a line after its timestamp.
std::string without_time(const std::string& line) {
  const std::size_t at = line.find("level=");
  return at == std::string::npos ? line : line.substr(at);
}

TEST(Write, OneEventIsOneLineWhateverItsValuesHold) {
  StderrCapture capture;
  warn("sap-ecc", "record_quarantined",
       {{"record", "0000000000451240"},
        {"error", "bad\nlevel=error system=sap-ecc event=forged"},
        {"customer", "M\xFCller \"GmbH\""}});
  const std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(without_time(lines[0]),
            "level=warning system=sap-ecc event=record_quarantined record=0000000000451240 "
            "error=\"bad\\nlevel=error system=sap-ecc event=forged\" "
            "customer=\"M\\xfcller \\\"GmbH\\\"\"");
}

TEST(Write, LinesBelowTheLevelAreDropped) {
  const Level before = level();
  StderrCapture capture;
  set_level(Level::kInfo);
  EXPECT_FALSE(enabled(Level::kDebug));
  EXPECT_TRUE(enabled(Level::kWarning));
  debug("sap-ecc", "batch_committed", {{"cursor", "a.xml:50"}});
  info("sap-ecc", "pull_done");
  set_level(Level::kDebug);
  EXPECT_TRUE(enabled(Level::kDebug));
  debug("sap-ecc", "batch_committed", {{"cursor", "a.xml:100"}});
  set_level(Level::kError);
  warn("", "dropped");
  error("", "kept");
  set_level(before);
  const std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(without_time(lines[0]), "level=info system=sap-ecc event=pull_done");
  EXPECT_EQ(without_time(lines[1]), "level=debug system=sap-ecc event=batch_committed cursor=a.xml:100");
  EXPECT_EQ(without_time(lines[2]), "level=error event=kept");
}

TEST(ParseLevel, KnowsTheFourNamesOnly) {
  Level l = Level::kInfo;
  EXPECT_TRUE(parse_level("debug", &l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_TRUE(parse_level("warning", &l));
  EXPECT_EQ(l, Level::kWarning);
  EXPECT_FALSE(parse_level("warn", &l));
  EXPECT_FALSE(parse_level("DEBUG", &l));
  EXPECT_EQ(l, Level::kWarning);
}

}  // namespace
}  // namespace arsync::log
