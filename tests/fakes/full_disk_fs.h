// A RocksDB FileSystem that can play a full disk: while full(), creating or
// growing any file fails with ENOSPC ("No space left on device"), as a full
// ext4 does; reading, deleting and renaming still work. For fault tests of
// the collector's storage where the sandbox cannot mount a small filesystem.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace rollguard::testing {

class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FullDiskFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FullDiskFileSystem"; }

  void SetFull(bool full) { full_->store(full); }
  bool full() const { return full_->load(); }
  // Writes refused while full.
  uint64_t refused() const { return refused_->load(); }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return Open(r, [&](auto* file) { return target()->NewWritableFile(f, o, file, dbg); });
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return Open(r, [&](auto* file) { return target()->ReopenWritableFile(f, o, file, dbg); });
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return Open(r, [&](auto* file) { return target()->ReuseWritableFile(f, old, o, file, dbg); });
  }

  // What RocksDB's own error recovery asks before it resumes writes.
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& o,
                                 uint64_t* space, rocksdb::IODebugContext* dbg) override {
    if (full_->load()) {
      *space = 0;
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, o, space, dbg);
  }

  // An Env over this file system, for rocksdb::Options::env.
  static std::shared_ptr<rocksdb::Env> EnvOf(const std::shared_ptr<FullDiskFileSystem>& fs) {
    return rocksdb::NewCompositeEnv(fs);
  }

 private:
  static rocksdb::IOStatus NoSpace() {
    rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("No space left on device (simulated)");
    return s;
  }
  bool Refuse() {
    if (!full_->load()) return false;
    refused_->fetch_add(1);
    return true;
  }
  // Creating a file is refused while full; a file created is wrapped so its
  // appends are refused while full too.
  template <typename OpenFn>
  rocksdb::IOStatus Open(std::unique_ptr<rocksdb::FSWritableFile>* r, OpenFn open) {
    if (Refuse()) return NoSpace();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = open(&file);
    if (s.ok()) *r = std::make_unique<File>(std::move(file), full_, refused_);
    return s;
  }

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, std::shared_ptr<std::atomic<bool>> full,
         std::shared_ptr<std::atomic<uint64_t>> refused)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)),
          full_(std::move(full)),
          refused_(std::move(refused)) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(d, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(d, o, v, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t off,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
      if (Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::PositionedAppend(d, off, o, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t off,
                                       const rocksdb::IOOptions& o,
                                       const rocksdb::DataVerificationInfo& v,
                                       rocksdb::IODebugContext* dbg) override {
      if (Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::PositionedAppend(d, off, o, v, dbg);
    }
    rocksdb::IOStatus Allocate(uint64_t off, uint64_t len, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
      if (Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Allocate(off, len, o, dbg);
    }

   private:
    bool Refuse() {
      if (!full_->load()) return false;
      refused_->fetch_add(1);
      return true;
    }
    std::shared_ptr<std::atomic<bool>> full_;
    std::shared_ptr<std::atomic<uint64_t>> refused_;
  };

  std::shared_ptr<std::atomic<bool>> full_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<uint64_t>> refused_ = std::make_shared<std::atomic<uint64_t>>(0);
};

}  // namespace rollguard::testing
