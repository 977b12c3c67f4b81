// Native C++ hnswlib (the header-only library of the Debian package libhnswlib-dev), the anchor of
// SieveML's retrieval benchmarks. Compiled and run by org.sieveml.benchmarks.retrieval.NativeHnswlib:
//
//   g++ -O3 -march=native -std=c++17 -pthread -o hnswlib_driver hnswlib_driver.cpp
//   hnswlib_driver DATA_FILE M EF_CONSTRUCTION BUILD_THREADS ROUNDS EF[,EF...] [STOP_AT_RECALL]
//
// DATA_FILE, all little-endian:
//   8 bytes   magic "SVANN01\0"
//   int32     n (base vectors), nq (queries), dim, k (true neighbours per query)
//   float32   n * dim base vectors, row-major
//   float32   nq * dim query vectors, row-major
//   int32     nq * k ground-truth ids (indexes into the base vectors), best first
//
// Cosine: like hnswlib's Python binding for space 'cosine', every vector is normalised to unit length
// and searched with InnerProductSpace (distance 1 - dot). Base vectors are normalised inside the timed
// build, each query inside the timed search loop.
//
// Build: one HierarchicalNSW(M, EF_CONSTRUCTION, seed 100) over all base vectors, labels 0..n-1;
// with BUILD_THREADS > 1 the first vector is added alone, then the threads take the others from a
// shared counter (what the Python binding's ParallelFor does). Search: always one thread. For each
// ef, one untimed pass over all queries measures recall@k (it also warms the caches), then ROUNDS
// timed passes measure queries per second; the median round is reported. With STOP_AT_RECALL, the
// ladder stops after the first ef whose recall reaches it.
//
// Output, one record a line, fields separated by single spaces:
//   data n N nq NQ dim D k K
//   build seconds S threads T vectors_per_second V
//   ef EF recall R qps_median Q qps_rounds Q1 Q2 ...
//   done
// Errors go to stderr with exit status 1 (2 for a bad command line).

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Data {
  int32_t n = 0, nq = 0, dim = 0, k = 0;
  std::vector<float> base, queries;
  std::vector<int32_t> truth;
};

[[noreturn]] void fail(const std::string& message, int status = 1) {
  std::cerr << "hnswlib_driver: " << message << std::endl;
  std::exit(status);
}

// The benchmarks run on x86-64 and aarch64, both little-endian; refuse a big-endian host rather than
// read garbage.
void requireLittleEndian() {
  const uint32_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  if (first != 1) {
    fail("the data file is little-endian; this host is not");
  }
}

template <typename T>
void readArray(std::ifstream& in, std::vector<T>& out, size_t count, const char* what) {
  out.resize(count);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (!in) {
    fail(std::string("truncated data file while reading ") + what);
  }
}

Data readData(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail("cannot open " + path);
  }
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "SVANN01\0", 8) != 0) {
    fail(path + ": not a SVANN01 data file");
  }
  Data d;
  int32_t header[4];
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  if (!in) {
    fail(path + ": truncated header");
  }
  d.n = header[0];
  d.nq = header[1];
  d.dim = header[2];
  d.k = header[3];
  if (d.n <= 0 || d.nq <= 0 || d.dim <= 0 || d.k <= 0 || d.k > d.n) {
    fail(path + ": bad header n=" + std::to_string(d.n) + " nq=" + std::to_string(d.nq) +
         " dim=" + std::to_string(d.dim) + " k=" + std::to_string(d.k));
  }
  readArray(in, d.base, static_cast<size_t>(d.n) * d.dim, "base vectors");
  readArray(in, d.queries, static_cast<size_t>(d.nq) * d.dim, "queries");
  readArray(in, d.truth, static_cast<size_t>(d.nq) * d.k, "ground truth");
  return d;
}

void normalize(const float* in, float* out, int dim) {
  float norm = 0.0f;
  for (int i = 0; i < dim; i++) {
    norm += in[i] * in[i];
  }
  float inv = 1.0f / (std::sqrt(norm) + 1e-30f);  // the Python binding's normalize_vector
  for (int i = 0; i < dim; i++) {
    out[i] = in[i] * inv;
  }
}

long parseLong(const char* text, const char* what, long min) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min) {
    fail(std::string(what) + " must be an integer >= " + std::to_string(min) + ", was '" + text + "'", 2);
  }
  return v;
}

