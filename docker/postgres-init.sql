-- Superset's metadata lives beside Airflow's in the same PostgreSQL server.
CREATE DATABASE superset OWNER airflow;
