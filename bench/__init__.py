"""Benchmarks: `python -m bench` runs every case and writes bench/REPORT.md."""