std::vector<size_t> parseLadder(const std::string& text) {
  std::vector<size_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    out.push_back(static_cast<size_t>(parseLong(item.c_str(), "ef", 1)));
  }
  if (out.empty()) {
    fail("the ef ladder is empty", 2);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    fail("usage: hnswlib_driver DATA_FILE M EF_CONSTRUCTION BUILD_THREADS ROUNDS EF[,EF...] [STOP_AT_RECALL]", 2);
  }
  requireLittleEndian();
  const std::string path = argv[1];
  const size_t m = static_cast<size_t>(parseLong(argv[2], "M", 2));
  const size_t efConstruction = static_cast<size_t>(parseLong(argv[3], "EF_CONSTRUCTION", 1));
  const int threads = static_cast<int>(parseLong(argv[4], "BUILD_THREADS", 1));
  const int rounds = static_cast<int>(parseLong(argv[5], "ROUNDS", 1));
  const std::vector<size_t> ladder = parseLadder(argv[6]);
  double stopAt = 2.0;
  if (argc == 8) {
    char* end = nullptr;
    stopAt = std::strtod(argv[7], &end);
    if (end == argv[7] || *end != '\0' || !(stopAt > 0.0) || stopAt > 1.0) {
      fail(std::string("STOP_AT_RECALL must be in (0, 1], was '") + argv[7] + "'", 2);
    }
  }

  Data d = readData(path);
  const int dim = d.dim;
  std::printf("data n %d nq %d dim %d k %d\n", d.n, d.nq, d.dim, d.k);
  std::fflush(stdout);

  using Clock = std::chrono::steady_clock;
  hnswlib::InnerProductSpace space(static_cast<size_t>(dim));
  auto t0 = Clock::now();
  hnswlib::HierarchicalNSW<float> index(&space, static_cast<size_t>(d.n), m, efConstruction, 100);
  {
    auto add = [&](int i, std::vector<float>& unit) {
      normalize(&d.base[static_cast<size_t>(i) * dim], unit.data(), dim);
      index.addPoint(unit.data(), static_cast<hnswlib::labeltype>(i));
    };
    std::vector<float> unit(dim);
    add(0, unit);
    if (threads == 1) {
      for (int i = 1; i < d.n; i++) {
        add(i, unit);
      }
    } else {
      std::atomic<int> next(1);
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; t++) {
        pool.emplace_back([&]() {
          std::vector<float> own(dim);
          for (int i = next.fetch_add(1); i < d.n; i = next.fetch_add(1)) {
            add(i, own);
          }
        });
      }
      for (auto& th : pool) {
        th.join();
      }
    }
  }
  double buildSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("build seconds %.6f threads %d vectors_per_second %.1f\n", buildSeconds, threads, d.n / buildSeconds);
  std::fflush(stdout);

  std::vector<float> unit(dim);
  for (size_t ef : ladder) {
    index.setEf(ef);
    long hits = 0;
    for (int q = 0; q < d.nq; q++) {
      normalize(&d.queries[static_cast<size_t>(q) * dim], unit.data(), dim);
      auto result = index.searchKnn(unit.data(), static_cast<size_t>(d.k));
      const int32_t* truth = &d.truth[static_cast<size_t>(q) * d.k];
      while (!result.empty()) {
        int32_t id = static_cast<int32_t>(result.top().second);
        result.pop();
        for (int j = 0; j < d.k; j++) {
          if (truth[j] == id) {
            hits++;
            break;
          }
        }
      }
    }
    double recall = static_cast<double>(hits) / (static_cast<double>(d.nq) * d.k);
    std::vector<double> qps;
    size_t sink = 0;
    for (int r = 0; r < rounds; r++) {
      auto s = Clock::now();
      for (int q = 0; q < d.nq; q++) {
        normalize(&d.queries[static_cast<size_t>(q) * dim], unit.data(), dim);
        auto result = index.searchKnn(unit.data(), static_cast<size_t>(d.k));
        sink += result.empty() ? 0 : result.top().second;
      }
      qps.push_back(d.nq / std::chrono::duration<double>(Clock::now() - s).count());
    }
    if (sink == static_cast<size_t>(-1)) {
      std::printf("#\n");  // keeps the searches from being optimised away
    }
    std::printf("ef %zu recall %.6f qps_median %.1f qps_rounds", ef, recall, median(qps));
    for (double v : qps) {
      std::printf(" %.1f", v);
    }
    std::printf("\n");
    std::fflush(stdout);
    if (recall >= stopAt) {
      break;
    }
  }
  std::printf("done\n");
  return 0;
}
