// Replaces the global operator new/delete with versions that count heap allocations, so the
// decoder tests' steady-state cases can prove that decoding allocates nothing.
//
// Include it from exactly one translation unit of an executable (each test/unit/*_test.cpp is its
// own executable of one file): the replacements are definitions, not declarations.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC flags the malloc/free pairing below although it is exactly what the replacements intend.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Counts heap allocations so the steady-state test can prove decoding allocates nothing.
static std::atomic<long> g_allocations{0};

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
