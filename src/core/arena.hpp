// A bump allocator for batch-lifetime strings: stable addresses, freed all at once.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace cdc {

// Chunks never move, so string_views into them stay valid until reset(); reset() keeps the
// first chunk so a steady-state batch loop allocates nothing.
class Arena {
 public:
  explicit Arena(size_t chunk_size = 1 << 20) : chunk_size_(chunk_size) {}

  // Reserves n bytes and returns where to write them.
  char* allocate(size_t n) {
    if (n > left_) grow(n);
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    return p;
  }
  // Copies `s` into the arena.
  std::string_view store(std::string_view s) {
    char* p = allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Frees everything allocated so far.
  void reset() {
    if (chunks_.size() > 1) chunks_.resize(1);
    if (chunks_.empty()) {
      cur_ = nullptr;
      left_ = 0;
    } else {
      cur_ = chunks_[0].data.get();
      left_ = chunks_[0].size;
    }
  }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  // Starts a new chunk big enough for n bytes.
  void grow(size_t n) {
    size_t size = n > chunk_size_ ? n : chunk_size_;
    chunks_.push_back({std::unique_ptr<char[]>(new char[size]), size});
    cur_ = chunks_.back().data.get();
    left_ = size;
  }
  size_t chunk_size_;
  std::vector<Chunk> chunks_;
  char* cur_ = nullptr;
  size_t left_ = 0;
};

}  // namespace cdc
