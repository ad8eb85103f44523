"""The Streamlit dashboard over the gold views and tables: a local lake (DuckDB) or Athena.

`app.py` is the Streamlit script; `data.py` reaches the data (one protocol, two sources); `queries.py`
builds the SQL (Athena's Trino dialect, run as is by Athena and transpiled locally); `metrics.py` holds the
pure functions the panels use (KPIs, filters, chart shapes), so tests can call them without Streamlit.
"""
