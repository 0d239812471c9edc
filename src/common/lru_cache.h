// LruCache: a map with a capacity in entries. Inserting past capacity evicts the least recently used
// entry; the evicted value is destroyed (which is how plans give their memory back). Not thread-safe:
// one owner (a Session) uses it.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

#include "common/check.h"

namespace plateau {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruCache {
 public:
  struct Stats {
    size_t hits = 0;
    size_t misses = 0;
    size_t evictions = 0;
  };

  explicit LruCache(size_t capacity) : capacity_(capacity) { PLATEAU_CHECK(capacity > 0); }

  // Returns the cached value and marks it most recently used, or nullptr (counted as a miss).
  Value* Find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++stats_.misses;
      return nullptr;
    }
    ++stats_.hits;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  // Inserts (or replaces) and returns the stored value; evicts the least recently used entries so that
  // size() <= capacity().
  Value& Insert(const Key& key, Value value) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      entries_.erase(it->second);
      index_.erase(it);
    }
    entries_.emplace_front(key, std::move(value));
    // If the index cannot grow (allocation failure), the cache is left as it was minus the replaced entry.
    try {
      index_[key] = entries_.begin();
    } catch (...) {
      entries_.pop_front();
      throw;
    }
    EvictToCapacity();
    return entries_.front().second;
  }

  // Changes the capacity, evicting as needed. Capacity must be > 0.
  void SetCapacity(size_t capacity) {
    PLATEAU_CHECK(capacity > 0);
    capacity_ = capacity;
    EvictToCapacity();
  }

  // Evicts the least recently used entry; returns false if empty.
  bool EvictOne() {
    if (entries_.empty()) return false;
    index_.erase(entries_.back().first);
    entries_.pop_back();
    ++stats_.evictions;
    return true;
  }

  void Clear() {
    stats_.evictions += entries_.size();
    index_.clear();
    entries_.clear();
  }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [k, v] : entries_) fn(k, v);
  }

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  const Stats& stats() const { return stats_; }

 private:
  void EvictToCapacity() {
    while (entries_.size() > capacity_) EvictOne();
  }

  size_t capacity_;
  std::list<std::pair<Key, Value>> entries_;
  std::unordered_map<Key, typename std::list<std::pair<Key, Value>>::iterator, Hash> index_;
  Stats stats_;
};

}  // namespace plateau
