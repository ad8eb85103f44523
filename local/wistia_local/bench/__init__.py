"""Benchmarks of how well the pipeline does its job (issue 8), run by `wistia-pipeline bench`.

One module per measurement, each a `run(ctx) -> BenchResult` of figures and the details they came from:

- api_efficiency: a nightly incremental run's Wistia requests against the fewest that learn what changed
- rate_limit: a long backfill's pace against the account's rate limit, and its share of 429s
- incremental_cost: the Transform of one new night on 30 vs 365 days of history
- end_to_end: `make demo` and `simulate --days 7`, and where their time goes
- footprint: the Lambda bundle's size, the handlers' cold imports, the Spark job's peak memory
- local_jvm: local Delta merges with the JVM's default flags vs the local driver's, alone and three at once

runner.py runs them and writes `bench/results/<date>.json` and `.md`; bounds.py holds the lower-bound
arithmetic, harness.py the shared set-up and samplers, probe.py the timed `wistia-pipeline` child.
Method and figures: docs/performance.md.
"""
