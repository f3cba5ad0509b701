"""cakg's benchmarks (not collected by pytest), run from the repository root as modules:
`python -m bench.bench_endpoint` (see bench/README.md). `bench.generate` writes the synthetic
projects that the benchmarks and tests/test_scale.py use."""
