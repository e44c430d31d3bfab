#include "common/logging.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"

namespace rollguard {
namespace {

TEST(LoggingTest, OneLineEscapesWhatCouldStartAJournalEntry) {
  EXPECT_EQ(OneLine("plain\ttext"), "plain\ttext");
  EXPECT_EQ(OneLine("a\n<0>forged\r\x1b[31m"), "a\\n<0>forged\\r\\x1b[31m");
}

TEST(LoggingTest, UnderJournaldAMessageIsOneEntryWhateverItHolds) {
  testing::TempDir dir;
  const std::string path = dir.File("stderr");
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  struct stat st {};
  fstat(fd, &st);
  setenv("JOURNAL_STREAM", absl::StrCat(st.st_dev, ":", st.st_ino).c_str(), 1);
  ASSERT_TRUE(StderrIsJournal());
  ASSERT_TRUE(InitLogging("journal-test", "info").ok());
  // E.g. a webhook's error body, logged as it came.
  spdlog::error("receiver said: {}", "oops\n<0>EMERGENCY forged");
  spdlog::default_logger()->flush();
  unsetenv("JOURNAL_STREAM");
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  spdlog::drop("journal-test");
  EXPECT_EQ(testing::ReadTextFile(path),
            "<3>[journal-test] receiver said: oops\\n<0>EMERGENCY forged\n");
}

}  // namespace
}  // namespace rollguard
