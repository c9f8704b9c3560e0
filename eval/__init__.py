"""The eval suite of newsbot: question sets, runner, metrics, reports and the CI gate (plus benchmarks)."""
