// Shared main for the benchmark executables: runs Google Benchmark with a reporter that also
// prints the side-by-side summary, then closes engines and removes the scratch directory.
#include <unistd.h>

#include <iostream>

#include "bench_support.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // A display reporter passed in ignores --benchmark_color: colour only on a terminal.
  loybench::SummaryReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                           : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  loybench::finish();
  reporter.print_summary(std::cout);
  loybench::teardown();
  benchmark::Shutdown();
  return 0;
}
