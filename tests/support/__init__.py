"""What only tests and benchmarks use (running Airflow for real, dropping files)."""
